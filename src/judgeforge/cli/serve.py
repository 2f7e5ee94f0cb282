"""``judgeforge serve``: the judge as an HTTP service (needs the ``serve`` extra)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from judgeforge.cli.common import add_backend_options, add_prompt_options, judge_options


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve a judge over HTTP (POST /v1/grade, /v1/compare; keys from JUDGEFORGE_API_KEYS)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    parser.add_argument("--api-keys-file", default=None, help="file with one API key per line")
    parser.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="serve without API keys (allowed on loopback addresses only)",
    )
    parser.add_argument("--max-body-bytes", type=int, default=1_048_576, help="request body limit (413)")
    parser.add_argument("--max-items", type=int, default=64, help="items per request limit (413)")
    parser.add_argument(
        "--max-concurrency", type=int, default=8, help="grading requests in flight; more get 429"
    )
    parser.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds sent with 429")
    parser.add_argument(
        "--public-docs", action="store_true", help="serve /docs and /openapi.json without a key"
    )
    parser.add_argument("--samples", type=int, default=1, help="verdicts per item")
    parser.add_argument("--max-attempts", type=int, default=3, help="regenerations on a parse failure")
    add_prompt_options(parser)
    add_backend_options(parser)
    parser.set_defaults(func=run, interrupted="stopped")


def run(args: argparse.Namespace) -> int:
    from judgeforge.cli.common import required_backend
    from judgeforge.errors import ConfigError
    from judgeforge.judge import Judge
    from judgeforge.serve import KeyChecker, ServeConfig, load_api_keys
    from judgeforge.serve.run import serve

    required_backend(args)
    keys = load_api_keys(args.api_keys_file)
    if not keys and not args.insecure_no_auth:
        raise ConfigError(
            "no API keys: set JUDGEFORGE_API_KEYS or --api-keys-file (or --insecure-no-auth on loopback)"
        )
    config = ServeConfig.from_options(
        max_body_bytes=args.max_body_bytes,
        max_items=args.max_items,
        max_concurrency=args.max_concurrency,
        retry_after_s=args.retry_after,
        public_docs=args.public_docs,
    )
    judge = Judge(args.backend, **judge_options(args), max_attempts=args.max_attempts, samples=args.samples)
    _announce(args, judge, config, len(keys))
    serve(judge, host=args.host, port=args.port, config=config, keys=KeyChecker(keys) if keys else None)
    return 0


def _announce(args: argparse.Namespace, judge: Any, config: Any, keys: int) -> None:
    """One start-up line: the address, the judge, the limits and how clients authenticate."""
    identity = judge.backend.identity()
    auth = f"{keys} API key(s)" if keys else "no authentication (loopback only)"
    print(
        f"judgeforge serve: http://{args.host}:{args.port}/v1 (docs: /docs); judge {identity.get('backend')} "
        f"model {identity.get('model')}, template set {judge.renderer.template_set.name}, chat format "
        f"{judge.renderer.chat_format_name}; limits: {config.max_items} items per request, "
        f"{config.max_body_bytes:,} bytes per body, {config.max_concurrency} requests at once; {auth}",
        file=sys.stderr,
        flush=True,
    )
