"""POST /v1/ask and /v1/ask/stream: a question in, a cited answer out."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from assistant.api import answering, errors, schemas
from assistant.api.deps import EngineDep, MetricsDep, SettingsDep
from assistant.api.logs import log

router = APIRouter(prefix="/v1", tags=["ask"])

_ERRORS = errors.declared({**errors.BODY_ERRORS, 422: "Bad question, history or document id, or a field of the "
                          "wrong type; text with a lone UTF-16 surrogate", 503: "The index is not built"})


def _request(body: schemas.AskRequest, settings, engine):
    history = [(t.role, t.content) for t in body.history]
    return answering.make_request(settings, engine, body.question, history, body.language, body.documents, body.top_k)


@router.post("/ask", response_model=schemas.AskResponse, responses=_ERRORS)
def ask(body: schemas.AskRequest, settings: SettingsDep, engine: EngineDep, metrics: MetricsDep) -> schemas.AskResponse:
    """Answer from the plans, quoting them with markers [n] that name `citations`."""
    timer = answering.Timer()
    answer = None
    for event in answering.start(engine, _request(body, settings, engine)):
        if event["type"] == "delta":
            timer.mark("first_delta")
        elif event["type"] == "answer":
            answer = event["answer"]
    assert answer is not None, "the chain always ends with an answer event"
    metrics.answered(answer.found)
    return answering.answer_out(answer, timer.result())


@router.post("/ask/stream", responses={200: {"content": {"text/event-stream": {}},
                                             "description": "`delta` events, then `answer` (as /v1/ask), then `done`"},
                                       **_ERRORS})
def ask_stream(body: schemas.AskRequest, settings: SettingsDep, engine: EngineDep, metrics: MetricsDep) -> StreamingResponse:
    """The answer as server-sent events: `delta` {"text"} pieces as written, then `answer`
    (the same JSON as /v1/ask, citations checked), then `done`. A bad question is a 4xx JSON
    error before the stream starts; a failure during it is an `error` event."""
    timer = answering.Timer()
    events = answering.start(engine, _request(body, settings, engine))

    def body_events() -> Iterator[str]:
        try:
            for event in events:
                if event["type"] == "delta":
                    timer.mark("first_delta")
                    yield answering.sse("delta", {"text": event["text"]})
                elif event["type"] == "answer":
                    metrics.answered(event["answer"].found)
                    out = answering.answer_out(event["answer"], timer.result())
                    yield answering.sse("answer", out.model_dump(mode="json"))
        except Exception as exc:  # noqa: BLE001 - the status line is sent: say so in the stream
            log.exception("answer stream failed")
            yield answering.sse("error", {"detail": f"the answer failed ({type(exc).__name__})"})
        yield answering.sse("done", {})

    return StreamingResponse(body_events(), media_type="text/event-stream", headers=answering.SSE_HEADERS)
