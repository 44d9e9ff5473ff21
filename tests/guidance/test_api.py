from fastapi.testclient import TestClient

from tests.conftest import World
from tests.scene import HARM_ANSWERS


def test_questions_and_a_recommendation_over_the_api(client: TestClient, world: World) -> None:
    world.sign_in(client, world.practitioner())
    assert "2024-05" in client.get("/api/guidance/editions").json()
    edition = client.get("/api/guidance/editions/2024-05").json()
    assert edition["questions"][0]["id"] == "legitimate_purpose"
    answer = client.post("/api/guidance/recommendation", json={"answers": HARM_ANSWERS}).json()
    assert answer["outcome"] == "share"
    assert answer["rules"][0]["id"] == "significant_harm"
    unsure = client.post(
        "/api/guidance/recommendation", json={"answers": {**HARM_ANSWERS, "relevance": "not_sure"}}
    ).json()
    assert unsure["outcome"] == "seek_advice"
    bad = client.post("/api/guidance/recommendation", json={"answers": {"colour": "blue"}})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "colour"
    assert client.get("/api/guidance/editions/1999-01").status_code == 404
