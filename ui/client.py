"""The service as the UI sees it: a small HTTP client, so the UI and the API can run apart.

Every failure (the service refused, answered something unreadable, or cannot be reached)
becomes a `ClientError` whose message is the one to show to the user: the service's own
`detail` when it gave one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import httpx


class ClientError(Exception):
    """The service refused or could not be reached; the message is the one to show."""


class PlanClient:
    def __init__(self, api_url: str, timeout: float = 120.0) -> None:
        self.api_url = api_url.rstrip("/")
        # A service on this machine is reached directly, whatever proxy the environment names.
        local = urlsplit(self.api_url).hostname in ("127.0.0.1", "localhost", "::1")
        self._http = httpx.Client(base_url=self.api_url, timeout=httpx.Timeout(timeout, connect=10.0),
                                  trust_env=not local)

    def close(self) -> None:
        self._http.close()

    # --- questions ----------------------------------------------------------------------

    def ask(self, question: str, history: list[dict[str, str]] | None = None, language: str = "auto",
            documents: list[str] | None = None) -> dict[str, Any]:
        """The whole answer at once (the /v1/ask JSON)."""
        return self._json("POST", "/v1/ask", json=_body(question, history, language, documents))

    def ask_stream(self, question: str, history: list[dict[str, str]] | None = None, language: str = "auto",
                   documents: list[str] | None = None) -> Iterator[tuple[str, Any]]:
        """("delta", text) pieces as the answer is written, then ("answer", the /v1/ask JSON)."""
        answered = False
        try:
            with self._http.stream("POST", "/v1/ask/stream",
                                   json=_body(question, history, language, documents)) as response:
                if response.status_code >= 400:
                    response.read()
                    raise ClientError(_detail(response))
                for event, data in _sse(response.iter_lines()):
                    if event == "delta":
                        yield "delta", str(data.get("text", "")) if isinstance(data, dict) else ""
                    elif event == "answer":
                        if not isinstance(data, dict) or "answer" not in data:
                            raise ClientError("the service sent an answer the UI cannot read")
                        answered = True
                        yield "answer", data
                    elif event == "error":
                        raise ClientError(_message(data) or "the answer failed")
                    elif event == "done":
                        break
        except (httpx.HTTPError, httpx.StreamError) as exc:
            raise ClientError(self._unreachable(exc)) from exc
        if not answered:
            raise ClientError("the answer stream ended before the answer (the service may have stopped)")

    # --- the plans ----------------------------------------------------------------------

    def documents(self) -> list[dict[str, Any]]:
        """The plans: [{id, title, title_en, …}] (the service wraps them in {"documents": […]})."""
        data = self._json("GET", "/v1/documents")
        return data.get("documents", []) if isinstance(data, dict) else data

    def outline(self, document_id: str) -> list[dict[str, Any]]:
        """A plan's section tree: [{id, label, title, heading, children: […]}]."""
        data = self._json("GET", f"/v1/documents/{quote(document_id, safe='')}/outline")
        return data.get("sections", []) if isinstance(data, dict) else data

    def section(self, section_id: str) -> dict[str, Any]:
        """One section: label, title, path, text, lines, document."""
        return self._json("GET", f"/v1/sections/{quote(section_id, safe=':')}")

    # --- plumbing -----------------------------------------------------------------------

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ClientError(self._unreachable(exc)) from exc
        if response.status_code >= 400:
            raise ClientError(_detail(response))
        try:
            return response.json()
        except ValueError as exc:
            raise ClientError(f"the service answered {response.status_code} with something other than JSON") from exc

    def _unreachable(self, exc: Exception) -> str:
        if isinstance(exc, httpx.TimeoutException):
            return f"the service at {self.api_url} did not answer in time ({type(exc).__name__})"
        return f"the service at {self.api_url} cannot be reached ({type(exc).__name__})"


def _body(question: str, history: list[dict[str, str]] | None, language: str, documents: list[str] | None) -> dict:
    return {"question": question, "history": history or [], "language": language or "auto",
            "documents": list(documents) if documents else None}


def _sse(lines: Iterator[str]) -> Iterator[tuple[str, Any]]:
    """Server-sent events as (event name, JSON data); data spread over several lines is joined."""
    event, data = "message", []
    for line in lines:
        line = line.rstrip("\r")
        if not line:
            if data:
                yield event, _loads("\n".join(data))
            event, data = "message", []
        elif line.startswith(":"):
            continue  # a comment (keep-alive)
        else:
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                event = value.strip()
            elif field == "data":
                data.append(value)
    if data:  # a last event without its blank line
        yield event, _loads("\n".join(data))


def _loads(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else None
    except ValueError as exc:
        raise ClientError("the service sent an event the UI cannot read") from exc


def _message(data: Any) -> str:
    if isinstance(data, dict):
        detail = data.get("detail")
        if isinstance(detail, str) and detail:
            return detail
        if isinstance(detail, list):  # FastAPI's own validation errors
            return "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail)
        error = data.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"]
    elif isinstance(data, str):
        return data
    return ""


def _detail(response: httpx.Response) -> str:
    try:
        message = _message(response.json())
    except ValueError:
        message = ""
    return message or f"the service answered {response.status_code} {response.reason_phrase}".strip()
