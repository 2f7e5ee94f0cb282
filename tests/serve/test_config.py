"""API keys from the environment and files, the constant-time key check, and refusals before serving."""

from __future__ import annotations

from pathlib import Path

import pytest

from judgeforge.errors import ConfigError
from judgeforge.serve import API_KEYS_ENV, KeyChecker, ServeConfig, load_api_keys
from judgeforge.serve.run import serve
from serve.support import API_KEY, OTHER_KEY, fake_judge


def test_keys_come_from_env_and_file_deduplicated(tmp_path: Path) -> None:
    keys_file = tmp_path / "keys"
    keys_file.write_text(f"# rotated 2024-05\n\n  {OTHER_KEY}  \n{API_KEY}\n", encoding="utf-8")
    env = {API_KEYS_ENV: f" {API_KEY} ,,"}
    assert load_api_keys(keys_file, env) == [API_KEY, OTHER_KEY]
    assert load_api_keys(None, {}) == []
    with pytest.raises(ConfigError, match="shorter than 16"):
        load_api_keys(None, {API_KEYS_ENV: "abc"})
    with pytest.raises(ConfigError, match="cannot read API keys file"):
        load_api_keys(tmp_path / "missing", {})


def test_key_checker_accepts_exactly_the_configured_keys() -> None:
    checker = KeyChecker([API_KEY, OTHER_KEY])
    assert checker.check(API_KEY) and checker.check(OTHER_KEY)
    for wrong in (None, "", API_KEY[:-1], API_KEY + " ", API_KEY.upper()):
        assert not checker.check(wrong)
    with pytest.raises(ConfigError):
        KeyChecker(["", ""])


def test_no_auth_is_refused_off_loopback_and_bad_limits_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="without API keys"):
        serve(fake_judge(), host="0.0.0.0", port=1, keys=None)
    with pytest.raises(ConfigError, match="max_items"):
        ServeConfig.from_options(max_items=0)
    with pytest.raises(ConfigError) as raised:
        ServeConfig.from_options(max_items=0, max_body_bytes="big", public_docs="maybe", nope=1)
    assert str(raised.value) == (
        "invalid serve options: max_body_bytes: must be a whole number; max_items: must be at least 1; "
        "public_docs: must be true or false; nope: unknown field"
    )
