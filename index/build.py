"""Index builds: keyed by content, written beside the live one, switched in when complete.

A build's key hashes the plan files, the catalog, the chunking settings, the embedding
function and the code and data of this package, so an unchanged corpus is not rebuilt, a
changed embedding never mixes its vectors with the old ones, and a changed parser or
analyzer never serves an index built by the old one. A build is written to `builds/<key>/` (and, on a Chroma server,
a collection named after the key); `manifest.json` is written last, and only then does the
`CURRENT` file switch to it, by an atomic rename. An interrupted build leaves no manifest,
so the index being served stays as it was. Builds into one data folder take turns (a file
lock), so that one never prunes another's folder while it is being written.

A caller may watch a build's stages (`on_stage`, called with each name in STAGES once it is
on disk): the fault tests pause a build there, kill it or fail it, and check that the index
being served never changes until the switch.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from index import store
from index.corpus import Corpus, build_corpus, plan_files
from index.document import Chunk, Span
from index.embed import embedding_function, fingerprint
from index.keyword import KeywordIndex
from index.settings import Settings

PACKAGE = Path(__file__).parent
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
LOCK = "build.lock"
PARALLEL_CHUNKS = 5_000  # from this many chunks, the keyword index is built in a second process
# What a build has written when `on_stage` is called: chunks.jsonl and documents.json; the
# keyword index; the Chroma collection; manifest.json (the CURRENT switch comes next). A large
# corpus writes its keyword index beside the collection, so "keyword" comes after "chroma" there.
STAGES = ("chunks", "keyword", "chroma", "manifest")
OnStage = Callable[[str], None]


class IndexNotReady(Exception):
    """The index is missing or damaged; the message says how to rebuild it."""


@dataclass(frozen=True)
class Manifest:
    key: str
    created: float
    collection: str
    embedding: dict[str, Any]
    report: dict[str, Any]
    seconds: float


def build_key(settings: Settings) -> str:
    ef = embedding_function(settings.embedding_base_url, settings.embedding_model, settings.embedding_dimensions)
    # The store is part of the key: a build's collection lives in one store, embedded or a server.
    store = f"{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else "embedded"
    digest = hashlib.sha256(f"max_tokens {settings.chunk_max_tokens}\nembedding {fingerprint(ef)}\nstore {store}\n".encode())
    catalog = settings.plans_dir / "catalog.toml"
    code = sorted([*PACKAGE.glob("*.py"), *PACKAGE.glob("data/*.tsv")])  # the tokenizer files never change
    inputs = [
        *((f"code/{p.relative_to(PACKAGE)}", p) for p in code),
        *((p.name, p) for p in [*plan_files(settings.plans_dir), *([catalog] if catalog.exists() else [])]),
    ]
    for name, path in inputs:
        digest.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def current_build(data_dir: Path) -> str | None:
    """Name of the live build folder (`<key>-<time>`), from the CURRENT file."""
    try:
        return (data_dir / CURRENT).read_text().strip() or None
    except FileNotFoundError:
        return None


def current_key(data_dir: Path) -> str | None:
    name = current_build(data_dir)
    return name.rsplit("-", 1)[0] if name else None


def collection_name(build: str) -> str:
    return f"plan-assistant-{build}"


def build_index(settings: Settings, force: bool = False, progress: bool = True,
                on_stage: OnStage | None = None) -> tuple[Manifest, bool]:
    """Build (or find up to date) the index; return its manifest and whether it was built now.
    `on_stage(name)` is called as each of the STAGES of a new build is written; what it raises
    fails the build there."""
    key = build_key(settings)
    if not force and (manifest := _up_to_date(settings.data_dir, key)):
        return manifest, False  # no lock taken: a read-only data folder can still be served
    with _one_at_a_time(settings.data_dir):
        if not force and (manifest := _up_to_date(settings.data_dir, key)):
            return manifest, False  # another process built it while this one waited
        return _build(settings, key, progress, on_stage or _unwatched), True


def _up_to_date(data_dir: Path, key: str) -> Manifest | None:
    """The live build's manifest, if the live build is complete and has this key."""
    live = current_build(data_dir)
    if live and current_key(data_dir) == key and (data_dir / "builds" / live / MANIFEST).exists():
        return read_manifest(data_dir / "builds" / live)
    return None


@contextmanager
def _one_at_a_time(data_dir: Path) -> Iterator[None]:
    """Hold the data folder's build lock. Without it, two processes building at once (two
    services starting on a stale index, or `index build` beside an upload) each prune the
    other's unfinished folder: one build fails, or a folder emptied under it is switched in.
    The kernel releases the lock when its holder dies, even by SIGKILL."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / LOCK).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        yield


def _unwatched(stage: str) -> None:
    """The `on_stage` of a build nobody watches."""


def _build(settings: Settings, key: str, progress: bool, on_stage: OnStage) -> Manifest:
    started = time.perf_counter()
    # A folder of its own for every attempt: an interrupted one is never reused (Chroma keeps
    # its files open in-process), only pruned.
    folder = settings.data_dir / "builds" / f"{key}-{time.time_ns()}"
    folder.mkdir(parents=True)
    corpus = build_corpus(settings.plans_dir, settings.chunk_max_tokens)
    _write_corpus(folder, corpus)
    on_stage("chunks")
    with _keyword_index(folder / "keyword", [c.id for c in corpus.chunks], [c.index_text for c in corpus.chunks], on_stage):
        ef = embedding_function(settings.embedding_base_url, settings.embedding_model, settings.embedding_dimensions)
        batches = range(0, len(corpus.chunks), store.BATCH)
        bar = tqdm(batches, desc="embedding", unit="batch", disable=not progress)
        with store.client(folder / "chroma", settings.chroma_host, settings.chroma_port) as api:
            store.write_collection(api, collection_name(folder.name), ef, corpus.chunks, bar)
        on_stage("chroma")
    manifest = Manifest(
        key=key,
        created=time.time(),
        collection=collection_name(folder.name),
        embedding={"name": ef.name(), **ef.get_config()},
        report=corpus.report.as_dict(),
        seconds=round(time.perf_counter() - started, 3),
    )
    (folder / MANIFEST).write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=2), encoding="utf-8")
    on_stage("manifest")
    replaced = current_build(settings.data_dir)
    _switch(settings.data_dir, folder.name)
    _prune(settings, folder.name, replaced)
    return manifest


@contextmanager
def _keyword_index(folder: Path, ids: list[str], texts: list[str], on_stage: OnStage) -> Iterator[None]:
    """Write the keyword index while the body runs (the vectors are written meanwhile). Both
    are CPU-bound Python holding the GIL (Chroma's writes too), so a large corpus's keyword
    index is built in a process of its own, on the other core; a small one's in a fraction of
    the second that process would take to start."""
    if len(ids) < PARALLEL_CHUNKS:
        _save_keyword_index(folder, ids, texts)
        on_stage("keyword")
        yield
        return
    process = multiprocessing.get_context("spawn").Process(target=_save_keyword_index, args=(folder, ids, texts),
                                                           name="keyword-index", daemon=True)
    process.start()
    try:
        yield
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"building the keyword index failed (exit code {process.exitcode})")
        on_stage("keyword")
    finally:
        if process.is_alive():
            process.kill()
            process.join()


def _save_keyword_index(folder: Path, ids: list[str], texts: list[str]) -> None:
    KeywordIndex.build(ids, texts).save(folder)


def _write_corpus(folder: Path, corpus: Corpus) -> None:
    with (folder / "chunks.jsonl").open("w", encoding="utf-8") as f:
        for c in corpus.chunks:
            f.write(json.dumps(asdict(c), ensure_ascii=False) + "\n")
    documents = [
        {"id": d.id, "title": d.title, "title_en": d.title_en, "text": d.text,
         "sections": {s.id: [s.span.start, s.end] for s in d.sections}, "names": d.meta.get("names", []),
         "outline": [[s.id, s.label, s.number, s.title, s.parent_id, s.numbered] for s in d.sections]}
        for d in corpus.documents
    ]
    (folder / "documents.json").write_text(json.dumps(documents, ensure_ascii=False), encoding="utf-8")


def _switch(data_dir: Path, build: str) -> None:
    tmp = data_dir / f"{CURRENT}.{os.getpid()}.tmp"
    tmp.write_text(build + "\n")
    os.replace(tmp, data_dir / CURRENT)


def _prune(settings: Settings, live: str, replaced: str | None) -> None:
    """Keep the live build and the one it replaced (still served by requests that began before
    the switch); drop every other folder, unfinished or not: a build killed after its manifest
    and before its switch was never served, and must not outlive the build that was."""
    builds = [p for p in (settings.data_dir / "builds").iterdir() if p.is_dir()]
    keep = {live, replaced}
    old = [p for p in builds if p.name not in keep]
    for path in old:
        if settings.chroma_host:
            with store.client(path / "chroma", settings.chroma_host, settings.chroma_port) as api:
                if collection_name(path.name) in [c.name for c in api.list_collections()]:
                    api.delete_collection(collection_name(path.name))
        shutil.rmtree(path, ignore_errors=True)


def read_manifest(folder: Path) -> Manifest:
    try:
        return Manifest(**json.loads((folder / MANIFEST).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise IndexNotReady(f"index build {folder.name} is damaged ({exc}): rebuild with `plan-assistant index build --force`") from exc


def live_build(settings: Settings) -> tuple[Path, Manifest]:
    name = current_build(settings.data_dir)
    if name is None:
        raise IndexNotReady(f"no index in {settings.data_dir}: build it with `plan-assistant index build`")
    folder = settings.data_dir / "builds" / name
    return folder, read_manifest(folder)


def read_chunks(folder: Path) -> list[Chunk]:
    try:
        with (folder / "chunks.jsonl").open(encoding="utf-8") as f:
            rows = [json.loads(line) for line in f]
        return [Chunk(**{**r, "path": tuple(r["path"]), "span": Span(**r["span"])}) for r in rows]
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise IndexNotReady(f"chunks of build {folder.name} are damaged ({exc}): rebuild with `plan-assistant index build --force`") from exc


@dataclass(frozen=True)
class Heading:
    """A section as the outline shows it: what a question about the plan's structure is
    answered from (「主な柱は？」 lists the top-level sections' headings)."""

    id: str
    label: str
    number: str
    title: str
    parent: str | None
    numbered: bool
    children: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentText:
    """A plan's text as indexed, where each of its sections (with descendants) stands in it
    (what a citation is checked against), and its outline."""

    id: str
    title: str
    title_en: str
    text: str
    sections: dict[str, tuple[int, int]]
    names: tuple[str, ...] = ()  # what a question may call the plan's institution (catalog)
    outline: dict[str, Heading] = field(default_factory=dict)  # in document order

    @property
    def top(self) -> tuple[str, ...]:
        """The top-level sections, in order."""
        return tuple(h.id for h in self.outline.values() if h.parent is None)

    def path(self, section_id: str) -> tuple[str, ...]:
        """The titles from the top-level section down to `section_id`."""
        titles: list[str] = []
        at: str | None = section_id
        while at is not None:
            titles.append(self.outline[at].title)
            at = self.outline[at].parent
        return tuple(reversed(titles))


def _outline(rows: list[list[Any]]) -> dict[str, Heading]:
    children: dict[str, list[str]] = {}
    for section_id, _, _, _, parent, _ in rows:
        if parent is not None:
            children.setdefault(parent, []).append(section_id)
    return {r[0]: Heading(*r, children=tuple(children.get(r[0], ()))) for r in rows}


def read_documents(folder: Path) -> dict[str, DocumentText]:
    try:
        rows = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
        return {r["id"]: DocumentText(r["id"], r["title"], r["title_en"], r["text"],
                                {k: (a, b) for k, (a, b) in r["sections"].items()}, tuple(r.get("names", ())),
                                _outline(r["outline"]))
                for r in rows}
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise IndexNotReady(f"plan texts of build {folder.name} are damaged ({exc}): rebuild with `plan-assistant index build --force`") from exc


def status(settings: Settings) -> dict[str, Any]:
    """What is being served, and whether the plans changed since it was built."""
    key = build_key(settings)
    try:
        folder, manifest = live_build(settings)
    except IndexNotReady as exc:
        return {"ready": False, "reason": str(exc), "up_to_date": False, "expected_key": key}
    return {
        "ready": True,
        "key": manifest.key,
        "up_to_date": manifest.key == key,
        "built": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(manifest.created)),
        "seconds": manifest.seconds,
        "path": str(folder),
        "collection": manifest.collection,
        "embedding": manifest.embedding,
        "report": manifest.report,
    }


