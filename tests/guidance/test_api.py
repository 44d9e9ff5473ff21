from fastapi.testclient import TestClient

from tests.conftest import World
from tests.guidance.helpers import SHARE_WITH_CONSENT_2024
from tests.scene import HARM_ANSWERS


def test_questions_and_a_recommendation_over_the_api(client: TestClient, world: World) -> None:
    world.sign_in(client, world.practitioner())
    assert "2024-05" in client.get("/api/guidance/editions").json()
    edition = client.get("/api/guidance/editions/2024-05").json()
    assert edition["questions"][0]["id"] == "significant_harm"
    answer = client.post("/api/guidance/recommendation", json={"answers": HARM_ANSWERS}).json()
    assert answer["outcome"] == "share"
    assert answer["rules"][0]["id"] == "significant_harm"
    assert edition["golden_rules"][0]["quote"].startswith("All children have a right")
    # Under suspected harm, how much is relevant cannot change the outcome: recorded only.
    unsure = client.post(
        "/api/guidance/recommendation", json={"answers": {**HARM_ANSWERS, "relevance": "not_sure"}}
    ).json()
    assert (unsure["outcome"], unsure["rules"][0]["id"]) == ("share", "significant_harm")
    # A doubt the questions still to come may settle: they are asked first.
    early = {
        "significant_harm": "no",
        "statutory_duty_or_court_order": "no",
        "legitimate_purpose": "yes",
        "identifies_living_person": "yes",
        "recipient_role": "not_sure",
    }
    asking = client.post("/api/guidance/recommendation", json={"answers": early}).json()
    assert (asking["outcome"], asking["rules"][0]["id"]) == ("seek_advice", "questions_unanswered")
    assert asking["unanswered"][0] == "secure_and_timely"
    assert asking["in_doubt"] == []
    # Once answered, "yes" to the role shares (consent given) and "no" does not: advice.
    doubt = client.post(
        "/api/guidance/recommendation",
        json={"answers": {**SHARE_WITH_CONSENT_2024, "recipient_role": "not_sure"}},
    ).json()
    assert (doubt["outcome"], doubt["rules"][0]["id"]) == ("seek_advice", "not_sure")
    assert doubt["in_doubt"] == ["recipient_role"]
    bad = client.post("/api/guidance/recommendation", json={"answers": {"colour": "blue"}})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "colour"
    assert client.get("/api/guidance/editions/1999-01").status_code == 404
