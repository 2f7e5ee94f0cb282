"""``llama_cpp``: in-process llama-cpp-python on a GGUF file (the CPU default for released GGUF weights).

``prompt.text`` (the template set's chat format) is tokenized with special tokens parsed and a BOS token
added unless the text starts with one. Prompts run one after another (llama.cpp evaluates one sequence at
a time here, reusing the cached prefix between calls); ``generate`` runs them in a worker thread.
Logprobs need the context to keep all logits: create the backend with ``logprobs=true``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from judgeforge.backends.base import Backend, BackendOptions, Capabilities, ModelThread
from judgeforge.backends.fingerprint import file_fingerprint
from judgeforge.backends.openai_format import completion_from_body
from judgeforge.errors import BackendError, ConfigError
from judgeforge.lazy import require
from judgeforge.records import Completion, Prompt
from judgeforge.sampling import SamplingParams


class LlamaCppOptions(BackendOptions):
    model_path: str
    n_ctx: int = Field(4096, ge=0)
    n_threads: int | None = None
    n_batch: int = Field(512, ge=1)
    n_gpu_layers: int = 0
    logprobs: bool = False

    output_neutral: ClassVar[frozenset[str]] = frozenset({"n_threads"})


class LlamaCppBackend(Backend):
    """llama-cpp-python's ``Llama.create_completion`` behind the backend contract."""

    name: ClassVar[str] = "llama_cpp"
    capabilities: ClassVar[Capabilities] = Capabilities(logprobs=True)
    Options = LlamaCppOptions

    def __init__(self, options: LlamaCppOptions) -> None:
        self.options = options
        llama_cpp = require("llama_cpp", "llamacpp")
        if not Path(options.model_path).is_file():
            raise ConfigError(f"GGUF file not found: {options.model_path}")
        try:
            self.llm = llama_cpp.Llama(
                model_path=options.model_path,
                n_ctx=options.n_ctx,
                n_threads=options.n_threads,
                n_batch=options.n_batch,
                n_gpu_layers=options.n_gpu_layers,
                logits_all=options.logprobs,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise BackendError(f"cannot load {options.model_path}: {exc}", retryable=False) from exc
        self._bos = self.llm.detokenize([self.llm.token_bos()], special=True).decode("utf-8", "replace")
        self._lock = threading.Lock()

    @property
    def tokenizer(self) -> GGUFChatTemplate | None:
        """The GGUF's own chat template (its ``tokenizer.chat_template``), for the ``tokenizer`` chat format;
        None when the file carries none."""
        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            return None
        special = {"special": True}
        eos = self.llm.detokenize([self.llm.token_eos()], **special).decode("utf-8", "replace")
        return GGUFChatTemplate(template, bos_token=self._bos, eos_token=eos)

    def identity(self) -> dict[str, str]:
        return {
            "backend": self.name,
            "model": Path(self.options.model_path).name,
            "path": str(self.options.model_path),
            "revision": file_fingerprint(self.options.model_path),
        }

    async def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Completion]:
        if params.logprobs and not self.options.logprobs:
            raise ConfigError("llama_cpp: create the backend with logprobs=true to get token logprobs")
        return await ModelThread.run(self.generate_sync, prompts, params)

    def generate_sync(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Completion]:
        """The blocking implementation of :meth:`generate`."""
        with self._lock:
            return [self._one(prompt, params) for prompt in prompts]

    def _one(self, prompt: Prompt, params: SamplingParams) -> Completion:
        text = prompt.text
        tokens = self.llm.tokenize(text.encode("utf-8"), add_bos=not text.startswith(self._bos), special=True)
        kwargs: dict[str, Any] = {
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "repeat_penalty": params.repetition_penalty,
            "stop": list(params.stop) or None,
            "logprobs": max(params.top_logprobs, 1) if params.logprobs else None,
        }
        if params.seed is not None:
            kwargs["seed"] = params.seed
        try:
            body = self.llm.create_completion(tokens, **kwargs)
        except ValueError as exc:  # e.g. the prompt does not fit n_ctx: the request's own fault
            raise BackendError(f"llama_cpp: {exc}", retryable=False) from exc
        except RuntimeError as exc:
            raise BackendError(f"llama_cpp: {exc}") from exc
        return completion_from_body(body, chat=False)


class GGUFChatTemplate:
    """A GGUF file's chat template behind the one call the ``tokenizer`` chat format makes of a Hugging Face
    tokenizer, rendered by llama-cpp-python's own Jinja2 formatter (what its server applies)."""

    def __init__(self, template: str, *, bos_token: str, eos_token: str) -> None:
        self.template = template
        self.bos_token = bos_token
        self.eos_token = eos_token

    def apply_chat_template(
        self, messages: list[dict[str, str]], *, tokenize: bool = False, add_generation_prompt: bool = True
    ) -> str:
        if tokenize:
            raise ConfigError("GGUFChatTemplate renders text only (tokenize=False)")
        formats = require("llama_cpp.llama_chat_format", "llamacpp")
        formatter = formats.Jinja2ChatFormatter(
            template=self.template,
            eos_token=self.eos_token,
            bos_token=self.bos_token,
            add_generation_prompt=add_generation_prompt,
        )
        return str(formatter(messages=messages).prompt)
