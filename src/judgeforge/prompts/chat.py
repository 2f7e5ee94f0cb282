"""Chat formats: how (system, user) becomes the model's input string. Separate from the wording.

- ``mistral-inst``: ``"[INST] " + system + "\\n" + user + " [/INST]"``, what prometheus-eval's vLLM path builds
  for the Mistral/Mixtral-based Prometheus 2 judges.
- ``tokenizer``: the model's own chat template (``tokenizer.apply_chat_template``); where the template rejects a
  system role, the system prompt is joined to the user turn with ``"\\n\\n"``, as the training data did.
- ``none``: the user prompt alone (for servers that apply their own chat template, or for inspection).
- ``llama2``: FastChat's ``llama-2`` template for one user turn, ``"[INST] <<SYS>>\\n" + system + "\\n<</SYS>>\\n\\n" +
  user + " [/INST]"``, or ``"[INST] " + user + " [/INST]"`` without a system prompt (Prometheus 1, Auto-J).
- ``judgelm``: JudgeLM's raw string ``system + "\\n" + user`` (its ``### Response:`` is the template's prefill).

An empty system prompt means none: no system message is sent (a set whose family sends none).
"""

from __future__ import annotations

from typing import Any, Protocol

from judgeforge.errors import ConfigError
from judgeforge.registry import Registry


class ChatFormat(Protocol):
    def __call__(self, system: str, user: str, tokenizer: Any | None = None) -> str: ...


chat_formats: Registry[ChatFormat] = Registry("chat format")


@chat_formats.register("mistral-inst")
def mistral_inst(system: str, user: str, tokenizer: Any | None = None) -> str:
    return f"[INST] {system}\n{user} [/INST]"


@chat_formats.register("none")
def no_chat_format(system: str, user: str, tokenizer: Any | None = None) -> str:
    return user


@chat_formats.register("llama2")
def llama2(system: str, user: str, tokenizer: Any | None = None) -> str:
    if not system:
        return f"[INST] {user} [/INST]"
    return f"[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST]"


@chat_formats.register("judgelm")
def judgelm(system: str, user: str, tokenizer: Any | None = None) -> str:
    return f"{system}\n{user}"


@chat_formats.register("tokenizer")
def tokenizer_chat_format(system: str, user: str, tokenizer: Any | None = None) -> str:
    if tokenizer is None:
        raise ConfigError("chat format 'tokenizer' needs a tokenizer (give --tokenizer PATH)")
    try:
        return str(apply_chat_template(tokenizer, system_and_user(system, user)))
    except Exception as exc:  # jinja raises TemplateError for an unsupported system role
        if "system" not in str(exc).lower():
            raise
        return str(apply_chat_template(tokenizer, joined_user_turn(system, user)))


def system_and_user(system: str, user: str) -> list[dict[str, str]]:
    if not system:  # a family that sends no system message (Flow-Judge, Selene, OffsetBias)
        return [{"role": "user", "content": user}]
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def joined_user_turn(system: str, user: str) -> list[dict[str, str]]:
    """One user turn of system prompt + blank line + prompt, the released training format."""
    return [{"role": "user", "content": f"{system}\n\n{user}"}]


def apply_chat_template(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    return str(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))


def load_tokenizer(path: str | None) -> Any:
    """The Hugging Face tokenizer saved at ``path`` (for the ``tokenizer`` chat format); None for None."""
    if path is None:
        return None
    from judgeforge.lazy import require

    transformers = require("transformers", "hf")
    return transformers.AutoTokenizer.from_pretrained(path)
