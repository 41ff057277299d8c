"""Exact nearest neighbours in memory, for a collection small enough to scan.

Chroma stores the vectors, and on a large corpus its HNSW index answers the vector search.
But a query through Chroma's bindings costs 1–4 ms of CPU whatever the collection's size,
the largest single cost of an answer on the two plans, while a numpy scan of a few thousand
vectors takes tens of microseconds and is exact (no search beam to tune, the same ranking
in every process). So a searcher reads the vectors back from Chroma once and scans them
while the collection has at most EXACT_MAX chunks; above that it asks Chroma.
"""

from __future__ import annotations

import numpy as np
from chromadb.api.models.Collection import Collection

EXACT_MAX = 20_000  # 80 MB of float32 at 1,024 dimensions; a scan of them costs a few ms


class ExactVectors:
    """The unit vectors of a collection, with the chunk id and document of each row."""

    def __init__(self, ids: list[str], vectors: np.ndarray, documents: list[str]) -> None:
        self.ids = ids
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self.matrix = (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)
        self.documents = np.asarray(documents)

    @classmethod
    def read(cls, collection: Collection) -> ExactVectors:
        got = collection.get(include=["embeddings", "metadatas"])
        metadatas = got["metadatas"] or []
        return cls(list(got["ids"]), np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), -1),
                   [str(m["document_id"]) for m in metadatas])

    def nearest(self, embedding: list[float], k: int, documents: list[str] | None = None) -> list[tuple[str, float]]:
        """Ids and cosine similarities of the k nearest chunks (ties in stored order), as
        `index.store.query` gives them."""
        if k <= 0 or not self.ids:
            return []
        query = np.asarray(embedding, dtype=np.float32)
        length = float(np.linalg.norm(query))
        similarity = self.matrix @ (query / length if length else query)
        rows = np.flatnonzero(np.isin(self.documents, documents)) if documents else np.arange(len(self.ids))
        best = rows[np.argsort(-similarity[rows], kind="stable")[:k]]
        return [(self.ids[i], float(similarity[i])) for i in best]
