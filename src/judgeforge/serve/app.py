"""The FastAPI application: routes, error shaping, OpenAPI; wrapped by :class:`~judgeforge.serve.guard.Guard`.

Routes (all but ``/healthz`` need an API key): ``POST /v1/grade``, ``POST /v1/compare``, ``GET /v1/rubrics``,
``GET /v1/info``, ``GET /healthz``, OpenAPI at ``/docs`` and ``/openapi.json``. Import this module through
:mod:`judgeforge.serve.run`, which reports a missing ``serve`` extra with the pip command.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the route annotations at definition time.
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from judgeforge.errors import BackendConfigError
from judgeforge.judge import Judge
from judgeforge.rubrics import library_rubrics
from judgeforge.serve.config import KeyChecker, ServeConfig
from judgeforge.serve.guard import ASGIApp, Guard, error_body
from judgeforge.serve.models import (
    CompareRequest,
    ErrorResponse,
    GradeRequest,
    InfoResponse,
    JudgeResponse,
    RubricsResponse,
)
from judgeforge.serve.service import JudgeService, ServiceError

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in (
        (401, "missing or invalid API key"),
        (413, "body or item count over the limit"),
        (422, "invalid request; the message names the item index and field"),
        (429, "the concurrency limit is reached; retry after the Retry-After header"),
        (500, "internal error; quote the request id"),
    )
}


def create_app(judge: Judge, config: ServeConfig | None = None, keys: KeyChecker | None = None) -> ASGIApp:
    """The service as an ASGI application. ``keys=None`` serves without authentication."""
    config = config or ServeConfig()
    service = JudgeService(judge, config)
    app = FastAPI(
        title="judgeforge judge service",
        version="1",
        description="Prometheus-style grading (1..5) and pairwise comparison behind an API key.",
        responses=_ERRORS,
    )
    _add_routes(app, service)
    _add_error_handlers(app)
    _document_auth(app)
    return Guard(app, keys=keys, max_body_bytes=config.max_body_bytes, public_docs=config.public_docs)


def _add_routes(app: FastAPI, service: JudgeService) -> None:
    @app.post("/v1/grade", response_model=JudgeResponse, summary="Score responses 1..5 against a rubric")
    async def grade(body: GradeRequest, request: Request) -> JudgeResponse:
        return await service.grade(body, request.state.request_id)

    @app.post("/v1/compare", response_model=JudgeResponse, summary="Pick the better of two responses")
    async def compare(body: CompareRequest, request: Request) -> JudgeResponse:
        return await service.compare(body, request.state.request_id)

    @app.get("/v1/rubrics", response_model=RubricsResponse, summary="The library rubrics, by name")
    async def rubrics() -> RubricsResponse:
        return RubricsResponse(rubrics=library_rubrics())

    @app.get("/v1/info", response_model=InfoResponse, summary="The judge behind the service and the limits")
    async def info() -> InfoResponse:
        renderer = service.judge.renderer
        limits = service.config.model_dump(include={"max_body_bytes", "max_items", "max_concurrency"})
        return InfoResponse(
            backend=service.judge.backend.identity(),
            template_set=renderer.template_set.name,
            chat_format=renderer.chat_format_name,
            limits=limits,
        )

    @app.get("/healthz", summary="Liveness (no API key needed)")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}


def _add_error_handlers(app: FastAPI) -> None:
    def reply(status: int, body: bytes, headers: Mapping[str, str] | None = None) -> Response:
        return Response(body, status_code=status, media_type="application/json", headers=headers)

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> Response:
        body = error_body(exc.code, exc.message, request.state.request_id, exc.problems)
        return reply(exc.status, body, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [_problem(error) for error in exc.errors()]
        message = (
            problems[0] if len(problems) == 1 else f"{len(problems)} problems: " + "; ".join(problems[:5])
        )
        return reply(422, error_body("invalid_request", message, request.state.request_id, problems))

    @app.exception_handler(BackendConfigError)
    async def misconfigured(request: Request, exc: BackendConfigError) -> Response:
        # The judge's backend is set up wrong for every request: say so (with the fix) instead of a bare 500.
        body = error_body("backend_misconfigured", str(exc), request.state.request_id)
        return reply(502, body)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # Starlette answers with this, then re-raises; the Guard logs the traceback with the request id.
        body = error_body("internal_error", "internal server error", request.state.request_id)
        return reply(500, body)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        body = error_body(code, str(exc.detail), request.state.request_id)
        return reply(exc.status_code, body, getattr(exc, "headers", None))


def _problem(error: dict[str, Any]) -> str:
    """``items[3].instruction: Field required`` from a pydantic error (no echo of the input value)."""
    if error.get("type") == "json_invalid":
        return f"body: malformed JSON ({error.get('ctx', {}).get('error', 'invalid JSON')})"
    path = ""
    for part in error.get("loc", ()):
        if part in ("body", "item", "batch") and not path:
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        elif part not in ("item", "batch", "name", "object"):
            path += f".{part}" if path else str(part)
    return f"{path or 'body'}: {error.get('msg', 'invalid')}"


def _document_auth(app: FastAPI) -> None:
    """Declare the bearer/X-API-Key schemes in the OpenAPI document (the Guard enforces them)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            }
            schema["security"] = [{"bearer": []}, {"apiKey": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
