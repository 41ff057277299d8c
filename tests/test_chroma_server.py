"""Several workers share one index through a `chroma run` server (PersistentClient is per process)."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from assistant.retrieve import Searcher
from index.build import build_index
from index.settings import Settings
from tests.conftest import PLANS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path: Path):
    chroma = Path(sys.executable).with_name("chroma")
    port = free_port()
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("chroma run did not start within 30 s")
    yield port
    proc.terminate()
    proc.wait(timeout=10)


def test_build_and_search_through_a_chroma_server(chroma_server: int, tmp_path: Path):
    plans = tmp_path / "plans"
    shutil.copytree(PLANS, plans)
    settings = Settings(plans_dir=plans, data_dir=tmp_path / "data", chroma_host="127.0.0.1", chroma_port=chroma_server)
    manifest, built = build_index(settings, progress=False)
    assert built
    assert not (tmp_path / "data" / "builds" / f"{manifest.collection.removeprefix('plan-assistant-')}" / "chroma").exists()
    first, second = Searcher(settings), Searcher(settings)  # two workers, one store
    for searcher in (first, second):
        _, hits = searcher.search("短期借入金の限度額")
        assert hits[0].label == "Ⅶ-1"
