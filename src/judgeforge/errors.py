"""One exception tree for judgeforge.

Every error the library raises on purpose derives from :class:`JudgeforgeError`::

    JudgeforgeError
    ├── ConfigError               bad options, unknown registry names, invalid config files
    │   └── MissingDependencyError an optional extra is not installed (message names the pip command)
    ├── InputError                bad user data; carries ``record`` (id or line) and ``field``
    │   ├── RubricError           a rubric that is missing levels or fails the lint
    │   └── TemplateError         an input the chosen template set cannot show
    ├── BackendError              a model backend failed (vendor errors are translated into this)
    │   ├── BackendTimeout        the request timed out
    │   ├── BackendRateLimited    the server asked us to slow down (``retry_after`` seconds, if given)
    │   └── BackendConfigError    the backend's setup is wrong for every request (also a ConfigError);
    │                             ``hint`` names the fix, e.g. ``--backend-option system_role=merge``
    ├── ParseError                no verdict where the caller requires one (``Verdict.required()``,
    │                             ``Judgment.required()``)
    └── MergeError                a merge plan that cannot be carried out (checked before writing)

Parse failures of judge outputs are *data* (``Verdict.failure``), not exceptions; ``ParseError`` is only
raised where the caller asked for strictness: ``Verdict.required()`` and ``Judgment.required()`` return the
value or raise it with the failure.
"""

from __future__ import annotations


class JudgeforgeError(Exception):
    """Base class of every error raised on purpose by judgeforge."""


class ConfigError(JudgeforgeError):
    """Invalid configuration, option or registry name."""


class MissingDependencyError(ConfigError):
    """An optional dependency (extra) is missing."""

    def __init__(self, package: str, extra: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(f"{package} is not installed; install it with: pip install 'judgeforge[{extra}]'")


class InputError(JudgeforgeError):
    """Bad input data; names the record and the field when known."""

    def __init__(self, message: str, *, record: object = None, field: str | None = None) -> None:
        self.record = record
        self.field = field
        self.reason = message
        where = []
        if record is not None:
            where.append(f"record {record}")
        if field is not None:
            where.append(f"field '{field}'")
        prefix = f"{', '.join(where)}: " if where else ""
        super().__init__(prefix + message)


class RubricError(InputError):
    """A rubric is malformed or fails the lint."""


class TemplateError(InputError):
    """The template set cannot render the given inputs faithfully."""


class BackendError(JudgeforgeError):
    """A model backend failed to produce a completion."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        self.retryable = retryable
        super().__init__(message)


class BackendTimeout(BackendError):
    """A backend request timed out."""


class BackendRateLimited(BackendError):
    """The backend asked the client to slow down."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message, retryable=True)


class BackendConfigError(BackendError, ConfigError):
    """Every request would fail the same way (bad API key, unknown model, a template without a system role).

    Raised as soon as one request shows it, so a run stops within seconds instead of retrying every row;
    ``hint`` (also in the message) says what to change.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.hint = hint
        super().__init__(f"{message}; {hint}" if hint else message, retryable=False)


class ParseError(JudgeforgeError):
    """A model output could not be parsed where strictness was requested."""


class MergeError(JudgeforgeError):
    """A merge that cannot be carried out; raised before any output is written."""
