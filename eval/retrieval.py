"""The retrieval evaluation: our search against the question set, beside a naive pipeline.

A result is relevant when it is one of the question's sections or lies inside one (a section
listed as 別紙-1 is answered by its sub-section too). The naive pipeline is what a LangChain
tutorial builds: RecursiveCharacterTextSplitter over each plan's text, the same embedding
function, Chroma similarity search, and the question as asked; its chunks are judged
relevant when they overlap a relevant section. Both run in the same process on the same
questions, so the report's comparison is like for like.
"""

from __future__ import annotations

import json
import math
import statistics
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import chromadb
from langchain_chroma import Chroma
from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import Embeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.retrieve import Searcher
from index.corpus import Corpus

EVAL_DIR = Path(__file__).resolve().parent
QUESTIONS = EVAL_DIR / "questions.jsonl"
K = 5
METRICS = ("hit@1", "hit@3", "hit@5", "mrr", "ndcg@5")
TOLERANCE = 0.005  # a drop smaller than this is noise of ties, not a regression


@dataclass(frozen=True)
class Question:
    id: str
    pair: str
    lang: str
    document: str | None
    question: str
    sections: tuple[str, ...]
    phrase: str | None
    type: str
    section: str | None = None  # an outline question: the section whose parts are asked ("": the plan's top level)
    children: tuple[str, ...] = ()  # ... and the titles of all its parts, which a complete answer lists

    @property
    def searched(self) -> bool:
        """Whether retrieval is measured on it: an answerable question not answered from the outline."""
        return bool(self.sections) and self.type != "outline"


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    with path.open(encoding="utf-8") as f:
        return [Question(**{**(q := json.loads(line)), "sections": tuple(q["sections"]), "children": tuple(q.get("children", ()))})
                for line in f if line.strip()]


@dataclass
class Outcome:
    """How one question fared in one pipeline: relevance of each rank, and latency."""

    id: str
    relevant: list[bool]
    n_relevant: int
    ms: float

    @property
    def first(self) -> int | None:
        return next((i for i, r in enumerate(self.relevant, start=1) if r), None)


def metrics(outcomes: list[Outcome]) -> dict[str, float]:
    if not outcomes:
        return {m: 0.0 for m in METRICS} | {"questions": 0}
    out: dict[str, float] = {"questions": len(outcomes)}
    for k in (1, 3, 5):
        out[f"hit@{k}"] = sum(1 for o in outcomes if o.first and o.first <= k) / len(outcomes)
    out["mrr"] = sum(1 / o.first for o in outcomes if o.first) / len(outcomes)
    out["ndcg@5"] = sum(_ndcg(o) for o in outcomes) / len(outcomes)
    latencies = sorted(o.ms for o in outcomes)
    out["p50_ms"] = statistics.median(latencies)
    out["p95_ms"] = latencies[min(len(latencies) - 1, math.ceil(0.95 * len(latencies)) - 1)]
    return {k: round(v, 4) for k, v in out.items()}


def _ndcg(o: Outcome) -> float:
    dcg = sum(1 / math.log2(i + 1) for i, r in enumerate(o.relevant[:K], start=1) if r)
    ideal = sum(1 / math.log2(i + 1) for i in range(1, min(o.n_relevant, K) + 1))
    return dcg / ideal if ideal else 0.0


def targets(q: Question, documents: set[str]) -> list[tuple[str, str]]:
    """(document, label) of each answering section; "<document>:<label>" names the other plan."""
    out = []
    for entry in q.sections:
        doc, sep, label = entry.partition(":")
        out.append((doc, label) if sep and doc in documents else (q.document or "", entry))
    return out


def relevant_spans(corpus: Corpus, q: Question) -> list[tuple[str, int, int]]:
    """Document and (start, end) of each answering section's whole subtree (an outline question's:
    the section whose parts it asks, or the whole plan for its top level). A label the parsed
    outline lacks (a held-out plan parsed otherwise than its expected outline) answers nothing."""
    if getattr(q, "children", ()) and not q.section:
        return [(q.document or "", 0, len(corpus.document(q.document or "").text))]
    out = []
    entries = [(q.document or "", q.section)] if getattr(q, "children", ()) else targets(q, {d.id for d in corpus.documents})
    for doc_id, label in entries:
        key = unicodedata.normalize("NFKC", label)
        s = next((s for s in corpus.document(doc_id).sections if unicodedata.normalize("NFKC", s.label) == key), None)
        if s is not None:
            out.append((doc_id, s.span.start, s.end))
    return out


def run_ours(searcher: Searcher, corpus: Corpus, questions: list[Question]) -> dict[str, Outcome]:
    results = {}
    for q in questions:
        started = time.perf_counter()
        _, hits = searcher.search(q.question, K)
        ms = (time.perf_counter() - started) * 1000
        spans = relevant_spans(corpus, q)
        flags = []
        for h in hits:
            start = corpus.document(h.document_id).section(h.section_id).span.start
            flags.append(any(doc == h.document_id and a <= start < b for doc, a, b in spans))
        results[q.id] = Outcome(q.id, flags, len(spans), ms)
    return results


class _LangChainEmbeddings(Embeddings):
    """Our Chroma embedding function, as LangChain's Embeddings interface."""

    def __init__(self, ef: Callable[[list[str]], Any]) -> None:
        self.ef = ef

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [list(map(float, v)) for v in self.ef(texts)]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def run_naive(corpus: Corpus, ef: Callable[[list[str]], Any], questions: list[Question]) -> dict[str, Outcome]:
    splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50, add_start_index=True)
    docs = splitter.split_documents(
        [LCDocument(page_content=d.text, metadata={"document_id": d.id}) for d in corpus.documents]
    )
    store = Chroma.from_documents(
        docs,
        _LangChainEmbeddings(ef),
        client=chromadb.EphemeralClient(),
        collection_name="naive-baseline",
        collection_metadata={"hnsw:space": "cosine"},
    )
    results = {}
    for q in questions:
        started = time.perf_counter()
        found = store.similarity_search(q.question, k=K)
        ms = (time.perf_counter() - started) * 1000
        spans = relevant_spans(corpus, q)
        flags = []
        for d in found:
            start = d.metadata["start_index"]
            end = start + len(d.page_content)
            flags.append(any(doc == d.metadata["document_id"] and a < end and start < b for doc, a, b in spans))
        results[q.id] = Outcome(q.id, flags, len(spans), ms)
    store.delete_collection()
    return results


@dataclass
class Report:
    ours: dict[str, dict[str, float]]
    naive: dict[str, dict[str, float]]
    unanswerable_empty: float  # share of unanswerable questions for which our search returned nothing
    passed: list[str]  # answerable question ids with a relevant hit in the top 5 (ours)
    meta: dict[str, Any] = field(default_factory=dict)


def groups(questions: list[Question]) -> dict[str, list[Question]]:
    answerable = [q for q in questions if q.searched]
    out: dict[str, list[Question]] = {"all": answerable}
    for lang in ("ja", "en"):
        out[f"lang={lang}"] = [q for q in answerable if q.lang == lang]
    for doc in sorted({q.document for q in answerable if q.document}):
        out[f"doc={doc}"] = [q for q in answerable if q.document == doc]
    return out


def evaluate(searcher: Searcher, corpus: Corpus, questions: list[Question]) -> Report:
    ours = run_ours(searcher, corpus, questions)
    naive = run_naive(corpus, searcher.embedding, [q for q in questions if q.searched])
    grouped = groups(questions)
    unanswerable = [q for q in questions if not q.sections]
    return Report(
        ours={g: metrics([ours[q.id] for q in qs]) for g, qs in grouped.items()},
        naive={g: metrics([naive[q.id] for q in qs]) for g, qs in grouped.items()},
        unanswerable_empty=round(sum(1 for q in unanswerable if not ours[q.id].relevant) / max(1, len(unanswerable)), 4),
        passed=sorted(q.id for q in grouped["all"] if ours[q.id].first),
        meta={"questions": len(questions), "answerable": len(grouped["all"]), "k": K, "index": searcher.key},
    )


def regressions(report: Report, baseline: dict[str, Any]) -> list[str]:
    """Metrics that fell below the baseline: each one fails the gate."""
    out = []
    for group, values in baseline.get("ours", {}).items():
        for metric in METRICS:
            old, new = values.get(metric), report.ours.get(group, {}).get(metric)
            if old is not None and new is not None and new < old - TOLERANCE:
                out.append(f"{group} {metric}: {new:.3f} < baseline {old:.3f}")
    return out


def lost_questions(report: Report, baseline: dict[str, Any]) -> list[str]:
    """Questions found in the top 5 in the baseline and not now (named in the report)."""
    return sorted(set(baseline.get("passed", [])) - set(report.passed))


def markdown(report: Report, problems: list[str], lost: list[str] = ()) -> str:
    lines = [
        "# Retrieval evaluation",
        "",
        f"{report.meta['questions']} questions ({report.meta['answerable']} answerable), top {K}, index {report.meta['index']}.",
        "Ours: hybrid BM25 (Sudachi + bigrams) and vectors, glossary for English. "
        "Naive: RecursiveCharacterTextSplitter(500, 50), the same embedding, Chroma similarity search.",
        "",
        "| group | n | hit@1 | hit@3 | hit@5 | MRR | nDCG@5 | p50 ms | naive hit@5 | naive MRR | naive nDCG@5 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for group, m in report.ours.items():
        n = report.naive[group]
        lines.append(
            f"| {group} | {int(m['questions'])} | {m['hit@1']:.3f} | {m['hit@3']:.3f} | {m['hit@5']:.3f} | {m['mrr']:.3f} "
            f"| {m['ndcg@5']:.3f} | {m['p50_ms']:.2f} | {n['hit@5']:.3f} | {n['mrr']:.3f} | {n['ndcg@5']:.3f} |"
        )
    lines += ["", f"Unanswerable questions with no result at all: {report.unanswerable_empty:.1%} "
              "(retrieval alone; saying 'not in the plans' is the answering step's job).", ""]
    lines += ["## Against the baseline", ""] + ([f"- {p}" for p in problems] or ["No metric below the baseline."])
    if lost:
        lines += ["", f"Found in the baseline's top {K}, not now: {', '.join(lost)}"]
    return "\n".join(lines) + "\n"


def to_json(report: Report) -> dict[str, Any]:
    return asdict(report)
