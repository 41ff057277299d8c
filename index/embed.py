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
from collections import Counter
from typing import Any

import httpx
import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function


class EmbeddingError(Exception):
    pass


@register_embedding_function
class HashingEmbedding(EmbeddingFunction[Documents]):
    """Signed feature hashing of character 1–3-grams, sublinear tf, L2-normalised."""

    def __init__(self, dimensions: int = 1024) -> None:
        self.dimensions = dimensions

    def __call__(self, input: Documents) -> Embeddings:
        return [self._embed(text) for text in input]

    def _embed(self, text: str) -> np.ndarray:
        norm = "".join(unicodedata.normalize("NFKC", text).lower().split())
        grams: Counter[str] = Counter()
        for n in (1, 2, 3):
            grams.update(norm[i : i + n] for i in range(len(norm) - n + 1))
        vec = np.zeros(self.dimensions, dtype=np.float32)
        for gram, tf in grams.items():
            h = zlib.crc32(gram.encode("utf-8"))
            weight = (1 + math.log(tf)) * (0.5 if len(gram) == 1 else 1.0)
            vec[h % self.dimensions] += weight if h & 0x80000000 else -weight
        length = float(np.linalg.norm(vec))
        return vec / length if length else vec

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
