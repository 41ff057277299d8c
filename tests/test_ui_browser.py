"""The chat UI in a real browser: headless Chromium asks a Japanese question at /ui of the
real service and sees the answer with a source panel holding the cited passage."""

import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from index.build import build_index
from index.settings import Settings
from tests.conftest import PLANS, ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """The real service with the UI mounted, on a free loopback port."""
    import uvicorn

    from assistant.api import create_app

    port = _free_port()
    settings = Settings(plans_dir=PLANS, data_dir=tmp_path_factory.mktemp("data"), port=port)
    build_index(settings, progress=False)
    server = uvicorn.Server(uvicorn.Config(create_app(settings, mount_ui=True), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    yield base
    server.should_exit = True
    thread.join(10)


def test_ask_in_japanese_and_see_the_cited_passage(service, tmp_path: Path):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed: apt-get install -y chromium chromium-driver (make test does it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM,
                                                       headless=True, args=FLAGS)
        try:
            page = browser.new_page()
            page.goto(f"{service}/ui/", wait_until="load")
            box = page.get_by_label("質問 / Question")
            box.wait_for(timeout=30_000)
            box.fill("短期借入金の限度額は？")
            box.press("Enter")
            page.get_by_text("23億円です", exact=False).first.wait_for(timeout=30_000)
            panel = page.get_by_text("[1] Ⅶ-1", exact=False).first
            panel.wait_for(timeout=30_000)
            passage = page.locator("blockquote", has_text="23億円").first  # the cited passage, in panel [1]
            if not passage.is_visible():
                panel.click()  # open the collapsible source panel
            passage.wait_for(state="visible", timeout=10_000)
            assert "短期借入金の限度額" in passage.inner_text()
            for target in (tmp_path / "ui.png", ROOT / "eval" / "results" / "ui.png"):
                target.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(target), full_page=True)
        finally:
            browser.close()
