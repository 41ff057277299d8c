"""Several workers share one index through a `chroma run` server (PersistentClient is per process)."""

import shutil
from pathlib import Path

import pytest

from assistant.retrieve import Searcher
from eval import processes
from index.build import build_index
from index.settings import Settings
from tests.conftest import PLANS


@pytest.fixture
def chroma_server(tmp_path: Path):
    with processes.chroma_server(tmp_path / "server") as port:
        yield port


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
