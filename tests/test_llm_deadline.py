"""A misbehaving model never holds an answer past the deadline: a stream that keeps coming (a
model looping on its prompt) is cut at `llm_timeout` and the offline answer is given, with a
note; the tokens it may write are capped; its flagged lines are summarised. Through a real
OpenAI-compatible HTTP server (tests/openai_server.py)."""

import copy
import threading

from assistant.chain import NOTES_LISTED, AnswerChain, Request
from assistant.llm import chat_model
from assistant.retrieve import Searcher
from tests.openai_server import openai_server  # noqa: F401

QUESTION = "短期借入金の限度額はいくら？"  # the offline answer: 23億円, Ⅶ-1


def _chain(searcher: Searcher, server, **settings) -> AnswerChain:
    """A chain whose settings are these, as the service's are (one Settings for the index and the model)."""
    update = {"llm_base_url": server.base_url, "llm_model": "test-model", "llm_timeout": 5.0, **settings}
    configured = copy.copy(searcher)  # the session's index, with these settings
    configured.settings = searcher.settings.model_copy(update=update)
    return AnswerChain(configured, chat_model(configured.settings))


def test_an_endless_stream_is_cut_at_the_deadline_for_the_offline_answer(searcher: Searcher, openai_server):
    openai_server.reply = "<source id=1>ループ</source> "
    openai_server.endless, openai_server.chunk_delay = 30.0, 0.01  # goes on for 30 s, never stalling a read
    events = list(_chain(searcher, openai_server, llm_timeout=1.0).stream(Request(QUESTION)))
    answer = events[-1]["answer"]
    # what the user is given is the offline answer, cited and verified, and the reason
    assert answer.answerer == "offline" and answer.found and "23億円" in answer.text
    assert answer.citations[0].label == "Ⅶ-1" and answer.citations[0].verified
    assert any("still writing after 1 s" in n for n in answer.notes), answer.notes
    streamed = "".join(e["text"] for e in events if e["type"] == "delta")
    assert "ループ" in streamed and streamed.rstrip().endswith(answer.text.rstrip())  # the model's part, then the note and the answer
    # the HTTP stream was closed: the server's write failed instead of going on for ever
    assert openai_server.hung_up.wait(5)


def test_the_request_caps_the_tokens_the_model_may_write(searcher: Searcher, openai_server):
    openai_server.reply = "短期借入金の限度額は23億円です [1]。"
    answer = _chain(searcher, openai_server, llm_max_tokens=123).invoke(Request(QUESTION))
    body = openai_server.requests[-1]
    assert body["max_tokens"] == 123 and body["max_completion_tokens"] == 123  # both names: local servers read the older
    assert answer.answerer == "llm:test-model" and [c.label for c in answer.citations] == ["Ⅶ-1"]


def test_a_model_within_the_deadline_is_not_cut(searcher: Searcher, openai_server):
    openai_server.reply, openai_server.chunk_delay = "限度額は23億円とされています [1]。", 0.01
    answer = _chain(searcher, openai_server, llm_timeout=5.0).invoke(Request(QUESTION))
    assert answer.answerer == "llm:test-model" and answer.text.startswith("限度額は23億円とされています [1]")
    assert not any("still writing" in n for n in answer.notes)


def test_many_unsupported_lines_are_summarised_in_the_notes(searcher: Searcher, openai_server):
    lines = [f"根拠のない文その{n}です。" for n in range(40)]
    openai_server.reply = "限度額は23億円です [1]。\n" + "\n".join(lines)
    answer = _chain(searcher, openai_server).invoke(Request(QUESTION))
    flagged = [n for n in answer.notes if n.startswith("unsupported:")]
    assert len(answer.unsupported) == 40  # every line is still flagged on the answer itself
    assert flagged[:NOTES_LISTED] == [f"unsupported: {line}" for line in lines[:NOTES_LISTED]]
    assert flagged[-1] == f"unsupported: {40 - NOTES_LISTED} more" and len(flagged) == NOTES_LISTED + 1
    assert [c.label for c in answer.citations] == ["Ⅶ-1"]


def test_no_thread_is_left_behind_by_a_cut_stream(searcher: Searcher, openai_server):
    openai_server.reply, openai_server.endless, openai_server.chunk_delay = "…", 30.0, 0.01
    chain = _chain(searcher, openai_server, llm_timeout=0.3)
    chain.invoke(Request(QUESTION))  # warm: the client's pool and the server's first handler
    before = threading.active_count()
    for _ in range(5):
        assert chain.invoke(Request(QUESTION)).answerer == "offline"
    openai_server.stopping.set()  # ends any handler still writing
    assert threading.active_count() <= before + 1
