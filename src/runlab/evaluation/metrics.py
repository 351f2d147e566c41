"""Custom metrics (``make_metric``) and the thresholds a model must meet (``MetricThreshold``).

Both are plain data: nothing heavy is imported here.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from runlab.errors import InvalidInputError, ModelValidationFailedError

__all__ = ["EvaluationMetric", "MetricThreshold", "check_thresholds", "make_metric"]


@dataclass(frozen=True)
class EvaluationMetric:
    """A metric computed by ``eval_fn`` beside the built-in ones.

    ``eval_fn`` receives, by parameter name, any of ``predictions``, ``targets``,
    ``metrics`` (the built-in values so far), ``eval_df`` (a DataFrame with
    ``prediction`` and ``target`` columns) and ``builtin_metrics``; it returns a
    number, a dict of numbers (logged as ``<name>/<key>``) or an object with an
    ``aggregate_results`` dict.
    """

    eval_fn: Callable[..., Any]
    name: str
    greater_is_better: bool
    long_name: str | None = None
    version: str | None = None
    metric_details: str | None = None
    metric_metadata: dict[str, Any] | None = None
    genai_metric_args: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not callable(self.eval_fn):
            raise InvalidInputError(f"eval_fn: expected a function, got {self.eval_fn!r}")
        if not isinstance(self.name, str) or not self.name:
            raise InvalidInputError(f"name: a metric needs a non-empty name, got {self.name!r}")
        if not isinstance(self.greater_is_better, bool):
            raise InvalidInputError(
                f"greater_is_better: expected True or False, got {self.greater_is_better!r}"
            )

    def compute(self, available: Mapping[str, Any]) -> dict[str, float]:
        """Call ``eval_fn`` with the arguments it names; its result as metric values."""
        named = inspect.signature(self.eval_fn).parameters.values()
        var = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        params = [p.name for p in named if p.kind not in var]
        required = [p.name for p in named if p.kind not in var and p.default is p.empty]
        unknown = [p for p in required if p not in available]
        if unknown:
            raise InvalidInputError(
                f"extra_metrics: {self.name}'s eval_fn asks for {', '.join(unknown)}; it can "
                f"take {', '.join(sorted(available))}"
            )
        result = self.eval_fn(**{p: available[p] for p in params if p in available})
        result = getattr(result, "aggregate_results", result)
        if isinstance(result, Mapping):
            return {f"{self.name}/{k}": _number(self.name, v) for k, v in result.items()}
        return {self.name: _number(self.name, result)}


def _number(name: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"extra_metrics: {name}'s eval_fn returned {value!r}, not a number"
        ) from None


def make_metric(
    *,
    eval_fn: Callable[..., Any],
    greater_is_better: bool,
    name: str | None = None,
    long_name: str | None = None,
    version: str | None = None,
    metric_details: str | None = None,
    metric_metadata: dict[str, Any] | None = None,
    genai_metric_args: dict[str, Any] | None = None,
) -> EvaluationMetric:
    """A custom metric for ``evaluate(extra_metrics=[...])``; ``name`` defaults to the
    function's name (a lambda needs one)."""
    if name is None:
        name = getattr(eval_fn, "__name__", "")
        if name == "<lambda>" or not name:
            raise InvalidInputError("name: a metric made from a lambda needs name=")
    return EvaluationMetric(
        eval_fn, name, greater_is_better, long_name, version, metric_details,
        metric_metadata, genai_metric_args,
    )  # fmt: skip


@dataclass(frozen=True)
class MetricThreshold:
    """What a metric must reach: ``threshold`` on its own value, and, against a baseline
    model, a minimum absolute and relative improvement."""

    threshold: float | None = None
    min_absolute_change: float | None = None
    min_relative_change: float | None = None
    greater_is_better: bool | None = field(default=None)

    def __post_init__(self) -> None:
        if not isinstance(self.greater_is_better, bool):
            raise InvalidInputError(
                f"greater_is_better: a MetricThreshold needs True or False, got "
                f"{self.greater_is_better!r}"
            )
        for name in ("threshold", "min_absolute_change", "min_relative_change"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
            ):
                raise InvalidInputError(f"{name}: expected a finite number, got {value!r}")
        for name in ("min_absolute_change", "min_relative_change"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise InvalidInputError(f"{name}: must be positive, got {value!r}")

    def failures(self, value: float, baseline: float | None) -> list[str]:
        """Why ``value`` (against ``baseline``) misses this threshold; empty when it passes."""
        better = "higher" if self.greater_is_better else "lower"
        sign = 1.0 if self.greater_is_better else -1.0
        out = []
        if self.threshold is not None and sign * (value - self.threshold) < 0:
            cmp = ">=" if self.greater_is_better else "<="
            out.append(f"value {value:.6g} is not {cmp} the threshold {self.threshold:.6g}")
        if baseline is not None:
            gain = sign * (value - baseline)
            if self.min_absolute_change is not None and gain <= self.min_absolute_change:
                out.append(
                    f"value {value:.6g} is not {self.min_absolute_change:.6g} {better} than "
                    f"the baseline's {baseline:.6g} (change {value - baseline:+.6g})"
                )
            if self.min_relative_change is not None:
                if baseline:
                    relative = gain / abs(baseline)
                else:  # from zero, any gain is an infinite relative change
                    relative = math.copysign(math.inf, gain) if gain else 0.0
                if not relative > self.min_relative_change:
                    out.append(
                        f"value {value:.6g} is not {self.min_relative_change:.2%} {better} "
                        f"than the baseline's {baseline:.6g}"
                    )
        return out


def check_thresholds(
    thresholds: Mapping[str, MetricThreshold],
    metrics: Mapping[str, float],
    baseline: Mapping[str, float] | None,
) -> None:
    """Raise ModelValidationFailedError listing every metric that misses its threshold."""
    failures: dict[str, str] = {}
    for name, rule in thresholds.items():
        if not isinstance(rule, MetricThreshold):
            raise InvalidInputError(
                f"validation_thresholds: {name!r} maps to {type(rule).__name__}, "
                "not a MetricThreshold"
            )
        needs_baseline = rule.min_absolute_change is not None or rule.min_relative_change
        if needs_baseline and baseline is None:
            raise InvalidInputError(
                f"validation_thresholds: {name!r} sets a minimum change, which needs "
                "baseline_model="
            )
        if name not in metrics:
            failures[name] = "the metric was not computed (" + ", ".join(sorted(metrics)) + ")"
            continue
        reasons = rule.failures(metrics[name], None if baseline is None else baseline.get(name))
        if reasons:
            failures[name] = "; ".join(reasons)
    if failures:
        lines = "\n".join(f"  {name}: {why}" for name, why in failures.items())
        raise ModelValidationFailedError(
            f"model validation failed for {len(failures)} metric(s):\n{lines}", failures
        )
