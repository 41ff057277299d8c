"""Dependencies: the settings, the service state, the loaded engine, the admin key."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status

from assistant.api.metrics import Metrics
from assistant.api.service import Engine, Service
from index.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_service(request: Request) -> Service:
    """The service, after a look for a build another process switched in (at most once a second)."""
    service: Service = request.app.state.service
    service.follow_live_build()
    return service


def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


SettingsDep = Annotated[Settings, Depends(get_settings)]
ServiceDep = Annotated[Service, Depends(get_service)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]


def get_engine(service: ServiceDep) -> Iterator[Engine]:
    """The loaded index and chain, leased once per request until its response is sent (a
    streamed one included): a rebuild may swap them meanwhile, and the replaced engine is
    closed only when no request holds it. A missing index is the server's state, not the
    caller's fault: 503."""
    with service.lease() as engine:
        if engine is None:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, service.not_ready)
        yield engine


EngineDep = Annotated[Engine, Depends(get_engine)]


def require_admin(settings: SettingsDep, x_api_key: Annotated[str | None, Header()] = None) -> None:
    """Uploads and deletes change what everyone is answered from: they need the admin key,
    and are off entirely when none is configured."""
    key = settings.admin_key.get_secret_value() if settings.admin_key else ""
    if not key:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "uploads are disabled: no admin key is configured (set PLAN_ASSISTANT_ADMIN_KEY)")
    # constant time: how long a wrong key takes to refuse tells nothing of the right one
    if x_api_key is None or not secrets.compare_digest(x_api_key.encode(), key.encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or wrong X-API-Key",
                            headers={"WWW-Authenticate": "X-API-Key"})


AdminDep = Depends(require_admin)
