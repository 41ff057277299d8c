"""The chat UI in a real browser: headless Chromium (Debian's, through Playwright) at /ui of the
real service asks a Japanese question, sees the answer stream in with a source panel holding
the cited passage, gives a 👍, and reads a section in the plan browser; no request the page
makes leaves the service's origin."""

import json
import os
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
        message = "Chromium is not installed: apt-get install -y chromium chromium-driver (make test does it as root)"
        if os.environ.get("CI"):  # CI runs as root and installs it: a missing browser there is a failure
            pytest.fail(message)
        pytest.skip(f"{message}; skipped on a developer machine only, never in CI")
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
    """A page in a fresh Chromium profile; every URL it requests is kept in `page.requested`, and
    none may leave the service (a request the page's own policy blocks is never sent)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM,
                                                       headless=True, args=FLAGS,
                                                       viewport={"width": 1280, "height": 1000})
        requested: list[str] = []
        blocked: set[str] = set()  # refused by the page's Content-Security-Policy: never sent
        context.on("request", lambda request: requested.append(request.url))
        context.on("requestfailed", lambda request: "csp" in (request.failure or "").lower() and blocked.add(request.url))
        try:
            page = context.new_page()
            page.requested = requested
            yield page
        finally:
            context.close()
    elsewhere = [u for u in requested if not u.startswith((service + "/", "data:", "blob:", "about:")) and u not in blocked]
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
    page.get_by_role("tab", name="計画を読む / Browse").click()
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


# --- the layout at a laptop's and a phone's size --------------------------------------------------

LONG_QUESTION = "平成16年度の予算の収入は？"  # a long answer: three sections, one of them a table
VIEWPORTS = {"laptop": (1280, 800), "phone": (390, 844)}


def _shot(page, tmp_path: Path, name: str) -> None:
    """What the window shows (not the whole page: the point is what fits), kept in the test's folder."""
    page.screenshot(path=str(tmp_path / name))
    assert (tmp_path / name).stat().st_size > 10_000


def _inside(box: dict, width: float, height: float) -> bool:
    return box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width + 0.5 and box["y"] + box["height"] <= height + 0.5


def _overlap(a: dict, b: dict) -> float:
    dx = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
    dy = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
    return max(dx, 0) * max(dy, 0)


def _laid_out(page, parts: dict, width: int, height: int) -> dict:
    """The parts' boxes, each checked to be in the window and to overlap no other part."""
    boxes = {name: locator.bounding_box() for name, locator in parts.items()}
    for name, box in boxes.items():
        assert box and _inside(box, width, height), f"{name} is not in the {width}×{height} window: {box}"
    names = list(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert _overlap(boxes[a], boxes[b]) < 1, f"{a} and {b} overlap: {boxes[a]} {boxes[b]}"
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing sticks out sideways
    return boxes


_WATCH_ANSWER = """() => {
  window.answerLengths = [];
  window.chatChanged = performance.now();
  const chat = document.querySelector('#chat');
  new MutationObserver(() => {
    window.chatChanged = performance.now();
    const answer = chat.querySelector('[data-testid="bot"]');
    const length = answer ? answer.innerText.length : 0;
    if (window.answerLengths.at(-1) !== length) window.answerLengths.push(length);
  }).observe(chat, {subtree: true, childList: true, characterData: true});
}"""
_CHAT_SETTLED = "() => performance.now() - window.chatChanged > 1000"  # the turn's last update is rendered
_TEXT_BEFORE_ARROW = """input => {
  const arrow = input.parentElement.querySelector('.icon-wrap').getBoundingClientRect();
  return input.getBoundingClientRect().right - parseFloat(getComputedStyle(input).paddingRight) <= arrow.left + 0.5;
}"""


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_the_layout_fits_streams_opens_sources_and_reaches_the_plans(service, browser, tmp_path, size):
    width, height = VIEWPORTS[size]
    page = browser
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{service}/ui/", wait_until="load")
    box = page.get_by_label("質問 / Question")
    box.wait_for(timeout=30_000)
    parts = {"title": page.locator("#title"), "ask tab": page.get_by_role("tab", name="質問 / Ask"),
             "browse tab": page.get_by_role("tab", name="計画を読む / Browse"), "chat": page.locator("#chat"),
             "question": box, "send": page.get_by_role("button", name="送信 / Ask")}
    _laid_out(page, parts, width, height)  # all of it in view at once, nothing over anything

    page.evaluate(_WATCH_ANSWER)
    box.fill(LONG_QUESTION)
    page.get_by_role("button", name="送信 / Ask").click()
    page.locator("#chat blockquote").first.wait_for(timeout=30_000)  # the first source panel, open
    page.wait_for_function(_CHAT_SETTLED, timeout=30_000)
    answer = httpx.post(f"{service}/v1/ask", json={"question": LONG_QUESTION}, timeout=30).json()
    shown = page.locator('#chat [data-testid="bot"]').first.inner_text()
    assert all(line.strip()[:20] in shown for line in answer["answer"].splitlines() if line.strip())
    lengths = page.evaluate("window.answerLengths")
    assert len([n for n in lengths if 0 < n < max(lengths)]) >= 3, lengths  # it grew in steps, not at once
    _laid_out(page, parts, width, height)
    _shot(page, tmp_path, f"ui-{size}-answer.png")

    cited = next(c for c in answer["citations"] if c["rows"])  # the table's panel, folded until opened
    table = page.locator("#chat table", has_text="運営費交付金")
    assert cited["heading"] == "別紙-1 予 算" and not table.is_visible()
    page.locator("#chat").get_by_text(f"{cited['marker']} {cited['heading']} —", exact=False).first.click()
    table.first.wait_for(state="visible", timeout=10_000)
    page.wait_for_function(_CHAT_SETTLED, timeout=10_000)  # opened, and the chat done keeping its place
    table.first.scroll_into_view_if_needed()
    chat, shown_table = page.locator("#chat").bounding_box(), table.first.bounding_box()
    assert chat["x"] <= shown_table["x"] and shown_table["x"] + shown_table["width"] <= chat["x"] + chat["width"]
    assert _overlap(chat, shown_table) > 0.5 * chat["width"] * 100  # scrolled to: in the chat's window
    assert page.locator("#chat td", has_text="53,301 百万円").count() == 1
    _shot(page, tmp_path, f"ui-{size}-table.png")

    page.get_by_role("tab", name="計画を読む / Browse").click()
    plan = page.get_by_label("計画 / Plan")
    plan.click()
    page.get_by_role("option", name=re.compile("横浜国立大学 中期計画")).click()
    page.get_by_label("目次 / Outline").click()
    page.keyboard.type("短期借入金")
    page.keyboard.press("End")
    page.get_by_role("option", name=re.compile("Ⅶ-1 短期借入金の限度額")).first.click()
    text = page.get_by_text("lines 476–477", exact=False).first
    text.wait_for(timeout=30_000)
    page.get_by_role("listbox").wait_for(state="detached", timeout=10_000)  # the outline's list closed
    assert _inside(text.bounding_box(), width, height) and page.get_by_text("23億円").first.is_visible()
    assert plan.evaluate(_TEXT_BEFORE_ARROW)  # the plan's long title does not run under the arrow
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    _shot(page, tmp_path, f"ui-{size}-browse.png")


def test_the_api_docs_render_with_nothing_from_elsewhere(service, browser, tmp_path):
    """Swagger UI and ReDoc come from the service itself (the fixture fails on any other request)."""
    page = browser
    page.goto(f"{service}/docs", wait_until="load")
    page.get_by_text("/v1/chat/completions", exact=True).first.wait_for(timeout=30_000)
    assert page.locator(".swagger-ui .opblock").count() > 10
    page.goto(f"{service}/redoc", wait_until="load")
    page.get_by_role("heading", name="Plan Assistant (0.1.0)").wait_for(timeout=30_000)
    assert page.get_by_text("/v1/chat/completions", exact=False).count() > 0
    assert any("/static-offline-docs/redoc.standalone.js" in u for u in page.requested)
    assert any("/static-offline-docs/swagger-ui-bundle.js" in u for u in page.requested)
    _shot(page, tmp_path, "redoc.png")
