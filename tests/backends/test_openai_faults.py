"""openai_compat against faulty servers: httpx.MockTransport at the transport seam, and a real slow server.

The backend sends each request once and returns each prompt's outcome; retries are the middleware's
(:class:`ReliableBackend`), so the retry tests go through it as every caller does.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from judgeforge.backends import create_backend
from judgeforge.backends.middleware import ReliableBackend
from judgeforge.backends.openai_compat import OpenAICompatBackend, OpenAICompatOptions
from judgeforge.backends.retry import RetryPolicy
from judgeforge.errors import BackendConfigError
from judgeforge.records import Completion, GenerationFailure, Message, Prompt
from judgeforge.sampling import SamplingParams

PROMPT = Prompt(
    mode="absolute",
    template="prometheus2",
    messages=(Message(role="system", content="SYS"), Message(role="user", content="USER")),
    text="[INST] SYS\nUSER [/INST]",
)
PARAMS = SamplingParams(max_tokens=8, temperature=0.0, seed=7)
FAST = RetryPolicy(initial_delay=0.001, max_delay=0.01)


def chat_body(text: str = "Feedback: ok [RESULT] 4") -> dict[str, Any]:
    return {
        "choices": [{"message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 5},
    }


def backend_with(handler: Callable[[httpx.Request], httpx.Response], **options: Any) -> OpenAICompatBackend:
    return OpenAICompatBackend(
        OpenAICompatOptions(base_url="http://judge.test/v1", model="m", **options),
        transport=httpx.MockTransport(handler),
    )


def run(backend: OpenAICompatBackend, prompts: list[Prompt] | None = None, policy: RetryPolicy = FAST) -> Any:
    """Through the one retry layer, as the Judge sends it."""
    return asyncio.run(ReliableBackend(backend, policy).generate(prompts or [PROMPT], PARAMS))


class Script:
    """Answers each request with the next scripted response (the last one repeats); records requests."""

    def __init__(self, *responses: httpx.Response | Exception) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.times.append(time.monotonic())
        response = self.responses[min(len(self.requests) - 1, len(self.responses) - 1)]
        if isinstance(response, Exception):
            raise response
        return response


def test_chat_request_shape_usage_and_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JF_TEST_KEY", "sk-test")
    script = Script(httpx.Response(200, json=chat_body()))
    backend = backend_with(script, api_key_env="JF_TEST_KEY", repetition_penalty_field="repeat_penalty")
    [completion] = run(backend)
    assert completion.text == "Feedback: ok [RESULT] 4"
    assert completion.usage.prompt_tokens == 11 and completion.usage.completion_tokens == 5
    request = script.requests[0]
    assert request.url == "http://judge.test/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test"
    body = json.loads(request.content)
    assert body["messages"] == [{"role": "system", "content": "SYS"}, {"role": "user", "content": "USER"}]
    assert body["seed"] == 7 and body["max_tokens"] == 8 and body["repeat_penalty"] == 1.03
    assert "logprobs" not in body


def test_completions_endpoint_sends_rendered_text_and_reads_logprobs() -> None:
    body = {
        "choices": [
            {
                "text": " [RESULT] 4",
                "finish_reason": "length",
                "logprobs": {
                    "tokens": [" [RESULT]", " 4"],
                    "token_logprobs": [-0.1, -0.2],
                    "top_logprobs": [{" [RESULT]": -0.1}, {" 4": -0.2, " 5": -1.9}],
                },
            }
        ]
    }
    script = Script(httpx.Response(200, json=body))
    backend = backend_with(script, endpoint="completions")
    [completion] = asyncio.run(
        backend.generate([PROMPT], PARAMS.model_copy(update={"logprobs": True, "top_logprobs": 5}))
    )
    sent = json.loads(script.requests[0].content)
    assert script.requests[0].url.path == "/v1/completions"
    assert sent["prompt"] == PROMPT.text and sent["logprobs"] == 5
    assert completion.finish_reason == "length"
    assert completion.logprobs is not None and completion.logprobs[1].top == {" 4": -0.2, " 5": -1.9}


def test_merge_system_role_joins_system_into_user_turn() -> None:
    script = Script(httpx.Response(200, json=chat_body()))
    run(backend_with(script, system_role="merge"))
    assert json.loads(script.requests[0].content)["messages"] == [{"role": "user", "content": "SYS\n\nUSER"}]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(408, text="request timeout"),
        httpx.Response(409, text="conflict"),
        httpx.Response(425, text="too early"),
        httpx.Response(429, json={"error": {"message": "slow down"}}),
        httpx.Response(500, text="boom"),
        httpx.Response(503, json={"error": "overloaded"}),
        httpx.Response(200, text="<html>bad gateway</html>"),
        httpx.ReadTimeout("read timed out"),
        httpx.ConnectError("connection refused"),
    ],
    ids=["408", "409", "425", "429", "500", "503", "html-body", "timeout", "connect"],
)
def test_transient_failures_are_retried_then_succeed(failure: httpx.Response | Exception) -> None:
    script = Script(failure, failure, httpx.Response(200, json=chat_body()))
    backend = backend_with(script)
    calls = ReliableBackend(backend, FAST)
    [completion] = asyncio.run(calls.generate([PROMPT], PARAMS))
    assert isinstance(completion, Completion) and completion.text.endswith("[RESULT] 4")
    assert len(script.requests) == 3 and backend.requests_sent == 3
    assert calls.stats.retries == 2


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(400, json={"error": {"message": "maximum context length exceeded"}}),
        httpx.Response(422, json={"error": {"message": "content filter"}}),
        httpx.Response(200, json={"choices": [{"message": {"content": None}}]}),
        httpx.Response(200, json={"choices": []}),
        httpx.Response(200, json={"unexpected": True}),
    ],
    ids=["400", "422", "content-null", "no-choices", "no-choices-key"],
)
def test_a_prompts_own_faults_are_its_failure_and_not_retried(failure: httpx.Response) -> None:
    script = Script(failure)
    [outcome] = run(backend_with(script))
    assert isinstance(outcome, GenerationFailure) and outcome.kind == "permanent"
    assert len(script.requests) == 1
    if failure.status_code != 200:
        assert "maximum context length" in outcome.message or "content filter" in outcome.message


@pytest.mark.parametrize(
    ("status", "message", "fix"),
    [
        (401, "invalid api key", "api_key_env"),
        (403, "forbidden", "permissions"),
        (404, "model 'x' not found", "base_url"),
        (500, "System role not supported", "system_role=merge"),
        (400, "Conversation roles must alternate user/assistant/user/assistant", "system_role=merge"),
        (400, "tokenizer.chat_template is not set", "endpoint=completions"),
    ],
)
def test_configuration_errors_stop_at_once_and_name_the_fix(status: int, message: str, fix: str) -> None:
    script = Script(httpx.Response(status, json={"error": {"message": message}}))
    with pytest.raises(BackendConfigError, match=fix):
        run(backend_with(script), [PROMPT, PROMPT.model_copy(update={"text": "other"})])
    assert len(script.requests) == 2  # each prompt sent once, none retried


def test_retries_are_bounded_and_the_last_failure_kept() -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "0"}, json={"error": "quota"}))
    [outcome] = run(backend_with(script), policy=FAST.model_copy(update={"max_retries": 2}))
    assert isinstance(outcome, GenerationFailure) and outcome.retryable and outcome.retry_after == 0.0
    assert len(script.requests) == 3
    timeouts = Script(httpx.ReadTimeout("slow"))
    [outcome] = run(backend_with(timeouts), policy=FAST.model_copy(update={"max_retries": 1}))
    assert isinstance(outcome, GenerationFailure) and outcome.cause == "timeout"
    assert len(timeouts.requests) == 2


def test_retry_after_is_honoured() -> None:
    script = Script(
        httpx.Response(429, headers={"Retry-After": "0.4"}), httpx.Response(200, json=chat_body())
    )
    run(backend_with(script), policy=RetryPolicy(initial_delay=0.0, max_delay=0.0))
    assert script.times[1] - script.times[0] >= 0.38


def test_backoff_grows_exponentially() -> None:
    script = Script(
        httpx.Response(500), httpx.Response(500), httpx.Response(500), httpx.Response(200, json=chat_body())
    )
    run(backend_with(script), policy=RetryPolicy(initial_delay=0.05, max_delay=10.0))
    gaps = [later - earlier for earlier, later in zip(script.times, script.times[1:])]
    # equal jitter: wait n lies in [0.05 * 2**n / 2, 0.05 * 2**n]
    assert gaps[0] >= 0.024 and gaps[2] >= 0.099 and gaps[2] > gaps[0]


def test_concurrency_is_bounded_and_order_kept() -> None:
    active = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.02)
        active -= 1
        content = json.loads(request.content)["messages"][-1]["content"]
        return httpx.Response(200, json=chat_body(f"echo {content} [RESULT] 3"))

    backend = OpenAICompatBackend(
        OpenAICompatOptions(base_url="http://judge.test/v1", max_concurrency=3),
        transport=httpx.MockTransport(handler),
    )
    prompts = [
        PROMPT.model_copy(update={"messages": (Message(role="user", content=f"u{i}"),)}) for i in range(10)
    ]
    completions = asyncio.run(backend.generate(prompts, PARAMS))
    assert [c.text.split()[1] for c in completions] == [f"u{i}" for i in range(10)]
    assert peak == 3


def test_options_from_cli_strings_are_validated() -> None:
    backend = create_backend("openai_compat", {"max_concurrency": "4", "endpoint": "completions"})
    assert isinstance(backend, OpenAICompatBackend) and backend.options.max_concurrency == 4
    with pytest.raises(Exception, match="endpoint"):
        create_backend("openai_compat", {"endpoint": "embeddings"})


class _SlowHandler(BaseHTTPRequestHandler):
    delay = 1.0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(self.delay)
        payload = json.dumps(chat_body()).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def slow_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_per_request_timeout_on_a_real_slow_server(slow_server: str) -> None:
    backend = OpenAICompatBackend(OpenAICompatOptions(base_url=slow_server, timeout=0.2))
    started = time.monotonic()
    [outcome] = run(backend, policy=FAST.model_copy(update={"max_retries": 1}))
    assert isinstance(outcome, GenerationFailure) and outcome.cause == "timeout"
    assert time.monotonic() - started < 0.9 and backend.requests_sent == 2
