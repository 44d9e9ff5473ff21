"""The decision journey offers every Schedule 1 condition the service accepts, each with
its citation, and records the one chosen."""

from __future__ import annotations

from html import unescape

from fastapi.testclient import TestClient

from jigsaw.db import Database
from jigsaw.sharing import decisions
from jigsaw.sharing.lawful_basis import DESCRIPTIONS, Art9Condition, Art10Condition
from tests.conftest import World
from tests.scene import HARM_ANSWERS, Scene
from tests.web.sharing_steps import REVIEW, moved_to, post, sign_in_as, to_recommendation

OFFENCE_ANSWERS = {
    **HARM_ANSWERS,
    "special_category_data": "yes",
    "art9_condition": "yes",
    "criminal_offence_data": "yes",
    "art10_condition": "yes",
}
STEPS = {
    "outcome": {"outcome": "share"},
    "reasons": {"reasons": "A caution for assault at the home; the MASH is screening."},
    "lawful-basis": {"lawful_basis": "6(1)(e)"},
    "special-category": {"art9_condition": Art9Condition.UNLAWFUL_ACTS_SCH1_PARA10.value},
    "criminal-offence": {"art10_condition": Art10Condition.UNLAWFUL_ACTS_SCH1_PARA10.value},
    "family": {"family_informed": "no"},
    "not-told": {"not_told_reason": "risk_to_child"},
    "review": REVIEW,
}


def test_paragraph_10_is_offered_and_recorded_for_either_kind_of_data(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    url = moved_to(post(client, to_recommendation(client, token, scene, OFFENCE_ANSWERS), token))
    offered: dict[str, str] = {}
    while not url.endswith("/check"):
        step = url.rsplit("/share/", 1)[1]
        offered[step] = unescape(client.get(url).text)
        url = moved_to(post(client, url, token, STEPS[step]))
    for step, conditions in (
        ("special-category", list(Art9Condition)),
        ("criminal-offence", list(Art10Condition)),
    ):
        page = offered[step]
        for code in conditions:
            assert f'value="{code.value}"' in page
            assert DESCRIPTIONS[code] in page
    assert "Preventing or detecting unlawful acts" in offered["criminal-offence"]

    decision_id = int(moved_to(post(client, url, token)).rsplit("/", 1)[1])
    decision = decisions.view_decision(db, scene.dsl, decision_id)
    assert decision.art9_condition == "9(2)(g)+DPA2018 Sch1 para10"
    assert decision.art10_condition == "Art10+DPA2018 Sch1 para10"
