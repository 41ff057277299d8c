"""The FastAPI app: the routers, the middleware, and the service loaded once per process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from assistant.api import docs, errors, schemas
from assistant.api.metrics import Metrics
from assistant.api.middleware import RequestContext
from assistant.api.routers import ask, chat, documents, health
from assistant.api.service import Service
from index.settings import Settings

DESCRIPTION = """Ask university plans (中期計画, 国際戦略) in Japanese or English; answers quote the
plans' own words with their own section numbers, every quote checked against the plan text.

- `POST /v1/ask`, `POST /v1/ask/stream` (server-sent events): questions, with the conversation so far.
- `GET /v1/documents`, `/v1/documents/{id}/outline`, `/v1/sections/{id}`: the plans themselves.
- `POST /v1/chat/completions`, `GET /v1/models`: the same answers for any OpenAI-compatible client
  (model `plan-assistant`).
- `POST`/`DELETE /v1/documents`: add or remove a plan (header `X-API-Key`), re-indexed at once.
"""


def create_app(settings: Settings | None = None, mount_ui: bool = False) -> FastAPI:
    """The service. The index is opened at startup (in the lifespan), not here, so creating an
    app is cheap; with no index the app still starts, and says so on /readyz and with 503s."""
    settings = settings or Settings()
    metrics = Metrics()
    service = Service(settings, metrics)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(service.load)  # seconds of blocking work: keep the loop free
        yield
        service.close()

    app = FastAPI(title="Plan Assistant", version="0.1.0", description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)  # served offline by `docs.install`
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.service = service
    errors.install(app)
    docs.install(app)
    if settings.cors_origins:  # closed unless configured: other sites' pages cannot call the API
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Content-Type", "X-API-Key", "X-Request-ID"], expose_headers=["X-Request-ID"])
    app.add_middleware(RequestContext, metrics=metrics, upload_limit=settings.max_upload_bytes)
    for module in (ask, documents, chat, health):
        app.include_router(module.router)
    home = "/ui/" if mount_ui else "/docs"

    def openapi() -> dict[str, Any]:
        """The published schema, with the limits these settings set (a longer question is a 422),
        and every error body as the one sent."""
        if app.openapi_schema is None:
            schemas.state_limits(errors.own_validation_errors(FastAPI.openapi(app)), settings.max_question_chars)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/", include_in_schema=False)
    def root(request: Request) -> RedirectResponse:
        """A person opening the service's address gets the chat (the API docs without it)."""
        return RedirectResponse(request.scope.get("root_path", "") + home)

    if mount_ui:
        _mount_ui(app, settings)
    return app


def _mount_ui(app: FastAPI, settings: Settings) -> None:
    """The Gradio chat UI at /ui; it talks to this same service over HTTP (settings.api_url).
    `ui.app.mount_ui` mounts it with the options that keep its page local."""
    from ui.app import mount_ui

    mount_ui(app, settings.api_url or "")


def worker_app() -> FastAPI:
    """The app of one of several service processes (`assistant.api.workers`): each reads its
    settings from the environment, as the `serve` command left it."""
    from assistant.api.logs import configure

    configure()
    settings = Settings()
    return create_app(settings, mount_ui=settings.ui)
