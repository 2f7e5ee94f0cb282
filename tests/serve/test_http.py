"""The judge service over real HTTP on 127.0.0.1: auth, limits, validation, errors, logs."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from judgeforge.backends import Backend
from judgeforge.judge import Judge
from judgeforge.prompts.rubrics import load_rubric
from judgeforge.records import Completion, DirectItem, Outcome, Prompt
from judgeforge.sampling import SamplingParams
from judgeforge.serve.run import RunningServer
from serve.support import API_KEY, AUTH, ITEM, OTHER_KEY, PAIR, ServerFactory, fake_judge


def assert_clean(response: httpx.Response) -> dict[str, Any]:
    """An error answer: our JSON shape, a request id, and nothing from a traceback."""
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "request_id"}
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body


# -- auth -------------------------------------------------------------------------------------------------
def test_healthz_is_public_and_everything_else_needs_a_key(server: RunningServer) -> None:
    with httpx.Client(base_url=server.url) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        for method, path in [
            ("GET", "/v1/rubrics"),
            ("POST", "/v1/grade"),
            ("POST", "/v1/compare"),
            ("GET", "/v1/info"),
            ("GET", "/openapi.json"),
            ("GET", "/docs"),
            ("GET", "/no-such-path"),
        ]:
            response = http.request(method, path, json=ITEM)
            assert response.status_code == 401, path
            assert assert_clean(response)["error"]["message"] == "missing API key"
            assert response.headers["www-authenticate"].startswith("Bearer")


def test_wrong_keys_are_refused_and_each_configured_key_works(server: RunningServer) -> None:
    with httpx.Client(base_url=server.url) as http:
        for headers in (
            {"Authorization": f"Bearer {API_KEY}x"},
            {"Authorization": f"Bearer {API_KEY[:-1]}"},
            {"X-API-Key": "nope"},
            {"Authorization": f"Basic {API_KEY}"},
        ):
            response = http.get("/v1/rubrics", headers=headers)
            assert response.status_code == 401, headers
            assert_clean(response)
        for headers in (
            {"Authorization": f"Bearer {API_KEY}"},
            {"authorization": f"bearer {OTHER_KEY}"},
            {"X-API-Key": OTHER_KEY},
        ):
            assert http.get("/v1/rubrics", headers=headers).status_code == 200, headers


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Authorization": API_KEY}, "malformed Authorization header: no 'Bearer ' before the key"),
        ({"Authorization": f"Basic {API_KEY}"}, "unsupported Authorization scheme 'Basic'"),
        ({"Authorization": f"token {API_KEY}"}, "unsupported Authorization scheme 'token'"),
        ({"Authorization": f"{API_KEY} {API_KEY}"}, "unsupported Authorization scheme: send"),
        ({"Authorization": "Bearer"}, "'Bearer' is not followed by an API key"),
        ({"Authorization": API_KEY, "X-API-Key": "nope"}, "no 'Bearer ' before the key"),
        ({"Authorization": f"Bearer {API_KEY}x"}, "invalid API key"),
        ({"X-API-Key": ""}, "missing API key"),
    ],
)
def test_a_malformed_authorization_header_says_so(
    server: RunningServer, headers: dict[str, str], expected: str
) -> None:
    response = httpx.get(f"{server.url}/v1/info", headers=headers)
    assert response.status_code == 401
    message = assert_clean(response)["error"]["message"]
    assert expected in message, message
    assert API_KEY not in response.text  # the header's value is never echoed


def test_a_valid_x_api_key_is_enough_beside_a_malformed_authorization_header(server: RunningServer) -> None:
    headers = {"Authorization": f"Basic {API_KEY}", "X-API-Key": OTHER_KEY}
    assert httpx.get(f"{server.url}/v1/info", headers=headers).status_code == 200


def test_openapi_documents_routes_and_auth(server: RunningServer) -> None:
    schema = httpx.get(f"{server.url}/openapi.json", headers=AUTH).json()
    assert {"/v1/grade", "/v1/compare", "/v1/rubrics", "/healthz"} <= set(schema["paths"])
    assert {"bearer", "apiKey"} <= set(schema["components"]["securitySchemes"])
    assert "429" in schema["paths"]["/v1/grade"]["post"]["responses"]


# -- grading ----------------------------------------------------------------------------------------------
def test_grade_single_and_batch_match_the_local_judge(server: RunningServer) -> None:
    other = {**ITEM, "id": "b", "response": "The sky is blue.", "reference_answer": "Rayleigh scattering."}
    local = fake_judge().grade_many(
        [DirectItem(**{**row, "rubric": load_rubric(row["rubric"])}) for row in (ITEM, other)]
    )
    with httpx.Client(base_url=server.url, headers=AUTH) as http:
        single = http.post("/v1/grade", json=ITEM).json()
        batch = http.post("/v1/grade", json={"items": [ITEM, other]}).json()
    assert [r["score"] for r in batch["results"]] == [j.score for j in local]
    assert single["results"][0]["score"] == local[0].score
    assert batch["results"][1]["id"] == "b"
    result = batch["results"][0]
    assert result["mode"] == "absolute" and result["failure"] is None
    assert result["feedback"] and result["verdicts"][0]["feedback"] == result["feedback"]


def test_compare_with_inline_rubric_and_batch_default_rubric(server: RunningServer) -> None:
    inline = {**PAIR, "rubric": load_rubric("helpfulness").model_dump()}
    no_rubric = {key: value for key, value in PAIR.items() if key != "rubric"}
    with httpx.Client(base_url=server.url, headers=AUTH) as http:
        one = http.post("/v1/compare", json=inline)
        many = http.post("/v1/compare", json={"items": [no_rubric, inline], "rubric": "helpfulness"})
    assert one.status_code == 200 and many.status_code == 200
    winners = [r["winner"] for r in many.json()["results"]]
    assert winners == [one.json()["results"][0]["winner"]] * 2
    assert winners[0] in ("A", "B")


def test_backend_failures_come_back_per_item_as_reasons(start_server: ServerFactory) -> None:
    with start_server(fake_judge(fail_rate=1.0)) as srv:
        response = httpx.post(f"{srv.url}/v1/grade", json=ITEM, headers=AUTH)
    result = response.json()["results"][0]
    assert response.status_code == 200
    assert result["score"] is None and "simulated failure" in result["failure"]


def test_rubrics_endpoint_lists_the_library(server: RunningServer) -> None:
    rubrics = httpx.get(f"{server.url}/v1/rubrics", headers=AUTH).json()["rubrics"]
    assert "helpfulness" in rubrics and set(rubrics["helpfulness"]) >= {"criteria", "score5_description"}


# -- limits -----------------------------------------------------------------------------------------------
def test_oversized_bodies_get_413_declared_or_streamed(server: RunningServer) -> None:
    big = {**ITEM, "response": "x" * 10_000}
    with httpx.Client(base_url=server.url, headers=AUTH) as http:
        declared = http.post("/v1/grade", json=big)

        def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer encoding
            data = json.dumps(big).encode()
            for start in range(0, len(data), 1000):
                yield data[start : start + 1000]

        streamed = http.post("/v1/grade", content=chunks(), headers={"content-type": "application/json"})
        assert http.get("/healthz").status_code == 200
    for response in (declared, streamed):
        assert response.status_code == 413
        assert "8192 bytes" in assert_clean(response)["error"]["message"]


def test_too_many_items_are_refused_with_the_limit_named(server: RunningServer) -> None:
    response = httpx.post(f"{server.url}/v1/grade", json={"items": [ITEM] * 5}, headers=AUTH)
    assert response.status_code == 413
    assert "5 items" in response.json()["error"]["message"] and "limit is 4" in response.text
    assert httpx.post(f"{server.url}/v1/grade", json={"items": [ITEM] * 4}, headers=AUTH).status_code == 200


class _Slow(Backend):
    """Holds every call until released, so that the test controls how many requests are in flight."""

    name = "slow"

    def __init__(self) -> None:
        self.inner = fake_judge().backend
        self.release = threading.Event()
        self.entered = threading.Semaphore(0)

    def identity(self) -> dict[str, str]:
        return {"backend": "slow"}

    async def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> Sequence[Outcome]:
        import asyncio

        self.entered.release()
        while not self.release.is_set():
            await asyncio.sleep(0.01)
        return await self.inner.generate(prompts, params)


def test_full_service_answers_429_with_retry_after_at_once(start_server: ServerFactory) -> None:
    backend = _Slow()
    with start_server(Judge(backend), max_concurrency=2, retry_after_s=3) as srv:
        results: list[httpx.Response] = []
        threads = [
            threading.Thread(
                target=lambda: results.append(
                    httpx.post(f"{srv.url}/v1/grade", json=ITEM, headers=AUTH, timeout=30)
                )
            )
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for _ in range(2):
            assert backend.entered.acquire(timeout=10)  # both slots are busy now
        refused = [httpx.post(f"{srv.url}/v1/grade", json=ITEM, headers=AUTH, timeout=5) for _ in range(3)]
        backend.release.set()
        for thread in threads:
            thread.join(timeout=10)
        after = httpx.post(f"{srv.url}/v1/grade", json=ITEM, headers=AUTH)
    assert [r.status_code for r in refused] == [429] * 3
    assert all(r.headers["retry-after"] == "3" for r in refused)
    assert "retry after 3s" in assert_clean(refused[0])["error"]["message"]
    assert sorted(r.status_code for r in results) == [200, 200]
    assert after.status_code == 200  # slots are released after the work ends


def test_burst_against_a_slow_fake_judge_gets_429s_and_no_errors(start_server: ServerFactory) -> None:
    with start_server(fake_judge(latency_ms=300), max_concurrency=2) as srv:
        barrier = threading.Barrier(8)
        statuses: list[int] = []

        def hit() -> None:
            barrier.wait()
            statuses.append(
                httpx.post(f"{srv.url}/v1/grade", json=ITEM, headers=AUTH, timeout=30).status_code
            )

        threads = [threading.Thread(target=hit) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert len(statuses) == 8 and set(statuses) <= {200, 429}
    assert 2 <= statuses.count(200) < 8 and statuses.count(429) >= 1


# -- validation -------------------------------------------------------------------------------------------
BAD_BODIES = [
    (b'{"instruction": "x", ', "body: malformed JSON"),
    (b"[1, 2]", "body: must be a JSON object, got a list"),
    (b"", "body: the request has no body"),
    (
        json.dumps({"items": [ITEM, {**ITEM, "instruction": None}]}).encode(),
        "items[1].instruction: must be a string",
    ),
    (
        json.dumps({"items": [ITEM, {**ITEM, "response": "   "}]}).encode(),
        "items[1].response: must not be empty or blank",
    ),
    (
        json.dumps({"items": [{k: v for k, v in ITEM.items() if k != "response"}]}).encode(),
        "items[0].response: required field is missing",
    ),
    (json.dumps({**ITEM, "rubric": "nope"}).encode(), "rubric: unknown rubric 'nope'"),
    (json.dumps({**ITEM, "rubric": "/etc/judgeforge/rubric.yaml"}).encode(), "rubric: unknown rubric"),
    (json.dumps({**ITEM, "rubric": {"criteria": "x"}}).encode(), "rubric.score1_description: required field"),
    (json.dumps({**ITEM, "rubric": 5}).encode(), "rubric: must be a library rubric name or a rubric object"),
    (json.dumps({"items": []}).encode(), "items: must hold at least 1 item"),
    (json.dumps({**ITEM, "surprise": 1}).encode(), "surprise: unknown field"),
    (json.dumps({**ITEM, "rubric": None}).encode(), "rubric: required field is missing"),
    (json.dumps({**ITEM, "id": "x" * 201}).encode(), "id: must be at most 200 characters"),
]
# pydantic's own wording, which a client should never have to read
PYDANTIC_WORDING = (
    "Value error",
    "Input should",
    "Field required",
    "Extra inputs",
    "should have",
    "valid dict",
)


def post_raw(server: RunningServer, body: bytes, path: str = "/v1/grade") -> httpx.Response:
    headers = {**AUTH, "content-type": "application/json"}
    return httpx.post(f"{server.url}{path}", content=body, headers=headers)


@pytest.mark.parametrize(("body", "expected"), BAD_BODIES)
def test_bad_requests_get_422_naming_field_in_plain_words(
    server: RunningServer, body: bytes, expected: str
) -> None:
    response = post_raw(server, body)
    assert response.status_code == 422
    error = assert_clean(response)["error"]
    assert error["code"] == "invalid_request"
    assert expected in error["message"], error["message"]
    assert error["problems"] and all(
        f"{p['field']}: {p['message']}" in error["message"] for p in error["problems"]
    )
    assert not any(phrase in response.text for phrase in PYDANTIC_WORDING), response.text


def no_reference_judge(tmp_path: Path) -> Judge:
    """A judge whose template set cannot show a reference answer."""
    import shutil
    from importlib import resources

    folder = tmp_path / "no-reference-set"
    shutil.copytree(str(resources.files("judgeforge.prompts") / "sets" / "prometheus2"), folder)
    (folder / "absolute.txt").unlink()
    (folder / "relative.txt").unlink()
    return Judge("fake", template_set=folder)


def test_a_422_lists_every_problem_of_the_request(start_server: ServerFactory, tmp_path: Path) -> None:
    reference = {**ITEM, "reference_answer": "Rayleigh scattering."}
    items = [
        {**ITEM, "response": " "},  # the shape
        {**ITEM, "rubric": "nope"},  # a rubric name the service does not know
        reference,  # what the template set cannot show
        {k: v for k, v in ITEM.items() if k != "rubric"},  # no rubric here nor for the batch
        {**ITEM, "instruction": 3, "rubric": "nope"},  # two at once
        reference,
    ]
    with start_server(no_reference_judge(tmp_path)) as srv:
        response = post_raw(srv, json.dumps({"items": items}).encode())
        valid_shape = post_raw(srv, json.dumps({"items": [ITEM, reference, ITEM, reference]}).encode())
        pairs = {**PAIR, "reference_answer": "Rayleigh."}
        compared = post_raw(srv, json.dumps({"items": [pairs, pairs]}).encode(), "/v1/compare")
    assert response.status_code == 422
    error = assert_clean(response)["error"]
    assert [(p["field"], p["message"].split(" (")[0]) for p in error["problems"]] == [
        ("items[0].response", "must not be empty or blank"),
        ("items[1].rubric", "unknown rubric 'nope'"),
        (
            "items[2].reference_answer",
            "template set 'prometheus2' has no absolute template with a reference answer",
        ),
        ("items[3].rubric", "required field is missing"),
        ("items[4].instruction", "must be a string, got a number"),
        ("items[4].rubric", "unknown rubric 'nope'"),
        (
            "items[5].reference_answer",
            "template set 'prometheus2' has no absolute template with a reference answer",
        ),
    ]
    assert error["message"].startswith("7 problems: items[0].response: must not be empty or blank; ")
    assert all(f"{p['field']}: {p['message']}" in error["message"] for p in error["problems"])
    for answer, fields in ((valid_shape, ["items[1]", "items[3]"]), (compared, ["items[0]", "items[1]"])):
        assert answer.status_code == 422
        assert [p["field"] for p in answer.json()["error"]["problems"]] == [
            f"{f}.reference_answer" for f in fields
        ]


def test_the_message_spells_out_ten_problems_and_counts_the_rest(server: RunningServer) -> None:
    items = [{**ITEM, "response": ""}] * 12  # validation runs before the item limit (4)
    error = post_raw(server, json.dumps({"items": items}).encode()).json()["error"]
    assert len(error["problems"]) == 12
    assert error["message"].startswith("12 problems: items[0].response: must not be empty")
    assert "items[9].response" in error["message"] and "items[10]" not in error["message"]
    assert error["message"].endswith("; and 2 more (see problems)")


# -- errors and logs --------------------------------------------------------------------------------------
class _Broken(Backend):
    name = "broken"

    def identity(self) -> dict[str, str]:
        return {"backend": "broken"}

    async def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Completion]:
        raise RuntimeError("secret internal detail /srv/models/private")


def test_unexpected_errors_are_a_generic_500_with_request_id(
    start_server: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="judgeforge.serve")
    with start_server(Judge(_Broken())) as srv:
        response = httpx.post(f"{srv.url}/v1/grade", json=ITEM, headers={**AUTH, "X-Request-ID": "req-42"})
        assert httpx.get(f"{srv.url}/healthz").status_code == 200  # the server lives on
    assert response.status_code == 500
    body = assert_clean(response)
    assert body == {
        "error": {"code": "internal_error", "message": "internal server error", "problems": []},
        "request_id": "req-42",
    }
    assert "secret" not in response.text
    logged = [r for r in caplog.records if r.name == "judgeforge.serve" and r.exc_info]
    assert logged and "req-42" in logged[0].getMessage()
    assert "secret internal detail" in caplog.text  # details are in the server log


def test_access_log_is_json_per_request_and_never_holds_keys(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="judgeforge.serve.access")
    httpx.post(f"{server.url}/v1/grade", json=ITEM, headers={**AUTH, "X-Request-ID": "log-1"})
    httpx.get(f"{server.url}/v1/rubrics", headers={"X-API-Key": OTHER_KEY + "bad", "X-Request-ID": "log-2"})
    # The server logs a request after its response has gone out: wait (bounded) for the server's thread.
    deadline = time.monotonic() + 5
    while True:
        entries = {
            e["request_id"]: e
            for e in (
                json.loads(r.getMessage()) for r in caplog.records if r.name == "judgeforge.serve.access"
            )
        }
        if {"log-1", "log-2"} <= entries.keys() or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert entries["log-1"]["status"] == 200 and entries["log-1"]["path"] == "/v1/grade"
    assert entries["log-1"]["method"] == "POST" and entries["log-1"]["duration_ms"] >= 0
    assert entries["log-2"]["status"] == 401
    assert API_KEY not in caplog.text and OTHER_KEY not in caplog.text


def test_an_input_the_template_set_cannot_show_is_a_422_for_that_item(
    start_server: ServerFactory, tmp_path: Path
) -> None:
    with start_server(no_reference_judge(tmp_path)) as srv:
        items = [ITEM, {**ITEM, "reference_answer": "Rayleigh scattering."}]
        response = httpx.post(f"{srv.url}/v1/grade", json={"items": items}, headers=AUTH)
        single = httpx.post(f"{srv.url}/v1/grade", json=items[1], headers=AUTH)
        assert httpx.post(f"{srv.url}/v1/grade", json={"items": items[:1]}, headers=AUTH).status_code == 200
    assert response.status_code == 422
    message = assert_clean(response)["error"]["message"]
    assert message.startswith("items[1].reference_answer: ") and "without" not in message
    assert assert_clean(single)["error"]["message"].startswith("reference_answer: ")
