"""Identifiers of any scheme on an agency's record: each scheme's rule, the NHS number
being the record's own column, and a search that only ever finds the agency's own."""

import pytest
from fastapi.testclient import TestClient

from jigsaw.people.identifiers import (
    IdentifierScheme,
    InvalidIdentifier,
    normalise,
    reconcile,
    upn_check_letter,
)
from jigsaw.policy.roles import AgencyKind, Role
from tests.conftest import World, unique

# Worked by hand from the DfE rule (weights 2..13, modulo 23, A-Z without I, O, S):
# B801200005001: 8*2 + 1*4 + 2*5 + 5*10 + 1*13 = 93, 93 mod 23 = 1 -> B
# P207000016049: 2*2 + 7*4 + 1*9 + 6*10 + 4*12 + 9*13 = 266, mod 23 = 13 -> P
# M20413001502A (temporary, A = 0): 2*2 + 4*4 + 1*5 + 3*6 + 1*9 + 5*10 + 2*12 = 126,
#   126 mod 23 = 11 -> M
VALID_UPNS = ("B801200005001", "P207000016049", "M20413001502A")


@pytest.mark.parametrize("upn", VALID_UPNS)
def test_a_upn_with_its_check_letter_is_accepted(upn: str) -> None:
    assert normalise(IdentifierScheme.UPN, upn) == upn
    assert upn_check_letter(upn[1:]) == upn[0]


def test_a_upn_is_normalised_to_capitals_without_spaces() -> None:
    assert normalise(IdentifierScheme.UPN, " p207 0000 16049 ") == "P207000016049"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("A801200005001", "check letter does not match"),
        ("Q207000016049", "check letter does not match"),
        ("B80120000500", "13 characters"),
        ("B80120000A001", "13 characters"),
        ("1801200005001", "13 characters"),
        ("X20413001502O", "never ends in I, O or S"),
        ("UN2", "unknown UPN"),
    ],
)
def test_a_wrong_upn_is_refused_with_the_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier, match=reason):
        normalise(IdentifierScheme.UPN, raw)


def test_each_scheme_has_its_own_rule() -> None:
    assert normalise(IdentifierScheme.NHS_NUMBER, "485 777 3457") == "4857773457"
    with pytest.raises(InvalidIdentifier, match="check digit"):
        normalise(IdentifierScheme.NHS_NUMBER, "4857773458")
    assert normalise(IdentifierScheme.POLICE_REFERENCE, " cr  1234/24 ") == "CR 1234/24"
    with pytest.raises(InvalidIdentifier, match="40 characters or fewer"):
        normalise(IdentifierScheme.POLICE_REFERENCE, "X" * 41)
    assert normalise(IdentifierScheme.LOCAL_CASE_NUMBER, "Case-77a") == "Case-77a"
    with pytest.raises(InvalidIdentifier, match="Enter the local case number"):
        normalise(IdentifierScheme.LOCAL_CASE_NUMBER, "   ")


def test_the_nhs_number_column_is_the_nhs_number_identifier() -> None:
    upn = (IdentifierScheme.UPN, "B801200005001")
    nhs = (IdentifierScheme.NHS_NUMBER, "4857773457")
    assert reconcile(None, [nhs, upn, upn]) == ("4857773457", [upn])
    assert reconcile("4857773457", [nhs]) == ("4857773457", [])
    with pytest.raises(InvalidIdentifier, match="differ"):
        reconcile("9434765919", [nhs])
    with pytest.raises(InvalidIdentifier, match="one NHS number"):
        reconcile(None, [nhs, (IdentifierScheme.NHS_NUMBER, "9434765919")])


def _record(agency_id: int, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "agency_id": agency_id,
        "local_id": unique("L"),
        "role": "child",
        "given_name": "Ava",
        "family_name": "Moss",
        "date_of_birth": "2016-03-14",
    }
    body.update(overrides)
    return body


def test_identifiers_are_kept_read_and_searched_within_the_agency(
    client: TestClient, world: World
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    council = world.agency(AgencyKind.SOCIAL_CARE)
    teacher = world.practitioner(school, Role.DSL)
    world.sign_in(client, teacher)
    made = client.post(
        "/api/agency-records",
        json=_record(
            school.id,
            identifiers=[
                {"scheme": "upn", "value": "p207 0000 16049"},
                {"scheme": "nhs_number", "value": "485 777 3457"},
                {"scheme": "local_case_number", "value": "SEN-12"},
            ],
        ),
    )
    assert made.status_code == 201, made.text
    record = made.json()
    assert record["nhs_number"] == "4857773457"
    assert record["identifiers"] == [
        {"scheme": "local_case_number", "value": "SEN-12"},
        {"scheme": "nhs_number", "value": "4857773457"},
        {"scheme": "upn", "value": "P207000016049"},
    ]
    assert client.get(f"/api/agency-records/{record['id']}").json() == record

    found = client.get(
        "/api/agency-records", params={"identifier_scheme": "upn", "identifier": "P207000016049"}
    ).json()
    assert [r["id"] for r in found["records"]] == [record["id"]]
    by_nhs = client.get(
        "/api/agency-records",
        params={"identifier_scheme": "nhs_number", "identifier": "485 777 3457"},
    ).json()
    assert record["id"] in [r["id"] for r in by_nhs["records"]]

    bad = client.get(
        "/api/agency-records", params={"identifier_scheme": "upn", "identifier": "A801200005001"}
    )
    assert bad.status_code == 422
    assert "check letter" in bad.text
    half = client.get("/api/agency-records", params={"identifier": "P207000016049"})
    assert half.status_code == 422

    # Children's social care (the local authority) also knows the child's UPN, but never
    # learns of the school's record from a search: each agency searches its own.
    officer = world.practitioner(council, Role.DSL)
    world.sign_in(client, officer)
    theirs = client.get(
        "/api/agency-records", params={"identifier_scheme": "upn", "identifier": "P207000016049"}
    ).json()
    assert theirs == {"total": 0, "records": []}


def test_an_identifier_the_scheme_refuses_changes_nothing(client: TestClient, world: World) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    world.sign_in(client, world.practitioner(school, Role.DSL))
    local_id = unique("L")
    answer = client.post(
        "/api/agency-records",
        json=_record(
            school.id,
            local_id=local_id,
            nhs_number="4857773457",
            identifiers=[{"scheme": "nhs_number", "value": "9434765919"}],
        ),
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "identifiers"
    unknown = client.post(
        "/api/agency-records",
        json=_record(school.id, identifiers=[{"scheme": "passport", "value": "123"}]),
    )
    assert unknown.status_code == 422
    listed = client.get("/api/agency-records", params={"search": local_id}).json()
    assert listed["total"] == 0
