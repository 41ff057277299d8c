"""An OpenAI-compatible chat completions endpoint, so any OpenAI client can ask the plans.

The last message is the question, the earlier user and assistant messages its history
(system messages are ignored: the assistant's behaviour is fixed). The reply's content is
the answer followed by its sources; `citations` carries them structured as well.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import StreamingResponse

from assistant.api import answering, errors, schemas, sources
from assistant.api.deps import EngineDep, MetricsDep, SettingsDep
from assistant.api.errors import OpenAIError
from assistant.api.logs import log
from index.tokens import count_tokens

router = APIRouter(prefix="/v1", tags=["openai"])
MODEL = "plan-assistant"
# When this answerer was first served: OpenAI's `created` is the model's, not the request's.
MODEL_CREATED = 1733529600  # 2024-12-07
_NO_MODEL = errors.declared({404: "No such model (`model_not_found`)"})


def _card() -> dict[str, Any]:
    return {"id": MODEL, "object": "model", "created": MODEL_CREATED, "owned_by": "plan-assistant"}


def _known(model: str) -> None:
    """OpenAI's answer to a model it does not serve, so a client's error says what is wrong."""
    if model != MODEL:
        raise OpenAIError(status.HTTP_404_NOT_FOUND, f"The model '{model}' does not exist: this service serves "
                          f"'{MODEL}' (GET /v1/models).", code="model_not_found", param="model")


@router.get("/models")
def models() -> dict[str, Any]:
    """The models served, in OpenAI's list format (clients list them to check the server)."""
    return {"object": "list", "data": [_card()]}


@router.get("/models/{model_id}", responses=_NO_MODEL)
def model(model_id: str) -> dict[str, Any]:
    """One served model; any other id is a 404 `model_not_found`, as OpenAI answers it."""
    _known(model_id)
    return _card()


@router.post("/chat/completions", responses={
    200: {"content": {"text/event-stream": {}}, "description": "A `chat.completion`; with `stream: true`, "
          "`chat.completion.chunk` events ending in `data: [DONE]`"},
    **_NO_MODEL, **errors.declared({**errors.BODY_ERRORS, 422: "The last message is not a user's question, or the "
                                    "question is blank or too long; a field of the wrong type; a lone UTF-16 surrogate",
                                    503: "The index is not built"})})
def chat_completions(body: schemas.ChatCompletionRequest, settings: SettingsDep, engine: EngineDep,
                     metrics: MetricsDep) -> Any:
    """`chat.completion`, or with `stream: true` `chat.completion.chunk` events ending in `data: [DONE]`."""
    _known(body.model)
    messages = [m for m in body.messages if m.role in ("user", "assistant")]
    if not messages or body.messages[-1].role != "user":
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the last message must be the user's question")
    question = messages[-1].text()
    history = [(m.role, m.text()) for m in messages[:-1]]
    events = answering.start(engine, answering.make_request(settings, engine, question, history))
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    if not body.stream:
        answer = next(e["answer"] for e in events if e["type"] == "answer")
        metrics.answered(answer.found)
        content = _with_sources(answer)
        return {
            "id": completion_id, "object": "chat.completion", "created": created, "model": body.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": _usage(question, history, content),
            "citations": [answering.citation_out(c).model_dump() for c in answer.citations or answer.related],
        }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        data = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": body.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return answering.sse_data(data)

    def stream() -> Iterator[str]:
        yield chunk({"role": "assistant", "content": ""})
        content = ""
        try:
            for event in events:
                if event["type"] == "delta":
                    content += event["text"]
                    yield chunk({"content": event["text"]})
                elif event["type"] == "answer":
                    metrics.answered(event["answer"].found)
                    suffix = _sources_suffix(event["answer"])
                    content = event["answer"].text + suffix
                    for piece in answering.pieces(suffix):
                        yield chunk({"content": piece})
        except Exception as exc:  # noqa: BLE001 - the stream has started: end it with a note
            log.exception("chat completion stream failed")
            yield chunk({"content": f"\n\n(the answer failed: {type(exc).__name__})"})
        yield chunk({}, "stop")
        if (body.stream_options or {}).get("include_usage"):
            yield answering.sse_data({"id": completion_id, "object": "chat.completion.chunk", "created": created,
                                      "model": body.model, "choices": [], "usage": _usage(question, history, content)})
        yield "data: [DONE]\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream", headers=answering.SSE_HEADERS)


def _sources_suffix(answer) -> str:
    """What follows the answer's text: a blank line, then the sources."""
    text = sources.sources_text(answer)
    if not text:
        return ""
    return ("\n" if answer.text.endswith("\n") else "\n\n") + text


def _with_sources(answer) -> str:
    return answer.text + _sources_suffix(answer)


def _usage(question: str, history: list[tuple[str, str]], content: str) -> dict[str, int]:
    prompt = count_tokens(question) + sum(count_tokens(c) for _, c in history)
    completion = count_tokens(content)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
