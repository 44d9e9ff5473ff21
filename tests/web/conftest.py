"""Browser fixtures shared by every Chromium test: one server and one browser per session.

The app runs under uvicorn on an ephemeral localhost port against the test database,
and Debian's Chromium is driven with Playwright. Chromium must be installed: these
tests fail rather than skip without it, and never download a browser.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jigsaw.config import Settings
from jigsaw.db import Database

CHROMIUM = Path(os.environ.get("JIGSAW_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS: dict[str, Any] = {
    "runOnly": {"type": "tag", "values": WCAG_22_AA},
    "resultTypes": ["violations"],
}


@pytest.fixture(scope="session")
def live_server(settings: Settings, db: Database) -> Iterator[str]:
    """The app in demo mode on an ephemeral localhost port, sharing the test database."""
    import uvicorn

    from jigsaw.app import create_app

    demo = settings.model_copy(update={"demo_mode": True})
    config = uvicorn.Config(create_app(demo, db), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("The app did not start under uvicorn within 20 seconds")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}. Install Debian's package "
            "(sudo apt-get install chromium) or set JIGSAW_CHROMIUM to its path; "
            "these tests never download a browser."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


class AccessibilityChecks:
    """axe-core against WCAG 2.2 A and AA, once per distinct page for the whole session.

    Set ``JIGSAW_SCREENSHOT_DIR`` to keep a full-page screenshot of each page checked.
    """

    def __init__(self) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.checked: set[str] = set()

    def __call__(self, page: Any, name: str) -> None:
        if name in self.checked:
            return
        self.checked.add(name)
        results = self.axe.run(page, options=AXE_OPTIONS)
        shot_dir = os.environ.get("JIGSAW_SCREENSHOT_DIR")
        if shot_dir:
            page.screenshot(path=str(Path(shot_dir) / f"{name}.png"), full_page=True)
        if results.violations_count:
            report = results.generate_report()
            pytest.fail(f"{name}: {results.violations_count} accessibility violations\n{report}")


@pytest.fixture(scope="session")
def axe_check() -> AccessibilityChecks:
    return AccessibilityChecks()
