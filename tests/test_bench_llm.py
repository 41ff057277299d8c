"""The pure helpers of eval/bench_llm.py (the benchmark itself needs a model server: `make bench-llm`)."""

from assistant.citation import Answer
from eval.bench_llm import MISQUOTED, chat_format_served, flagged, outcome, sample, server_timings
from eval.retrieval import Question


def _q(pair: str, lang: str, kind: str = "fact") -> Question:
    sections = () if kind == "unanswerable" else ("Ⅰ-1",)
    return Question(f"{pair}-{lang}", pair, lang, None, f"{pair} {lang}?", sections, None if not sections else "x", kind)


QUESTIONS = ([_q(f"a{n:02}", lang) for n in range(30) for lang in ("en", "ja")]
             + [_q(f"u{n:02}", lang, "unanswerable") for n in range(8) for lang in ("ja", "en")]
             + [_q("lone", "ja")])  # no English twin: never chosen


def test_the_sample_is_fixed_whole_pairs_of_each_kind():
    chosen = sample(QUESTIONS, pairs=10, unanswerable_pairs=2)
    assert chosen == sample(list(reversed(QUESTIONS)), pairs=10, unanswerable_pairs=2)  # the file's order does not matter
    assert [q.lang for q in chosen] == ["ja", "en"] * 12  # pair by pair, Japanese first
    assert sum(q.type == "unanswerable" for q in chosen) == 4 and "lone" not in {q.pair for q in chosen}
    assert chosen != sample(QUESTIONS, pairs=10, unanswerable_pairs=2, seed=18)
    # appending pairs keeps the ones chosen unless a new one ranks before them
    more = sample(QUESTIONS + [_q("zz", "ja"), _q("zz", "en")], pairs=10, unanswerable_pairs=2)
    assert len(set(q.id for q in more) - set(q.id for q in chosen)) <= 2


def test_a_limit_keeps_both_kinds_and_both_languages():
    chosen = sample(QUESTIONS, pairs=10, unanswerable_pairs=2, limit=12)
    assert len(chosen) == 12 and {q.lang for q in chosen} == {"ja", "en"}
    assert any(q.type == "unanswerable" for q in chosen) and any(q.type != "unanswerable" for q in chosen)


def _answer(answerer: str = "offline", notes: tuple[str, ...] = ()) -> Answer:
    return Answer("q", "q", "ja", True, "text", answerer=answerer, notes=list(notes))


def test_who_wrote_the_answer():
    assert outcome(_answer("llm:gemma")) == "llm"
    assert outcome(_answer(notes=("The language model did not answer (APITimeoutError); this is the offline answer.",))) == "fallback"
    assert outcome(_answer(notes=("言語モデルが応答しなかったため（ReadTimeout）、オフラインの回答を示します。",))) == "fallback"
    assert outcome(_answer()) == "offline"


def test_flagged_sentences_are_counted_past_the_listed_few():
    notes = [f"{MISQUOTED}: 「a」 [1]", f"{MISQUOTED}: 「b」 [2]", f"{MISQUOTED}: 「c」 [1]", f"{MISQUOTED}: 7 more",
             "unsupported: something", "removed marker(s) naming no source: [9]"]
    assert flagged(notes, MISQUOTED) == 10 and flagged(notes, "unsupported") == 1 and flagged([], MISQUOTED) == 0


def test_server_timings_read_llama_cpp_lines():
    log = """Llama.generate: 8 prefix-match hit, remaining 2122 prompt tokens to eval
llama_perf_context_print: prompt eval time =    4395.00 ms /  2122 tokens (    2.07 ms per token,   482.82 tokens per second)
llama_perf_context_print:        eval time =   34971.85 ms /   799 runs   (   43.77 ms per token,    22.85 tokens per second)
llama_perf_context_print:       total time =   49973.29 ms /  2921 tokens
"""
    assert server_timings(log) == [{"prompt_tokens": 2122, "prompt_ms": 4395.0, "generated_tokens": 800,
                                    "generated_ms": 34971.85}]
    assert server_timings("INFO: no timings here") == []


def test_the_chat_format_the_server_chose():
    assert chat_format_served("...\nUsing fallback chat format: llama-2\n").startswith("llama-2 (the server's fallback")
    assert chat_format_served("Using gguf chat template: {{ bos_token }}...") == "the GGUF's own template"
    assert chat_format_served("") == "the server's choice"
