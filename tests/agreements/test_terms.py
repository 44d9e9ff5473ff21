"""A document is checked against the shipped JSON Schema, and each problem names its field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from jigsaw.agreements.terms import (
    MAX_DOCUMENT_BYTES,
    AgreementInvalid,
    check_document,
    parse_document,
    schema,
)
from jigsaw.consent.models import PURPOSE_DPV_TERMS, SharingPurpose
from jigsaw.policy.roles import AgencyKind
from tests.agreements.helpers import by_id, by_kind, document


def _valid() -> dict[str, Any]:
    return document(provider=by_kind("health"), recipient=by_id(7))


def _problems(body: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(AgreementInvalid) as raised:
        check_document(body)
    return {p.field: p.message for p in raised.value.problems}


def test_the_shipped_schema_is_draft_2020_12_and_matches_jigsaws_enumerations() -> None:
    shipped = schema()
    Draft202012Validator.check_schema(shipped)
    assert shipped["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    purposes = shipped["properties"]["purposes"]["items"]["properties"]["purpose"]["enum"]
    assert purposes == [p.value for p in SharingPurpose]
    kinds = shipped["$defs"]["parties"]["items"]["properties"]["agency_kind"]["enum"]
    assert kinds == [k.value for k in AgencyKind]


def test_a_valid_document_reads_as_terms() -> None:
    terms = check_document(_valid())
    assert terms.tier == 3
    assert terms.purposes == (
        SharingPurpose.MASH_SCREENING,
        SharingPurpose.CHILD_PROTECTION_ENQUIRY,
    )
    assert terms.onward_transfer_prohibited
    assert terms.delete_after_days == 365


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"tier": 4}, "tier", "must be one of: 1, 2, 3"),
        ({"tier": "3"}, "tier", "must be a whole number"),
        ({"title": "x"}, "title", "must be at least 3 characters"),
        ({"reference": "has space"}, "reference", "letters, digits"),
        ({"start_date": "1 May 2026"}, "start_date", "YYYY-MM-DD"),
        ({"end_date": "soon"}, "end_date", "YYYY-MM-DD, or null"),
        ({"provider": []}, "provider", "must not be empty"),
        ({"recipient": [{"agency_kind": "bank"}]}, "recipient.0.agency_kind", "must be one of"),
        (
            {"recipient": [{"agency_id": 3, "agency_kind": "police"}]},
            "recipient.0",
            "either agency_id or agency_kind",
        ),
        ({"data_categories": ["Child Welfare"]}, "data_categories.0", "category or item type"),
        (
            {"purposes": [{"purpose": "marketing", "dpv": "dpv:Marketing"}]},
            "purposes.0.purpose",
            "must be one of",
        ),
        (
            {"purposes": [{"purpose": "early_help", "dpv": "LegalCompliance"}]},
            "purposes.0.dpv",
            "W3C DPV",
        ),
        ({"prohibitions": [{"action": "sell"}]}, "prohibitions.0.action", "must be one of"),
        (
            {"duties": {"delete_after_days": 0, "notify_on_breach": {"within_hours": 24}}},
            "duties.delete_after_days",
            "must be at least 1",
        ),
        (
            {"duties": {"delete_after_days": 30}},
            "duties.notify_on_breach",
            "is required",
        ),
        ({"colour": "blue"}, "document", "colour"),
    ],
)
def test_each_schema_problem_names_its_field(
    change: dict[str, Any], field: str, message: str
) -> None:
    found = _problems({**_valid(), **change})
    assert field in found, found
    assert message in found[field]


def test_a_missing_field_is_named() -> None:
    body = _valid()
    del body["purposes"]
    del body["duties"]
    assert _problems(body) == {"purposes": "is required", "duties": "is required"}


def test_every_problem_is_reported_at_once() -> None:
    found = _problems({**_valid(), "tier": 9, "title": "", "provider": []})
    assert set(found) == {"tier", "title", "provider"}


def test_a_dpv_term_must_be_the_one_the_purpose_maps_to() -> None:
    body = {**_valid(), "purposes": [{"purpose": "early_help", "dpv": "dpv:LegalCompliance"}]}
    expected = PURPOSE_DPV_TERMS[SharingPurpose.EARLY_HELP]
    assert _problems(body) == {
        "purposes.0.dpv": f"early_help is the DPV purpose {expected}, not dpv:LegalCompliance"
    }


def test_dates_must_exist_and_be_in_order() -> None:
    assert _problems({**_valid(), "start_date": "2026-02-30"}) == {
        "start_date": "is not a date that exists"
    }
    assert _problems({**_valid(), "start_date": "2026-05-01", "end_date": "2026-04-30"}) == {
        "end_date": "must be on or after the start date"
    }


def test_an_item_type_jigsaw_does_not_record_is_refused() -> None:
    found = _problems({**_valid(), "data_categories": ["child_welfare", "shoe_size"]})
    assert found == {
        "data_categories.1": "shoe_size is neither an item category nor an item type Jigsaw records"
    }


def test_a_prohibited_purpose_must_be_a_jigsaw_purpose() -> None:
    body = {**_valid(), "prohibitions": [{"action": "use_for_purpose", "purposes": ["sales"]}]}
    assert _problems(body) == {"prohibitions.0.purposes.0": "sales is not a Jigsaw sharing purpose"}
    without = {**_valid(), "prohibitions": [{"action": "use_for_purpose"}]}
    assert "prohibitions.0.purposes" in _problems(without)


def test_the_error_reads_one_line_per_field() -> None:
    with pytest.raises(AgreementInvalid) as raised:
        check_document({**_valid(), "tier": 9, "title": ""})
    assert raised.value.lines() == [
        "tier: must be one of: 1, 2, 3",
        "title: must be at least 3 characters",
    ]


def test_text_that_is_not_json_or_not_an_object_is_refused() -> None:
    with pytest.raises(AgreementInvalid, match=r"document: is not valid JSON \(line 1"):
        parse_document("{not json")
    with pytest.raises(AgreementInvalid, match="must be a JSON object"):
        parse_document("[1, 2]")
    assert parse_document(json.dumps(_valid()))["tier"] == 3


def test_a_huge_document_is_refused_before_it_is_read() -> None:
    huge = json.dumps({**_valid(), "summary": "x" * MAX_DOCUMENT_BYTES})
    with pytest.raises(AgreementInvalid, match="may be at most"):
        parse_document(huge)


def test_deeply_nested_json_is_refused_not_crashed_on() -> None:
    with pytest.raises(AgreementInvalid):
        parse_document("[" * 100_000 + "]" * 100_000)


def test_control_characters_are_refused_and_headings_keep_to_one_line() -> None:
    found = _problems({**_valid(), "title": "Health\nMASH", "summary": "Nul\x00here"})
    assert found == {
        "title": "contains a control character",
        "summary": "contains a control character",
    }
    assert check_document({**_valid(), "summary": "Two\nlines\tare fine"}).summary


def test_an_agency_id_beyond_any_row_is_refused_by_the_schema() -> None:
    assert _problems({**_valid(), "provider": [{"agency_id": 2**40}]}) == {
        "provider.0.agency_id": "must be at most 2147483647"
    }


def test_a_party_named_twice_is_refused() -> None:
    found = _problems({**_valid(), "recipient": by_id(7, 7)})
    assert found == {"recipient": "names something twice"}
    assert _problems({**_valid(), "provider": by_kind("health", "health")}) == {
        "provider": "names something twice"
    }


def test_an_agency_cannot_agree_with_itself() -> None:
    assert _problems({**_valid(), "provider": by_id(7), "recipient": by_id(7)}) == {
        "recipient": "names the provider again: an agreement is between two agencies"
    }
    # Partners that all share with each other are not the same thing.
    assert check_document({**_valid(), "provider": by_id(7, 8), "recipient": by_id(7, 8)})
