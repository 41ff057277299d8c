"""Chroma as the vector store: embedded by default, a `chroma run` server when configured.

PersistentClient is not safe across processes, so several API workers share one index
through `chromadb.HttpClient` (PLAN_ASSISTANT_CHROMA_HOST). A collection is always opened
with our registered embedding function, never Chroma's downloading default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.config import Settings as ChromaSettings

from index.document import Chunk

BATCH = 256
# A wide search beam: hashed n-gram vectors are spread evenly, where a narrow beam returns
# a different neighbourhood on every process; at the plans' size this search is exact.
HNSW = {"space": "cosine", "ef_construction": 200, "ef_search": 400, "max_neighbors": 32}


def client(path: Path, host: str | None, port: int) -> ClientAPI:
    """A client of the build's store. Close it when done (`close()` or `with`): an embedded
    client holds the store's files, threads and caches until then, even after its folder is
    deleted."""
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if host:
        return chromadb.HttpClient(host=host, port=port, settings=settings)
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


def chunk_metadata(chunk: Chunk) -> dict[str, Any]:
    return {
        "document_id": chunk.document_id,
        "section_id": chunk.section_id,
        "label": chunk.label,
        "kind": chunk.kind,
        "line_start": chunk.span.line_start,
        "line_end": chunk.span.line_end,
    }


def write_collection(
    api: ClientAPI, name: str, ef: EmbeddingFunction[Documents], chunks: list[Chunk], progress: Iterable[int] | None = None
) -> Collection:
    """A fresh collection holding every chunk's index text, vector and citation metadata (the
    collection's embedding function computes the vectors, a batch at a time)."""
    if name in [c.name for c in api.list_collections()]:
        api.delete_collection(name)  # a leftover of an interrupted build of the same key
    collection = api.create_collection(name, embedding_function=ef, configuration={"hnsw": HNSW})
    for start in progress if progress is not None else range(0, len(chunks), BATCH):
        batch = chunks[start : start + BATCH]
        collection.add(
            ids=[c.id for c in batch],
            documents=[c.index_text for c in batch],
            metadatas=[chunk_metadata(c) for c in batch],
        )
    return collection


def open_collection(api: ClientAPI, name: str, ef: EmbeddingFunction[Documents]) -> Collection:
    return api.get_collection(name, embedding_function=ef)


def query(
    collection: Collection, embedding: list[float], k: int, documents: list[str] | None
) -> list[tuple[str, float]]:
    """Ids and cosine similarities of the k nearest chunks, optionally within some documents.

    `k` must not exceed the collection's size: the caller knows it (counting costs a round trip)."""
    if k <= 0:
        return []
    where = {"document_id": {"$in": documents}} if documents else None
    result = collection.query(query_embeddings=[embedding], n_results=k, where=where, include=["distances"])
    return [(i, 1.0 - d) for i, d in zip(result["ids"][0], result["distances"][0])]

