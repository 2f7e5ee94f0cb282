"""Parameter resolution: what each method parameter is worth for each tensor and input model.

Parameters are resolved as mergekit 0.1.5 resolves them (``mergekit/parameter_resolver.py``,
``resolve_parameter``): the model's own setting, then the global one, the first that *yields a value for
the tensor* winning, then the method's default (a required parameter with no value is an error). A
setting is a scalar, a gradient (a list of numbers interpolated over the layer index, placed by
:mod:`judgeforge.merge.layers`), or a list of ``{filter, value}`` conditions, the first whose ``filter``
is a substring of the tensor name (or is absent / ``"*"``) winning.

Numbers are read whatever their YAML spelling. PyYAML implements YAML 1.1, whose float pattern needs a dot
and a signed exponent, so ``1e-5``, ``1E-5``, ``-.5`` or ``1.0e5`` load as *strings*; every scalar is
therefore converted to the parameter's declared type before a gradient is interpolated, as mergekit does
with pydantic (``mergekit/config.py``, ``evaluate_setting``): numeric strings (quoted or not) become
numbers, anything else is refused naming the value.

The method's contract (base model, input count, parameter names) is checked here too
(:func:`check_method`), once per merge, before anything is read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from judgeforge.errors import ConfigError
from judgeforge.merge.config import MergeConfig
from judgeforge.merge.layers import Placement
from judgeforge.merge.methods import METHODS, MergeMethod, ParamSpec

_BOOL_WORDS = {
    **dict.fromkeys(("true", "t", "yes", "y", "on", "1"), True),
    **dict.fromkeys(("false", "f", "no", "n", "off", "0"), False),
}


class GradientPlacementError(ConfigError):
    """A gradient (list) parameter met a tensor whose layer position is unknown."""


def check_method(config: MergeConfig) -> MergeMethod:
    """The method of a config, with its base/input-count contract and parameter names checked.

    A parameter that another registered method takes (``weight`` on a ``slerp`` model, ``t`` given to
    ``linear``) is ignored, as mergekit ignores it (see :func:`ignored_parameters`); a name that no method
    takes is refused as a probable typo.
    """
    method = METHODS.get(config.merge_method)
    n = len(config.inputs)
    if method.needs_base and config.base_model is None:
        raise ConfigError(f"merge method '{method.name}' needs a base_model")
    if n < method.min_inputs or (method.max_inputs is not None and n > method.max_inputs):
        raise ConfigError(
            f"merge method '{method.name}' takes {method.min_inputs}..{method.max_inputs} models, got {n}"
        )
    known = {name for entry in METHODS for name in METHODS.get(entry).params}
    for where, params in _parameter_scopes(config):
        unknown = set(params) - known
        if unknown:
            raise ConfigError(f"{where}: unknown parameters {sorted(unknown)} for '{method.name}'")
    return method


def ignored_parameters(config: MergeConfig, method: MergeMethod) -> list[str]:
    """Messages for the parameters the config gives that ``method`` does not take (they are ignored)."""
    return [
        f"{where}: parameters {sorted(extra)} are not used by '{method.name}' and are ignored"
        for where, params in _parameter_scopes(config)
        if (extra := set(params) - set(method.params))
    ]


def _parameter_scopes(config: MergeConfig) -> list[tuple[str, Mapping[str, Any]]]:
    return [("global", config.parameters), *((m.path, m.parameters) for m in config.models)]


def resolve_params(
    config: MergeConfig, method: MergeMethod, tensor: str, place: Placement, base_index: int | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Shared and per-input parameters for one tensor (per-model settings win over global ones)."""
    shared: dict[str, Any] = {}
    per_input: list[dict[str, Any]] = [{} for _ in config.inputs]
    for name, spec in method.params.items():
        if spec.scope == "shared":
            shared[name] = _resolve(name, spec, [config.parameters.get(name)], tensor, place, tensor)
            continue
        for i, model in enumerate(config.inputs):
            if spec.scope == "non_base" and i == base_index:
                continue
            settings = [model.parameters.get(name), config.parameters.get(name)]
            per_input[i][name] = _resolve(name, spec, settings, tensor, place, f"{model.path}: {tensor}")
    return shared, per_input


def _resolve(
    name: str, spec: ParamSpec, settings: Sequence[Any], tensor: str, place: Placement, where: str
) -> Any:
    """The first setting that yields a value for ``tensor``, else the default (or an error if required)."""
    convert = _converter(spec)

    def coerce(value: Any) -> Any:
        try:
            return convert(value)
        except ValueError as exc:
            raise ConfigError(f"{where}: parameter '{name}' = {value!r}: {exc}") from exc

    for setting in settings:
        try:
            value = evaluate_setting(setting, tensor, place.t, coerce)
        except GradientPlacementError:
            raise ConfigError(
                f"{where}: parameter '{name}' is a gradient over layers, but this tensor cannot be placed "
                f"in a layer stack: {place.reason}"
            ) from None
        if value is not None:
            return value
    if spec.required:
        raise ConfigError(f"{where}: parameter '{name}' is required")
    return spec.default


def _converter(spec: ParamSpec) -> Callable[[Any], Any]:
    if spec.kind is bool:
        return to_bool
    if spec.kind is float:
        return to_number
    if spec.choices:
        return lambda value: _choice(value, spec.choices)
    return str


def _choice(value: Any, choices: Sequence[str]) -> str:
    if str(value) not in choices:
        raise ValueError(f"must be one of {', '.join(choices)}")
    return str(value)


def to_number(value: Any) -> float:
    """A parameter number from any YAML spelling: numbers, and strings such as ``1e-5``, ``.5``, ``1_000``.

    Strings are parsed with ``float()``, which accepts what pydantic's lax float does (mergekit validates
    parameters with pydantic); booleans and other text raise ``ValueError``.
    """
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise ValueError("not a number") from None
    raise ValueError(f"expected a number, got {type(value).__name__}")


def to_bool(value: Any) -> bool:
    """A parameter flag: ``true``/``false``, ``0``/``1`` or their usual words (pydantic's lax bool)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _BOOL_WORDS:
        return _BOOL_WORDS[value.strip().lower()]
    raise ValueError("expected true/false")


def _identity(value: Any) -> Any:
    return value


def evaluate_setting(
    setting: Any, tensor_name: str, t: float | None, coerce: Callable[[Any], Any] = _identity
) -> Any:
    """Resolve one parameter setting (scalar, gradient, or filter conditions) for a tensor.

    Every scalar goes through ``coerce`` (the parameter's declared type) first. Returns ``None`` when no
    condition matches. Numeric gradients interpolate linearly between neighbouring anchors at
    ``t * (len - 1)``; other gradients pick the lower anchor (mergekit's ``evaluate_setting``). ``t`` is
    ``None`` for a tensor that cannot be placed in a layer stack: a gradient over two or more anchors then
    raises :class:`GradientPlacementError`.
    """
    if setting is None:
        return None
    if isinstance(setting, Mapping):
        setting = [setting]
    if isinstance(setting, bool | int | float | str):
        return coerce(setting)
    if not isinstance(setting, list):
        raise ConfigError(f"unsupported parameter value {setting!r}")
    if not setting:
        return None
    if all(isinstance(e, bool | int | float | str) for e in setting):
        values = [coerce(e) for e in setting]
        if t is None and len(values) > 1:
            raise GradientPlacementError(f"gradient {setting!r} on {tensor_name}")
        return _gradient(values, t or 0.0, coerce)
    for cond in setting:
        if not isinstance(cond, Mapping) or "value" not in cond:
            raise ConfigError(f"parameter condition needs 'value': {cond!r}")
        flt = cond.get("filter")
        if flt is None or flt == "*" or (tensor_name and str(flt) in tensor_name):
            return evaluate_setting(cond["value"], tensor_name, t, coerce)
    return None


def _gradient(values: list[Any], t: float, coerce: Callable[[Any], Any]) -> Any:
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    if not numeric:
        return values[int(t * (len(values) - 1))]
    scaled = t * (len(values) - 1)
    i0 = int(scaled)
    i1 = min(len(values) - 1, i0 + 1)
    frac = scaled - i0
    return coerce((1 - frac) * values[i0] + frac * values[i1])
