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

from assistant.api import answering, schemas
from assistant.api.deps import EngineDep, MetricsDep, SettingsDep
from assistant.api.logs import log
from index.tokens import count_tokens

router = APIRouter(prefix="/v1", tags=["openai"])
MODEL = "plan-assistant"


@router.get("/models")
def models() -> dict[str, Any]:
    """The one model this endpoint serves (OpenAI clients list models to check the server)."""
    return {"object": "list", "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "plan-assistant"}]}


@router.post("/chat/completions", responses={422: {"description": "No user question, or a bad one"},
                                             503: {"description": "The index is not built"}})
def chat_completions(body: schemas.ChatCompletionRequest, settings: SettingsDep, engine: EngineDep,
                     metrics: MetricsDep) -> Any:
    """`chat.completion`, or with `stream: true` `chat.completion.chunk` events ending in `data: [DONE]`."""
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
                    sources = _sources_suffix(event["answer"])
                    content = event["answer"].text + sources
                    if sources:
                        yield chunk({"content": sources})
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
    sources = answering.sources_text(answer)
    if not sources:
        return ""
    return ("\n" if answer.text.endswith("\n") else "\n\n") + sources


def _with_sources(answer) -> str:
    return answer.text + _sources_suffix(answer)


def _usage(question: str, history: list[tuple[str, str]], content: str) -> dict[str, int]:
    prompt = count_tokens(question) + sum(count_tokens(c) for _, c in history)
    completion = count_tokens(content)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
