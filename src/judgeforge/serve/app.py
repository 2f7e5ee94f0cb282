"""The FastAPI application: routes, error shaping, OpenAPI; wrapped by :class:`~judgeforge.serve.guard.Guard`.

Routes (all but ``/healthz`` need an API key): ``POST /v1/grade``, ``POST /v1/compare``, ``GET /v1/rubrics``,
``GET /v1/info``, ``GET /healthz``, OpenAPI at ``/docs`` and ``/openapi.json``. Import this module through
:mod:`judgeforge.serve.run`, which reports a missing ``serve`` extra with the pip command.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the route annotations at definition time.
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from judgeforge.errors import BackendConfigError, InputError
from judgeforge.judge import Judge
from judgeforge.prompts.rubrics import library_rubrics
from judgeforge.records import DirectItem, Mode, PairItem, Rubric
from judgeforge.serve.config import KeyChecker, ServeConfig
from judgeforge.serve.guard import ASGIApp, Guard, error_body
from judgeforge.serve.models import (
    CompareItem,
    CompareRequest,
    ErrorResponse,
    GradeItem,
    GradeRequest,
    InfoResponse,
    JudgeResponse,
    Problem,
    RubricsResponse,
    plain_problems,
    rubric_problems,
)
from judgeforge.serve.service import JudgeService, ServiceError

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in (
        (401, "missing or invalid API key"),
        (413, "body or item count over the limit"),
        (422, "invalid request; `problems` lists every problem (field and message)"),
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
        description="Grading on a rubric's scale and pairwise comparison, in the judge's template set, behind "
        "an API key.",
        responses=_ERRORS,
    )
    _add_routes(app, service)
    _add_error_handlers(app, service)
    _document_auth(app)
    return Guard(app, keys=keys, max_body_bytes=config.max_body_bytes, public_docs=config.public_docs)


def _add_routes(app: FastAPI, service: JudgeService) -> None:
    @app.post("/v1/grade", response_model=JudgeResponse, summary="Grade responses on a rubric's scale")
    async def grade(body: GradeRequest, request: Request) -> JudgeResponse:
        return await _checked(service.grade, body, request.state.request_id, "absolute", service.judge)

    @app.post("/v1/compare", response_model=JudgeResponse, summary="Pick the better of two responses")
    async def compare(body: CompareRequest, request: Request) -> JudgeResponse:
        return await _checked(service.compare, body, request.state.request_id, "relative", service.judge)

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


def _add_error_handlers(app: FastAPI, service: JudgeService) -> None:
    def reply(status: int, body: bytes, headers: Mapping[str, str] | None = None) -> Response:
        return Response(body, status_code=status, media_type="application/json", headers=headers)

    def invalid_reply(problems: Sequence[Problem], request_id: str) -> Response:
        message, listed = summary(problems), [problem.model_dump() for problem in problems]
        return reply(422, error_body("invalid_request", message, request_id, listed))

    @app.exception_handler(InvalidRequest)
    async def invalid_request(request: Request, exc: InvalidRequest) -> Response:
        return invalid_reply(exc.problems, request.state.request_id)

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> Response:
        problems = [problem.model_dump() for problem in _from_strings(exc.problems)]
        body = error_body(exc.code, exc.message, request.state.request_id, problems)
        return reply(exc.status, body, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        # Validation stops at the body's shape; what it cannot see (rubric names, items left without a
        # rubric, inputs the template set cannot show) is checked here too, so that one answer lists all.
        problems = plain_problems(exc.errors())
        mode = _MODES.get(request.url.path)
        if mode is not None:
            problems += rubric_problems(exc.body, library_rubrics())
            problems += render_problems(exc.body, mode, service.judge)
        return invalid_reply(_ordered(problems), request.state.request_id)

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


class InvalidRequest(Exception):
    """A 422 listing every problem of the request."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(summary(problems))
        self.problems = list(problems)


_MODES: dict[str, Mode] = {"/v1/grade": "absolute", "/v1/compare": "relative"}
_LISTED = 10  # problems spelled out in the message; ``problems`` holds them all


def summary(problems: Sequence[Problem]) -> str:
    """The error message: the one problem, or ``N problems: a; b; ...`` (the first ten)."""
    if len(problems) == 1:
        return str(problems[0])
    text = f"{len(problems)} problems: " + "; ".join(str(p) for p in problems[:_LISTED])
    more = len(problems) - _LISTED
    return text + (f"; and {more} more (see problems)" if more > 0 else "")


async def _checked(
    run: Callable[[Any, str], Awaitable[JudgeResponse]], body: Any, request_id: str, mode: Mode, judge: Judge
) -> JudgeResponse:
    """``run(body)`` after the checks validation cannot make; a 422 lists every item's problems."""
    problems = rubric_problems(body, library_rubrics())
    if problems:
        raise InvalidRequest(problems)
    try:
        return await run(body, request_id)
    except ServiceError as exc:
        if exc.status != 422:
            raise
        # The service stops at the first item it cannot render; look at them all.
        found = render_problems(body.model_dump(), mode, judge) or _from_strings(exc.problems)
        raise InvalidRequest(found) from exc


def render_problems(body: object, mode: Mode, judge: Judge) -> list[Problem]:
    """What the judge's template set cannot show, for every item of ``body`` (raw JSON) that is valid alone
    and has a known rubric (the others have their problems listed already)."""
    batch = isinstance(body, Mapping) and "items" in body
    items = body.get("items") if isinstance(body, Mapping) and batch else [body]
    default = _rubric(body.get("rubric")) if isinstance(body, Mapping) and batch else None
    problems = []
    for index, raw in enumerate(items if isinstance(items, list) else []):
        item = _item(raw, mode, default)
        if item is None:
            continue
        try:
            judge.render(item)
        except InputError as exc:
            where = f"items[{index}]." if batch else ""
            problems.append(Problem(field=where + (exc.field or "item"), message=exc.reason))
    return problems


def _item(raw: object, mode: Mode, default: Rubric | None) -> DirectItem | PairItem | None:
    """The item ``raw`` stands for, or None when it is invalid alone or has no known rubric."""
    try:
        checked = (GradeItem if mode == "absolute" else CompareItem).model_validate(raw)
    except ValidationError:
        return None
    rubric = _rubric(checked.rubric) if checked.rubric is not None else default
    if rubric is None:
        return None
    fields = checked.model_dump(exclude={"rubric"})
    return DirectItem(**fields, rubric=rubric) if mode == "absolute" else PairItem(**fields, rubric=rubric)


def _rubric(spec: object) -> Rubric | None:
    if isinstance(spec, Rubric):
        return spec
    if isinstance(spec, str):
        return library_rubrics().get(spec)
    try:
        return Rubric.model_validate(spec) if isinstance(spec, Mapping) else None
    except ValidationError:
        return None


def _from_strings(problems: Sequence[str]) -> list[Problem]:
    """``"items[1].response: must not be empty"`` strings (the service's) as records."""
    records = []
    for problem in problems:
        field, _, message = problem.partition(": ")
        records.append(
            Problem(field=field, message=message) if message else Problem(field="body", message=field)
        )
    return records


def _ordered(problems: list[Problem]) -> list[Problem]:
    """By item (body-level problems first), keeping the order within an item; duplicates once."""
    unique = list(dict.fromkeys((p.field, p.message) for p in problems))

    def item_index(key: tuple[str, str]) -> int:
        field = key[0]
        if field.startswith("items[") and "]" in field:
            number = field[len("items[") : field.index("]")]
            return int(number) if number.isdigit() else -1
        return -1

    return [Problem(field=field, message=message) for field, message in sorted(unique, key=item_index)]


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
