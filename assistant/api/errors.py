"""Error responses: one JSON shape for every 4xx and 5xx.

`{"detail": "<what is wrong>", "error": {"message", "type", "code"}}`: `detail` as FastAPI
clients expect it, `error` as OpenAI clients do (so ChatOpenAI reports the real message).
Validation errors keep their list under `errors`, without echoing the input back (it may be
megabytes, or bytes that do not encode). An `OpenAIError` (an unknown model) carries OpenAI's
own `error` (`type`, `param`, `code: "model_not_found"`), which OpenAI clients read.
`declared` states these responses in the OpenAPI document (schemas.ErrorOut), route by route;
a 405 lists in `Allow` every method the document gives the path, not only those of the first
route matched.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from assistant.api.logs import log, request_id
from assistant.api.schemas import ErrorOut

_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error", 404: "not_found_error",
          405: "invalid_request_error", 409: "conflict_error", 413: "request_too_large",
          415: "unsupported_media_type", 422: "invalid_request_error", 503: "service_unavailable"}


class OpenAIError(StarletteHTTPException):
    """An error OpenAI's clients know by its code (`model_not_found`) and the field it is about
    (`param`), as OpenAI itself sends it."""

    def __init__(self, status_code: int, message: str, code: str, param: str | None = None) -> None:
        super().__init__(status_code, message)
        self.code, self.param = code, param


# What every route with a body may answer before it reads the request's fields.
BODY_ERRORS = {400: "The body cannot be parsed: malformed JSON, or a multipart form without its boundary",
               413: "The body is over its size limit"}


def declared(responses: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """Error responses for a route's `responses=`, each with its description and ErrorOut body."""
    return {code: {"model": ErrorOut, "description": description} for code, description in responses.items()}


def own_validation_errors(openapi: dict[str, Any]) -> dict[str, Any]:
    """FastAPI declares a 422 of its own shape (`detail` a list) on the routes with parameters
    that declare none; the body sent is ErrorOut, so the document says so."""
    fastapi_own = "#/components/schemas/HTTPValidationError"
    for operations in openapi["paths"].values():
        for operation in operations.values():
            content = operation.get("responses", {}).get("422", {}).get("content", {}).get("application/json", {})
            if content.get("schema", {}).get("$ref") == fastapi_own:
                content["schema"] = {"$ref": "#/components/schemas/ErrorOut"}
    for name in ("HTTPValidationError", "ValidationError"):
        openapi["components"]["schemas"].pop(name, None)
    return openapi


def error_body(code: int, message: str, **extra: Any) -> dict[str, Any]:
    kind = _TYPES.get(code, "server_error" if code >= 500 else "invalid_request_error")
    return {"detail": message, "error": {"message": message, "type": kind, "code": code}, **extra}


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    body = error_body(exc.status_code, str(exc.detail))
    if isinstance(exc, OpenAIError):
        body["error"] = {"message": str(exc.detail), "type": "invalid_request_error", "param": exc.param,
                         "code": exc.code}
    headers = exc.headers
    if exc.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        headers = {**(headers or {}), "Allow": _allowed(request, (headers or {}).get("Allow", ""))}
    return JSONResponse(body, exc.status_code, headers=headers)


def _allowed(request: Request, routed: str) -> str:
    """The methods the published document gives this path: Starlette names only those of the
    first route it matched (GET /v1/documents, and not POST). A path the document does not
    have (the docs pages, the UI) keeps what its one route allows."""
    path, root = request.scope["path"], request.scope.get("root_path", "")
    path = path[len(root):] if root and path.startswith(root) else path
    methods = {method.upper() for template, operations in request.app.openapi()["paths"].items()
               if compile_path(template)[0].match(path) for method in operations}
    if "GET" in methods:
        methods.add("HEAD")  # as Starlette answers it
    return ", ".join(sorted(methods)) or routed


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
