"""Error responses: one JSON shape for every 4xx and 5xx.

`{"detail": "<what is wrong>", "error": {"message", "type", "code"}}`: `detail` as FastAPI
clients expect it, `error` as OpenAI clients do (so ChatOpenAI reports the real message).
Validation errors keep their list under `errors`, without echoing the input back (it may be
megabytes, or bytes that do not encode). An `OpenAIError` (an unknown model) carries OpenAI's
own `error` (`type`, `param`, `code: "model_not_found"`), which OpenAI clients read.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.api.logs import log, request_id

_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error", 404: "not_found_error",
          405: "invalid_request_error", 409: "conflict_error", 413: "request_too_large",
          415: "unsupported_media_type", 422: "invalid_request_error", 503: "service_unavailable"}


class OpenAIError(StarletteHTTPException):
    """An error OpenAI's clients know by its code (`model_not_found`) and the field it is about
    (`param`), as OpenAI itself sends it."""

    def __init__(self, status_code: int, message: str, code: str, param: str | None = None) -> None:
        super().__init__(status_code, message)
        self.code, self.param = code, param


def error_body(code: int, message: str, **extra: Any) -> dict[str, Any]:
    kind = _TYPES.get(code, "server_error" if code >= 500 else "invalid_request_error")
    return {"detail": message, "error": {"message": message, "type": kind, "code": code}, **extra}


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    body = error_body(exc.status_code, str(exc.detail))
    if isinstance(exc, OpenAIError):
        body["error"] = {"message": str(exc.detail), "type": "invalid_request_error", "param": exc.param,
                         "code": exc.code}
    return JSONResponse(body, exc.status_code, headers=exc.headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
              for e in exc.errors()]
    code = status.HTTP_400_BAD_REQUEST if any(e["type"] == "json_invalid" for e in errors) \
        else status.HTTP_422_UNPROCESSABLE_CONTENT
    message = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:5]) or "invalid request"
    if code == status.HTTP_400_BAD_REQUEST:
        message = f"malformed JSON: {message}"
    return JSONResponse(error_body(code, message, errors=errors), code)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse(error_body(500, f"internal error (request id {request_id.get()})"), 500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
