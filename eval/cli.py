"""`plan-assistant eval …`: quality measured on the evaluation set, a command the project's CLI
loads as a plugin (entry point `plan_assistant.commands`), so that the library never imports eval/."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from index.corpus import build_corpus
from index.settings import Settings

if TYPE_CHECKING:
    from assistant.retrieve import Searcher


@click.group("eval")
def eval_group() -> None:
    """Quality measured on the evaluation set (eval/questions.jsonl)."""


_BASELINE = click.option("--baseline", type=click.Path(path_type=Path), default=None,
                         help="Compare with this stored result (exit 1 on a regression).")
_OUT = click.option("--out", type=click.Path(path_type=Path), default=Path("eval/results"), show_default=True,
                    help="Folder for the JSON results and Markdown reports.")


@eval_group.command("retrieval")
@_BASELINE
@_OUT
def eval_retrieval(baseline: Path | None, out: Path) -> None:
    """hit@1/3/5, MRR and nDCG@5 per language and document, beside a naive LangChain pipeline."""
    _evaluate(("retrieval",), baseline, out)


@eval_group.command("answers")
@_BASELINE
@_OUT
def eval_answers(baseline: Path | None, out: Path) -> None:
    """Expected phrases in answers, citation precision, verified quotes, 'not in the plans', follow-ups, latency."""
    _evaluate(("answers",), baseline, out)


@eval_group.command("all")
@_BASELINE
@_OUT
def eval_all(baseline: Path | None, out: Path) -> None:
    """Retrieval and answers: the regression gate. `all.json` is the new baseline to keep when better."""
    _evaluate(("retrieval", "answers"), baseline, out)


@eval_group.command("heldout")
@click.option("--baseline", type=click.Path(path_type=Path), default=None,
              help="Compare with this stored result, e.g. eval/heldout/baseline.json (exit 1 on a regression).")
@click.option("--layers", is_flag=True, help="Each lexicon layer alone and together (index.lexicon), not gated.")
@_OUT
def eval_heldout(baseline: Path | None, layers: bool, out: Path) -> None:
    """Plans never seen by the code (eval/heldout/): hit@1/5, MRR, fact in answer, not found, outline agreement."""
    from eval import heldout
    from eval.report import write_report

    if layers:
        reports = {" + ".join(("names", *choice)): heldout.evaluate(Settings(lexicons=list(choice)))
                   for choice in heldout.LAYER_CHOICES}
        write_report(out, "layers", reports, heldout.layers_markdown(reports))
        return

    stored = _read_json(baseline) if baseline is not None else {}
    main_results = out / "all.json"
    report = heldout.evaluate(Settings())
    problems = heldout.regressions(report, stored) if stored else []
    main = _read_json(main_results) if main_results.exists() else None
    write_report(out, "heldout", report, heldout.markdown(report, main, problems))
    if problems:
        sys.exit(1)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from None


@eval_group.command("calibrate")
@_OUT
def eval_calibrate(out: Path) -> None:
    """The 'not in the plans' threshold swept: unanswerable questions refused, answerable ones wrongly refused."""
    from eval import calibrate, retrieval
    from eval.report import write_report

    table = calibrate.sweep(_live_searcher(), retrieval.load_questions())
    write_report(out, "calibrate", table, calibrate.markdown(table))


def _live_searcher() -> Searcher:
    """The searcher over the live index, built first if stale."""
    from assistant.retrieve import Searcher
    from index.build import IndexNotReady, build_index

    settings = Settings()
    try:
        build_index(settings, progress=False)
        return Searcher(settings)
    except IndexNotReady as exc:
        raise click.ClickException(str(exc)) from None


def _evaluate(parts: tuple[str, ...], baseline: Path | None, out: Path) -> None:
    """Run the parts on the live index (built first if stale), report, and exit 1 on a regression."""
    from assistant.chain import AnswerChain
    from eval import answers, retrieval
    from eval.report import write_report

    searcher = _live_searcher()
    settings = searcher.settings
    stored = _read_json(baseline) if baseline is not None else {}
    corpus = build_corpus(settings.plans_dir, settings.chunk_max_tokens)
    questions = retrieval.load_questions()
    out.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    combined: dict = {}
    if "retrieval" in parts:
        report = retrieval.evaluate(searcher, corpus, questions)
        found = retrieval.regressions(report, stored) if stored else []
        text = retrieval.markdown(report, found, retrieval.lost_questions(report, stored) if stored else [])
        combined.update(retrieval.to_json(report))
        write_report(out, "retrieval", combined, text)
        problems += found
    if "answers" in parts:
        chain = AnswerChain(searcher)  # the offline default: the gate must not depend on a model
        report = answers.evaluate(chain, corpus, questions, answers.load_conversations())
        old = stored.get("answers", {})
        found = answers.regressions(report, old) if old else []
        text = answers.markdown(report, found, answers.lost(report, old) if old else [])
        combined["answers"] = report
        write_report(out, "answers", report, text)
        problems += found
    if len(parts) > 1:
        (out / "all.json").write_text(json.dumps(combined, ensure_ascii=False, indent=2), encoding="utf-8")
    if problems:
        sys.exit(1)
