"""The API documentation: signed-in people only, served from the service's own files."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import World


def test_signed_out_nobody_reaches_the_documentation_or_the_document(
    client: TestClient,
) -> None:
    client.cookies.clear()
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        assert client.get(path).status_code == 404, path
    assert client.get("/api/docs").status_code == 401
    assert client.get("/api/openapi.json").status_code == 401
    assert client.get("/openapi.json").status_code == 404


def test_signed_in_the_documentation_loads_only_local_scripts_and_styles(
    client: TestClient, world: World
) -> None:
    world.sign_in(client, world.practitioner())
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.text
    assert "cdn" not in html.lower() and "http" not in html
    assert "<script>" not in html and "<style" not in html and " style=" not in html
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources)
    for source in sources:
        assert client.get(source).status_code == 200, source
    assert "default-src 'self'" in page.headers["content-security-policy"]
    document = client.get("/api/openapi.json")
    assert document.status_code == 200
    assert "/api/session" in document.json()["paths"]
    assert "/api/docs" not in document.json()["paths"]
    assert "/api/openapi.json" not in document.json()["paths"]
