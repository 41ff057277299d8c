"""Reliability of the real service and of index builds, without timing: a build held, failed
or killed at each of its stages (`index.build.STAGES`, through its `on_stage` hook) while the
index being served keeps answering, then switched in; builds started together taking turns;
several service processes on one `chroma run` store; memory over a fixed count of requests.

What is checked never depends on how fast this machine is: overlaps are made certain with
events (a build held at a stage, a request held inside its search, a build seen waiting for
the lock), and every wait is for an event or a count, with a deadline only so that a hung
service fails instead of hanging the suite. Speed and soak figures are a benchmark
(`python -m eval.bench_soak`), not a test. Loopback only; every process is killed.
"""

from __future__ import annotations

import asyncio
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from assistant.api import create_app
from assistant.api import service as service_module
from assistant.chain import AnswerChain, Request
from assistant.retrieve import Searcher
from eval.bench_api import _load, _request
from eval.processes import PLAN_ASSISTANT, serve
from eval.retrieval import load_questions
from index.build import CURRENT, LOCK, MANIFEST, STAGES, build_index, current_build
from index.settings import Settings
from tests.conftest import PLANS, ROOT
from tests.loadgen import Load, Reply, failures
from tests.test_api import ADMIN_KEY, NEW_PLAN, QUESTION, UNIQUE_WORD, _settings
from tests.test_chroma_server import chroma_server  # noqa: F401 - a fixture, used by name

NEW_DOCUMENT = "penguin-plan"  # the id NEW_PLAN gets from its file name
UNIQUE_QUESTION = f"{UNIQUE_WORD}推進室とは？"  # only NEW_PLAN answers it
WAIT = 120  # seconds: the deadline of any one wait, far beyond what a step takes
# What each stage has written (and the next stage has not yet)
WRITTEN = {"chunks": "chunks.jsonl", "keyword": "keyword", "chroma": "chroma/chroma.sqlite3", "manifest": MANIFEST}


def _plans(tmp_path: Path) -> Path:
    plans = tmp_path / "plans"
    shutil.copytree(PLANS, plans)
    return plans


def _env(plans: Path, data: Path, **extra: str) -> dict[str, str]:
    """A process's settings; PYTHONPATH makes it run this checkout's code (a scratch worktree's too)."""
    return {"PLAN_ASSISTANT_PLANS_DIR": str(plans), "PLAN_ASSISTANT_DATA_DIR": str(data), "PYTHONPATH": str(ROOT), **extra}


def _answer(client: httpx.Client | TestClient, question: str) -> dict:
    """The reply to `question` (200), without its timings."""
    r = client.post("/v1/ask", json={"question": question})
    assert r.status_code == 200, r.text
    return {k: v for k, v in r.json().items() if k != "timing_ms"}


def _cited(answer: dict) -> set[str]:
    return {c["document_id"] for c in answer["citations"] + answer["related"]}


def _old_answer(answer: dict) -> None:
    """The short-term borrowing limit, from the bundled plan, quoted and verified."""
    first = answer["citations"][0]
    assert answer["found"] and "23億円" in answer["answer"], answer["answer"]
    assert first["label"] == "Ⅶ-1" and "23億円" in first["text"] and first["verified"]


def _new_answer(answer: dict) -> None:
    """The uploaded plan's office, quoted from it: only an index holding it can say this."""
    assert answer["found"] and answer["citations"][0]["document_id"] == NEW_DOCUMENT, answer
    assert any(f"{UNIQUE_WORD}推進室" in c["text"] and c["verified"] for c in answer["citations"]
               if c["document_id"] == NEW_DOCUMENT), answer


class Held:
    """An `on_stage` hook holding a build at every stage until the test lets it go on."""

    def __init__(self) -> None:
        self._reached = {stage: threading.Event() for stage in STAGES}
        self._go = {stage: threading.Event() for stage in STAGES}

    def __call__(self, stage: str) -> None:
        self._reached[stage].set()
        if not self._go[stage].wait(WAIT):
            raise RuntimeError(f"the test never let the build go on from {stage!r}")

    def reached(self, stage: str) -> None:
        assert self._reached[stage].wait(WAIT), f"the build never reached {stage!r}"

    def release(self, stage: str | None = None) -> None:
        """Let the build go on from `stage` (from every stage: None)."""
        for name in [stage] if stage else STAGES:
            self._go[name].set()


class FailsAt:
    """An `on_stage` hook failing the build at `stage`, as a full disk would there; `seen`: the
    stages the build reached."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self.seen: list[str] = []

    def __call__(self, stage: str) -> None:
        self.seen.append(stage)
        if stage == self.stage:
            raise OSError(f"no space left on device, at {stage}")


# --- 1. an upload's rebuild held, failed at each stage ------------------------------------------

def test_an_upload_held_at_each_stage_is_served_the_old_index_then_the_new(tmp_path: Path, monkeypatch):
    """Through the API, an upload whose rebuild is held at each stage in turn: meanwhile CURRENT
    names the old build and the old index answers, with the same answer and citation as before;
    a request still inside the old index's search while the build switches in is answered from
    the old index it started on; once the upload returns, the new index answers from the
    uploaded plan."""
    settings = _settings(tmp_path, admin_key=ADMIN_KEY)
    held, inside, go_on = Held(), threading.Event(), threading.Event()
    monkeypatch.setattr(service_module, "build_index", partial(build_index, on_stage=held))
    uploaded: list[httpx.Response] = []
    across: list[dict] = []
    with TestClient(create_app(settings)) as client:
        service, live = client.app.state.service, current_build(settings.data_dir)
        before = _answer(client, QUESTION)
        _old_answer(before)
        upload = threading.Thread(target=lambda: uploaded.append(client.post(
            "/v1/documents", files={"file": (f"{NEW_DOCUMENT}.md", NEW_PLAN)}, headers={"X-API-Key": ADMIN_KEY})))
        asking = threading.Thread(target=lambda: across.append(_answer(client, QUESTION)))
        upload.start()
        try:
            for stage in STAGES:
                held.reached(stage)
                assert current_build(settings.data_dir) == live
                assert _answer(client, QUESTION) == before
                assert NEW_DOCUMENT not in _cited(_answer(client, UNIQUE_QUESTION))
                if stage != STAGES[-1]:
                    held.release(stage)
            old, search = service.engine, service.engine.searcher.search

            def held_search(*args, **kwargs):
                inside.set()
                if not go_on.wait(WAIT):
                    raise RuntimeError("the test never let the search go on")
                return search(*args, **kwargs)

            monkeypatch.setattr(old.searcher, "search", held_search)
            asking.start()
            assert inside.wait(WAIT), "the request never reached the old index's search"
            held.release(STAGES[-1])  # the build writes CURRENT, the service opens it and switches
            upload.join(WAIT)
            assert [r.status_code for r in uploaded] == [201], uploaded[0].text if uploaded else "no reply"
            assert service.engine is not old and current_build(settings.data_dir) != live
            _new_answer(_answer(client, UNIQUE_QUESTION))
            _old_answer(_answer(client, QUESTION))  # the new index answers what the old one did
        finally:
            held.release()
            go_on.set()
            upload.join(WAIT)
            if asking.ident is not None:
                asking.join(WAIT)
    assert across == [before]  # started on the old index, answered from it after the switch


def test_an_upload_whose_build_fails_at_any_stage_is_undone_and_the_old_index_served(tmp_path: Path, monkeypatch):
    """Through the API, an upload whose rebuild fails at each stage in turn: 500 saying the old
    index is still served; the upload is undone, CURRENT still names the old build and it gives
    the same answer and citation. Then an upload whose build passes is served, and nothing
    half-written is left."""
    settings = _settings(tmp_path, admin_key=ADMIN_KEY)
    plans, builds = settings.plans_dir, settings.data_dir / "builds"
    file, headers = {"file": (f"{NEW_DOCUMENT}.md", NEW_PLAN)}, {"X-API-Key": ADMIN_KEY}
    with TestClient(create_app(settings)) as client:
        live = current_build(settings.data_dir)
        before = _answer(client, QUESTION)
        _old_answer(before)
        for n, stage in enumerate(STAGES):
            fails = FailsAt(stage)
            monkeypatch.setattr(service_module, "build_index", partial(build_index, on_stage=fails))
            r = client.post("/v1/documents", files=file, headers=headers)
            assert r.status_code == 500 and f"at {stage}" in r.json()["detail"], r.text
            assert "previous index is still served" in r.json()["detail"]
            assert fails.seen == list(STAGES[:n + 1])  # the build got that far, and no further
            assert current_build(settings.data_dir) == live and not (plans / f"{NEW_DOCUMENT}.md").exists()
            assert _answer(client, QUESTION) == before
            assert NEW_DOCUMENT not in _cited(_answer(client, UNIQUE_QUESTION))
        monkeypatch.setattr(service_module, "build_index", build_index)
        r = client.post("/v1/documents", files=file, headers=headers)
        assert r.status_code == 201, r.text
        assert current_build(settings.data_dir) != live
        _new_answer(_answer(client, UNIQUE_QUESTION))
    assert all((folder / MANIFEST).exists() for folder in builds.iterdir())  # the failed ones pruned


# --- 2. a build killed at each stage ------------------------------------------------------------

# A build in a process of its own, held at one stage (argv: plans, data, stage): it says so on
# stdout, then waits there for a line on stdin (to go on) or for its SIGKILL.
BUILD_HELD_AT = """
import sys
from pathlib import Path
from index.build import build_index
from index.settings import Settings

def hold(stage):
    if stage == sys.argv[3]:
        print(stage, flush=True)
        sys.stdin.readline()

build_index(Settings(plans_dir=Path(sys.argv[1]), data_dir=Path(sys.argv[2])), force=True, progress=False, on_stage=hold)
"""


@contextmanager
def _build_held_at(plans: Path, data: Path, stage: str, folder: Path) -> Iterator[subprocess.Popen]:
    """A build process, yielded once it is held at `stage`; killed on the way out."""
    log = folder / f"build-{stage}.log"
    with log.open("wb") as err:
        build = subprocess.Popen([sys.executable, "-c", BUILD_HELD_AT, str(plans), str(data), stage],
                                 env={**os.environ, **_env(plans, data)}, cwd=folder, text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
    try:
        ready, _, _ = select.select([build.stdout], [], [], WAIT)
        said = build.stdout.readline().strip() if ready else ""
        assert said == stage, f"the build never reached {stage!r} (exit {build.poll()}): {log.read_text()[-2000:]}"
        yield build
    finally:
        build.kill()
        build.wait(timeout=30)


def _served_answer(settings: Settings, question: str) -> tuple[str, list[tuple[str, str, str]]]:
    """What the live build answers, as a service opening it now would, and the document, label
    and passage of each citation."""
    with Searcher(settings) as searcher:
        answer = AnswerChain(searcher).invoke(Request(question))
    return answer.text, [(c.document_id, c.label, c.passage) for c in answer.citations]


@pytest.mark.parametrize("stage", STAGES)
def test_a_build_killed_at_any_stage_loses_nothing(tmp_path: Path, stage: str):
    """SIGKILL a build (the plans changed since the live one) once it has written `stage`:
    CURRENT still names the live build, which gives the same answer with the same citation,
    before the kill and after; the next build succeeds, is switched in and answers from the new
    plan, and nothing half-written is left."""
    plans, data = _plans(tmp_path), tmp_path / "data"
    settings = Settings(plans_dir=plans, data_dir=data)
    served, _ = build_index(settings, progress=False)
    live = current_build(data)
    before = _served_answer(settings, QUESTION)
    assert "23億円" in before[0] and before[1][0][1] == "Ⅶ-1"
    (plans / f"{NEW_DOCUMENT}.md").write_bytes(NEW_PLAN)
    with _build_held_at(plans, data, stage, tmp_path) as build:
        [killed] = [p for p in (data / "builds").iterdir() if p.name != live]
        later = STAGES[STAGES.index(stage) + 1:]
        assert (killed / WRITTEN[stage]).exists() and not (later and (killed / WRITTEN[later[0]]).exists())
        assert current_build(data) == live and _served_answer(settings, QUESTION) == before
        build.send_signal(signal.SIGKILL)
        assert build.wait(timeout=30) == -signal.SIGKILL
    assert current_build(data) == live and _served_answer(settings, QUESTION) == before
    with Searcher(settings) as searcher:
        assert searcher.key == served.key and NEW_DOCUMENT not in searcher.documents

    manifest, built = build_index(settings, progress=False)
    assert built and manifest.key != served.key and current_build(data) not in (live, killed.name)
    assert all((folder / MANIFEST).exists() for folder in (data / "builds").iterdir())  # nothing half-written
    # kept: the new build and the one it replaced, which requests begun before the switch may still use;
    # the killed build is gone, finished or not: it was never served
    assert sorted(p.name for p in (data / "builds").iterdir()) == sorted((live, current_build(data))) and not killed.exists()
    assert not list(data.glob(f"{CURRENT}.*.tmp"))
    with Searcher(settings) as searcher:
        assert searcher.key == manifest.key and searcher.search(UNIQUE_QUESTION)[1][0].document_id == NEW_DOCUMENT


def _waits_for_the_lock(lock: Path, process: subprocess.Popen) -> None:
    """Until `process` is seen in /proc/locks blocked on `lock` (an flock held by another)."""
    inode = f":{lock.stat().st_ino} "
    deadline = time.monotonic() + WAIT
    while not any(line.split()[1:3] == ["->", "FLOCK"] and line.split()[5] == str(process.pid) and inode in line
                  for line in Path("/proc/locks").read_text().splitlines()):
        assert process.poll() is None, f"the second build ended (exit {process.returncode}) without waiting"
        assert time.monotonic() < deadline, "the second build never waited for the lock"
        time.sleep(0.05)


def test_builds_started_together_take_turns(tmp_path: Path):
    """A `plan-assistant index build --force` started while another build is held mid-way (as
    two services starting on a stale index): it waits for the build lock (seen in /proc/locks)
    and writes nothing meanwhile; once the first goes on, both succeed, one after the other,
    and the live build is complete. Unlocked, the second pruned the first's folder as unfinished."""
    plans, data = _plans(tmp_path), tmp_path / "data"
    with _build_held_at(plans, data, "chunks", tmp_path) as first:
        [held] = (data / "builds").iterdir()
        second = subprocess.Popen([str(PLAN_ASSISTANT), "index", "build", "--force"],
                                  env={**os.environ, **_env(plans, data)}, cwd=tmp_path,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _waits_for_the_lock(data / LOCK, second)
            assert list((data / "builds").iterdir()) == [held] and current_build(data) is None
            first.stdin.write("\n")  # go on
            first.stdin.flush()
            assert first.wait(timeout=WAIT) == 0
            errors = second.communicate(timeout=WAIT)[1].decode(errors="replace")[-2000:]
        finally:
            second.kill()
            second.wait(timeout=30)
    assert second.returncode == 0, errors
    live = data / "builds" / str(current_build(data))
    assert int(live.name.rsplit("-", 1)[1]) > int(held.name.rsplit("-", 1)[1])  # begun once the first ended
    assert (held / MANIFEST).exists()  # the first completed, and is kept as the build before
    assert all((live / name).exists() for name in (MANIFEST, "chunks.jsonl", "documents.json", "keyword", "chroma"))
    assert all((folder / MANIFEST).exists() for folder in (data / "builds").iterdir())  # nothing half-written left
    with Searcher(Settings(plans_dir=plans, data_dir=data)) as searcher:
        assert searcher.search(QUESTION)[1][0].label == "Ⅶ-1"


# --- 3. the real service under load while a build is held, and once it is switched in ----------

def _new(reply: Reply) -> bool:
    """Answered from an index holding the uploaded plan."""
    return NEW_DOCUMENT in reply.documents


def _switched_once(replies: list[Reply]) -> bool:
    """Each client saw the index switch at most once, from the old to the new: never back."""
    for client in {r.client for r in replies}:
        seen = [_new(r) for r in replies if r.client == client]
        if seen != sorted(seen):
            return False
    return True


def _asked_since(load: Load, since: float, count: int) -> None:
    """Until `count` replies to UNIQUE_QUESTION sent from `since` on have come back."""
    deadline = time.monotonic() + WAIT
    while sum(r.question == UNIQUE_QUESTION and r.sent >= since for r in load.replies) < count:
        assert time.monotonic() < deadline, f"fewer than {count} replies within {WAIT} s"
        time.sleep(0.02)


def _until_served(http: httpx.Client, key: str) -> None:
    """Until the service reports the build `key` (it looks for a new one once a second)."""
    deadline = time.monotonic() + WAIT
    while http.get("/readyz").json().get("index") != key:
        assert time.monotonic() < deadline, f"the service never opened the build {key}"
        time.sleep(0.1)


def test_a_service_under_load_answers_from_the_old_index_while_a_build_is_held_then_from_the_new(tmp_path: Path):
    """The real service, 8 clients asking without pause, and a build of changed plans (here, in
    the test's process: another process to the service) held at each stage in turn. Every request
    is answered (200); the ones sent while the build is held come from the old index, with its
    answer and citation; once the service reports the new build, every one comes from the new
    index; and no client sees the old index again after the new one."""
    plans, data = _plans(tmp_path), tmp_path / "data"
    settings = Settings(plans_dir=plans, data_dir=data)
    served, _ = build_index(settings, progress=False)
    held, built = Held(), []
    windows: dict[str, tuple[float, float]] = {}  # stage → (held from, released at)
    build = threading.Thread(target=lambda: built.append(build_index(settings, progress=False, on_stage=held)))
    with serve(_env(plans, data), tmp_path) as [server], \
            Load(server.url, [UNIQUE_QUESTION, QUESTION], clients=8, seconds=10 * WAIT) as load, \
            httpx.Client(base_url=server.url, timeout=WAIT) as http:
        before = _answer(http, QUESTION)
        _old_answer(before)
        (plans / f"{NEW_DOCUMENT}.md").write_bytes(NEW_PLAN)
        build.start()
        try:
            for stage in STAGES:
                held.reached(stage)
                since = time.monotonic()
                _asked_since(load, since, 8)
                assert http.get("/readyz").json()["index"] == served.key
                assert _answer(http, QUESTION) == before
                windows[stage] = (since, time.monotonic())
                held.release(stage)
            build.join(WAIT)
            [(manifest, _)] = built
            _until_served(http, manifest.key)
            opened = time.monotonic()
            _asked_since(load, opened, 8)
            _new_answer(_answer(http, UNIQUE_QUESTION))
        finally:
            held.release()
            build.join(WAIT)
    asked = [r for r in load.replies if r.question == UNIQUE_QUESTION]
    print(f"\n{len(load.replies)} replies from 8 clients, {len(failures(load.replies))} failed")
    assert failures(load.replies) == []
    for stage, (since, released) in windows.items():
        meanwhile = [r for r in asked if since <= r.sent and r.received <= released]
        assert len(meanwhile) >= 8 and not any(map(_new, meanwhile)), stage
    after = [r for r in asked if r.sent >= opened]
    assert len(after) >= 8 and all(map(_new, after))
    assert _switched_once(asked)


def test_a_service_follows_builds_switched_in_elsewhere_and_skips_unopenable_ones(tmp_path: Path):
    """In-process: a build written by someone else (here build_index itself) is opened on the
    next look; a CURRENT naming a build that cannot be opened leaves the engine as it was and
    is not tried again on every request, but is after a while."""
    from assistant.api.metrics import Metrics
    from assistant.api.service import RETRY_SECONDS, Service

    settings = Settings(plans_dir=_plans(tmp_path), data_dir=tmp_path / "data")
    build_index(settings, progress=False)
    service = Service(settings, Metrics())
    service.load()
    first = service.engine.searcher.build
    build_index(settings, force=True, progress=False)
    live = current_build(settings.data_dir)
    assert live != first
    deadline = time.monotonic() + 60
    while service.engine.searcher.build != live:
        assert time.monotonic() < deadline, "the new build was never opened"
        service._checked = 0.0  # no need to wait out the once-a-second look
        service.follow_live_build()
        time.sleep(0.1)
    assert service._lock.acquire(timeout=30)  # the reopen has ended (it closes the engine it replaced)
    service._lock.release()
    (settings.data_dir / CURRENT).write_text("no-such-build-1\n")
    service._checked = 0.0
    service.follow_live_build()
    deadline = time.monotonic() + 30
    while service._unopenable != "no-such-build-1":
        assert time.monotonic() < deadline, "the unopenable build was never tried"
        time.sleep(0.1)
    assert service.engine.searcher.build == live
    assert service._lock.acquire(timeout=10)  # the failed attempt has ended
    service._lock.release()
    tried: list[str] = []
    service._reopen = tried.append  # type: ignore[method-assign]
    service._checked = 0.0
    service.follow_live_build()
    assert tried == [] and service._lock.acquire(blocking=False)  # not tried again
    service._lock.release()
    service._failed -= RETRY_SECONDS  # a while later (the store may have been restarting): tried again
    service._checked = 0.0
    service.follow_live_build()
    assert tried == ["no-such-build-1"]
    service._lock.release()


# --- 4. several service processes on one `chroma run` store --------------------------------------

@pytest.fixture
def two_services(tmp_path: Path, chroma_server: int):  # noqa: F811
    """Two `plan-assistant serve` processes (two ports, admin key set) over one index built on
    one `chroma run` server, and that index's manifest."""
    plans, data = _plans(tmp_path), tmp_path / "data"
    chroma = {"PLAN_ASSISTANT_CHROMA_HOST": "127.0.0.1", "PLAN_ASSISTANT_CHROMA_PORT": str(chroma_server)}
    manifest, _ = build_index(Settings(plans_dir=plans, data_dir=data, chroma_host="127.0.0.1",
                                       chroma_port=chroma_server), progress=False)
    assert not list(data.glob("builds/*/chroma"))  # the vectors are on the server only
    with serve(_env(plans, data, PLAN_ASSISTANT_ADMIN_KEY=ADMIN_KEY, **chroma), tmp_path, processes=2) as servers:
        assert servers[0].process.pid != servers[1].process.pid
        yield servers, manifest


def _answers(url: str, questions: list[str]) -> list[dict]:
    """The replies to `questions`, all 200, without their timings."""
    with httpx.Client(base_url=url, timeout=60) as client:
        return [_answer(client, q) for q in questions]


def test_two_service_processes_share_a_chroma_server(two_services):
    """Both processes serve the same build and give the same answers, citations and scores."""
    servers, manifest = two_services
    questions = [q.question for q in load_questions()[::14]]  # 20, Japanese and English, all documents
    for server in servers:
        assert httpx.get(f"{server.url}/readyz", timeout=10).json()["index"] == manifest.key
    first, second = (_answers(server.url, questions) for server in servers)
    assert first == second
    assert sum(a["found"] for a in first) >= len(questions) // 2  # real answers, not two empty ones


def test_an_upload_to_one_process_is_served_by_the_other(two_services):
    """An upload re-indexes in the process that received it; the other process, sharing the
    data folder and the Chroma server, notices the switched build and answers from it too."""
    (uploaded, other), _ = two_services
    r = httpx.post(f"{uploaded.url}/v1/documents", files={"file": (f"{NEW_DOCUMENT}.md", NEW_PLAN)},
                   headers={"X-API-Key": ADMIN_KEY}, timeout=180)
    assert r.status_code == 201, r.text
    key = r.json()["index"]["key"]
    assert httpx.get(f"{uploaded.url}/readyz", timeout=10).json()["index"] == key
    deadline = time.monotonic() + 60  # a look once a second, then the build opened in the background
    while httpx.get(f"{other.url}/readyz", timeout=10).json().get("index") != key:
        assert time.monotonic() < deadline, "the other process never served the new build"
        time.sleep(0.5)
    assert _answers(other.url, [UNIQUE_QUESTION]) == _answers(uploaded.url, [UNIQUE_QUESTION])


def test_serve_with_two_workers_over_a_chroma_server(tmp_path: Path, chroma_server: int):  # noqa: F811
    """`plan-assistant serve --workers 2` (here PLAN_ASSISTANT_WORKERS=2): two uvicorn worker
    processes under one server process, answering alike on one port."""
    plans, data = _plans(tmp_path), tmp_path / "data"
    chroma = {"PLAN_ASSISTANT_CHROMA_HOST": "127.0.0.1", "PLAN_ASSISTANT_CHROMA_PORT": str(chroma_server)}
    with serve(_env(plans, data, PLAN_ASSISTANT_WORKERS="2", **chroma), tmp_path) as [server]:
        children = [p for p in Path("/proc").glob("[0-9]*")
                    if _parent(p) == server.process.pid and "spawn_main" in _command(p)]  # not the resource tracker
        assert len(children) == 2, [_command(p) for p in children]
        questions = [q.question for q in load_questions()[::28]]
        assert _answers(server.url, questions) == _answers(server.url, questions)


def _parent(proc: Path) -> int | None:
    try:
        return int(next(ln.split()[1] for ln in (proc / "status").read_text().splitlines() if ln.startswith("PPid:")))
    except (OSError, StopIteration):
        return None


def _command(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


# --- 5. memory over a fixed count of requests ----------------------------------------------------

WARM_UP_PASSES, PASSES = 2, 10  # passes over the 280 evaluation questions
RSS_SLACK_MIB = 8


def test_memory_levels_off_over_a_fixed_count_of_requests(tmp_path: Path):
    """The evaluation questions asked WARM_UP_PASSES + PASSES times over 3 connections: every
    request is answered (200), and the service's resident memory over the counted passes stays
    within RSS_SLACK_MIB of what it was after the warm-up (caches filled, allocator arenas grown,
    lazy imports done). Measured: +0.7 MiB over 2,800 requests; a leak of 3 KiB a request goes
    past the bound (checked: 8 KiB kept per request grows it by 18 MiB). The index is built before the
    service starts: a build in the service leaves freed heap that a leak fills unseen."""
    plans, data = _plans(tmp_path), tmp_path / "data"
    build_index(Settings(plans_dir=plans, data_dir=data), progress=False)
    questions = [q.question for q in load_questions()]
    statuses: list[int] = []
    rss_mib: list[float] = []
    with serve(_env(plans, data), tmp_path) as [server]:
        asks = [_request(server.port, "/v1/ask", {"question": q}) for q in questions]
        for _ in range(WARM_UP_PASSES + PASSES):
            results, _ = asyncio.run(_load(server.port, asks, 3))
            statuses += [status for _, status in results]
            rss_mib.append(server.rss_kib() / 1024)
        with httpx.Client(base_url=server.url, timeout=WAIT) as http:
            _old_answer(_answer(http, QUESTION))  # still answering, from the plans
    warm, counted = rss_mib[WARM_UP_PASSES - 1], rss_mib[WARM_UP_PASSES:]
    print(f"\nRSS MiB after each pass of {len(asks)} requests: {' '.join(f'{m:.1f}' for m in rss_mib)}; "
          f"{max(counted) - warm:+.1f} MiB over {PASSES * len(asks)} requests after the warm-up "
          f"(bound +{RSS_SLACK_MIB}: {RSS_SLACK_MIB * 1024 / (PASSES * len(asks)):.1f} KiB a request)")
    assert statuses == [200] * len(asks) * (WARM_UP_PASSES + PASSES)
    assert max(counted) <= warm + RSS_SLACK_MIB
