"""``transformers``: in-process batched generation with a Hugging Face causal LM (CPU or GPU).

Prompts are tokenized from ``prompt.text`` (the template set's chat format) or, with
``use_chat_template=true``, from the model's own chat template applied to ``prompt.messages``. A BOS token
is prepended unless the text already starts with it. Prompts are sorted by length and generated in batches
of ``batch_size`` with left padding, so little compute is spent on padding; results come back in input order.

Short greedy requests (at most ``SHORT_GENERATION`` new tokens, no repetition penalty: the score-only
protocol) compute the batch's common prompt prefix once (see :mod:`judgeforge.backends.hf_prefix`);
``share_prefix=false`` sends them through ``generate`` like everything else.

Sampling follows ``SamplingParams``: ``temperature == 0`` is greedy; otherwise sampling is seeded from
``params.seed`` per batch (a seeded run is reproducible for the same prompts and batch size). Logprobs are
the model's own distribution (raw logits, before temperature/top-p), with ``top_logprobs`` alternatives.
``dtype=auto`` picks bf16 on GPUs that support it, fp16 on other GPUs and fp32 on CPU.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from pydantic import Field

from judgeforge.backends.base import Backend, BackendOptions, Capabilities, ModelThread
from judgeforge.backends.fingerprint import check_local_model, directory_fingerprint
from judgeforge.backends.hf_decode import Pieces, decode_rows
from judgeforge.backends.hf_prefix import (
    SHORT_GENERATION,
    HeadCache,
    cache_keyword,
    greedy_with_shared_prefix,
)
from judgeforge.errors import BackendError
from judgeforge.lazy import require
from judgeforge.prompts.chat import tokenizer_chat_format
from judgeforge.records import Completion, Prompt
from judgeforge.sampling import SamplingParams


class TransformersOptions(BackendOptions):
    model: str
    tokenizer: str | None = None
    revision: str | None = None
    device: str = "auto"
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "auto"
    batch_size: int = Field(8, ge=1)
    use_chat_template: bool = False
    share_prefix: bool = True

    # Tested to give the same tokens: batching (left padding) and the shared-prefix loop.
    output_neutral: ClassVar[frozenset[str]] = frozenset({"batch_size", "share_prefix"})


class TransformersBackend(Backend):
    """Batched ``model.generate`` on a local (or cached) Hugging Face model."""

    name: ClassVar[str] = "transformers"
    capabilities: ClassVar[Capabilities] = Capabilities(
        logprobs=True, batching=True, applies_chat_template=True
    )
    Options = TransformersOptions

    def __init__(self, options: TransformersOptions) -> None:
        self.options = options
        check_local_model(options.model)
        self.torch = require("torch", "hf")
        transformers = require("transformers", "hf")
        self.device = _device(self.torch, options.device)
        self.dtype = _dtype(self.torch, options.dtype, self.device)
        try:
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(
                options.tokenizer or options.model, revision=options.revision
            )
            self.model = transformers.AutoModelForCausalLM.from_pretrained(
                options.model, revision=options.revision, dtype=self.dtype
            ).to(self.device)
        except (OSError, ValueError) as exc:
            raise BackendError(f"cannot load model {options.model!r}: {exc}", retryable=False) from exc
        self.model.eval()
        self._pad_id = _pad_id(self.tokenizer)
        self._pieces = Pieces(self.tokenizer)
        keyword = cache_keyword(self.model)  # None: no shared-prefix loop for this model
        self._heads = None if keyword is None else HeadCache(self.torch, self.model, keyword)
        self._lock = threading.Lock()  # one generate at a time: the model is not re-entrant

    def identity(self) -> dict[str, str]:
        return {
            "backend": self.name,
            "model": self.options.model,
            "revision": self.options.revision or directory_fingerprint(self.options.model) or "unknown",
            "dtype": str(self.dtype).removeprefix("torch."),
        }

    async def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Completion]:
        return await ModelThread.run(self.generate_sync, prompts, params)

    def model_input(self, prompt: Prompt, params: SamplingParams) -> str:
        """The chat messages when the tokenizer's template is applied here, else the rendered text."""
        if self.options.use_chat_template:
            return json.dumps([[m.role, m.content] for m in prompt.messages], ensure_ascii=False)
        return prompt.text

    def generate_sync(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Completion]:
        """The blocking implementation of :meth:`generate`."""
        encoded = self.encode_all(prompts)
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]), reverse=True)
        results: list[Completion | None] = [None] * len(encoded)
        size = self.options.batch_size
        with self._lock, self.torch.inference_mode():
            for number, start in enumerate(range(0, len(order), size)):
                batch = order[start : start + size]
                for index, completion in zip(batch, self._batch([encoded[i] for i in batch], params, number)):
                    results[index] = completion
        return [completion for completion in results if completion is not None]

    def encode(self, prompt: Prompt) -> list[int]:
        """Token ids of the model input for ``prompt``."""
        return self.encode_all([prompt])[0]

    def encode_all(self, prompts: Sequence[Prompt]) -> list[list[int]]:
        """Token ids of the model input for each prompt (tokenized in one batch call)."""
        if self.options.use_chat_template:
            texts = [tokenizer_chat_format(p.system, p.user, self.tokenizer) for p in prompts]
        else:
            texts = [prompt.text for prompt in prompts]
        if not texts:
            return []
        encoded = self._token_ids(texts)
        bos, bos_id = self.tokenizer.bos_token, self.tokenizer.bos_token_id
        if bos is None or bos_id is None:
            return encoded
        return [ids if text.startswith(bos) else [bos_id, *ids] for text, ids in zip(texts, encoded)]

    def _token_ids(self, texts: list[str]) -> list[list[int]]:
        """``tokenizer(texts, add_special_tokens=False)["input_ids"]``, straight from the Rust tokenizer
        (without offsets) when it is in the state that call would put it in: no truncation, no padding,
        special tokens recognised."""
        rust = getattr(self.tokenizer, "backend_tokenizer", None)
        if (
            rust is not None
            and hasattr(rust, "encode_batch_fast")
            and rust.truncation is None
            and rust.padding is None
            and not rust.encode_special_tokens
            and not getattr(self.tokenizer, "split_special_tokens", False)
        ):
            return [encoding.ids for encoding in rust.encode_batch_fast(texts, add_special_tokens=False)]
        ids: list[list[int]] = self.tokenizer(texts, add_special_tokens=False)["input_ids"]
        return ids

    def _batch(self, rows: list[list[int]], params: SamplingParams, number: int) -> list[Completion]:
        heads = self._heads_for(params)
        if heads is not None:
            return self._short_greedy(heads, rows, params)
        torch = self.torch
        width = max(len(row) for row in rows)
        input_ids = torch.tensor([[self._pad_id] * (width - len(r)) + r for r in rows], device=self.device)
        mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows], device=self.device)
        kwargs = self._generation_kwargs(params)
        if kwargs["do_sample"] and params.seed is not None:
            torch.manual_seed(params.seed + number)
        try:
            out = self.model.generate(input_ids=input_ids, attention_mask=mask, **kwargs)
        except (RuntimeError, ValueError) as exc:  # CUDA OOM, bad generation config
            raise BackendError(f"transformers generate failed: {exc}") from exc
        new_tokens = out.sequences[:, width:].tolist()
        logprobs = None
        if params.logprobs and out.logits is not None:
            logprobs = torch.stack(out.logits, dim=1).float().log_softmax(dim=-1)
        return decode_rows(self.tokenizer, self._pieces, rows, new_tokens, logprobs, params, self._stop_ids())

    def _heads_for(self, params: SamplingParams) -> HeadCache | None:
        """The kept prompt head when ``params`` ask for a short greedy generation (else None: generate)."""
        short_greedy = (
            params.temperature == 0
            and params.repetition_penalty == 1.0
            and params.max_tokens <= SHORT_GENERATION
        )
        return self._heads if self.options.share_prefix and short_greedy else None

    def _short_greedy(
        self, heads: HeadCache, rows: list[list[int]], params: SamplingParams
    ) -> list[Completion]:
        stop_ids = self._stop_ids()
        try:
            new_tokens, logits = greedy_with_shared_prefix(
                heads, rows, params.max_tokens, self._pad_id, stop_ids
            )
        except (RuntimeError, ValueError) as exc:  # CUDA OOM, a model without cache support
            raise BackendError(f"transformers forward pass failed: {exc}") from exc
        logprobs = logits.float().log_softmax(dim=-1) if params.logprobs else None
        return decode_rows(self.tokenizer, self._pieces, rows, new_tokens, logprobs, params, stop_ids)

    def _generation_kwargs(self, params: SamplingParams) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "max_new_tokens": params.max_tokens,
            "do_sample": params.temperature > 0,
            "pad_token_id": self._pad_id,
            "eos_token_id": sorted(self._stop_ids()),
            "repetition_penalty": params.repetition_penalty,
            "return_dict_in_generate": True,
            "output_logits": params.logprobs,
        }
        if kwargs["do_sample"]:
            kwargs.update(temperature=params.temperature, top_p=params.top_p, top_k=0)
        return kwargs

    def _stop_ids(self) -> set[int]:
        eos = self.model.generation_config.eos_token_id
        ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        if self.tokenizer.eos_token_id is not None:
            ids.add(self.tokenizer.eos_token_id)
        return ids


def _device(torch: Any, wanted: str) -> Any:
    if wanted != "auto":
        return torch.device(wanted)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _dtype(torch: Any, wanted: str, device: Any) -> Any:
    if wanted != "auto":
        return getattr(torch, wanted)
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def _pad_id(tokenizer: Any) -> int:
    for candidate in (tokenizer.pad_token_id, tokenizer.eos_token_id, 0):
        if candidate is not None:
            return int(candidate)
    return 0
