"""What a remote worker needs to build the same Judge as a local run: names and options, never objects.

A :class:`JudgeSpec` crosses process (and machine) boundaries as plain data; each Ray actor builds its own
Judge from it, so an in-process model (transformers, vLLM, llama.cpp) is loaded once per actor, where the
actor runs, and never on the driver.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from judgeforge.judge import Judge, judge_sampling, judge_settings, protocol_name


class JudgeSpec(BaseModel):
    """The arguments of :class:`~judgeforge.judge.Judge` (and of ``judgeforge grade``) as data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    backend: str = "fake"
    backend_options: dict[str, Any] = Field(default_factory=dict)
    template_set: str = "prometheus2"
    chat_format: str = "mistral-inst"
    tokenizer: str | None = None  # a local tokenizer path, for chat_format "tokenizer"
    sampling: dict[str, Any] = Field(default_factory=dict)
    max_attempts: int = Field(3, ge=1)
    samples: int = Field(1, ge=1)
    aggregate: str = "mean"
    logprobs: bool = False
    score_only: bool = False

    def build(self) -> Judge:
        """Construct the Judge (loads the model of an in-process backend)."""
        tokenizer = None
        if self.tokenizer is not None:
            from judgeforge.lazy import require

            tokenizer = require("transformers", "hf").AutoTokenizer.from_pretrained(self.tokenizer)
        return Judge(
            self.backend,
            self.template_set,
            self.chat_format,
            sampling=self.sampling,
            max_attempts=self.max_attempts,
            samples=self.samples,
            aggregate=self.aggregate,
            tokenizer=tokenizer,
            backend_options=self.backend_options,
            logprobs=self.logprobs,
            score_only=self.score_only,
        )

    def settings(self) -> dict[str, Any]:
        """What :meth:`Judge.settings` gives for the Judge this spec builds, without building it (no model
        is loaded): a local run and a Ray run of the same judge share their settings hash."""
        from judgeforge.backends import backends
        from judgeforge.backends.base import parse_options
        from judgeforge.prompts import get_template_set

        options = parse_options(backends.get(self.backend), self.backend_options)
        return judge_settings(
            self.backend,
            options.output_settings(),
            get_template_set(self.template_set),
            self.chat_format,
            judge_sampling(self.sampling, self.logprobs or self.score_only),
            self.samples,
            self.aggregate,
            protocol_name(self.logprobs, self.score_only),
        )
