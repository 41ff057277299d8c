"""Embedding functions for Chroma: an offline default and any OpenAI-compatible endpoint.

No model weights can be downloaded here, so the default needs none: character n-grams of the
NFKC-normalised text, hashed into a fixed-size vector (Japanese has no spaces, and n-grams of
kanji carry most of the meaning that keyword search misses when words are segmented
differently). A real model plugs in through the `/embeddings` API that vLLM, Ollama, TEI and
OpenAI all serve. Both are registered with Chroma, so a reopened collection rebuilds its
function from the stored config instead of falling back to Chroma's downloading default.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import unicodedata
import zlib
from typing import Any

import httpx
import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function


BATCH = 256  # texts counted together: bounds the temporary arrays
CRC_CACHE = 1 << 18  # grams whose crc32 is remembered (a build's; a service's queries add few)


class EmbeddingError(Exception):
    pass


def _tf_weights(tf: np.ndarray) -> np.ndarray:
    """Sublinear tf, 1 + ln(tf): math.log per distinct count, so the float64s are those it gave."""
    values, inverse = np.unique(tf, return_inverse=True)
    return np.array([1 + math.log(v) for v in values.tolist()], dtype=np.float64)[inverse]


@register_embedding_function
class HashingEmbedding(EmbeddingFunction[Documents]):
    """Signed feature hashing of character 1–3-grams, sublinear tf, L2-normalised."""

    def __init__(self, dimensions: int = 1024) -> None:
        self.dimensions = dimensions
        self._crc: dict[tuple[int, int], int] = {}  # (n, gram code) → crc32 of the gram's UTF-8

    def __call__(self, input: Documents) -> Embeddings:
        texts = ["".join(unicodedata.normalize("NFKC", text).lower().split()) for text in input]
        return [v for i in range(0, len(texts), BATCH) for v in self._embed(texts[i : i + BATCH])]

    def _embed(self, texts: list[str]) -> list[np.ndarray]:
        """The texts' vectors, counted with numpy over the whole batch: a Python loop over
        every gram made the build of a large corpus slow. A gram is its code points packed
        into one integer (each < 2**21). Each text's grams are added in the order of their
        first occurrence, 1-grams first, which keeps the float32 sums, and so the vectors,
        those of counting them one by one."""
        joined = "".join(texts)
        lengths = np.array([len(t) for t in texts], dtype=np.int64)
        points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        owner = np.repeat(np.arange(len(texts)), lengths)  # text of each position
        room = np.repeat(np.cumsum(lengths), lengths) - np.arange(len(points))  # positions left in its text
        parts = []
        for n in (1, 2, 3):
            at = np.flatnonzero(room >= n)
            codes = points[at]
            for j in range(1, n):
                codes = (codes << np.uint64(21)) | points[at + j]
            # One row per distinct gram of a text: sorted by text and code; the stable sort
            # leaves a run's first occurrence first.
            order = np.lexsort((codes, owner[at]))
            codes, text, first = codes[order], owner[at][order], at[order]
            new = np.ones(len(codes), dtype=bool)
            new[1:] = (codes[1:] != codes[:-1]) | (text[1:] != text[:-1])
            runs = np.flatnonzero(new)
            tf = np.diff(np.append(runs, len(codes)))
            codes, text, first = codes[runs], text[runs], first[runs]
            vocabulary, where, inverse = np.unique(codes, return_index=True, return_inverse=True)
            crc = np.array(self._hashes(n, joined, vocabulary.tolist(), first[where].tolist()), dtype=np.uint64)
            weight = _tf_weights(tf) * (0.5 if n == 1 else 1.0)
            parts.append((text, np.full(len(text), n), first, crc[inverse], weight))
        text, size, first, crc, weight = (np.concatenate(column) for column in zip(*parts))
        order = np.lexsort((first, size, text))  # per text: 1-grams, 2-grams, 3-grams, each by first occurrence
        weight = weight[order].astype(np.float32)
        crc = crc[order]
        matrix = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        cells = text[order] * self.dimensions + (crc % self.dimensions).astype(np.int64)
        np.add.at(matrix.reshape(-1), cells, np.where(crc & 0x80000000, weight, -weight))
        out = []
        for vec in matrix:
            length = float(np.linalg.norm(vec))
            out.append(vec / length if length else vec.copy())
        return out

    def _hashes(self, n: int, joined: str, codes: list[int], starts: list[int]) -> list[int]:
        """crc32 of each n-gram's UTF-8, remembered across batches (bounded)."""
        if len(self._crc) > CRC_CACHE:
            self._crc.clear()
        out = []
        for code, i in zip(codes, starts):
            h = self._crc.get((n, code))
            if h is None:
                h = self._crc[n, code] = zlib.crc32(joined[i : i + n].encode("utf-8"))
            out.append(h)
        return out

    @staticmethod
    def name() -> str:
        return "plan-assistant-hashing"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"dimensions": self.dimensions}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HashingEmbedding:
        return HashingEmbedding(dimensions=int(config.get("dimensions", 1024)))


@register_embedding_function
class OpenAIEmbedding(EmbeddingFunction[Documents]):
    """Any OpenAI-compatible `/embeddings` endpoint; the key is read from an environment variable."""

    def __init__(self, base_url: str, model: str, api_key_env: str = "PLAN_ASSISTANT_EMBEDDING_API_KEY",
                 timeout: float = 60.0, batch_size: int = 64) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key_env = api_key_env
        self.timeout = timeout
        self.batch_size = batch_size

    def __call__(self, input: Documents) -> Embeddings:
        out: list[list[float]] = []
        key = os.environ.get(self.api_key_env, "")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        with httpx.Client(timeout=self.timeout, headers=headers) as client:
            for i in range(0, len(input), self.batch_size):
                batch = list(input[i : i + self.batch_size])
                try:
                    response = client.post(f"{self.base_url}/embeddings", json={"model": self.model, "input": batch})
                    response.raise_for_status()
                    data = sorted(response.json()["data"], key=lambda d: d["index"])
                except (httpx.HTTPError, KeyError, ValueError) as exc:
                    raise EmbeddingError(f"embeddings endpoint {self.base_url} failed: {exc}") from exc
                out.extend(d["embedding"] for d in data)
        return [np.asarray(v, dtype=np.float32) for v in out]

    @staticmethod
    def name() -> str:
        return "plan-assistant-openai"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "model": self.model, "api_key_env": self.api_key_env}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OpenAIEmbedding:
        return OpenAIEmbedding(config["base_url"], config["model"], config.get("api_key_env", "PLAN_ASSISTANT_EMBEDDING_API_KEY"))


def embedding_function(base_url: str | None, model: str | None, dimensions: int) -> EmbeddingFunction[Documents]:
    """The configured function: an endpoint when one is set, else the offline default."""
    if base_url:
        if not model:
            raise EmbeddingError("PLAN_ASSISTANT_EMBEDDING_MODEL must be set with PLAN_ASSISTANT_EMBEDDING_BASE_URL")
        return OpenAIEmbedding(base_url, model)
    return HashingEmbedding(dimensions)


def fingerprint(ef: EmbeddingFunction[Documents]) -> str:
    """Identifies the vectors an embedding function makes: a change means a new collection."""
    config = json.dumps({"name": ef.name(), **ef.get_config()}, sort_keys=True)
    return hashlib.sha256(config.encode()).hexdigest()[:12]
