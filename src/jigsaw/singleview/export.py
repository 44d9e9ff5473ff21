"""A chronology as a PDF, for a strategy discussion or a conference pack.

Built in-process with fpdf2 (pure Python, no browser or external service), from the
same entries the page shows, so the PDF can never carry more than the viewer may
see. It uses the PDF core fonts, which cover Latin-1 only: typographic punctuation
is mapped to its plain equivalent and anything else outside Latin-1 to "?", rather
than shipping a font file with the service.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime

from fpdf import FPDF
from fpdf.fonts import FontFace

from jigsaw.policy.roles import AgencyKind
from jigsaw.records.models import Category, Nature
from jigsaw.singleview import pictures
from jigsaw.singleview.schemas import ChronologyEntry, ChronologyFilters

MARKING = "OFFICIAL-SENSITIVE: personal information about a child. Keep it secure."
_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
    }
)
CATEGORY_WORDS = {
    Category.CHILD_WELFARE: "Child's welfare",
    Category.PARENT_CAPACITY: "Parent or carer's capacity",
    Category.RISK_PERSON: "Person who may pose a risk",
}
NATURE_WORDS = {Nature.FACT: "Fact", Nature.OPINION: "Opinion"}
NOT_SHARED = "Not shared"


def latin1(text: str) -> str:
    """Text the PDF core fonts can print: see the module's note on Latin-1."""
    return text.translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


def _day(value: date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else NOT_SHARED


def _words(value: str) -> str:
    text = value.replace("_", " ")
    return text[:1].upper() + text[1:]


def _status(entry: ChronologyEntry) -> str:
    marks = []
    if entry.corrected:
        marks.append(f"Corrected (version {entry.version})")
    if entry.retracted:
        marks.append("Retracted")
    if not entry.own_agency:
        marks.append("Shared with you")
    return "; ".join(marks) or "-"


def _what(entry: ChronologyEntry) -> str:
    lines = [entry.summary if "summary" in entry.fields and entry.summary else NOT_SHARED]
    if "detail" in entry.fields and entry.detail:
        lines.append(f"Detail: {entry.detail}")
    if "source" in entry.fields and entry.source:
        lines.append(f"Source: {entry.source}")
    if entry.retracted and entry.retraction_reason:
        lines.append(f"Retracted because: {entry.retraction_reason}")
    return "\n".join(lines)


def _kind(entry: ChronologyEntry) -> str:
    parts = []
    if "category" in entry.fields and entry.category:
        parts.append(CATEGORY_WORDS[entry.category])
    if "subtype" in entry.fields and entry.subtype:
        parts.append(_words(entry.subtype))
    return "\n".join(parts) or NOT_SHARED


def describe_filters(filters: ChronologyFilters, agency_names: dict[int, str]) -> str:
    parts = []
    if filters.categories:
        parts.append("categories: " + ", ".join(CATEGORY_WORDS[c] for c in filters.categories))
    if filters.agency_ids:
        names = sorted(agency_names.get(a, f"agency {a}") for a in filters.agency_ids)
        parts.append("agencies: " + ", ".join(names))
    if filters.since:
        parts.append(f"from {_day(filters.since)}")
    if filters.until:
        parts.append(f"to {_day(filters.until)}")
    if filters.nature:
        parts.append(f"{NATURE_WORDS[filters.nature].lower()} only")
    return "Filtered: " + "; ".join(parts) if parts else "All the information you can see"


class MarkedDocument(FPDF):
    """A page with its protective marking at the top and "Page n of m" at the foot: every
    PDF the service makes (the subject access export too) is one of these."""

    marking = MARKING

    def header(self) -> None:
        self.set_font("Helvetica", "B", 8)
        self.cell(0, 5, self.marking, new_x="LMARGIN", new_y="NEXT", align="C")
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")


def _timeline(pdf: FPDF, entries: Sequence[ChronologyEntry]) -> None:
    """The timeline picture before the table, as vectors, on a page of its own if need be.

    The same drawing as the page's, without tooltips (a PDF has no hover) and with its
    text in Latin-1 like the rest of the document.
    """
    svg = pictures.timeline(entries, titles=False, text=latin1)
    width = pdf.epw
    height = width * pictures.timeline_height(entries) / pictures.WIDTH
    room = pdf.eph - 20
    if height > room:
        width, height = width * room / height, room
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
    pdf.image(
        io.BytesIO(svg.encode()),
        w=width,
        h=height,
        alt_text="Timeline of the entries: the table that follows lists the same entries.",
    )
    pdf.ln(4)


def chronology_pdf(
    title: str,
    prepared_by: str,
    prepared_at: datetime,
    filters_text: str,
    entries: Sequence[ChronologyEntry],
) -> bytes:
    pdf = MarkedDocument(orientation="landscape", format="A4")
    pdf.set_title(latin1(title))
    pdf.set_creator("Jigsaw")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 8, latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    stamp = f"{prepared_at:%d %B %Y at %H:%M} UTC"
    pdf.multi_cell(
        0,
        5,
        latin1(f"Prepared by {prepared_by} on {stamp}. {filters_text}. {len(entries)} entries."),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    if not entries:
        pdf.multi_cell(0, 6, "There is no information to show.")
        return bytes(pdf.output())
    _timeline(pdf, entries)
    pdf.set_font("Helvetica", "", 9)
    heading = FontFace(emphasis="BOLD", fill_color=(243, 242, 241))
    with pdf.table(
        col_widths=(24, 40, 40, 115, 20, 38),
        headings_style=heading,
        text_align="LEFT",
        line_height=4.5,
    ) as table:
        head = table.row()
        for text in ("Date", "Agency", "Category and type", "What happened", "Fact?", "Status"):
            head.cell(text)
        for entry in entries:
            row = table.row()
            row.cell(_day(entry.occurred_on) if "occurred_on" in entry.fields else NOT_SHARED)
            row.cell(latin1(f"{entry.agency_name}\n{_words(AgencyKind(entry.agency_kind))}"))
            row.cell(latin1(_kind(entry)))
            row.cell(latin1(_what(entry)))
            nature = (
                NATURE_WORDS[entry.nature]
                if "nature" in entry.fields and entry.nature
                else NOT_SHARED
            )
            row.cell(nature)
            row.cell(_status(entry))
    return bytes(pdf.output())
