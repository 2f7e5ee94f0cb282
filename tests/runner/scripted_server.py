"""A real OpenAI-compatible HTTP server on 127.0.0.1 whose answer is scripted per row.

Each grading prompt names its row (the rows' responses are ``row-0`` .. ``row-N``); ``answer(row, attempt,
body)`` (``body``: the request's JSON) returns ``(status, body, headers)`` for the ``attempt``-th request (0-based) of that row. The
server counts every request per row, and every non-200 answer it sent, so a test can compare them with what
the run reports.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = tuple[int, Any, dict[str, str]]
Script = Callable[[str, int, dict[str, Any]], Answer]
_ROW = re.compile(r"row-\d+")


def ok(score: int = 4, logprobs: Any = None) -> Answer:
    choice: dict[str, Any] = {
        "message": {"role": "assistant", "content": f"Feedback: fine. [RESULT] {score}"},
        "finish_reason": "stop",
    }
    if logprobs is not None:
        choice["logprobs"] = logprobs
    return 200, {"choices": [choice], "usage": {"prompt_tokens": 20, "completion_tokens": 6}}, {}


class ScriptedServer:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: Counter[str] = Counter()
        self.non_200 = 0
        self.lock = threading.Lock()
        self.url = ""

    def handle(self, body: dict[str, Any]) -> Answer:
        text = json.dumps(body["messages"])
        found = _ROW.findall(text)
        row = found[-1] if found else "?"
        with self.lock:
            attempt = self.requests[row]
            self.requests[row] += 1
        status, payload, headers = self.script(row, attempt, body)
        if status != 200:
            with self.lock:
                self.non_200 += 1
        return status, payload, headers


def _handler(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # Keep-alive as real servers do: with HTTP/1.0 every answer closes its connection, and a client
        # that reuses one it has not yet seen closed gets a connection error nobody scripted.
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            status, payload, headers = server.handle(body)
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    request_queue_size = 64  # a listen backlog for the client's 16 connections (the default 5 refuses some)
    daemon_threads = True


@contextmanager
def scripted_server(script: Script) -> Iterator[ScriptedServer]:
    state = ScriptedServer(script)
    http = _Server(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{http.server_address[1]}/v1"
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        http.shutdown()
        http.server_close()
