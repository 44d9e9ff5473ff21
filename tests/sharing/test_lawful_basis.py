"""The conditions a decision can name: each one cites the Act it comes from, and the
Schedule 1 conditions the Data Protection Act 2018 allows are accepted by the service."""

from __future__ import annotations

import re

import pytest

from jigsaw.db import Database
from jigsaw.errors import InvalidInput
from jigsaw.sharing import decisions, disclosures
from jigsaw.sharing.lawful_basis import DESCRIPTIONS, Art6Basis, Art9Condition, Art10Condition
from jigsaw.sharing.requirements import CODES
from jigsaw.sharing.schemas import DisclosedItemIn
from jigsaw.web import labels
from tests.scene import HARM_ANSWERS, Scene, _item

EVERY_CODE = [*Art6Basis, *Art9Condition, *Art10Condition]
OFFENCE_ANSWERS = {**HARM_ANSWERS, "criminal_offence_data": "yes", "art10_condition": "yes"}
SPECIAL_ANSWERS = {**HARM_ANSWERS, "special_category_data": "yes", "art9_condition": "yes"}


@pytest.mark.parametrize("code", EVERY_CODE, ids=str)
def test_each_code_is_described_with_its_citation_and_named_for_the_pages(code: str) -> None:
    described = DESCRIPTIONS[code]
    assert described.startswith(("UK GDPR Art 6(1)", "UK GDPR Art 9(2)", "Art 10 with"))
    assert labels.LAWFUL_BASES[code]
    paragraph = re.search(r"para(\d+)$", code)
    if paragraph is None:
        return
    # A Schedule 1 condition cites the section of the DPA 2018 that calls for it, its
    # paragraph and the Part it sits in.
    section = "s10(5)" if code in set(Art10Condition) else "s10(3)"
    assert f"DPA 2018 {section} and Schedule 1 paragraph {paragraph.group(1)}," in described
    assert re.search(r"\(Part [123]\b", described)


def test_part_2_conditions_for_criminal_offence_data_say_part_3_extends_them() -> None:
    for code in (
        Art10Condition.SAFEGUARDING_SCH1_PARA18,
        Art10Condition.UNLAWFUL_ACTS_SCH1_PARA10,
        Art10Condition.STATUTORY_PURPOSES_SCH1_PARA6,
    ):
        assert "Part 3 paragraph 36 extends Part 2 conditions" in DESCRIPTIONS[code]
    assert "(Part 3)" in DESCRIPTIONS[Art10Condition.LEGAL_CLAIMS_SCH1_PARA33]


def test_paragraph_18_says_when_consent_is_not_the_route() -> None:
    for code in (Art9Condition.SAFEGUARDING_SCH1_PARA18, Art10Condition.SAFEGUARDING_SCH1_PARA18):
        described = DESCRIPTIONS[code]
        assert "safeguarding of children and of individuals at risk" in described
        for reason in (
            "consent cannot be given",
            "cannot reasonably be expected to be obtained",
            "obtaining it would prejudice the protection",
            "paragraph 18(2)",
        ):
            assert reason in described


def test_codes_already_stored_on_decisions_are_still_accepted() -> None:
    stored = {
        "9(2)(g)+DPA2018 Sch1 para18",
        "9(2)(b)",
        "9(2)(h)",
        "9(2)(c)",
        "9(2)(f)",
        "9(2)(a)",
    }
    assert stored <= CODES["art9_condition"]
    assert {
        "Art10+DPA2018 Sch1 para18",
        "Art10+DPA2018 Sch1 para33",
        "Art10+DPA2018 Sch1 para6",
    } <= CODES["art10_condition"]
    assert all(len(code) <= 40 for code in EVERY_CODE), "the decision's column holds 40"


def test_paragraph_10_can_be_recorded_for_criminal_offence_data(db: Database, scene: Scene) -> None:
    offence = _item(db, scene.dsl, scene.child_record_id, criminal_offence=True)
    decided = scene.share(
        db, answers=OFFENCE_ANSWERS, art10_condition=Art10Condition.UNLAWFUL_ACTS_SCH1_PARA10.value
    )
    assert decisions.view_decision(db, scene.dsl, decided.id).art10_condition == (
        "Art10+DPA2018 Sch1 para10"
    )
    wanted = [DisclosedItemIn(item_id=offence.id, fields=["summary"])]
    made = disclosures.disclose(db, scene.dsl, scene.disclosure(decided.id, items=wanted))
    assert [i.item_chain_id for i in made.items] == [offence.id]


def test_paragraph_10_can_be_recorded_for_special_category_data(db: Database, scene: Scene) -> None:
    decided = scene.share(
        db, answers=SPECIAL_ANSWERS, art9_condition=Art9Condition.UNLAWFUL_ACTS_SCH1_PARA10.value
    )
    assert decided.art9_condition == "9(2)(g)+DPA2018 Sch1 para10"


def test_a_paragraph_the_act_does_not_give_is_refused(db: Database, scene: Scene) -> None:
    with pytest.raises(InvalidInput) as caught:
        scene.share(db, answers=OFFENCE_ANSWERS, art10_condition="Art10+DPA2018 Sch1 para99")
    assert "art10_condition" in {p.field for p in caught.value.problems}
