"""The chat UI in a real browser: headless Chromium (Debian's, through Playwright) at /ui of the
real service asks a Japanese question, sees the answer stream in with a source panel holding
the cited passage, gives a 👍, and reads a section in the plan browser; no request the page
makes leaves the service's origin."""

import json
import re
import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest

from eval.processes import free_port, wait_ready
from tests.conftest import PLANS, ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """The real service with the UI mounted, on a free loopback port."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed: apt-get install -y chromium chromium-driver "
                    "(make test does it when run as root)")
    import uvicorn

    from assistant.api.app import create_app
    from index.build import build_index
    from index.settings import Settings

    port = free_port()
    settings = Settings(plans_dir=PLANS, data_dir=tmp_path_factory.mktemp("data"), port=port)
    build_index(settings, progress=False)
    server = uvicorn.Server(uvicorn.Config(create_app(settings, mount_ui=True), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    if not wait_ready(f"{base}/readyz", 60):
        pytest.fail("the service did not become ready in 60 s")
    yield base
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def browser(service, tmp_path):
    """A page in a fresh Chromium profile; every URL it requests is kept in `page.requested`."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM,
                                                       headless=True, args=FLAGS,
                                                       viewport={"width": 1280, "height": 1000})
        requested: list[str] = []
        context.on("request", lambda request: requested.append(request.url))
        try:
            page = context.new_page()
            page.requested = requested
            yield page
        finally:
            context.close()
    elsewhere = [u for u in requested if not u.startswith((service + "/", "data:", "blob:", "about:"))]
    assert not elsewhere, f"the page made requests outside the service: {elsewhere}"


def _screenshot(page, tmp_path: Path, name: str) -> None:
    for target in (tmp_path / name, ROOT / "eval" / "results" / name):
        target.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target), full_page=True)


def test_ask_in_japanese_and_see_the_cited_passage(service, browser, tmp_path, monkeypatch):
    feedback = tmp_path / "feedback.jsonl"
    monkeypatch.setenv("PLAN_ASSISTANT_FEEDBACK_FILE", str(feedback))  # read at each 👍/👎 by the served UI
    page = browser
    page.goto(f"{service}/ui/", wait_until="load")
    box = page.get_by_label("質問 / Question")
    box.wait_for(timeout=30_000)
    box.fill("短期借入金の限度額は？")
    box.press("Enter")
    page.get_by_text("23億円です", exact=False).first.wait_for(timeout=30_000)
    panel = page.get_by_text("[1] Ⅶ-1 短期借入金の限度額", exact=False).first
    panel.wait_for(timeout=30_000)
    passage = page.locator("blockquote", has_text="23億円").first  # the cited passage, in panel [1]
    if not passage.is_visible():
        panel.click()  # unfold the source panel
    passage.wait_for(state="visible", timeout=10_000)
    assert "短期借入金の限度額" in passage.inner_text()
    assert page.locator("blockquote mark", has_text="23億円").count() >= 1  # the quoted line is marked
    _screenshot(page, tmp_path, "ui.png")

    page.get_by_role("button", name="Like", exact=True).first.click()
    deadline = time.monotonic() + 10
    while not feedback.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    (row,) = [json.loads(line) for line in feedback.read_text(encoding="utf-8").splitlines()]
    assert row["liked"] is True and row["question"] == "短期借入金の限度額は？" and "23億円" in row["answer"]
    assert row["citations"][0]["label"] == "Ⅶ-1"


def test_browse_a_plan_section(service, browser, tmp_path):
    page = browser
    page.goto(f"{service}/ui/", wait_until="load")
    page.get_by_role("tab", name="計画を読む / Browse the plans").click()
    plan = page.get_by_label("計画 / Plan")
    plan.click()
    page.get_by_role("option", name=re.compile("横浜国立大学 中期計画")).click()
    outline = page.get_by_label("目次 / Outline")
    outline.click()
    page.keyboard.type("短期借入金")
    page.keyboard.press("End")  # Gradio filters the choices on a key going up, which typed-in text lacks
    page.get_by_role("option", name=re.compile("Ⅶ-1 短期借入金の限度額")).first.click()
    page.get_by_text("lines 476–477", exact=False).first.wait_for(timeout=30_000)
    assert page.get_by_text("23億円", exact=False).first.is_visible()
    _screenshot(page, tmp_path, "ui-browse.png")


def test_the_page_names_no_other_site(service):
    """The page names no other site (Gradio's link-preview tags removed by `ui.app.mount_ui`)."""
    page = httpx.get(f"{service}/ui/", timeout=10).text
    theme = httpx.get(f"{service}/ui/theme.css", timeout=10).text
    assert "googleapis" not in page + theme
    urls = set(re.findall(r"https?://[^\s\"'<>)\\]+", page + theme))
    assert {u for u in urls if not u.startswith(service) and u != "http://www.w3.org/2000/svg"} == set()
