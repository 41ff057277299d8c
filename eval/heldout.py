"""The held-out evaluation: plans the project has never seen, as a user would upload them.

`eval/heldout/` holds plan documents of other institutions (`plans/`), a hand-checked expected
outline of each (`outlines/`) and questions about them (`questions/`), written blind to the
code and its lexicons (see `eval/heldout/README.md`). Nothing in the code, the lexicons or the
catalog is written from them: they measure how the project does on a new plan.

The held-out plans are indexed beside the bundled ones, with no catalog entry (what is known
of them comes from their text), and the same retrieval and answer measures as the main set
run on their questions. Each plan's parsed outline is compared with its expected one.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.chain import AnswerChain
from assistant.retrieve import Searcher
from eval import answers, retrieval
from eval.retrieval import EVAL_DIR, Question, load_questions
from index.build import build_index
from index.corpus import Corpus, build_corpus
from index.document import Document
from index.settings import Settings

HELDOUT = EVAL_DIR / "heldout"
BASELINE = HELDOUT / "baseline.json"
TOLERANCE = 0.005


def questions() -> list[Question]:
    return [q for path in sorted((HELDOUT / "questions").glob("*.jsonl")) for q in load_questions(path)]


def _key(text: str) -> str:
    """Labels and titles compared as printed, but for width and spacing (（１） = (1))."""
    return "".join(unicodedata.normalize("NFKC", text).split())


@dataclass(frozen=True)
class Agreement:
    """How a parsed outline agrees with the expected one: sections whose label and title both
    match, over the larger of the two outlines (so missing and extra sections both count)."""

    expected: int
    parsed: int
    matched: int
    labels_matched: int
    title: bool  # the document's title was read from its text
    missing: tuple[str, ...]
    extra: tuple[str, ...]

    @property
    def score(self) -> float:
        return round(self.matched / max(self.expected, self.parsed, 1), 4)


def agreement(doc: Document, expected: dict[str, Any]) -> Agreement:
    want = [(_key(s["label"]), _key(s["title"])) for s in expected["sections"]]
    got = [(_key(s.label), _key(s.title)) for s in doc.sections]
    got_labels = {label for label, _ in got}
    want_labels = {label for label, _ in want}
    return Agreement(len(want), len(got), len(set(want) & set(got)), len(want_labels & got_labels),
                     _key(doc.title) == _key(expected["title"]),
                     tuple(label for label, title in want if (label, title) not in set(got)),
                     tuple(label for label, title in got if (label, title) not in set(want)))


def outlines(corpus: Corpus) -> dict[str, Agreement]:
    out = {}
    for path in sorted((HELDOUT / "outlines").glob("*.json")):
        expected = json.loads(path.read_text(encoding="utf-8"))
        out[expected["document"]] = agreement(corpus.document(expected["document"]), expected)
    return out


def corpus_folder(folder: Path) -> Path:
    """The bundled plans (and their catalog) with the held-out plans beside them, uncatalogued."""
    plans = folder / "plans"
    shutil.copytree(EVAL_DIR.parent / "plans", plans)
    for path in sorted((HELDOUT / "plans").iterdir()):
        shutil.copy(path, plans / path.name)
    return plans


def evaluate(settings: Settings | None = None) -> dict[str, Any]:
    """Retrieval, answers and outlines on the held-out set, in an index of its own."""
    with tempfile.TemporaryDirectory() as tmp:
        base = settings or Settings()
        settings = base.model_copy(update={"plans_dir": corpus_folder(Path(tmp)), "data_dir": Path(tmp) / "data"})
        build_index(settings, progress=False)
        corpus = build_corpus(settings.plans_dir, settings.chunk_max_tokens)
        asked = questions()
        with Searcher(settings) as searcher:
            found = retrieval.to_json(retrieval.evaluate(searcher, corpus, asked))
            answered = answers.evaluate(AnswerChain(searcher), corpus, asked, [])
    agreed = outlines(corpus)
    return {
        "retrieval": {"ours": found["ours"], "naive": found["naive"], "passed": found["passed"]},
        "answers": {"groups": answered["groups"], "passed": answered["passed"]},
        "outlines": {doc: {"agreement": a.score, "expected": a.expected, "parsed": a.parsed, "matched": a.matched,
                           "labels_matched": a.labels_matched, "title_from_text": a.title,
                           "missing": list(a.missing), "extra": list(a.extra)} for doc, a in agreed.items()},
        "meta": {"questions": len(asked), "answerable": sum(1 for q in asked if q.sections),
                 "outline": sum(1 for q in asked if q.children),
                 "documents": sorted(agreed)},
    }


# Figures gated against the held-out baseline (higher is better but for answerable_not_found).
GATED = {
    "retrieval": [(g, m) for g in ("lang=ja", "lang=en") for m in ("hit@1", "hit@5", "mrr")],
    "answers": [(g, m) for g in ("lang=ja", "lang=en") for m in ("phrase_in_answer", "answer_lead", "outline_complete",
                                                                 "unanswerable_not_found", "answerable_not_found", "verified_quotes")],
}


def regressions(report: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    out = []
    for part, figures in GATED.items():
        key = "ours" if part == "retrieval" else "groups"
        for group, metric in figures:
            old = baseline.get(part, {}).get(key, {}).get(group, {}).get(metric)
            new = report[part][key].get(group, {}).get(metric)
            if old is None or new is None:
                continue
            worse = new > old + TOLERANCE if metric == "answerable_not_found" else new < old - TOLERANCE
            if worse:
                out.append(f"held-out {part} {group} {metric}: {new:.3f} (baseline {old:.3f})")
    for doc, figures in baseline.get("outlines", {}).items():
        new = report["outlines"].get(doc, {}).get("agreement", 0.0)
        if new < figures["agreement"] - TOLERANCE:
            out.append(f"held-out outline {doc}: agreement {new:.3f} (baseline {figures['agreement']:.3f})")
    return out


def markdown(report: dict[str, Any], main: dict[str, Any] | None, problems: list[str]) -> str:
    """The held-out figures per language, beside the main set's when its results are at hand."""
    lines = ["# Held-out evaluation (plans never seen by the code)", "",
             f"{report['meta']['questions']} questions ({report['meta']['answerable']} answerable) on "
             f"{len(report['meta']['documents'])} plans, indexed beside the bundled ones with no catalog entry.", "",
             "| set | lang | hit@1 | hit@5 | MRR | fact in answer | fact in the lead | outline: every part listed | "
             "unanswerable → not found | answerable → not found |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    sets = [("held-out", report["retrieval"]["ours"], report["answers"]["groups"])]
    if main:  # eval/results/all.json, as `eval all` leaves it
        sets.append(("main", main["ours"], main["answers"]["groups"]))
    for name, found, answered in sets:
        for lang in ("ja", "en"):
            r, a = found[f"lang={lang}"], answered[f"lang={lang}"]
            lines.append(f"| {name} | {lang} | {r['hit@1']:.3f} | {r['hit@5']:.3f} | {r['mrr']:.3f} | "
                         f"{a['phrase_in_answer']:.3f} | {a.get('answer_lead', 0.0):.3f} | {a.get('outline_complete', 0.0):.3f} | "
                         f"{a['unanswerable_not_found']:.3f} | "
                         f"{a['answerable_not_found']:.3f} |")
    lines += ["", "| plan | outline agreement | sections expected / parsed | labels matched | title from text |",
              "| --- | --- | --- | --- | --- |"]
    for doc, o in report["outlines"].items():
        lines.append(f"| {doc} | {o['agreement']:.3f} | {o['expected']} / {o['parsed']} | {o['labels_matched']} | "
                     f"{'yes' if o['title_from_text'] else 'no'} |")
    lines += ["", "## Against the held-out baseline", ""] + ([f"- {p}" for p in problems] or
                                                               ["No metric below the baseline."])
    return "\n".join(lines) + "\n"


LAYER_CHOICES = (("curated",), ("dictionary",), ("curated", "dictionary"), ())


def layers_markdown(reports: dict[str, dict[str, Any]]) -> str:
    """What each lexicon layer adds on the held-out set: the layers alone and together (the
    plans' own names are on in every row)."""
    lines = ["# Lexicon layers on the held-out set (`plan-assistant eval heldout --layers`)", "",
             "| layers | lang | hit@1 | hit@5 | MRR | fact in answer | unanswerable → not found | answerable → not found |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, report in reports.items():
        for lang in ("ja", "en"):
            r, a = report["retrieval"]["ours"][f"lang={lang}"], report["answers"]["groups"][f"lang={lang}"]
            lines.append(f"| {name} | {lang} | {r['hit@1']:.3f} | {r['hit@5']:.3f} | {r['mrr']:.3f} | "
                         f"{a['phrase_in_answer']:.3f} | {a['unanswerable_not_found']:.3f} | {a['answerable_not_found']:.3f} |")
    return "\n".join(lines) + "\n"
