"""The HTTP service, through the real app: every endpoint, every error, the stream order,
uploads with re-indexing, and the OpenAI-compatible endpoint through the real OpenAI client.

Each app here serves its own index, built in a temporary folder from a copy of the plans;
the real plans/ and data/ are never touched.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.api import create_app
from assistant.api import service as service_module
from assistant.api.service import PlanError, safe_name
from eval.processes import free_port
from index.build import build_index
from index.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
ADMIN_KEY = "test-admin-key"
QUESTION = "短期借入金の限度額は？"
EARLIER, FOLLOW_UP = "What is the short-term borrowing limit?", "And how much is it exactly?"
UNIQUE_WORD = "クオッカ"  # in no bundled plan: only the uploaded one can answer about it
NEW_PLAN = """ペンギン観測計画

第1章 クオッカ研究拠点の整備
1. 南極にクオッカ研究拠点を整備し、ペンギン観測の国際共同研究を推進する。
2. クオッカ推進室を設置し、観測データを公開する。

第2章 国際交流
1. 観測隊員の相互派遣を年10名行う。
""".encode()


def _settings(tmp: Path, build: bool = True, **extra) -> Settings:
    plans = tmp / "plans"
    shutil.copytree(ROOT / "plans", plans)
    settings = Settings(plans_dir=plans, data_dir=tmp / "data", **extra)
    if build:
        build_index(settings, progress=False)
    return settings


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    return _settings(tmp_path_factory.mktemp("api"))


@pytest.fixture(scope="module")
def client(settings):
    """The read-only app (no admin key: uploads disabled)."""
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture(scope="module")
def admin(tmp_path_factory):
    """An app of its own for uploads and deletes, which rebuild its index."""
    settings = _settings(tmp_path_factory.mktemp("admin"), admin_key=ADMIN_KEY)
    with TestClient(create_app(settings)) as c:
        yield c


def _key(key: str = ADMIN_KEY) -> dict[str, str]:
    return {"X-API-Key": key}


def _events(text: str) -> list[tuple[str, str]]:
    """Server-sent events as (event name, data) pairs."""
    events = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[len("event:"):].strip()
            elif line.startswith("data:"):
                data.append(line[len("data:"):].strip())
        events.append((name, "\n".join(data)))
    return events


def _error(response) -> str:
    body = response.json()
    assert body["error"]["message"] == body["detail"]
    return body["detail"]


# --- /v1/ask ---------------------------------------------------------------------------------

def test_ask_answers_with_verified_citations(client):
    r = client.post("/v1/ask", json={"question": QUESTION})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["found"] is True and body["language"] == "ja" and "23億円" in body["answer"]
    first = body["citations"][0]
    assert first["marker"] == "[1]" and "[1]" in body["answer"]
    assert set(first) >= {"document_id", "document_title", "section_id", "label", "path", "text",
                          "line_start", "line_end", "score", "verified"}
    assert first["verified"] is True and first["label"] == "Ⅶ-1" and "23億円" in first["text"]
    section = client.get(f"/v1/sections/{first['section_id']}").json()
    assert first["text"] in section["text"]  # verbatim plan text
    assert section["line_start"] <= first["line_start"] <= first["line_end"] <= section["line_end"]
    assert body["timing_ms"]["total"] >= body["timing_ms"]["first_delta"] > 0


def test_ask_language_history_and_documents(client):
    english = client.post("/v1/ask", json={"question": QUESTION, "language": "en"}).json()
    assert english["language"] == "en"
    alone = client.post("/v1/ask", json={"question": FOLLOW_UP}).json()
    follow = client.post("/v1/ask", json={
        "question": FOLLOW_UP, "history": [{"role": "user", "content": EARLIER}, {"role": "assistant", "content": "…"}],
    }).json()
    assert alone["found"] is False and follow["found"] is True  # searched with the question it follows
    assert follow["standalone"] == f"{EARLIER} {FOLLOW_UP}" and follow["language"] == "en"
    only = client.post("/v1/ask", json={"question": "留学生の支援は？", "documents": ["tohoku-intl-strategy"]}).json()
    assert only["citations"] and {c["document_id"] for c in only["citations"]} == {"tohoku-intl-strategy"}


def _top_ks_searched(client, monkeypatch) -> list[int | None]:
    """The `k` of every search the service runs from now on (the live searcher, spied on)."""
    searcher = client.app.state.service.engine.searcher
    seen: list[int | None] = []
    real = searcher.search

    def spy(question, k=None, documents=None, follow_up=None):
        seen.append(k)
        return real(question, k, documents, follow_up)

    monkeypatch.setattr(searcher, "search", spy)
    return seen


def test_top_k_reaches_retrieval(client, monkeypatch):
    seen = _top_ks_searched(client, monkeypatch)
    assert client.post("/v1/ask", json={"question": QUESTION, "top_k": 2}).status_code == 200
    assert client.post("/v1/ask", json={"question": QUESTION}).status_code == 200
    assert seen == [2, None]


def test_not_in_the_plans_is_found_false_and_counted(client):
    before = _metric(client, 'plan_assistant_answers_total{found="false"}')
    body = client.post("/v1/ask", json={"question": "量子コンピュータの冷却温度は何ケルビンですか？"}).json()
    assert body["found"] is False and body["related"]
    assert _metric(client, 'plan_assistant_answers_total{found="false"}') == before + 1


@pytest.mark.parametrize(("payload", "status", "says"), [
    ({"question": ""}, 422, "empty"),
    ({"question": "   "}, 422, "empty"),
    ({"question": "あ" * 2001}, 422, "limit is 2000"),
    ({"question": QUESTION, "history": [{"role": "user", "content": "あ" * 2001}]}, 422, "limit is 2000"),
    ({"question": QUESTION, "history": [{"role": "system", "content": "x"}]}, 422, "history.0.role"),
    ({"question": QUESTION, "documents": ["no-such-plan"]}, 422, "unknown document(s): no-such-plan"),
    ({"question": QUESTION, "top_k": 0}, 422, "top_k"),
    ({"question": QUESTION, "top_k": 51}, 422, "top_k"),
    ({"question": QUESTION, "language": "fr"}, 422, "language"),
    ({"question": QUESTION, "topk": 3}, 422, "topk"),
    ({"question": "\ud800"}, 422, "surrogate"),
    ({}, 422, "question"),
])
def test_ask_rejects_bad_input_with_clear_4xx(client, payload, status, says):
    for path in ("/v1/ask", "/v1/ask/stream"):  # json.dumps escapes a lone surrogate, as a client may send it
        r = client.post(path, content=json.dumps(payload), headers={"content-type": "application/json"})
        assert r.status_code == status, (path, r.text)
        assert r.headers["content-type"].startswith("application/json")
        assert says in _error(r)


def test_malformed_json_is_400(client):
    r = client.post("/v1/ask", content=b'{"question": ', headers={"content-type": "application/json"})
    assert r.status_code == 400 and "malformed JSON" in _error(r)


# --- /v1/ask/stream --------------------------------------------------------------------------

def test_stream_sends_deltas_then_answer_then_done(client):
    r = client.post("/v1/ask/stream", json={"question": QUESTION})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = _events(r.text)
    names = [name for name, _ in events]
    assert names[-2:] == ["answer", "done"] and set(names[:-2]) == {"delta"} and len(names) >= 3
    answer = json.loads(events[-2][1])
    assert "".join(json.loads(data)["text"] for name, data in events if name == "delta") == answer["answer"]
    plain = client.post("/v1/ask", json={"question": QUESTION}).json()
    del answer["timing_ms"], plain["timing_ms"]
    assert answer == plain  # the same JSON as /v1/ask


# --- documents, outline, sections -------------------------------------------------------------

def test_documents_outline_and_sections(client):
    listed = client.get("/v1/documents").json()
    ids = {d["id"]: d for d in listed["documents"]}
    assert listed["count"] == 2 and set(ids) == {"ynu-midterm-2004", "tohoku-intl-strategy"}
    ynu = ids["ynu-midterm-2004"]
    assert ynu["title_en"] == "Yokohama National University Mid-term Plan" and ynu["sections"] > 50
    assert ynu["chunks"] > 0 and ynu["indexed"] is True
    outline = client.get("/v1/documents/ynu-midterm-2004/outline").json()
    assert outline["document"]["id"] == "ynu-midterm-2004"

    def walk(nodes):
        for node in nodes:
            yield node
            yield from walk(node["children"])

    nodes = {n["id"]: n for n in walk(outline["sections"])}
    assert len(nodes) == ynu["sections"]
    assert "ynu-midterm-2004:7.1" in [c["id"] for c in nodes["ynu-midterm-2004:7"]["children"]]
    section = client.get("/v1/sections/ynu-midterm-2004:7.1").json()
    assert section["label"] == "Ⅶ-1" and section["title"] == "短期借入金の限度額" and "23億円" in section["text"]
    assert section["document"]["id"] == "ynu-midterm-2004" and section["parent_id"] == "ynu-midterm-2004:7"
    assert section["line_start"] <= section["line_end"]


def test_unknown_documents_and_sections_are_404(client):
    r = client.get("/v1/documents/nope/outline")
    assert r.status_code == 404 and "unknown document 'nope'" in _error(r) and "ynu-midterm-2004" in _error(r)
    r = client.get("/v1/sections/ynu-midterm-2004:99.99")
    assert r.status_code == 404 and "unknown section 'ynu-midterm-2004:99.99'" in _error(r)
    r = client.get("/v1/sections/nope:1")
    assert r.status_code == 404 and "no document 'nope'" in _error(r)


# --- health, readiness, metrics, docs, request ids, logs ------------------------------------

def _metric(client, name: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_health_ready_metrics_and_docs(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True and ready.json()["documents"] == 2
    client.get("/v1/sections/ynu-midterm-2004:7.1")
    client.get("/v1/sections/nope:1")
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'plan_assistant_requests_total{method="GET",route="/v1/sections/{section_id}",status="200"}' in text
    assert 'plan_assistant_requests_total{method="GET",route="/v1/sections/{section_id}",status="404"}' in text
    assert 'plan_assistant_request_seconds_bucket{le="0.1",method="GET",route="/v1/sections/{section_id}"}' in text
    assert 'plan_assistant_answers_total{found="true"}' in text
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/ask", "/v1/ask/stream", "/v1/documents", "/v1/documents/{document_id}/outline",
            "/v1/sections/{section_id}", "/v1/documents/{document_id}", "/v1/chat/completions"} <= set(paths)


def test_metrics_registry_is_per_app(settings):
    a, b = create_app(settings), create_app(settings)  # a shared registry would refuse the second
    assert a.state.metrics.registry is not b.state.metrics.registry


@pytest.fixture(scope="module")
def ui_client(settings):
    """The app with the chat UI mounted at /ui, as `plan-assistant serve` runs it."""
    with TestClient(create_app(settings, mount_ui=True)) as c:
        yield c


def test_docs_and_redoc_are_served_by_the_app_itself(client):
    for path, needed in (("/docs", {"swagger-ui-bundle.js", "swagger-ui.css"}), ("/redoc", {"redoc.standalone.js"})):
        page = client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert re.findall(r"https?://[^\s\"'<>)]+", page.text) == [], path  # no CDN, no Google Fonts
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert needed <= {a.rsplit("/", 1)[-1] for a in assets}, assets
        for asset in assets:
            served = client.get(asset)
            assert asset.startswith("/static-offline-docs/") and served.status_code == 200 and len(served.content) > 1000
    assert '"validatorUrl": null' in client.get("/docs").text  # no badge fetched from validator.swagger.io
    policy = client.get("/redoc").headers["content-security-policy"]  # ReDoc's sidebar logo is on Redocly's CDN
    assert "default-src 'self'" in policy and "img-src 'self' data:" in policy
    assert "/v1/ask" in client.get(re.search(r"url: '([^']+)'", client.get("/docs").text).group(1)).json()["paths"]


def test_root_redirects_to_the_ui_or_else_the_docs(client, ui_client):
    r = ui_client.get("/", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/ui/"
    assert "Plan Assistant" in ui_client.get("/").text  # followed: the chat page
    r = client.get("/", follow_redirects=False)  # no UI mounted
    assert r.status_code == 307 and r.headers["location"] == "/docs"
    assert client.get("/ui/").status_code == 404


def test_metrics_count_every_route_under_its_template(ui_client):
    for path in ("/", "/docs", "/redoc", "/openapi.json", "/static-offline-docs/swagger-ui.css", "/ui/", "/ui/config",
                 "/ui/theme.css", "/ui/gradio_api/info", "/v1/models", "/v1/models/gpt-4o", "/v1/models/plan-assistant",
                 "/v1/sections/ynu-midterm-2004:7.1", "/no/such/page"):
        ui_client.get(path, follow_redirects=False)
    counted = {}
    for line in ui_client.get("/metrics").text.splitlines():
        found = re.match(r'plan_assistant_requests_total\{method="GET",route="([^"]*)",status="(\d+)"\}', line)
        if found:
            counted.setdefault(found[1], set()).add(found[2])
    for route, status in (("/", "307"), ("/docs", "200"), ("/redoc", "200"), ("/openapi.json", "200"),
                          ("/static-offline-docs/{path}", "200"), ("/ui/", "200"), ("/ui/config", "200"),
                          ("/ui/theme.css", "200"), ("/ui/gradio_api/info", "200"), ("/v1/models", "200"),
                          ("/v1/models/{model_id}", "404"), ("/v1/models/{model_id}", "200"),
                          ("/v1/sections/{section_id}", "200")):
        assert status in counted.get(route, set()), (route, status, counted)
    assert counted["unmatched"] == {"404"}  # only the page that is not there
    assert not [r for r in counted if "gpt-4o" in r or "ynu-midterm" in r or "swagger-ui.css" in r]  # never raw paths


def test_request_id_header_and_log(client, caplog):
    caplog.set_level(logging.INFO, logger="plan_assistant.api")
    r = client.get("/healthz", headers={"X-Request-ID": "req-42"})
    assert r.headers["X-Request-ID"] == "req-42"
    assert any(getattr(rec, "request_id", None) == "req-42" and "/healthz" in rec.getMessage() for rec in caplog.records)
    made = client.get("/healthz", headers={"X-Request-ID": "bad id\twith junk"}).headers["X-Request-ID"]
    assert len(made) == 32 and made != client.get("/healthz").headers["X-Request-ID"]


def test_questions_are_logged_only_when_enabled(client, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG, logger="plan_assistant.api")
    client.post("/v1/ask", json={"question": QUESTION})
    assert QUESTION not in caplog.text and "question of" in caplog.text  # its length, at debug level
    caplog.clear()
    monkeypatch.setattr(client.app.state.settings, "log_questions", True)
    client.post("/v1/ask", json={"question": QUESTION})
    assert QUESTION in caplog.text


def test_without_an_index_the_app_starts_but_is_not_ready(tmp_path):
    settings = _settings(tmp_path, build=False)
    with TestClient(create_app(settings)) as c:
        assert c.get("/healthz").status_code == 200
        ready = c.get("/readyz")
        assert ready.status_code == 503 and ready.json()["ready"] is False
        for path, body in (("/v1/ask", {"question": QUESTION}), ("/v1/ask/stream", {"question": QUESTION}),
                           ("/v1/chat/completions", {"messages": [{"role": "user", "content": QUESTION}]})):
            r = c.post(path, json=body)
            assert r.status_code == 503 and "run `plan-assistant index build`" in _error(r), path
        assert c.get("/v1/documents").json()["count"] == 2  # the plans themselves are still readable


# --- uploads and deletes -----------------------------------------------------------------------

def test_uploads_need_a_configured_key(client, admin):
    files = {"file": ("penguin-plan.md", NEW_PLAN, "text/markdown")}
    r = client.post("/v1/documents", files=files, headers=_key())
    assert r.status_code == 403 and "uploads are disabled" in _error(r)
    assert client.delete("/v1/documents/ynu-midterm-2004", headers=_key()).status_code == 403
    for headers in ({}, _key("wrong")):
        assert admin.post("/v1/documents", files=files, headers=headers).status_code == 401
        assert admin.delete("/v1/documents/ynu-midterm-2004", headers=headers).status_code == 401
    assert admin.get("/v1/documents").json()["count"] == 2


@pytest.mark.parametrize(("name", "data", "status", "says"), [
    ("plan.exe", NEW_PLAN, 415, "unsupported file type '.exe'"),
    ("plan", NEW_PLAN, 415, "unsupported file type"),
    ("plan.pdf", NEW_PLAN, 422, "plan.pdf: not a PDF"),
    ("plan.docx", NEW_PLAN, 422, "not a DOCX"),
    ("plan.md", b"", 422, "empty file"),
    ("plan.md", b"\x00\x01binary", 422, "not a text file"),
    ("catalog.toml", NEW_PLAN, 415, "unsupported"),
    ("README.md", NEW_PLAN, 422, "cannot be used as a plan file name"),
    ("ynu-midterm-plan-2004.txt", NEW_PLAN, 409, "already in the plans"),
])
def test_upload_rejects_bad_files(admin, name, data, status, says):
    r = admin.post("/v1/documents", files={"file": (name, data)}, headers=_key())
    assert r.status_code == status, r.text
    assert says in _error(r)
    assert sorted(p.name for p in admin.app.state.settings.plans_dir.iterdir()) == \
        sorted(p.name for p in (ROOT / "plans").iterdir())


def test_upload_size_limit(admin, monkeypatch):
    monkeypatch.setattr(admin.app.state.settings, "max_upload_bytes", 100)
    r = admin.post("/v1/documents", files={"file": ("big.md", NEW_PLAN)}, headers=_key())
    assert r.status_code == 413 and "100 bytes" in _error(r)
    # a declared body far over the limit is refused before it is read
    r = admin.post("/v1/documents", content=b"x" * (11 * 1024 * 1024), headers={
        **_key(), "content-type": "multipart/form-data; boundary=x"})
    assert r.status_code == 413


def test_upload_then_delete_reindexes(admin):
    plans = admin.app.state.settings.plans_dir
    question = {"question": f"{UNIQUE_WORD}推進室とは？"}
    before = admin.post("/v1/ask", json=question).json()
    assert all(c["document_id"] != "penguin-plan" for c in before["citations"] + before["related"])

    r = admin.post("/v1/documents", files={"file": ("../penguin-plan.md", NEW_PLAN, "text/markdown")}, headers=_key())
    assert r.status_code == 201, r.text
    assert r.json()["document"]["id"] == "penguin-plan" and r.json()["index"]["documents"] == 3
    assert (plans / "penguin-plan.md").read_bytes() == NEW_PLAN and not (plans.parent / "penguin-plan.md").exists()
    assert "penguin-plan" in {d["id"] for d in admin.get("/v1/documents").json()["documents"]}
    outline = admin.get("/v1/documents/penguin-plan/outline").json()
    assert "第1章 クオッカ研究拠点の整備" in [n["title"] for n in outline["sections"]]
    after = admin.post("/v1/ask", json=question).json()
    assert after["found"] is True and after["citations"][0]["document_id"] == "penguin-plan"
    assert UNIQUE_WORD in after["citations"][0]["text"] and after["citations"][0]["verified"] is True
    again = admin.post("/v1/documents", files={"file": ("penguin-plan.md", NEW_PLAN)}, headers=_key())
    assert again.status_code == 409

    r = admin.delete("/v1/documents/penguin-plan", headers=_key())
    assert r.status_code == 200 and r.json() == {"deleted": "penguin-plan", "index": r.json()["index"]}
    assert not (plans / "penguin-plan.md").exists()
    assert "penguin-plan" not in {d["id"] for d in admin.get("/v1/documents").json()["documents"]}
    gone = admin.post("/v1/ask", json=question).json()
    assert all(c["document_id"] != "penguin-plan" for c in gone["citations"] + gone["related"])
    assert admin.post("/v1/ask", json={**question, "documents": ["penguin-plan"]}).status_code == 422
    assert admin.delete("/v1/documents/penguin-plan", headers=_key()).status_code == 404


def test_failed_rebuild_undoes_the_upload_and_keeps_serving(admin, monkeypatch):
    served = admin.app.state.service.engine

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(service_module, "build_index", broken)
    r = admin.post("/v1/documents", files={"file": ("penguin-plan.md", NEW_PLAN)}, headers=_key())
    assert r.status_code == 500 and "previous index is still served" in _error(r)
    assert not (admin.app.state.settings.plans_dir / "penguin-plan.md").exists()
    r = admin.delete("/v1/documents/tohoku-intl-strategy", headers=_key())
    assert r.status_code == 500 and (admin.app.state.settings.plans_dir / "tohoku-international-strategy.txt").exists()
    assert admin.app.state.service.engine is served
    assert admin.get("/readyz").status_code == 200 and admin.get("/v1/documents").json()["count"] == 2
    assert admin.post("/v1/ask", json={"question": QUESTION}).json()["found"] is True


def test_rebuilds_never_run_at_once(admin, monkeypatch):
    """Two uploads at once, the overlap made certain: the first one's build is held until the
    second upload is seen waiting for the rebuild lock; the second build begins only after the
    first has ended. Both builds fail, so the uploads are undone and nothing changes."""
    service = admin.app.state.service
    building, go_on = threading.Event(), threading.Event()
    running, most, builds = 0, 0, 0
    guard = threading.Lock()

    class Watched:
        """The service's rebuild lock, noting when an upload finds it held and has to wait."""

        def __init__(self, lock) -> None:
            self.lock, self.waited = lock, threading.Event()

        def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
            if self.lock.acquire(blocking=False):
                return True
            if blocking:
                self.waited.set()
            return self.lock.acquire(blocking, timeout)

        def release(self) -> None:
            self.lock.release()

        def __enter__(self):
            self.acquire()
            return self

        def __exit__(self, *exc) -> None:
            self.release()

    def held_failing_build(*args, **kwargs):
        nonlocal running, most, builds
        with guard:
            running, builds = running + 1, builds + 1
            most = max(most, running)
        building.set()
        try:
            go_on.wait(60)
        finally:
            with guard:
                running -= 1
        raise RuntimeError("stop here")

    lock = Watched(service._lock)
    monkeypatch.setattr(service, "_lock", lock)
    monkeypatch.setattr(service_module, "build_index", held_failing_build)
    statuses: list[int] = []

    def upload(name: str) -> None:
        statuses.append(admin.post("/v1/documents", files={"file": (name, NEW_PLAN)}, headers=_key()).status_code)

    threads = [threading.Thread(target=upload, args=(f"plan-{n}.md",)) for n in range(2)]
    try:
        threads[0].start()
        assert building.wait(60), "the first upload never started its build"
        threads[1].start()
        assert lock.waited.wait(60), "the second upload never waited for the rebuild lock"
        assert builds == 1 and running == 1  # the second waits while the first builds
    finally:
        go_on.set()
        for t in threads:
            if t.ident is not None:
                t.join(60)
    assert statuses == [500, 500] and builds == 2 and most == 1
    assert not (admin.app.state.settings.plans_dir / "plan-0.md").exists()
    assert admin.post("/v1/ask", json={"question": QUESTION}).json()["found"] is True  # the old index still answers


def test_safe_name_keeps_files_inside_the_plans_folder():
    assert safe_name("../../etc/計画 (案).md") == "計画 (案).md"
    assert safe_name("C:\\x\\plan.TXT") == "plan.TXT"
    assert safe_name("a/b;rm -rf.md") == "b_rm -rf.md"
    for bad in (".md", ".hidden.md", "x" * 300 + ".md", "readme.txt"):
        with pytest.raises(PlanError):
            safe_name(bad)


# --- the OpenAI-compatible endpoint -------------------------------------------------------------

def test_chat_completions_over_http(client):
    r = client.post("/v1/chat/completions", json={
        "model": "plan-assistant", "temperature": 0,
        "messages": [{"role": "system", "content": "ignored"}, {"role": "user", "content": [{"type": "text", "text": QUESTION}]}],
    })
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "chat.completion" and body["choices"][0]["finish_reason"] == "stop"
    content = body["choices"][0]["message"]["content"]
    assert "23億円" in content and "\n\nSources:\n[1] Ⅶ-1 " in content and "(国立大学法人横浜国立大学 中期計画)" in content
    assert body["citations"][0]["marker"] == "[1]"
    r = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": QUESTION},
                                                             {"role": "assistant", "content": "x"}]})
    assert r.status_code == 422 and "last message must be the user's question" in _error(r)
    r = client.post("/v1/chat/completions", json={"messages": [{"role": "robot", "content": "x"}]})
    assert r.status_code == 422


def _lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip())


MODEL_NOT_FOUND = {"type": "invalid_request_error", "param": "model", "code": "model_not_found"}


def test_models_are_listed_and_an_unknown_model_is_404_model_not_found(client):
    listed = client.get("/v1/models").json()
    assert listed["object"] == "list" and [m["id"] for m in listed["data"]] == ["plan-assistant"]
    card = listed["data"][0]
    assert card["object"] == "model" and card["created"] > 1_600_000_000 and card["owned_by"] == "plan-assistant"
    assert client.get("/v1/models/plan-assistant").json() == card
    question = [{"role": "user", "content": QUESTION}]
    for r in (client.get("/v1/models/gpt-4o"),
              client.post("/v1/chat/completions", json={"model": "gpt-4o", "messages": question}),
              client.post("/v1/chat/completions", json={"model": "gpt-4o", "messages": question, "stream": True})):
        assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")
        error = r.json()["error"]
        assert {k: error[k] for k in MODEL_NOT_FOUND} == MODEL_NOT_FOUND and "'gpt-4o' does not exist" in error["message"]
    r = client.post("/v1/chat/completions", json={"model": "plan-assistant", "messages": question})
    assert r.status_code == 200 and r.json()["model"] == "plan-assistant"


def test_offline_answers_stream_in_lines_and_sentences(client):
    from assistant.api.answering import pieces

    text = "短期借入金の限度額は23億円です [1]。\n\n■ Ⅶ-1 見出し\n・「一文目。二文目。」 [1]\nIt is 2.5 billion. See [2]. Done!"
    assert pieces(text) == ["短期借入金の限度額は23億円です [1]。\n\n", "■ Ⅶ-1 見出し\n", "・「一文目。", "二文目。」 [1]\n",
                            "It is 2.5 billion. ", "See [2]. ", "Done!"]
    assert pieces("") == [] and pieces("一つだけ") == ["一つだけ"]
    events = _events(client.post("/v1/ask/stream", json={"question": QUESTION}).text)
    deltas = [json.loads(data)["text"] for name, data in events if name == "delta"]
    answer = json.loads(events[-2][1])["answer"]
    assert "".join(deltas) == answer and len(deltas) >= _lines(answer) > 3  # a piece per line at least
    assert deltas[0] == "短期借入金の限度額は23億円です [1]。\n\n"  # the first sentence, alone


def test_chat_completions_stream_chunks(client):
    r = client.post("/v1/chat/completions", json={"stream": True, "stream_options": {"include_usage": True},
                                                  "messages": [{"role": "user", "content": QUESTION}]})
    assert r.status_code == 200
    data = [d for _, d in _events(r.text)]
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["usage"]["completion_tokens"] > 0
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert "23億円" in text and "Sources:\n[1]" in text
    bad = client.post("/v1/chat/completions", json={"stream": True, "messages": [{"role": "user", "content": ""}]})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/json")


@pytest.fixture(scope="module")
def live_server(settings):
    """A real uvicorn server in a thread, on a free loopback port."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_langchain_chat_openai_invoke_and_stream(live_server):
    import openai
    from langchain_core.messages import AIMessage, HumanMessage
    from langchain_openai import ChatOpenAI

    model = ChatOpenAI(base_url=f"{live_server}/v1", api_key="x", model="plan-assistant", max_retries=0)
    reply = model.invoke(QUESTION)
    assert "23億円" in reply.content and "Sources:\n[1] Ⅶ-1" in reply.content
    streamed = list(model.stream(QUESTION))
    assert len(streamed) > 3 and "".join(c.content for c in streamed) == reply.content
    alone = model.invoke(FOLLOW_UP)
    follow = model.invoke([HumanMessage(EARLIER), AIMessage("…"), HumanMessage(FOLLOW_UP)])
    assert "Sources:" not in alone.content and "Sources:\n[1]" in follow.content  # the history was used
    with pytest.raises(openai.UnprocessableEntityError, match="the question is empty"):
        model.invoke("   ")


def test_openai_client_lists_models_refuses_unknown_ones_and_streams_in_pieces(live_server):
    import httpx
    import openai

    client = openai.OpenAI(base_url=f"{live_server}/v1", api_key="x", max_retries=0)
    assert [m.id for m in client.models.list()] == ["plan-assistant"]
    assert client.models.retrieve("plan-assistant").owned_by == "plan-assistant"
    question = [{"role": "user", "content": QUESTION}]
    for call in (lambda: client.models.retrieve("gpt-4o"),
                 lambda: client.chat.completions.create(model="gpt-4o", messages=question),
                 lambda: client.chat.completions.create(model="gpt-4o", messages=question, stream=True)):
        with pytest.raises(openai.NotFoundError) as refused:
            call()
        assert (refused.value.code, refused.value.param, refused.value.type) == ("model_not_found", "model",
                                                                                  "invalid_request_error")
    whole = client.chat.completions.create(model="plan-assistant", messages=question)
    content = whole.choices[0].message.content
    assert "23億円" in content and "\n\nSources:\n[1] Ⅶ-1 短期借入金の限度額 (" in content
    stream = client.chat.completions.create(model="plan-assistant", messages=question, stream=True)
    pieces = [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content]
    assert "".join(pieces) == content  # the same answer, exactly
    assert pieces[0] == "短期借入金の限度額は23億円です [1]。\n\n" and len(pieces) >= _lines(content) > 5

    with httpx.stream("POST", f"{live_server}/v1/ask/stream", json={"question": QUESTION}, timeout=30) as r:
        events = _events("".join(r.iter_text()))
    deltas = [json.loads(data)["text"] for name, data in events if name == "delta"]
    answer = json.loads(events[-2][1])["answer"]
    assert "".join(deltas) == answer and deltas[0] == pieces[0] and len(deltas) >= _lines(answer) > 3


def test_concurrent_questions_on_a_live_server(live_server):
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    questions = [QUESTION, "留学生の支援は？", EARLIER, "学生寮の整備は？"] * 2
    with httpx.Client(base_url=live_server, timeout=30) as http, ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda q: http.post("/v1/ask", json={"question": q}), questions))
    assert [r.status_code for r in replies] == [200] * len(questions)
    assert replies[0].json()["answer"] == replies[4].json()["answer"]


# --- the UI mount and the serve command ----------------------------------------------------------

def test_create_app_mounts_the_ui_with_nothing_remote(ui_client, client):
    page = ui_client.get("/ui/")
    assert page.status_code == 200 and "Plan Assistant" in page.text
    loaded = re.findall(r'(?:src|href)="(https?://[^"]+)"', page.text)  # what a browser would fetch
    assert all(u.startswith("http://testserver") for u in loaded), loaded
    config = ui_client.get("/ui/config").text
    assert not [x for x in (page.text, config) if "fonts.googleapis" in x or "fonts.gstatic" in x]
    assert client.get("/ui/").status_code == 404


def test_serve_builds_the_index_and_runs_one_worker(tmp_path, monkeypatch):
    import uvicorn
    from click.testing import CliRunner

    from assistant import cli
    from assistant.api import logs

    plans = tmp_path / "plans"
    shutil.copytree(ROOT / "plans", plans)
    monkeypatch.setenv("PLAN_ASSISTANT_PLANS_DIR", str(plans))
    monkeypatch.setenv("PLAN_ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    ran: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: ran.update(app=app, **kw))
    monkeypatch.setattr(logs, "configure", lambda: None)
    result = CliRunner().invoke(cli.main, ["serve", "--port", "8123", "--no-ui"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "CURRENT").exists()  # built before serving
    assert ran["port"] == 8123 and ran["host"] == "127.0.0.1" and ran.get("workers", 1) == 1
    assert ran["app"].state.settings.api_url == "http://127.0.0.1:8123"
    assert not any(getattr(r, "path", "") == "/ui" for r in ran["app"].routes)


# --- no client input gives a 5xx ------------------------------------------------------------------

JUNK_STRINGS = ["", " ", "\x00", "\ud800", "\udfff\ud800", "🙂" * 500, "\u202e\u200b\u0301" * 100, "<script>",
                "a" * 100_000, "あ" * 60_000, "%s%n{0}", "../../etc/passwd", "\n" * 5000, "ｱｲｳ" * 10, "NaN"]
JUNK_VALUES = [None, 0, -1, 1.5, True, [], {}, [None], {"a": 1}, "x" * 10, 10**30, float("inf")]


def _ask_payloads():
    for s in JUNK_STRINGS:
        yield {"question": s}
        yield {"question": QUESTION, "history": [{"role": "user", "content": s}]}
        yield {"question": QUESTION, "history": [{"role": "assistant", "content": s}]}
        yield {"question": QUESTION, "documents": [s]}
        yield {"question": QUESTION, "language": s}
        yield {"question": s, "history": [{"role": "user", "content": "留学生の支援は？"}]}
    for v in JUNK_VALUES:
        for field in ("question", "history", "language", "documents", "top_k"):
            yield {"question": QUESTION, field: v}
        yield {"question": QUESTION, "history": [v]}
        yield {"question": QUESTION, "history": [{"role": v, "content": "x"}]}
        yield {"question": QUESTION, "history": [{"role": "user", "content": v}]}
        yield {"question": QUESTION, "extra": v}
    yield {"question": QUESTION, "history": [{"role": "user", "content": "x"}] * 101}
    yield {"question": QUESTION, "documents": ["ynu-midterm-2004"] * 51}


def _chat_payloads():
    for s in JUNK_STRINGS:
        yield {"messages": [{"role": "user", "content": s}]}
        yield {"messages": [{"role": "user", "content": [{"type": "text", "text": s}]}]}
        yield {"messages": [{"role": "user", "content": QUESTION}], "model": s}
        yield {"messages": [{"role": s, "content": QUESTION}]}
    for v in JUNK_VALUES:
        yield {"messages": v}
        yield {"messages": [v]}
        yield {"messages": [{"role": "user", "content": v}]}
        yield {"messages": [{"role": "user", "content": QUESTION}], "stream": v}
        yield {"messages": [{"role": "user", "content": QUESTION}], "stream_options": v}
        yield {"messages": [{"role": "user", "content": [{"type": v, "text": v}]}]}
    yield {"messages": [{"role": "system", "content": "x"}]}
    yield {"messages": [{"role": "tool", "content": None}]}
    yield {"messages": []}


BAD_BODIES = [b"", b"{", b"null", b"[]", b"123", b'"q"', b"\xff\xfe\x00", b'{"question": "\\ud800"}',
              b'{"question": 1e999}', b"[" * 100_000, b'{"question": "a", "question": 2}',
              '{"question": "あ"}'.encode("cp932")]


def test_no_client_input_gets_a_5xx(client, admin):
    loose = TestClient(client.app, raise_server_exceptions=False)  # the app is already started by `client`
    loose_admin = TestClient(admin.app, raise_server_exceptions=False)
    failures: list[str] = []

    def check(response, what: str) -> None:
        if response.status_code >= 500:
            failures.append(f"{what}: {response.status_code} {response.text[:200]}")

    for path in ("/v1/ask", "/v1/ask/stream"):
        for payload in _ask_payloads():
            check(loose.post(path, content=json.dumps(payload), headers={"content-type": "application/json"}),
                  f"{path} {str(payload)[:80]}")
    for payload in _chat_payloads():
        for stream in (False, True):
            body = {**payload, "stream": stream} if isinstance(payload, dict) and "stream" not in payload else payload
            check(loose.post("/v1/chat/completions", content=json.dumps(body),
                             headers={"content-type": "application/json"}), f"chat {str(body)[:80]}")
    for path in ("/v1/ask", "/v1/ask/stream", "/v1/chat/completions"):
        for raw in BAD_BODIES:
            for ctype in ("application/json", "text/plain", "multipart/form-data; boundary=x"):
                check(loose.post(path, content=raw, headers={"content-type": ctype}), f"{path} {raw[:20]!r} {ctype}")
    for s in ["x", "%ED%A0%80", "%FF", "..%2F..%2Fetc", "a" * 5000, "🙂", "%00", "ynu-midterm-2004:", ":", "%3A%3A"]:
        check(loose.get(f"/v1/documents/{s}/outline"), f"outline {s[:20]}")
        check(loose.get(f"/v1/sections/{s}"), f"section {s[:20]}")
        check(loose_admin.delete(f"/v1/documents/{s}", headers=_key()), f"delete {s[:20]}")
    for name in ["", ".", "..", "/", "x.md\x00.pdf", "🙂.md", "a" * 1000 + ".md", "x.PDF", "x.htm"]:
        for data in (b"", b"\x00" * 10, b"%PDF-1.4 junk", b"PK\x03\x04junk"):
            check(loose_admin.post("/v1/documents", files={"file": (name, data)}, headers=_key()),
                  f"upload {name[:20]!r} {data[:10]!r}")
    for raw in BAD_BODIES:
        multipart = {**_key(), "content-type": "multipart/form-data; boundary=x"}
        check(loose_admin.post("/v1/documents", content=raw, headers=multipart), f"upload body {raw[:20]!r}")
        check(loose_admin.post("/v1/documents", data={"file": "not a file"}, headers=_key()), "upload form field")
    for headers in ({"X-API-Key": "\u00e9".encode("latin-1") * 10}, {"X-API-Key": ""}, {"X-Request-ID": b"\xe9" * 100}):
        check(loose_admin.delete("/v1/documents/x", headers=headers), f"headers {headers}")
        check(loose.get("/healthz", headers=headers), f"healthz {headers}")
    for method, path in (("GET", "/v1/ask"), ("PUT", "/v1/documents"), ("GET", "/v1/chat/completions"), ("POST", "/metrics")):
        check(loose.request(method, path), f"{method} {path}")
    assert not failures, "\n".join(failures[:20])
    assert admin.get("/v1/documents").json()["count"] == 2  # nothing junk got in


# --- the published schema says what is answered (issue 19: the gaps the fuzzer found) -----------

def _declares(client, method: str, path: str, status: int, response) -> None:
    """The service's own OpenAPI document declares this status for the operation, with the body sent."""
    from assistant.api.schemas import ErrorOut

    declared = client.get("/openapi.json").json()["paths"][path][method]["responses"]
    assert str(status) in declared, (method, path, status, sorted(declared))
    assert declared[str(status)]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}
    ErrorOut.model_validate(response.json())  # the body is the declared one


def test_malformed_json_is_a_declared_400(client):
    for path in ("/v1/ask", "/v1/ask/stream", "/v1/chat/completions"):
        r = client.post(path, content=b'{"question": ', headers={"content-type": "application/json"})
        assert r.status_code == 400 and "malformed JSON" in _error(r), path
        _declares(client, "post", path, 400, r)
    assert client.post("/v1/ask", content=json.dumps({"question": QUESTION}),
                       headers={"content-type": "application/json"}).json()["found"] is True


def test_an_empty_multipart_upload_is_a_declared_400(admin):
    r = admin.post("/v1/documents", content=b"", headers={**_key(), "content-type": "multipart/form-data"})
    assert r.status_code == 400 and "boundary" in _error(r)
    _declares(admin, "post", "/v1/documents", 400, r)
    r = admin.post("/v1/documents", files={"file": ("penguin-plan.md", NEW_PLAN)}, headers=_key())
    assert r.status_code == 201 and r.json()["document"]["id"] == "penguin-plan"  # a valid form is still taken
    assert admin.delete("/v1/documents/penguin-plan", headers=_key()).status_code == 200


@pytest.mark.parametrize("top_k", [True, False, "3", 2.5])
def test_top_k_is_a_whole_number_not_a_boolean_or_a_string(client, top_k):
    r = client.post("/v1/ask", json={"question": QUESTION, "top_k": top_k})
    assert r.status_code == 422 and "top_k" in _error(r), r.text
    kind = {True: "boolean", False: "boolean", "3": "string"}.get(top_k, "fractional")
    assert kind in _error(r)


def test_whole_numbers_and_real_booleans_are_still_taken(client, monkeypatch):
    seen = _top_ks_searched(client, monkeypatch)
    for top_k in (3, 3.0):  # 3.0 is an integer to JSON Schema
        assert client.post("/v1/ask", json={"question": QUESTION, "top_k": top_k}).json()["found"] is True
    assert seen == [3, 3]
    question = [{"role": "user", "content": QUESTION}]
    r = client.post("/v1/chat/completions", json={"messages": question, "stream": "yes"})
    assert r.status_code == 422 and "stream" in _error(r)
    r = client.post("/v1/chat/completions", json={"messages": question, "stream": True})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream") and "23億円" in r.text


@pytest.mark.parametrize(("path", "body", "where"), [
    ("/v1/ask", {"question": "留学生\ud800"}, "question"),
    ("/v1/ask", {"question": QUESTION, "history": [{"role": "assistant", "content": "\udfff"}]}, "history.0.content"),
    ("/v1/ask", {"question": QUESTION, "documents": ["ynu\ud800"]}, "documents.0"),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": "\ud800"}]}, "messages.0.content"),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": [{"type": "text", "text": "a\udc00"}]}]},
     "messages.0.content.0.text"),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": QUESTION}], "user": "\ud800"}, "user"),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": QUESTION}], "stream_options": {"\ud800": 1}},
     "a field name in stream_options"),
])
def test_lone_surrogates_are_refused_saying_where(client, path, body, where):
    r = client.post(path, content=json.dumps(body), headers={"content-type": "application/json"})  # escaped: \ud800
    assert r.status_code == 422, r.text
    assert f"{where} holds a lone UTF-16 surrogate" in _error(r) and "function-after" not in _error(r)
    _declares(client, "post", path, 422, r)


def test_a_surrogate_pair_is_text(client):
    body = json.dumps({"question": "留学生の支援は？🙂"})  # json.dumps escapes 🙂 as the pair \ud83d\ude42
    assert "\\ud83d\\ude42" in body
    r = client.post("/v1/ask", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["found"] is True and r.json()["standalone"].endswith("🙂")


def test_chat_roles_are_declared_and_a_tool_message_refused_by_them(client):
    message = client.get("/openapi.json").json()["components"]["schemas"]["ChatMessage"]
    assert message["properties"]["role"]["enum"] == ["system", "developer", "user", "assistant"]
    for role in ("tool", "function"):
        r = client.post("/v1/chat/completions", json={"messages": [{"role": role, "content": "x", "tool_call_id": "1"},
                                                                   {"role": "user", "content": QUESTION}]})
        assert r.status_code == 422 and "messages.0.role" in _error(r) and "'assistant'" in _error(r)
        _declares(client, "post", "/v1/chat/completions", 422, r)
    r = client.post("/v1/chat/completions", json={"messages": [{"role": "developer", "content": "be brief"},
                                                               {"role": "user", "content": QUESTION}]})
    assert r.status_code == 200 and "23億円" in r.json()["choices"][0]["message"]["content"]


def test_a_405_allows_every_method_of_its_path(client):
    for method, path, allowed in (("OPTIONS", "/v1/documents", {"GET", "HEAD", "POST"}),
                                  ("PUT", "/v1/documents", {"GET", "HEAD", "POST"}),
                                  ("OPTIONS", "/v1/documents/ynu-midterm-2004", {"DELETE"}),
                                  ("POST", "/v1/documents/ynu-midterm-2004/outline", {"GET", "HEAD"}),
                                  ("GET", "/v1/ask", {"POST"})):
        r = client.request(method, path)
        assert r.status_code == 405, (method, path)
        assert set(r.headers["allow"].split(", ")) == allowed, (method, path, r.headers["allow"])
    assert client.get("/v1/documents").json()["count"] == 2  # and what it allows is served
    assert client.post("/v1/documents", files={"file": ("x.md", NEW_PLAN)}).status_code == 403  # (uploads are off here)


def test_every_error_the_document_declares_has_the_body_sent(client):
    from assistant.api.schemas import ErrorOut

    document = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in document["components"]["schemas"]  # FastAPI's own 422, not what is sent
    errors = {(method, path, status): response for path, operations in document["paths"].items()
              for method, operation in operations.items() for status, response in operation["responses"].items()
              if int(status) >= 400 and path != "/readyz"}  # /readyz answers its 503 as a Readiness
    assert len(errors) > 20 and {response["content"]["application/json"]["schema"]["$ref"]
                                 for response in errors.values()} == {"#/components/schemas/ErrorOut"}
    r = client.get("/v1/sections/no-such:1")
    assert r.status_code == 404 and ErrorOut.model_validate(r.json()).detail == _error(r)
    assert ("get", "/v1/sections/{section_id}", "404") in errors


def test_the_question_limit_published_is_the_one_configured(settings):
    limited = settings.model_copy(update={"max_question_chars": 50})
    with TestClient(create_app(limited)) as c:
        schemas = c.get("/openapi.json").json()["components"]["schemas"]
        assert schemas["AskRequest"]["properties"]["question"]["maxLength"] == 50
        for name in ("Turn", "ChatMessage"):  # a user's turn is a question too; an assistant's may quote more
            assert schemas[name]["then"] == {"properties": {"content": {"maxLength": 50}}}
            assert schemas[name]["if"]["properties"]["role"] == {"const": "user"}
        padded = QUESTION + " " * (50 - len(QUESTION))  # counted as sent, as maxLength counts
        assert c.post("/v1/ask", json={"question": padded}).json()["found"] is True
        r = c.post("/v1/ask", json={"question": padded + " "})
        assert r.status_code == 422 and "the limit is 50" in _error(r)
        r = c.post("/v1/ask", json={"question": QUESTION, "history": [{"role": "user", "content": "x" * 51}]})
        assert r.status_code == 422 and "history[0]" in _error(r)
        assert c.post("/v1/ask", json={"question": QUESTION,
                                       "history": [{"role": "assistant", "content": "x" * 51}]}).status_code == 200
