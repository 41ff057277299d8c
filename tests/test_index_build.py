"""Index builds: keyed on content, switched in only when complete, never mixing vectors."""

import json
import shutil
from pathlib import Path

import pytest

from index import build as build_module
from index import store
from index.build import IndexNotReady, build_index, current_key, live_build, read_chunks, status
from index.embed import HashingEmbedding
from index.settings import Settings
from tests.conftest import PLANS


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    plans = tmp_path / "plans"
    shutil.copytree(PLANS, plans)
    return Settings(plans_dir=plans, data_dir=tmp_path / "data")


def test_build_then_up_to_date_then_rebuilt_on_change(settings: Settings):
    manifest, built = build_index(settings, progress=False)
    assert built and current_key(settings.data_dir) == manifest.key
    assert manifest.report["chunks"] == len(read_chunks(live_build(settings)[0]))
    again, built = build_index(settings, progress=False)
    assert not built and again.key == manifest.key
    plan = settings.plans_dir / "tohoku-international-strategy.txt"
    plan.write_text(plan.read_text(encoding="utf-8") + "\n追記\n", encoding="utf-8")
    assert status(settings)["up_to_date"] is False
    changed, built = build_index(settings, progress=False)
    assert built and changed.key != manifest.key and current_key(settings.data_dir) == changed.key


def test_changed_index_code_is_not_served_an_old_build(settings: Settings, tmp_path: Path, monkeypatch):
    package = tmp_path / "index"
    shutil.copytree(build_module.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__", "tiktoken"))
    monkeypatch.setattr(build_module, "PACKAGE", package)
    before = build_module.build_key(settings)
    sections = package / "sections.py"
    sections.write_text(sections.read_text(encoding="utf-8") + "\n# a parser change\n", encoding="utf-8")
    assert build_module.build_key(settings) != before


def test_changing_the_embedding_makes_a_new_collection(settings: Settings):
    first, _ = build_index(settings, progress=False)
    other = settings.model_copy(update={"embedding_dimensions": 512})
    second, built = build_index(other, progress=False)
    assert built and second.collection != first.collection
    api = store.client(live_build(other)[0] / "chroma", None, 0)
    (collection,) = api.list_collections()
    assert collection.name == second.collection  # the old vectors are not in this collection


def test_a_failed_build_leaves_the_served_index_alone(settings: Settings, monkeypatch):
    good, _ = build_index(settings, progress=False)
    (settings.plans_dir / "new-plan.txt").write_text("新しい計画\n\n1. 項目。\n", encoding="utf-8")

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "write_collection", boom)
    with pytest.raises(RuntimeError):
        build_index(settings, progress=False)
    assert current_key(settings.data_dir) == good.key
    assert status(settings)["ready"] and not status(settings)["up_to_date"]
    monkeypatch.undo()
    fresh, built = build_index(settings, progress=False)
    assert built and fresh.key != good.key and fresh.report["documents"] == 3


def test_reopened_collection_uses_our_embedding_not_a_download(settings: Settings):
    manifest, _ = build_index(settings, progress=False)
    api = store.client(live_build(settings)[0] / "chroma", None, 0)
    collection = api.get_collection(manifest.collection)  # no embedding function passed
    assert isinstance(collection.configuration["embedding_function"], HashingEmbedding)
    result = collection.query(query_texts=["短期借入金の限度額"], n_results=1)
    assert result["metadatas"][0][0]["label"] in {"Ⅶ", "Ⅶ-1"}


def test_missing_or_damaged_index_says_how_to_rebuild(settings: Settings):
    with pytest.raises(IndexNotReady, match="plan-assistant index build"):
        live_build(settings)
    manifest, _ = build_index(settings, progress=False)
    folder, _ = live_build(settings)
    (folder / "chunks.jsonl").write_text("nope\n", encoding="utf-8")
    with pytest.raises(IndexNotReady, match="--force"):
        read_chunks(folder)
    (folder / build_module.MANIFEST).write_text("{broken", encoding="utf-8")
    with pytest.raises(IndexNotReady, match="--force"):
        live_build(settings)


def test_manifest_records_the_report(settings: Settings):
    manifest, _ = build_index(settings, progress=False)
    saved = json.loads((live_build(settings)[0] / "manifest.json").read_text(encoding="utf-8"))
    assert saved["report"]["repairs"] == {"roman-numeral": 13, "circled-number": 55, "square-metre": 1}
    assert saved["embedding"] == {"name": "plan-assistant-hashing", "dimensions": 1024}


def test_damaged_keyword_index_or_collection_says_how_to_rebuild(settings: Settings):
    from assistant.retrieve import Searcher

    build_index(settings, progress=False)
    folder, manifest = live_build(settings)
    shutil.rmtree(folder / "keyword")
    with pytest.raises(IndexNotReady, match="index build --force"):
        Searcher(settings)


def test_a_large_corpus_builds_its_keyword_index_in_a_second_process(settings: Settings, monkeypatch):
    """From PARALLEL_CHUNKS chunks the keyword index is written by another process while the
    vectors are written: the same index as one built in-process."""
    inline, _ = build_index(settings, progress=False)
    inline_folder = live_build(settings)[0]
    monkeypatch.setattr(build_module, "PARALLEL_CHUNKS", 1)
    started = []
    spawn = build_module.multiprocessing.get_context("spawn").Process.start
    monkeypatch.setattr(build_module.multiprocessing.get_context("spawn").Process, "start",
                        lambda self: (started.append(self.name), spawn(self))[1])
    parallel, built = build_index(settings, force=True, progress=False)
    folder = live_build(settings)[0]
    assert built and started == ["keyword-index"] and folder != inline_folder
    for name in ("ids.json", "manifest.json"):
        assert (folder / "keyword" / name).read_bytes() == (inline_folder / "keyword" / name).read_bytes()
    from assistant.retrieve import Searcher

    _, hits = Searcher(settings).search("短期借入金の限度額")
    assert hits[0].label == "Ⅶ-1"


def test_a_failed_keyword_process_fails_the_build_and_switches_nothing(settings: Settings, monkeypatch):
    served, _ = build_index(settings, progress=False)
    monkeypatch.setattr(build_module, "PARALLEL_CHUNKS", 1)
    monkeypatch.setattr(build_module, "_save_keyword_index", _exit_with_failure)
    with pytest.raises(RuntimeError, match="keyword index failed"):
        build_index(settings, force=True, progress=False)
    assert current_key(settings.data_dir) == served.key


def _exit_with_failure(folder, ids, texts) -> None:
    raise SystemExit(3)
