"""Liveness, readiness and metrics: for the orchestrator and the monitoring, not for users."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from fastapi.responses import JSONResponse

from assistant.api import schemas
from assistant.api.deps import MetricsDep, ServiceDep
from assistant.api.metrics import CONTENT_TYPE

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=schemas.Health)
def healthz() -> schemas.Health:
    """The process is up (it may still have no index: see /readyz)."""
    return schemas.Health()


@router.get("/readyz", response_model=schemas.Readiness, responses={503: {"model": schemas.Readiness}})
def readyz(service: ServiceDep) -> JSONResponse:
    """200 when an index is loaded and questions can be answered, else 503 with the reason."""
    engine = service.engine
    if engine is None:
        body = schemas.Readiness(ready=False, reason=service.not_ready)
        return JSONResponse(body.model_dump(), status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
    body = schemas.Readiness(ready=True, index=engine.key, documents=len(engine.searcher.documents))
    return JSONResponse(body.model_dump())


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(m: MetricsDep) -> Response:
    """Prometheus text format: requests by route and status, latency, answers found or not."""
    return Response(m.exposition(), media_type=CONTENT_TYPE)
