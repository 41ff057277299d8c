"""Keyword search: BM25 over two analyses of the same passages, fused by rank.

The ``terms`` field (Sudachi words, see ``index.analyze.terms``) is precise; the
``bigrams`` field (character pairs) catches passages where Sudachi segments the question
and the passage differently. Their scores are not comparable, so the two rankings are
combined with weighted reciprocal rank fusion (RRF): a passage at rank r in a field gets
``weight / (rrf_k + r)``, summed over fields. Terms weigh more than bigrams.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

import bm25s
import numpy as np

from index.analyze import ANALYZER_VERSION, SUDACHI_DICT, SUDACHI_MODE, bigrams, terms

FORMAT = "plan-assistant/keyword-index"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
IDS_FILE = "ids.json"
FIELDS = ("terms", "bigrams")

TERMS_WEIGHT = 1.0
BIGRAMS_WEIGHT = 0.5
RRF_K = 60
EXPANSION_WEIGHT = 0.5  # words inferred for the query (thesaurus) weigh half its own, as in RM3-style expansion

_ANALYZERS = {"terms": terms, "bigrams": bigrams}
_REBUILD = "rebuild with `plan-assistant index build`"

# bm25s logs at INFO for routine things (empty queries); keep it quiet.
logging.getLogger("bm25s").setLevel(logging.WARNING)


class KeywordIndexError(Exception):
    """The keyword index on disk is missing, incomplete, corrupt or out of date."""


class KeywordIndex:
    """BM25 (bm25s, Lucene variant) over the ``terms`` and ``bigrams`` fields of passages.

    Build with ``KeywordIndex.build(ids, texts)``; ``search`` returns ``(id, score)`` pairs,
    best first, where the score is the fused RRF score (higher is better, > 0).
    """

    def __init__(self, ids: list[str], fields: dict[str, bm25s.BM25 | None]):
        self._ids = ids
        self._fields = fields

    # --- building -------------------------------------------------------------------

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str]) -> KeywordIndex:
        """Index ``texts`` (one passage each) under ``ids`` (unique, same order)."""
        ids = [str(i) for i in ids]
        if len(ids) != len(texts):
            raise ValueError(f"{len(ids)} ids for {len(texts)} texts")
        if len(set(ids)) != len(ids):
            raise ValueError("passage ids must be unique")
        fields = {name: _bm25(map(_ANALYZERS[name], texts)) for name in FIELDS}
        return cls(ids, fields)

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> list[str]:
        return list(self._ids)

    @property
    def vocabulary(self) -> list[str]:
        """The ``terms`` of all passages, each once."""
        bm25 = self._fields.get("terms")
        return list(bm25.vocab_dict) if bm25 is not None else []

    def idf(self, term: str) -> float:
        """BM25 idf of a ``terms`` token over the passages: how much finding it says.

        A term in no passage gets the highest idf, so a question about something the plans
        never mention weighs it fully and counts as unmatched."""
        bm25 = self._fields.get("terms")
        n = len(self._ids)
        column = bm25.vocab_dict.get(term) if bm25 is not None else None
        df = 0 if column is None else int(bm25.scores["indptr"][column + 1] - bm25.scores["indptr"][column])
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    # --- searching ------------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int = 20,
        *,
        expansion: str = "",
        terms_weight: float = TERMS_WEIGHT,
        bigrams_weight: float = BIGRAMS_WEIGHT,
        rrf_k: int = RRF_K,
    ) -> list[tuple[str, float]]:
        """The ``k`` best passages for ``query`` as ``(id, fused score)``, best first.

        ``expansion`` holds words searched besides the query's own (the plan terms a thesaurus
        found for them): inferred, so their BM25 scores count EXPANSION_WEIGHT of the query's.
        Passages matching no query token are never returned, so a query of unknown words
        (or of stopwords only, or empty) gives []. Ties are broken by passage order.
        """
        n = len(self._ids)
        k = min(int(k), n)
        if k <= 0 or not query or not query.strip():
            return []
        fused = np.zeros(n, dtype=np.float64)
        for name, weight in (("terms", terms_weight), ("bigrams", bigrams_weight)):
            bm25 = self._fields.get(name)
            if bm25 is None or weight <= 0:
                continue
            own = _ANALYZERS[name](query)
            seen = set(own)
            extra = [t for t in _ANALYZERS[name](expansion) if t not in seen] if expansion else []
            order = _ranking(bm25, own, extra)
            if order.size:
                fused[order] += weight / (rrf_k + np.arange(1, order.size + 1))
        hits = np.flatnonzero(fused > 0)
        if not hits.size:
            return []
        # Best fused score first; passage order breaks ties (stable sort).
        best = hits[np.argsort(-fused[hits], kind="stable")[:k]]
        return [(self._ids[i], float(fused[i])) for i in best]

    # --- persistence ----------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write the index into ``folder`` (created if needed; earlier index replaced).

        The manifest is written last, so an interrupted save leaves a folder that
        ``load`` rejects instead of a half-written index that loads.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MANIFEST).unlink(missing_ok=True)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "analyzer_version": ANALYZER_VERSION,
            "sudachi": {"dict": SUDACHI_DICT, "mode": SUDACHI_MODE},
            "bm25s_version": getattr(bm25s, "__version__", None),
            "documents": len(self._ids),
            "fields": {},
        }
        (folder / IDS_FILE).write_text(json.dumps(self._ids, ensure_ascii=False), encoding="utf-8")
        for name in FIELDS:
            target = folder / name
            if target.exists():
                shutil.rmtree(target)
            bm25 = self._fields.get(name)
            if bm25 is None:
                manifest["fields"][name] = None
                continue
            bm25.save(str(target))
            manifest["fields"][name] = {"vocabulary": len(bm25.vocab_dict)}
        (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex:
        """Read an index written by ``save``; raises KeywordIndexError if unusable."""
        folder = Path(folder)
        try:
            return cls._load(folder)
        except KeywordIndexError:
            raise
        except Exception as exc:  # corrupt JSON or arrays, missing files, ...
            raise KeywordIndexError(
                f"keyword index in {folder} is unreadable ({type(exc).__name__}: {exc}): {_REBUILD}"
            ) from exc

    @classmethod
    def _load(cls, folder: Path) -> KeywordIndex:
        manifest_path = folder / MANIFEST
        if not manifest_path.is_file():
            raise KeywordIndexError(f"no keyword index in {folder} (missing {MANIFEST}): {_REBUILD}")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise KeywordIndexError(f"{manifest_path} is not a keyword index manifest: {_REBUILD}")
        if manifest.get("format_version") != FORMAT_VERSION or manifest.get("analyzer_version") != ANALYZER_VERSION:
            raise KeywordIndexError(
                f"keyword index in {folder} was built by another version "
                f"(format {manifest.get('format_version')}, analyzer {manifest.get('analyzer_version')}; "
                f"expected {FORMAT_VERSION}, {ANALYZER_VERSION}): {_REBUILD}"
            )
        ids = json.loads((folder / IDS_FILE).read_text(encoding="utf-8"))
        n = manifest["documents"]
        if not isinstance(ids, list) or len(ids) != n or not all(isinstance(i, str) for i in ids):
            raise KeywordIndexError(f"{folder / IDS_FILE} does not match {MANIFEST}: {_REBUILD}")
        fields: dict[str, bm25s.BM25 | None] = {}
        for name in FIELDS:
            info = manifest["fields"][name]
            if info is None:
                fields[name] = None
                continue
            bm25 = bm25s.BM25.load(str(folder / name), mmap=False, load_corpus=False)
            _check_field(bm25, name, n, info["vocabulary"])
            fields[name] = bm25
        return cls(ids, fields)


def _bm25(corpus_tokens: Iterable[list[str]]) -> bm25s.BM25 | None:
    """A bm25s index over token lists, or None if there is nothing to index.

    The vocabulary is built here (first-seen order) and bm25s gets token ids, so no
    tokenizer of bm25s's own is involved. The token lists are consumed one at a time:
    only their ids are kept, which on a large corpus saves most of the build's memory.
    """
    vocab: dict[str, int] = {}
    corpus_ids = [[vocab.setdefault(token, len(vocab)) for token in tokens] for tokens in corpus_tokens]
    if not vocab:
        return None
    bm25 = bm25s.BM25(method="lucene", k1=1.5, b=0.75)
    bm25.index((corpus_ids, vocab), create_empty_token=False, show_progress=False)
    return bm25


def _ranking(bm25: bm25s.BM25, query_tokens: list[str], expansion_tokens: Sequence[str] = ()) -> np.ndarray:
    """Indices of the passages with a positive BM25 score, best first (ties: passage order);
    expansion tokens score EXPANSION_WEIGHT of the query's own."""
    vocab = bm25.vocab_dict
    scores = np.zeros(bm25.scores["num_docs"], dtype=np.float64)
    for tokens, weight in ((query_tokens, 1.0), (expansion_tokens, EXPANSION_WEIGHT)):
        token_ids = list(dict.fromkeys(vocab[t] for t in tokens if t in vocab))
        if token_ids:
            scores += weight * bm25.get_scores_from_ids(token_ids)
    hits = np.flatnonzero(scores > 0)
    return hits[np.argsort(-scores[hits], kind="stable")]


def _check_field(bm25: bm25s.BM25, name: str, documents: int, vocabulary: int) -> None:
    scores = bm25.scores
    indptr, indices, data = scores["indptr"], scores["indices"], scores["data"]
    ok = (
        scores.get("num_docs") == documents
        and len(bm25.vocab_dict) == vocabulary
        and indptr.ndim == 1
        and len(indptr) == vocabulary + 1
        and len(indices) == len(data) == int(indptr[-1])
        and (len(indices) == 0 or (int(indices.min()) >= 0 and int(indices.max()) < documents))
        and max(bm25.vocab_dict.values(), default=-1) < vocabulary
    )
    if not ok:
        raise KeywordIndexError(f"keyword index field {name!r} is inconsistent: {_REBUILD}")
