"""Running the chain for a request: validation first, then events, then the wire format.

Shared by /v1/ask, /v1/ask/stream and /v1/chat/completions. The first event is pulled
before a response starts, so a bad question is a 4xx JSON error, never a broken stream.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Iterator
from typing import Any

from fastapi import HTTPException, status

from assistant.api import schemas
from assistant.api.logs import log
from assistant.api.service import Engine
from assistant.chain import Request
from assistant.citation import Answer, Citation, context
from assistant.conversation import Turn
from assistant.question import QueryError
from index.settings import Settings


def make_request(settings: Settings, engine: Engine, question: str, history: list[tuple[str, str]],
                 language: str = "auto", documents: list[str] | None = None, top_k: int | None = None) -> Request:
    """The chain's request, checked where the chain cannot be asked to: lengths before any
    analysis (the morphological analyzer refuses very long input), documents against the index."""
    limit = settings.max_question_chars  # counted as sent, as the published schema's maxLength counts
    if len(question) > limit:
        _invalid(f"the question is {len(question)} characters long; the limit is {limit}")
    if not question.strip():
        _invalid("the question is empty")
    for n, (role, content) in enumerate(history):
        if role == "user" and len(content) > limit:
            _invalid(f"history[{n}]: the question is {len(content)} characters long; the limit is {limit}")
    unknown = sorted(set(documents or ()) - set(engine.searcher.documents))
    if unknown:
        _invalid(f"unknown document(s): {', '.join(unknown)} (known: {', '.join(engine.searcher.documents)})")
    if settings.log_questions:
        log.info("question: %r (history %d turns, documents %s)", question, len(history), documents or "all")
    else:
        log.debug("question of %d characters (history %d turns)", len(question), len(history))
    return Request(question, tuple(Turn(r, c) for r, c in history), None if language == "auto" else language,
                   tuple(dict.fromkeys(documents or ())), top_k)


def start(engine: Engine, request: Request) -> Iterator[dict[str, Any]]:
    """The chain's events, the first one already computed (it runs the search): a QueryError
    surfaces here as a 422, before anything is sent. Deltas come in `pieces`."""
    events = _in_pieces(engine.chain.stream(request))
    try:
        first = next(events)
    except QueryError as exc:
        _invalid(str(exc))
    return itertools.chain([first], events)


# After a line's end, or a sentence's (not inside 「…。」, not before the line's end): where a
# composed answer is cut for streaming. Zero-width, so the pieces are the text.
_PIECE_END = re.compile(r"(?<=\n)(?!\n)|(?<=[。！？])(?![\s」』）)\]。！？])|(?<=[.!?] )(?!\s)")


def pieces(text: str) -> list[str]:
    """A delta cut after each of its lines and sentences: the offline answer is composed whole,
    and a client should still see it arrive in steps, the first sentence first. Joined, the
    pieces are the text exactly; a model's tokens rarely hold more than one."""
    return [piece for piece in _PIECE_END.split(text) if piece]


def _in_pieces(events: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for event in events:
        if event["type"] != "delta":
            yield event
            continue
        for piece in pieces(event["text"]):
            yield {"type": "delta", "text": piece}


def _invalid(message: str) -> None:
    raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, message)


def citation_out(c: Citation) -> schemas.CitationOut:
    return schemas.CitationOut(
        marker=f"[{c.marker}]", document_id=c.document_id, document_title=c.document_title, section_id=c.section_id,
        label=c.label, path=list(c.path), heading=c.heading,
        context=context(c.label, c.path), text=c.passage, line_start=c.line_start, line_end=c.line_end,
        score=c.score, verified=c.verified, rows=list(c.rows),
    )


def answer_out(answer: Answer, timing_ms: dict[str, float]) -> schemas.AskResponse:
    return schemas.AskResponse(
        answer=answer.text, language=answer.language, found=answer.found,
        citations=[citation_out(c) for c in answer.citations], related=[citation_out(c) for c in answer.related],
        standalone=answer.standalone, answerer=answer.answerer, notes=list(answer.notes), timing_ms=timing_ms,
    )


class Timer:
    """Milliseconds to the first piece of the answer and to the whole of it."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.marks: dict[str, float] = {}

    def mark(self, name: str) -> None:
        self.marks.setdefault(name, round((time.perf_counter() - self.started) * 1000, 2))

    def result(self) -> dict[str, float]:
        self.mark("total")
        return dict(self.marks)


def sse(event: str, data: Any) -> str:
    """One server-sent event; the data is one line of JSON."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse_data(data: Any) -> str:
    """An unnamed server-sent event, as OpenAI streams use."""
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"
