"""The answer evaluation: what the user reads, judged on the question set.

For every question the whole chain runs (condense, retrieve, answer, verify), as the CLI and
the API run it. Measured: the expected phrase in the answer's text (answerable questions),
the same phrase in its lead (the first sentence: what a reader takes from the answer before the
quotes), citation precision (cited passages inside an answering section), the share of verified
quotes, unanswerable questions answered `found: false` and answerable ones wrongly so,
follow-ups of `conversations.jsonl` resolved (the standalone question finds an answering
section in the top 5), and latency.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.chain import AnswerChain, Request
from assistant.conversation import Turn
from eval.retrieval import EVAL_DIR, K, Question, relevant_spans
from index.corpus import Corpus

CONVERSATIONS = EVAL_DIR / "conversations.jsonl"
# Metrics where lower is better; every other one must not fall below the baseline.
LOWER_IS_BETTER = ("answerable_not_found", "p50_ms", "p95_ms")
GATED = ("phrase_in_answer", "answer_lead", "outline_complete", "citation_precision", "verified_quotes",
         "unanswerable_not_found", "answerable_not_found", "followups_resolved")
TOLERANCE = 0.005


@dataclass(frozen=True)
class Conversation:
    id: str
    pair: str
    lang: str
    document: str | None
    history: tuple[str, ...]
    question: str
    sections: tuple[str, ...]
    phrase: str | None


def load_conversations(path: Path = CONVERSATIONS) -> list[Conversation]:
    with path.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [Conversation(**{**r, "history": tuple(r["history"]), "sections": tuple(r["sections"])}) for r in rows]


@dataclass
class Outcome:
    id: str
    lang: str
    answerable: bool
    found: bool
    phrase: bool  # the expected phrase is in the answer (answerable questions)
    lead: bool  # ... in its first sentence
    cited: int
    cited_relevant: int
    citations: int  # citations and related sections shown
    verified: int
    ms: float
    chars: int  # the answer's length: a longer answer holds the phrase more often, so it is shown beside it
    complete: bool | None = None  # an outline question: every part's title is in the answer


def _squash(text: str) -> str:
    return "".join(text.split())


_SENTENCE_END = re.compile(r"。|(?<![0-9])[.!?](?=\s)")  # not 「ターゲット1. 世界…」, a heading's number


def lead(text: str) -> str:
    """An answer's first sentence: its first line, up to the first full stop outside a quote."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    depth = 0  # inside a quote or brackets
    for i, ch in enumerate(line):
        if ch in "「『(（":
            depth += 1
        elif ch in "」』)）":
            depth -= 1
        elif depth <= 0 and _SENTENCE_END.match(line, i):
            return line[: i + 1]
    return line


def judge(chain: AnswerChain, corpus: Corpus, q: Question | Conversation, history: tuple[Turn, ...] = ()) -> Outcome:
    started = time.perf_counter()
    answer = chain.invoke(Request(q.question, history))
    ms = (time.perf_counter() - started) * 1000
    children = getattr(q, "children", ())
    spans = relevant_spans(corpus, q) if q.sections else []
    relevant = [c for c in answer.citations if any(d == c.document_id and a <= c.start < b for d, a, b in spans)]
    shown = answer.citations + answer.related
    phrase = _squash(q.phrase or "")
    text = _squash(answer.text)
    return Outcome(q.id, q.lang, bool(q.sections), answer.found,
                   bool(phrase) and phrase in text, bool(phrase) and phrase in _squash(lead(answer.text)),
                   len(answer.citations), len(relevant), len(shown), sum(c.verified for c in shown), ms, len(answer.text),
                   all(_squash(c) in text for c in children) if children else None)


def resolved(chain: AnswerChain, corpus: Corpus, c: Conversation) -> bool:
    """The follow-up, made standalone from its history, finds an answering section in the top K."""
    history = tuple(Turn("user", h) for h in c.history)
    answer = chain.invoke(Request(c.question, history))
    _, hits = chain.searcher.search(answer.standalone, K, follow_up=c.question)
    spans = relevant_spans(corpus, c)
    return any(d == h.document_id and a <= corpus.document(h.document_id).section(h.section_id).span.start < b
               for h in hits for d, a, b in spans)


def summary(outcomes: list[Outcome], followups: list[bool]) -> dict[str, float]:
    answerable = [o for o in outcomes if o.answerable]
    unanswerable = [o for o in outcomes if not o.answerable]
    outline = [o for o in outcomes if o.complete is not None]
    cited = [o for o in answerable if o.cited]
    shown = sum(o.citations for o in outcomes)
    latencies = sorted(o.ms for o in outcomes)
    out = {
        "questions": len(outcomes),
        "phrase_in_answer": _share(sum(o.phrase for o in answerable), len(answerable)),
        "answer_lead": _share(sum(o.lead for o in answerable), len(answerable)),
        "outline_complete": _share(sum(bool(o.complete) for o in outline), len(outline)),
        "citation_precision": _share(sum(o.cited_relevant / o.cited for o in cited), len(cited)),
        "verified_quotes": _share(sum(o.verified for o in outcomes), shown),
        "unanswerable_not_found": _share(sum(not o.found for o in unanswerable), len(unanswerable)),
        "answerable_not_found": _share(sum(not o.found for o in answerable), len(answerable)),
        "followups_resolved": _share(sum(followups), len(followups)),
        "p50_ms": statistics.median(latencies) if latencies else 0.0,
        "p95_ms": latencies[min(len(latencies) - 1, math.ceil(0.95 * len(latencies)) - 1)] if latencies else 0.0,
        "answer_chars_p50": statistics.median(o.chars for o in answerable) if answerable else 0.0,
    }
    return {k: round(v, 4) for k, v in out.items()}


def _share(part: float, whole: int) -> float:
    return part / whole if whole else 0.0


def evaluate(chain: AnswerChain, corpus: Corpus, questions: list[Question], conversations: list[Conversation]) -> dict[str, Any]:
    outcomes = {q.id: judge(chain, corpus, q) for q in questions}
    followups = {c.id: resolved(chain, corpus, c) for c in conversations}
    report: dict[str, Any] = {"groups": {}}
    for group, langs in (("all", ("ja", "en")), ("lang=ja", ("ja",)), ("lang=en", ("en",))):
        report["groups"][group] = summary([o for o in outcomes.values() if o.lang in langs],
                                          [ok for c, ok in zip(conversations, followups.values()) if c.lang in langs])
    report["passed"] = sorted(i for i, o in outcomes.items() if (o.phrase if o.answerable else not o.found))
    report["followups_passed"] = sorted(i for i, ok in followups.items() if ok)
    report["meta"] = {"questions": len(questions), "conversations": len(conversations), "index": chain.searcher.key,
                      "answerer": "offline" if chain.chat is None else "llm"}
    return report


def regressions(report: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    out = []
    for group, values in baseline.get("groups", {}).items():
        for metric in GATED:
            old, new = values.get(metric), report["groups"].get(group, {}).get(metric)
            if old is None or new is None:
                continue
            worse = new > old + TOLERANCE if metric in LOWER_IS_BETTER else new < old - TOLERANCE
            if worse:
                out.append(f"answers {group} {metric}: {new:.3f} (baseline {old:.3f})")
    return out


def lost(report: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    """Questions and follow-ups that passed in the baseline and fail now."""
    return sorted((set(baseline.get("passed", [])) - set(report["passed"]))
                  | (set(baseline.get("followups_passed", [])) - set(report["followups_passed"])))


def markdown(report: dict[str, Any], problems: list[str], lost_ids: list[str]) -> str:
    names = [("phrase_in_answer", "phrase in answer"), ("answer_lead", "phrase in the lead"),
             ("outline_complete", "outline questions: every part listed"),
             ("citation_precision", "citation precision"),
             ("verified_quotes", "verified quotes"), ("unanswerable_not_found", "unanswerable → not found"),
             ("answerable_not_found", "answerable → not found"), ("followups_resolved", "follow-ups resolved"),
             ("p50_ms", "p50 ms"), ("p95_ms", "p95 ms"), ("answer_chars_p50", "answer length p50 (chars)")]
    lines = ["# Answer evaluation", "",
             f"{report['meta']['questions']} questions and {report['meta']['conversations']} follow-ups, "
             f"{report['meta']['answerer']} answerer, index {report['meta']['index']}.", "",
             "| group | " + " | ".join(n for _, n in names) + " |", "| --- " * (len(names) + 1) + "|"]
    for group, m in report["groups"].items():
        lines.append(f"| {group} | " + " | ".join(f"{m[k]:.3f}" if not k.endswith(("_ms", "_p50")) else f"{m[k]:.1f}"
                                                  for k, _ in names) + " |")
    lines += ["", "## Against the baseline", ""] + ([f"- {p}" for p in problems] or ["No metric below the baseline."])
    if lost_ids:
        lines += ["", f"Passed in the baseline, failing now: {', '.join(lost_ids)}"]
    return "\n".join(lines) + "\n"
