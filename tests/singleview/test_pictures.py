"""The timeline and ecomap drawings: what is drawn, where, and that no text escapes."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zlib
from datetime import UTC, date, datetime

from jigsaw.policy.roles import AgencyKind
from jigsaw.singleview import export, pictures
from jigsaw.singleview.schemas import ChronologyEntry

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & </text><rect/>'


def entry(
    item_id: int,
    agency_id: int,
    agency_name: str,
    occurred_on: date | None,
    *,
    own: bool = True,
    summary: str = "Seen at school",
    **more: object,
) -> ChronologyEntry:
    fields = ["summary"] + (["occurred_on"] if occurred_on else [])
    return ChronologyEntry(
        item_chain_id=item_id,
        item_id=item_id,
        agency_id=agency_id,
        agency_name=agency_name,
        agency_kind=AgencyKind.SCHOOL,
        own_agency=own,
        disclosure_ids=[] if own else [1],
        about_person_id=None,
        about_record_id=None,
        fields=fields,
        version=int(str(more.pop("version", 1))),
        corrected=bool(more.pop("corrected", False)),
        retracted=bool(more.pop("retracted", False)),
        occurred_on=occurred_on,
        summary=summary,
        **more,  # type: ignore[arg-type]
    )


def parsed(svg: str) -> ET.Element:
    """The drawing as XML: it must parse, hold no script and no inline style."""
    root = ET.fromstring(svg)
    for element in root.iter():
        assert element.tag != f"{SVG}script" and element.tag != f"{SVG}style"
        assert "style" not in element.attrib
        assert not any(key.startswith("on") for key in element.attrib)
        assert "href" not in element.attrib
    return root


def marks(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "app-timeline__mark"]


def centre(mark: ET.Element) -> tuple[float, float]:
    """Where a mark sits: a circle's centre, or the middle of a polygon's points."""
    shape = next(e for e in mark if e.tag in (f"{SVG}circle", f"{SVG}polygon"))
    if shape.tag == f"{SVG}circle":
        return float(shape.get("cx", "")), float(shape.get("cy", ""))
    points = [tuple(map(float, p.split(","))) for p in shape.get("points", "").split()]
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def lane_order(root: ET.Element) -> list[str]:
    return [
        g.get("data-agency", "")
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "app-timeline__lane"
    ]


def test_every_entry_is_one_mark_in_its_agencys_lane_in_date_order() -> None:
    entries = [
        entry(1, 10, "Northfield Primary", date(2026, 1, 12)),
        entry(2, 20, "West Police", date(2026, 2, 2), own=False),
        entry(3, 30, "Children's Social Care", date(2025, 11, 20), own=False),
        entry(4, 10, "Northfield Primary", date(2026, 3, 1)),
        entry(5, 20, "West Police", date(2026, 2, 2), own=False),
    ]
    root = parsed(pictures.timeline(entries))
    drawn = marks(root)
    assert [m.get("data-item") for m in drawn] == ["1", "2", "3", "4", "5"]
    # The viewer's own agency first, then the others by name.
    assert lane_order(root) == ["10", "30", "20"]
    lanes = lane_order(root)
    for mark in drawn:
        _, y = centre(mark)
        top = pictures.AXIS_HEIGHT + lanes.index(mark.get("data-agency", "")) * pictures.LANE_HEIGHT
        assert top < y < top + pictures.LANE_HEIGHT
    by_date = sorted(drawn, key=lambda m: (m.get("data-date", ""), centre(m)[0]))
    xs = [centre(m)[0] for m in by_date]
    assert xs == sorted(xs)
    assert centre(drawn[2])[0] < centre(drawn[0])[0] < centre(drawn[1])[0] < centre(drawn[3])[0]
    # Two entries on one day in one lane are stacked, not drawn over each other.
    assert centre(drawn[1]) != centre(drawn[4])
    assert drawn[1].get("data-kind") == "shared" and drawn[0].get("data-kind") == "own"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "Timeline of 5 entries from 3 agencies"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "timeline-title timeline-desc"


def test_entries_without_a_shared_date_are_drawn_apart_at_the_right() -> None:
    entries = [
        entry(1, 10, "School", date(2026, 1, 12)),
        entry(2, 20, "Police", None, own=False),
        entry(3, 10, "School", date(2026, 4, 1)),
    ]
    root = parsed(pictures.timeline(entries))
    drawn = {m.get("data-item"): m for m in marks(root)}
    assert len(drawn) == 3
    assert drawn["2"].get("data-date") == ""
    assert centre(drawn["2"])[0] > max(centre(drawn[i])[0] for i in ("1", "3"))
    assert "Date not shared" in ET.tostring(root, encoding="unicode")


def test_corrections_retractions_and_shares_are_marked_by_shape_not_colour_alone() -> None:
    entries = [
        entry(1, 10, "School", date(2026, 1, 12), corrected=True, version=2),
        entry(2, 10, "School", date(2026, 1, 20), retracted=True),
        entry(3, 20, "Police", date(2026, 1, 25), own=False),
        entry(4, 20, "Police", date(2026, 1, 28), own=False, break_glass_session_id=7),
    ]
    root = parsed(pictures.timeline(entries))
    drawn = marks(root)
    shapes = [[child.tag.removeprefix(SVG) for child in m] for m in drawn]
    assert shapes == [["circle", "circle"], ["circle", "path"], ["polygon"], ["polygon"]]
    assert drawn[0].get("data-corrected") == "true" and drawn[1].get("data-retracted") == "true"
    assert [m.get("data-kind") for m in drawn] == ["own", "own", "shared", "emergency"]
    # Marks say nothing in words: the table beside the picture does, once.
    assert all(m.find(f"{SVG}title") is None and not "".join(m.itertext()) for m in drawn)
    legend = ET.tostring(root, encoding="unicode")
    for key in ("Shared with you", "Seen under emergency access", "Corrected", "Retracted"):
        assert key in legend


def test_hostile_names_and_summaries_are_text_never_markup() -> None:
    entries = [entry(1, 10, HOSTILE, date(2026, 1, 12), summary=HOSTILE)]
    svg = pictures.timeline(entries)
    root = parsed(svg)
    assert "<script" not in svg and "</text><rect/>" not in svg
    assert len(marks(root)) == 1
    assert [r for r in root.iter(f"{SVG}rect")] == [
        r for r in root.iter(f"{SVG}rect") if r.get("fill")
    ]
    label = "".join(root.itertext())
    assert '<script>alert("x")' in label  # shown as the characters typed


def test_an_empty_chronology_draws_an_empty_timeline() -> None:
    root = parsed(pictures.timeline([]))
    assert marks(root) == []
    assert lane_order(root) == []
    assert "No entries to draw" in "".join(root.itertext())
    assert root.findtext(f"{SVG}title") == "Timeline of 0 entries from 0 agencies"


def test_ticks_follow_the_span() -> None:
    short = parsed(
        pictures.timeline([entry(1, 1, "A", date(2026, 1, 5)), entry(2, 1, "A", date(2026, 3, 9))])
    )
    words = "".join(short.itertext())
    assert "Feb 2026" in words and "Mar 2026" in words
    long = parsed(
        pictures.timeline([entry(1, 1, "A", date(2015, 1, 5)), entry(2, 1, "A", date(2026, 3, 9))])
    )
    ticks = [t.text for t in long.iter(f"{SVG}text")]
    assert "2020" in ticks and "Jan 2020" not in ticks


def ecomap_groups(root: ET.Element, kind: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == f"app-ecomap__{kind}"]


def test_ecomap_draws_the_child_family_agencies_and_workers() -> None:
    relatives = [
        pictures.Relative(5, "Kerry Pemberton", "Parent"),
        pictures.Relative(6, "Dean Rourke", "Lives in the same household"),
    ]
    knowers = [
        pictures.Knower("1", "Northfield Primary", "Your agency", own=True,
                        workers=(pictures.Worker("Ann Lee", "Designated safeguarding lead"),)),
        pictures.Knower("2", "West Police", "Police, knows them since March 2025", workers=tuple(
            pictures.Worker(f"Officer {n}", "Officer in case") for n in range(6)
        )),
        pictures.Knower("kind-0", "Health", "Named once your record is confirmed"),
    ]  # fmt: skip
    root = parsed(pictures.ecomap("Maisie Pemberton", relatives, knowers))
    assert [g.get("data-record") for g in ecomap_groups(root, "person")] == ["5", "6"]
    assert [g.get("data-agency") for g in ecomap_groups(root, "agency")] == ["1", "2", "kind-0"]
    workers = ecomap_groups(root, "worker")
    assert len(workers) == 1 + pictures.WORKERS_DRAWN
    assert "and 2 more" in "".join(root.itertext())
    assert len(ecomap_groups(root, "child")) == 1
    # One line from the child to each person and each agency.
    assert len(list(root.iter(f"{SVG}line"))) == 2 + 3 + 2  # and the legend's two
    assert root.findtext(f"{SVG}title") == "Ecomap of Maisie Pemberton"


def test_ecomap_escapes_hostile_names_and_draws_an_empty_family() -> None:
    svg = pictures.ecomap(
        HOSTILE,
        [],
        [pictures.Knower("1", HOSTILE, HOSTILE, workers=(pictures.Worker(HOSTILE, HOSTILE),))],
    )
    root = parsed(svg)
    assert "<script" not in svg and "</text><rect/>" not in svg
    assert ecomap_groups(root, "person") == []
    assert "No family recorded" in "".join(root.itertext())
    assert root.findtext(f"{SVG}title") == f"Ecomap of {HOSTILE}"


def _pdf_text(pdf: bytes) -> str:
    """Every content stream of the PDF, inflated, as Latin-1 text."""
    found = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            found.append(zlib.decompressobj().decompress(match.group(1)).decode("latin-1"))
        except zlib.error:
            found.append(match.group(1).decode("latin-1"))
    return "\n".join(found)


def test_the_pdf_carries_the_timeline_in_latin_1() -> None:
    entries = [
        entry(1, 10, "Zo\u00eb\u2019s Nursery \u2603", date(2026, 1, 12)),
        entry(2, 20, "Lanefield Police", date(2026, 2, 2), own=False),
    ]
    pdf = export.chronology_pdf(
        "Chronology: Maisie", "A Person", datetime(2026, 3, 1, tzinfo=UTC), "All", entries
    )
    text = _pdf_text(pdf)
    assert "(Another agency)" in text  # the picture's lane label: the table has no such words
    assert "(Jan 2026)" in text and "(Feb 2026)" in text
    assert "Zo\u00eb's Nursery ?" in text  # typographic quote made plain, the rest "?"
