"""Pictures of what is known about a child: a timeline of the chronology and an ecomap.

Social workers draw both by hand today; here they are drawn on the server as SVG from
the same data the pages list, so a picture can never show more than its table. The
module is pure (data in, an SVG string out) and knows nothing of requests or the
database. Every piece of text is escaped: names and summaries are what practitioners
typed, so they are hostile input. The SVG uses presentation attributes only (no
``style`` attribute or element, no script, nothing fetched), so it renders under the
service's strict Content-Security-Policy and in the PDF (fpdf2 draws it as vectors).

Status is never told by colour alone: each kind of mark has its own shape, and a
legend under the picture says what each shape means.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from markupsafe import escape

from jigsaw.singleview.schemas import ChronologyEntry

FONT = "GDS Transport, arial, sans-serif"
INK = "#0b0c0c"
GREY = "#505a5f"
RULE = "#b1b4b6"
BAND = "#f3f2f1"
BLUE = "#1d70b8"
PURPLE = "#4c2c92"
BROWN = "#942514"
RED = "#d4351c"
GREEN = "#00703c"
WHITE = "#ffffff"
WIDTH = 960

Text = Callable[[str], str]
"""How text is made ready for the medium (the PDF's core fonts need Latin-1)."""


def _same(text: str) -> str:
    return text


def _short(text: str, limit: int) -> str:
    """Cut a label to fit its box; the full text is in the table beside the picture."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


class _Svg:
    """A list of SVG fragments; every attribute value and text node goes through escape."""

    def __init__(self, text: Text, titles: bool = True) -> None:
        self.parts: list[str] = []
        self.text = text
        self.titles = titles

    def tag(self, name: str, attrs: dict[str, object], body: str | None = None) -> None:
        self.parts.append(_element(name, attrs, body))

    def open(self, name: str, attrs: dict[str, object]) -> None:
        self.parts.append(_element(name, attrs, None)[:-2] + ">")

    def close(self, name: str) -> None:
        self.parts.append(f"</{name}>")

    def words(self, x: float, y: float, text: str, **attrs: object) -> None:
        defaults: dict[str, object] = {"font-family": FONT, "font-size": 16, "fill": INK}
        self.tag("text", {"x": x, "y": y, **defaults, **attrs}, str(escape(self.text(text))))

    def title(self, text: str, ident: str | None = None) -> None:
        if not self.titles:
            return
        attrs: dict[str, object] = {"id": ident} if ident else {}
        self.tag("title", attrs, str(escape(self.text(text))))

    def render(self) -> str:
        return "".join(self.parts)


def _element(name: str, attrs: dict[str, object], body: str | None) -> str:
    rendered = "".join(
        f' {key}="{escape(_num(value) if isinstance(value, float) else str(value))}"'
        for key, value in attrs.items()
        if value is not None
    )
    if body is None:
        return f"<{name}{rendered}/>"
    return f"<{name}{rendered}>{body}</{name}>"


def _root(svg: _Svg, width: int, height: float, prefix: str, title: str, desc: str) -> None:
    svg.open(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {width} {_num(height)}",
            "width": width,
            "height": _num(height),
            "class": "app-picture",
            "role": "img",
            "aria-labelledby": f"{prefix}-title {prefix}-desc" if svg.titles else None,
            "focusable": "false",
        },
    )
    svg.title(title, f"{prefix}-title")
    if svg.titles:
        svg.tag("desc", {"id": f"{prefix}-desc"}, str(escape(svg.text(desc))))


# The timeline


LABEL_WIDTH = 230
AXIS_HEIGHT = 44
LANE_HEIGHT = 48
UNDATED_WIDTH = 120
LEGEND_HEIGHT = 72
MARK = 6.0
STACK = (0.0, -10.0, 10.0, -18.0, 18.0)


@dataclass(frozen=True)
class Lane:
    agency_id: int
    name: str
    own: bool
    top: float


def _shown_date(entry: ChronologyEntry) -> date | None:
    return entry.occurred_on if "occurred_on" in entry.fields else None


def _kind(entry: ChronologyEntry) -> str:
    if entry.own_agency:
        return "own"
    return "emergency" if entry.break_glass_session_id else "shared"


def lanes_of(entries: Iterable[ChronologyEntry]) -> list[tuple[int, str, bool]]:
    """One lane per agency: the viewer's own first, then the others by name."""
    found: dict[int, tuple[int, str, bool]] = {}
    for entry in entries:
        found.setdefault(entry.agency_id, (entry.agency_id, entry.agency_name, entry.own_agency))
    return sorted(found.values(), key=lambda lane: (not lane[2], lane[1].lower(), lane[0]))


def _ticks(low: date, high: date) -> tuple[list[date], bool]:
    """Month (or year, over a long span) boundaries within the range, at most about 8."""
    months = (high.year - low.year) * 12 + high.month - low.month + 1
    step = next((s for s in (1, 2, 3, 6, 12, 24, 60, 120) if months / s <= 8), 240)
    ticks: list[date] = []
    year, month = low.year, low.month
    while (year, month) <= (high.year, high.month):
        first = date(year, month, 1)
        index = year * 12 + month - 1
        if first >= low and index % step == 0:
            ticks.append(first)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ticks, step >= 12


def _points(*points: tuple[float, float]) -> str:
    return " ".join(f"{_num(x)},{_num(y)}" for x, y in points)


def _mark_shape(svg: _Svg, kind: str, x: float, y: float, retracted: bool) -> None:
    colour = {"own": BLUE, "shared": PURPLE, "emergency": BROWN}[kind]
    fill = WHITE if retracted else colour
    common: dict[str, object] = {"fill": fill, "stroke": colour, "stroke-width": 2}
    if kind == "own":
        svg.tag("circle", {"cx": x, "cy": y, "r": MARK, **common})
    elif kind == "shared":
        d = MARK + 1.5
        points = _points((x, y - d), (x + d, y), (x, y + d), (x - d, y))
        svg.tag("polygon", {"points": points, **common})
    else:
        d = MARK + 1.5
        points = _points((x, y - d), (x + d, y + d * 0.8), (x - d, y + d * 0.8))
        svg.tag("polygon", {"points": points, **common})


def _correction_ring(svg: _Svg, x: float, y: float) -> None:
    svg.tag(
        "circle",
        {"cx": x, "cy": y, "r": MARK + 5, "fill": "none", "stroke": INK, "stroke-width": 1.5},
    )


def _retraction_cross(svg: _Svg, x: float, y: float) -> None:
    d = MARK + 3
    a, b = _points((x - d, y - d), (x + d, y + d)).split(" ")
    c, e = _points((x + d, y - d), (x - d, y + d)).split(" ")
    path = f"M {a} L {b} M {c} L {e}"
    svg.tag("path", {"d": path, "stroke": RED, "stroke-width": 2.5, "fill": "none"})


def _legend(svg: _Svg, top: float, entries: Sequence[ChronologyEntry]) -> None:
    kinds = {_kind(e) for e in entries}
    keys: list[tuple[str, str]] = [
        (k, label)
        for k, label in (
            ("own", "Your agency's information"),
            ("shared", "Shared with you"),
            ("emergency", "Seen under emergency access"),
        )
        if k in kinds
    ]
    if any(e.corrected for e in entries):
        keys.append(("corrected", "Corrected"))
    if any(e.retracted for e in entries):
        keys.append(("retracted", "Retracted"))
    svg.open("g", {"class": "app-timeline__legend"})
    x, y = 20.0, top + 26
    for key, label in keys:
        if x + 20 + 9 * len(label) > WIDTH - 10:
            x, y = 20.0, y + 28
        if key == "corrected":
            _mark_shape(svg, "own", x, y, False)
            _correction_ring(svg, x, y)
        elif key == "retracted":
            _mark_shape(svg, "own", x, y, True)
            _retraction_cross(svg, x, y)
        else:
            _mark_shape(svg, key, x, y, False)
        svg.words(x + 20, y + 5, label)
        x += 20 + 9 * len(label) + 36
    svg.close("g")


def timeline_height(entries: Sequence[ChronologyEntry]) -> int:
    """The timeline's height for its width of ``WIDTH``: one lane per agency."""
    return AXIS_HEIGHT + max(len(lanes_of(entries)), 1) * LANE_HEIGHT + LEGEND_HEIGHT


def timeline(
    entries: Sequence[ChronologyEntry],
    *,
    prefix: str = "timeline",
    titles: bool = True,
    text: Text = _same,
) -> str:
    """The chronology drawn as one lane per agency over time.

    Every entry is one mark (``class="app-timeline__mark"``, with its item, agency and
    date as data attributes) in its agency's lane: a circle for the viewer's own
    agency's information, a diamond for what was shared with them, a triangle for what
    they see under emergency access; a ring marks a correction and a cross a retraction.
    Entries whose date was not shared sit in a column of their own at the right.
    Marks carry no text of their own (the table beside them does), so the page's text
    is never said twice. ``titles`` names the picture for assistive technology (a PDF
    has its own alternative text); ``text`` prepares text for the medium.
    """
    svg = _Svg(text, titles)
    lanes_found = lanes_of(entries)
    dated = [d for d in (_shown_date(e) for e in entries) if d is not None]
    undated = len(entries) - len(dated)
    agencies = len(lanes_found)
    height = timeline_height(entries)
    count = f"{len(entries)} {'entry' if len(entries) == 1 else 'entries'}"
    title = f"Timeline of {count} from {agencies} {'agency' if agencies == 1 else 'agencies'}"
    if dated:
        span = f"From {min(dated):%B %Y} to {max(dated):%B %Y}."
    else:
        span = "No entry has a date you can see." if entries else "There are no entries."
    desc = span
    if undated and dated:
        desc += f" {undated} without a date you can see are drawn at the right."
    desc += " Each entry is a mark in its agency's row. The table lists the same entries."
    _root(svg, WIDTH, height, prefix, title, desc)
    plot_left = LABEL_WIDTH + 16.0
    plot_right = WIDTH - 24.0 - (UNDATED_WIDTH if undated else 0)
    lanes: dict[int, Lane] = {}
    for index, (agency_id, name, own) in enumerate(lanes_found):
        top = AXIS_HEIGHT + index * LANE_HEIGHT
        lanes[agency_id] = Lane(agency_id, name, own, top)
        if index % 2 == 0:
            svg.tag("rect", {"x": 0, "y": top, "width": WIDTH, "height": LANE_HEIGHT, "fill": BAND})
        svg.open("g", {"class": "app-timeline__lane", "data-agency": agency_id})
        svg.words(10, top + 21, _short(name, 24), **{"font-weight": "bold"})
        svg.words(
            10, top + 39, "Your agency" if own else "Another agency", fill=GREY, **{"font-size": 14}
        )
        svg.close("g")
    lanes_bottom = AXIS_HEIGHT + max(agencies, 1) * LANE_HEIGHT
    svg.tag(
        "line",
        {
            "x1": plot_left - 8,
            "y1": AXIS_HEIGHT,
            "x2": plot_left - 8,
            "y2": lanes_bottom,
            "stroke": RULE,
        },
    )
    low = min(dated) if dated else None
    high = max(dated) if dated else None
    if low is not None and high is not None:
        days = (high - low).days
        pad = max(days * 0.03, 15.0)
        origin, width_days = low.toordinal() - pad, days + 2 * pad

        def x_of(on: date) -> float:
            return plot_left + (on.toordinal() - origin) / width_days * (plot_right - plot_left)

        ticks, yearly = _ticks(
            date.fromordinal(math.ceil(origin)), date.fromordinal(int(origin + width_days))
        )
        svg.open("g", {"class": "app-timeline__axis"})
        for tick in ticks:
            x = x_of(tick)
            svg.tag(
                "line",
                {"x1": x, "y1": AXIS_HEIGHT - 6, "x2": x, "y2": lanes_bottom, "stroke": RULE},
            )
            svg.words(
                x,
                AXIS_HEIGHT - 12,
                f"{tick:%Y}" if yearly else f"{tick:%b %Y}",
                **{"text-anchor": "middle", "font-size": 14},
            )
        svg.close("g")
    else:

        def x_of(on: date) -> float:  # no dated entries: never called
            return plot_left

    if undated:
        column = plot_right + 16
        svg.tag(
            "line",
            {
                "x1": column - 8,
                "y1": AXIS_HEIGHT - 6,
                "x2": column - 8,
                "y2": lanes_bottom,
                "stroke": RULE,
            },
        )
        svg.words(
            column + UNDATED_WIDTH / 2 - 8,
            AXIS_HEIGHT - 12,
            "Date not shared",
            **{"text-anchor": "middle", "font-size": 14},
        )
    taken: dict[tuple[int, int], int] = {}
    undated_taken: dict[int, int] = {}
    for entry in entries:
        lane = lanes[entry.agency_id]
        on = _shown_date(entry)
        if on is not None:
            x = x_of(on)
            slot = (entry.agency_id, int(x // (2 * MARK + 4)))
            stacked = taken.get(slot, 0)
            taken[slot] = stacked + 1
            y = lane.top + LANE_HEIGHT / 2 + STACK[stacked % len(STACK)]
        else:
            n = undated_taken.get(entry.agency_id, 0)
            undated_taken[entry.agency_id] = n + 1
            per_row = int((UNDATED_WIDTH - 16) // 18)
            x = plot_right + 24 + (n % per_row) * 18
            y = lane.top + LANE_HEIGHT / 2 + STACK[(n // per_row) % len(STACK)]
        kind = _kind(entry)
        svg.open(
            "g",
            {
                "class": "app-timeline__mark",
                "data-item": entry.item_id,
                "data-agency": entry.agency_id,
                "data-date": on.isoformat() if on else "",
                "data-kind": kind,
                "data-corrected": "true" if entry.corrected else "false",
                "data-retracted": "true" if entry.retracted else "false",
            },
        )
        _mark_shape(svg, kind, x, y, entry.retracted)
        if entry.corrected:
            _correction_ring(svg, x, y)
        if entry.retracted:
            _retraction_cross(svg, x, y)
        svg.close("g")
    if not entries:
        svg.words(
            WIDTH / 2,
            AXIS_HEIGHT + LANE_HEIGHT / 2 + 5,
            "No entries to draw",
            **{"text-anchor": "middle"},
        )
    _legend(svg, lanes_bottom, entries)
    svg.close("svg")
    return svg.render()


# The ecomap


@dataclass(frozen=True)
class Relative:
    """Someone the viewer's agency has recorded as related to the child, or to one of
    the child's parents or carers (``through``: that carer's record), since a carer's
    partner or household is often who matters most to the child's safety."""

    record_id: int
    name: str
    relation: str
    through: int | None = None


@dataclass(frozen=True)
class Worker:
    name: str
    what: str


@dataclass(frozen=True)
class Knower:
    """An agency that knows the child, with the named workers the viewer may see."""

    key: str
    name: str
    note: str
    own: bool = False
    workers: tuple[Worker, ...] = field(default_factory=tuple)


CHILD_RADIUS = 72
PERSON_BOX = (250, 60)
AGENCY_WIDTH = 330
WORKERS_DRAWN = 4
GAP = 18


def _agency_height(knower: Knower) -> float:
    shown = min(len(knower.workers), WORKERS_DRAWN)
    more = 1 if len(knower.workers) > WORKERS_DRAWN else 0
    return 52 + 20 * (shown + more) + (6 if shown else 0)


def _column(heights: Sequence[float], top: float) -> list[float]:
    tops, y = [], top
    for h in heights:
        tops.append(y)
        y += h + GAP
    return tops


def ecomap(
    child: str,
    relatives: Sequence[Relative],
    knowers: Sequence[Knower],
    *,
    prefix: str = "ecomap",
    text: Text = _same,
) -> str:
    """The child at the centre; family on the left, agencies and their workers on the right.

    Each relative is one ``app-ecomap__person`` group, each agency one
    ``app-ecomap__agency`` group holding one ``app-ecomap__worker`` per named worker,
    each joined to the child by a line (solid for family, dashed for agencies).
    """
    svg = _Svg(text)
    person_w, person_h = PERSON_BOX
    left_heights = [float(person_h)] * len(relatives)
    right_heights = [_agency_height(k) for k in knowers]

    def total(heights: Sequence[float]) -> float:
        return sum(heights) + GAP * max(len(heights) - 1, 0)

    inner = max(total(left_heights), total(right_heights), 2 * CHILD_RADIUS + 40)
    top_margin = 24.0
    height = inner + 2 * top_margin + 44
    centre_x, centre_y = WIDTH / 2, top_margin + inner / 2
    people = "person" if len(relatives) == 1 else "people"
    family = f"{len(relatives)} {people} in their family or household"
    agencies = f"{len(knowers)} {'agency' if len(knowers) == 1 else 'agencies'}"
    title = f"Ecomap of {child}"
    desc = (
        f"{child} at the centre, {family} on the left and {agencies} that know them on "
        "the right, with the workers you can see. The lists on this page give the same."
    )
    _root(svg, WIDTH, height, prefix, title, desc)
    left_tops = _column(left_heights, centre_y - total(left_heights) / 2)
    right_tops = _column(right_heights, centre_y - total(right_heights) / 2)
    span_left = max(total(left_heights) / 2, 1.0)
    span_right = max(total(right_heights) / 2, 1.0)

    def bow(mid: float, span: float) -> float:
        """Boxes near the middle sit nearer the child, so the columns curve round them."""
        return 70 * (1 - min(abs(mid - centre_y) / span, 1.0))

    placed_people: list[tuple[Relative, float, float]] = []
    for relative, top in zip(relatives, left_tops, strict=True):
        x = 20 + bow(top + person_h / 2, span_left)
        placed_people.append((relative, x, top))
    where = {relative.record_id: (x, top) for relative, x, top in placed_people}
    for relative, x, top in placed_people:
        carer = where.get(relative.through) if relative.through is not None else None
        if carer is None:
            svg.tag(
                "line",
                {
                    "x1": x + person_w,
                    "y1": top + person_h / 2,
                    "x2": centre_x,
                    "y2": centre_y,
                    "stroke": INK,
                    "stroke-width": 2,
                },
            )
            continue
        # Joined to the carer, not the child: a curve outside the column, so it never
        # crosses the boxes between them.
        carer_x, carer_top = carer
        y1, y2 = top + person_h / 2, carer_top + person_h / 2
        out = min(x, carer_x) - 16
        svg.tag(
            "path",
            {
                "class": "app-ecomap__through",
                "data-through": relative.through,
                "d": f"M {_num(x)} {_num(y1)} C {_num(out)} {_num(y1)} "
                f"{_num(out)} {_num(y2)} {_num(carer_x)} {_num(y2)}",
                "fill": "none",
                "stroke": INK,
                "stroke-width": 2,
            },
        )
    placed_agencies: list[tuple[Knower, float, float, float]] = []
    for knower, top, h in zip(knowers, right_tops, right_heights, strict=True):
        x = WIDTH - 20 - AGENCY_WIDTH - bow(top + h / 2, span_right)
        placed_agencies.append((knower, x, top, h))
        svg.tag(
            "line",
            {
                "x1": x,
                "y1": top + h / 2,
                "x2": centre_x,
                "y2": centre_y,
                "stroke": GREEN,
                "stroke-width": 2,
                "stroke-dasharray": "6 4",
            },
        )
    svg.open("g", {"class": "app-ecomap__child"})
    svg.tag(
        "circle",
        {
            "cx": centre_x,
            "cy": centre_y,
            "r": CHILD_RADIUS,
            "fill": BLUE,
            "stroke": INK,
            "stroke-width": 2,
        },
    )
    svg.words(
        centre_x,
        centre_y - 2,
        _short(child, 16),
        fill=WHITE,
        **{"text-anchor": "middle", "font-weight": "bold", "font-size": 16},
    )
    svg.words(
        centre_x, centre_y + 18, "Child", fill=WHITE, **{"text-anchor": "middle", "font-size": 14}
    )
    svg.close("g")
    for relative, x, top in placed_people:
        svg.open("g", {"class": "app-ecomap__person", "data-record": relative.record_id})
        svg.tag(
            "rect",
            {
                "x": x,
                "y": top,
                "width": person_w,
                "height": person_h,
                "rx": 28,
                "fill": WHITE,
                "stroke": INK,
                "stroke-width": 2,
            },
        )
        svg.words(x + 18, top + 25, _short(relative.name, 24), **{"font-weight": "bold"})
        svg.words(x + 18, top + 45, _short(relative.relation, 28), fill=GREY, **{"font-size": 14})
        svg.close("g")
    for knower, x, top, h in placed_agencies:
        svg.open("g", {"class": "app-ecomap__agency", "data-agency": knower.key})
        svg.tag(
            "rect",
            {
                "x": x,
                "y": top,
                "width": AGENCY_WIDTH,
                "height": h,
                "fill": WHITE,
                "stroke": GREEN,
                "stroke-width": 3 if knower.own else 2,
            },
        )
        svg.words(x + 14, top + 24, _short(knower.name, 34), **{"font-weight": "bold"})
        svg.words(x + 14, top + 43, _short(knower.note, 42), fill=GREY, **{"font-size": 14})
        y = top + 50
        for worker in knower.workers[:WORKERS_DRAWN]:
            y += 20
            svg.open("g", {"class": "app-ecomap__worker"})
            svg.words(
                x + 14,
                y,
                _short(f"{worker.name}, {worker.what}" if worker.what else worker.name, 42),
                **{"font-size": 14},
            )
            svg.close("g")
        if len(knower.workers) > WORKERS_DRAWN:
            y += 20
            svg.words(
                x + 14,
                y,
                f"and {len(knower.workers) - WORKERS_DRAWN} more",
                fill=GREY,
                **{"font-size": 14},
            )
        svg.close("g")
    if not relatives:
        svg.words(130, centre_y + 5, "No family recorded", fill=GREY, **{"text-anchor": "middle"})
    legend_y = height - 22
    svg.tag(
        "line",
        {"x1": 20, "y1": legend_y, "x2": 60, "y2": legend_y, "stroke": INK, "stroke-width": 2},
    )
    svg.words(
        68, legend_y + 5, "Family and household, as your agency recorded them", **{"font-size": 14}
    )
    svg.tag(
        "line",
        {
            "x1": 520,
            "y1": legend_y,
            "x2": 560,
            "y2": legend_y,
            "stroke": GREEN,
            "stroke-width": 2,
            "stroke-dasharray": "6 4",
        },
    )
    svg.words(568, legend_y + 5, "Agencies that know the child", **{"font-size": 14})
    svg.close("svg")
    return svg.render()
