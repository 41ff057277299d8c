"""The service as the UI sees it: a small HTTP client, so the UI and the API can run apart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx


class ClientError(Exception):
    """The service refused or could not be reached; the message is the one to show."""


class PlanClient:
    def __init__(self, api_url: str, timeout: float = 120.0) -> None:
        self.api_url = api_url.rstrip("/")
        self._http = httpx.Client(base_url=self.api_url, timeout=timeout)

    def ask(self, question: str, history: list[dict[str, str]] | None = None, language: str = "auto",
            documents: list[str] | None = None) -> dict[str, Any]:
        return self._json("POST", "/v1/ask", json=_body(question, history, language, documents))

    def ask_stream(self, question: str, history: list[dict[str, str]] | None = None, language: str = "auto",
                   documents: list[str] | None = None) -> Iterator[tuple[str, Any]]:
        """("delta", text) pieces as the answer is written, then ("answer", the /v1/ask JSON)."""
        try:
            with self._http.stream("POST", "/v1/ask/stream", json=_body(question, history, language, documents)) as r:
                if r.status_code >= 400:
                    r.read()
                    raise ClientError(_detail(r))
                event = "message"
                for line in r.iter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        data = json.loads(line[5:].strip() or "null")
                        if event == "delta":
                            yield "delta", data["text"]
                        elif event == "answer":
                            yield "answer", data
                        elif event == "error":
                            raise ClientError(data.get("detail", "the answer failed") if isinstance(data, dict) else str(data))
                    elif not line:
                        event = "message"
        except httpx.HTTPError as exc:
            raise ClientError(f"the service at {self.api_url} cannot be reached ({type(exc).__name__})") from exc

    def documents(self) -> list[dict[str, Any]]:
        return self._json("GET", "/v1/documents")["documents"]

    def outline(self, document_id: str) -> list[dict[str, Any]]:
        return self._json("GET", f"/v1/documents/{document_id}/outline")["sections"]

    def section(self, section_id: str) -> dict[str, Any]:
        return self._json("GET", f"/v1/sections/{section_id}")

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ClientError(f"the service at {self.api_url} cannot be reached ({type(exc).__name__})") from exc
        if response.status_code >= 400:
            raise ClientError(_detail(response))
        return response.json()


def _body(question: str, history: list[dict[str, str]] | None, language: str, documents: list[str] | None) -> dict:
    return {"question": question, "history": history or [], "language": language, "documents": documents or None}


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    return detail if isinstance(detail, str) and detail else f"the service answered {response.status_code}"
