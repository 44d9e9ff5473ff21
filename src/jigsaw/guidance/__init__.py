"""The information-sharing guidance as versioned data, and the engine that applies it.

A practitioner answers an edition's questions; ``recommend`` says whether to share,
share in part, not share or seek advice, which rules and golden rules say so, and what
the decision record must still carry. Every recommendation names the edition and
version it came from, so a decision can be explained by the guidance of its day.
"""

from jigsaw.guidance.edition import (
    NOT_SURE,
    Answers,
    CitedRule,
    Edition,
    GoldenRule,
    NeededField,
    Outcome,
    Question,
    Recommendation,
    RecordField,
    Rule,
    SkippedQuestion,
)
from jigsaw.guidance.engine import list_editions, load_edition, load_version, recommend, settle
from jigsaw.guidance.errors import InvalidAnswers, InvalidEdition, UnknownEdition
from jigsaw.guidance.validation import validate_edition

__all__ = [
    "NOT_SURE",
    "Answers",
    "CitedRule",
    "Edition",
    "GoldenRule",
    "InvalidAnswers",
    "InvalidEdition",
    "NeededField",
    "Outcome",
    "Question",
    "Recommendation",
    "RecordField",
    "Rule",
    "SkippedQuestion",
    "UnknownEdition",
    "list_editions",
    "load_edition",
    "load_version",
    "recommend",
    "settle",
    "validate_edition",
]
