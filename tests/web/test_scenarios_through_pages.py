"""Every scenario in the guidance's catalogue, run through the decision pages.

The catalogue (``tests/guidance/scenarios.yaml``) states, for real situations drawn from
the advice and its case examples, the answers a practitioner would give and what the
advice supports and rules out. The guidance tests check the engine against it; here the
same answers are given one page at a time, in whatever order the journey asks, and the
recommendation page must show what the advice supports and nothing it rules out. So a
page that asked a question the engine did not need, skipped one it did, or worded an
outcome wrongly would fail here even where the engine is right.

A scenario whose answers leave a question the journey asks unanswered fails by naming
that question: either the catalogue is incomplete or the journey asks too much.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.guidance import load_edition
from jigsaw.web import labels
from tests.conftest import World
from tests.scene import Scene
from tests.web.helpers import page_title
from tests.web.sharing_steps import answer_questions, sign_in_as, start_from_child

CATALOGUE = Path(__file__).parents[1] / "guidance" / "scenarios.yaml"


def _scenarios() -> list[Any]:
    data = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    found = data["scenarios"] if isinstance(data, dict) else data
    assert found, f"{CATALOGUE} holds no scenarios"
    return [pytest.param(s, id=str(s["id"])) for s in found]


def _outcomes(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _heading(html: str) -> str:
    match = re.search(r'<h1 class="govuk-heading-l">(.*?)</h1>', html, re.S)
    assert match, "the recommendation page has no heading"
    return unescape(match.group(1)).strip()


@pytest.mark.parametrize("scenario", _scenarios())
def test_the_pages_recommend_what_the_advice_supports(
    client: TestClient, world: World, db: Database, scene: Scene, scenario: dict[str, Any]
) -> None:
    """The purpose chosen does not enter the guidance's reasoning, so every scenario
    shares with the scene's MASH for the same one; the recipient's role is whatever
    the scenario answers."""
    edition = load_edition(None)
    answers = {str(q): str(a) for q, a in scenario["answers"].items()}
    supported = _outcomes(scenario["supported"])
    ruled_out = _outcomes(scenario.get("ruled_out"))
    token = sign_in_as(client, world, db, scene.dsl)
    url = start_from_child(
        client,
        token,
        scene.child_record_id,
        scene.mash.id,
        "agency",
        SharingPurpose.MASH_SCREENING.value,
    )
    assert "/questions/" in url, "the journey starts with the guidance's questions"
    url = answer_questions(client, token, url, answers)
    assert url.endswith("/recommendation"), f"the questions led to {url}, not the recommendation"

    page = client.get(url)
    assert page.status_code == 200
    html = unescape(page.text)
    heading = _heading(page.text)
    wording = {outcome: labels.RECOMMENDATIONS[outcome] for outcome in (*supported, *ruled_out)}
    assert heading in {wording[o] for o in supported}, (
        f"{scenario['id']}: the page recommends {heading!r}; the advice supports "
        f"{', '.join(supported)} ({scenario.get('source', 'no source given')})"
    )
    assert page_title(heading) in html
    for outcome in ruled_out:
        assert heading != wording[outcome], f"{scenario['id']}: {outcome} is ruled out"
        assert f'app-recommendation--{outcome.replace("_", "-")}"' not in html
    if scenario.get("rule"):
        rule = edition.rule(scenario["rule"])
        assert f'<h3 class="govuk-heading-s">{rule.title}</h3>' in html, (
            f"{scenario['id']}: the reason shown is not “{rule.title}”"
        )
