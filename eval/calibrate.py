"""The "not in the plans" threshold swept over the question set.

For each share of the question a sentence must hold (`FOUND_COVERAGE` in `assistant.offline`),
per language: the unanswerable questions the offline answerer refuses, and the answerable ones it
wrongly refuses. The threshold is chosen from this table (eval/README.md); run it again after a
change to how questions are read (concepts, glossary, thesaurus), since every coverage moves.
It also shows how far the threshold alone can go: where the two columns cannot be pulled apart,
what remains needs more than term coverage.
"""

from __future__ import annotations

from typing import Any

from assistant.offline import FOUND_COVERAGE, answer_offline
from assistant.retrieve import Searcher
from eval.retrieval import Question

THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(4, 21))  # 0.20 … 1.00


def sweep(searcher: Searcher, questions: list[Question], thresholds: tuple[float, ...] = THRESHOLDS) -> dict[str, Any]:
    """Per language and threshold, the shares refused: each question is searched once and
    answered at every threshold by the answerer itself, so the table is its real decision."""
    refused: dict[str, dict[bool, list[list[bool]]]] = {}
    for q in questions:
        query, hits = searcher.search(q.question)
        row = [not answer_offline(query, hits, searcher.document_texts, searcher.lexicon, threshold=t).found
               for t in thresholds]
        refused.setdefault(q.lang, {True: [], False: []})[bool(q.sections)].append(row)
    table: dict[str, Any] = {}
    for lang, by_kind in sorted(refused.items()):
        table[lang] = {
            "answerable": len(by_kind[True]),
            "unanswerable": len(by_kind[False]),
            "current": FOUND_COVERAGE.get(lang),
            "rows": [{"threshold": t,
                      "unanswerable_not_found": _share([r[i] for r in by_kind[False]]),
                      "answerable_not_found": _share([r[i] for r in by_kind[True]])}
                     for i, t in enumerate(thresholds)],
        }
    return table


def _share(flags: list[bool]) -> float:
    return round(sum(flags) / len(flags), 4) if flags else 0.0


def markdown(table: dict[str, Any]) -> str:
    lines = ["# The 'not in the plans' threshold, swept", "",
             "Share of the question's weight one sentence must hold; refused = answered `found: false`.", ""]
    for lang, t in table.items():
        lines += [f"## {lang} ({t['answerable']} answerable, {t['unanswerable']} unanswerable; now {t['current']})", "",
                  "| threshold | unanswerable refused | answerable wrongly refused |", "| --- | --- | --- |"]
        lines += [f"| {r['threshold']:.2f}{' (now)' if r['threshold'] == t['current'] else ''} "
                  f"| {r['unanswerable_not_found']:.3f} | {r['answerable_not_found']:.3f} |" for r in t["rows"]]
        lines.append("")
    return "\n".join(lines)
