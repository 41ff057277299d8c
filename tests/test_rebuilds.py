"""A long-running service does not grow with its rebuilds: a replaced engine (its Chroma
client, files and threads) is closed once the requests that use it end. Counted, not timed:
open files and threads of this process, before and after a fixed number of rebuilds.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.api import create_app
from assistant.api.metrics import Metrics
from assistant.api.service import Service
from tests.test_api import ADMIN_KEY, NEW_PLAN, QUESTION, UNIQUE_WORD, _settings

CYCLES = 30
NEW_DOCUMENT = "penguin-plan"


def _open_files() -> list[str]:
    """What this process's file descriptors point to (one may close while it is listed)."""
    out = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            out.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass
    return out


def _threads() -> int:
    return len(os.listdir("/proc/self/task"))


def _files_in(folder: Path) -> list[str]:
    return [f for f in _open_files() if f.startswith(str(folder))]


@pytest.fixture
def service(tmp_path: Path) -> Service:
    service = Service(_settings(tmp_path), Metrics())
    service.load()
    yield service
    service.close()


def test_a_replaced_engine_stays_open_for_the_request_using_it_and_is_closed_after(service: Service):
    with service.lease() as old:
        build = service.settings.data_dir / "builds" / old.searcher.build
        assert _files_in(build), "an open engine holds its build's Chroma files"
        service.add_plan("penguin-plan.txt", NEW_PLAN)
        assert service.engine is not old and NEW_DOCUMENT in service.engine.searcher.documents
        # The request that took the old engine still searches it, and it still answers.
        _, hits = old.searcher.search(QUESTION)
        assert hits and hits[0].label == "Ⅶ-1" and NEW_DOCUMENT not in old.searcher.documents
        assert _files_in(build)
    assert not _files_in(build), "the last request's end closes the replaced engine"
    new = service.settings.data_dir / "builds" / service.engine.searcher.build
    assert _files_in(new)
    _, hits = service.engine.searcher.search(f"{UNIQUE_WORD}推進室とは？")
    assert hits[0].document_id == NEW_DOCUMENT


def test_an_idle_replaced_engine_is_closed_at_once(service: Service):
    old = service.settings.data_dir / "builds" / service.engine.searcher.build
    service.add_plan("penguin-plan.txt", NEW_PLAN)
    assert not _files_in(old) and service.served.leased == 0
    assert _files_in(service.settings.data_dir / "builds" / service.engine.searcher.build)


def test_upload_and_delete_cycles_leave_open_files_and_threads_as_they_were(tmp_path: Path):
    """CYCLES uploads and deletes through the API (2 × CYCLES rebuilds, a question answered
    between each): the process's open files and threads come back to where they were after
    the first cycle, within a small constant."""
    settings = _settings(tmp_path, admin_key=ADMIN_KEY)
    headers = {"X-API-Key": ADMIN_KEY}

    def cycle() -> None:
        r = client.post("/v1/documents", files={"file": ("penguin-plan.txt", NEW_PLAN, "text/plain")}, headers=headers)
        assert r.status_code == 201, r.text
        answer = client.post("/v1/ask", json={"question": f"{UNIQUE_WORD}推進室とは？"}).json()
        assert answer["found"] and answer["citations"][0]["document_id"] == NEW_DOCUMENT
        assert client.delete(f"/v1/documents/{NEW_DOCUMENT}", headers=headers).status_code == 200
        answer = client.post("/v1/ask", json={"question": QUESTION}).json()
        assert answer["citations"][0]["label"] == "Ⅶ-1"

    with TestClient(create_app(settings)) as client:
        cycle()  # warm: caches filled, the first lazily started threads running
        files, threads = len(_open_files()), _threads()
        for _ in range(CYCLES):
            cycle()
        grown_files, grown_threads = len(_open_files()) - files, _threads() - threads
        builds = settings.data_dir / "builds"
        live = builds / client.app.state.service.engine.searcher.build
        stale = [f for f in _files_in(builds) if not f.startswith(str(live))]
    print(f"after {CYCLES} upload/delete cycles: open files {grown_files:+d}, threads {grown_threads:+d}")
    assert stale == [], "no file of a replaced build is still open"
    assert grown_files <= 5 and grown_threads <= 3
