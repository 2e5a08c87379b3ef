"""A checker of CloudWatch Embedded Metric Format (EMF) log events, written from AWS's
specification ("Specification: Embedded metric format", CloudWatch User Guide) and the limits
AWS's own EMF clients enforce: what the tests hold every emitted line to."""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

MAX_METRICS_PER_DIRECTIVE: Final = 100
MAX_DIMENSIONS_PER_SET: Final = 30
MAX_VALUES_PER_METRIC: Final = 100
MAX_EVENT_BYTES: Final = 1024 * 1024
UNITS: Final = frozenset(
    {
        *("Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes"),
        *("Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits"),
        *("Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second"),
        *("Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second"),
        *("Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None"),
    }
)
_NAMESPACE: Final = re.compile(r"[a-zA-Z0-9._#:/-]{1,255}")


def emf_problems(line: str) -> list[str]:
    """Everything in ``line`` that breaks the EMF specification; empty when it is valid."""
    if len(line.encode()) > MAX_EVENT_BYTES:
        return ["the event is larger than 1 MB"]
    try:
        root = json.loads(line)
    except ValueError as exc:
        return [f"not one JSON value: {exc}"]
    if not isinstance(root, dict):
        return ["the root is not a JSON object"]
    meta = root.get("_aws")
    if not isinstance(meta, dict):
        return ["no _aws metadata object"]
    problems: list[str] = []
    timestamp = meta.get("Timestamp")
    if not isinstance(timestamp, int) or isinstance(timestamp, bool) or timestamp < 0:
        problems.append("_aws.Timestamp is not epoch milliseconds (a non-negative integer)")
    directives = meta.get("CloudWatchMetrics")
    if not isinstance(directives, list) or not directives:
        return [*problems, "_aws.CloudWatchMetrics is not a non-empty array"]
    for index, directive in enumerate(directives):
        problems += [f"directive {index}: {p}" for p in _directive_problems(directive, root)]
    return problems


def _directive_problems(directive: Any, root: dict[str, Any]) -> list[str]:
    if not isinstance(directive, dict):
        return ["not an object"]
    problems: list[str] = []
    unknown = set(directive) - {"Namespace", "Dimensions", "Metrics"}
    if unknown:
        problems.append(f"unknown members {sorted(unknown)}")
    namespace = directive.get("Namespace")
    if not isinstance(namespace, str) or not _NAMESPACE.fullmatch(namespace):
        problems.append(f"Namespace {namespace!r} is not a valid CloudWatch namespace")
    dimensions = directive.get("Dimensions")
    if not isinstance(dimensions, list):
        problems.append("Dimensions is not an array of dimension sets")
    else:
        for dimension_set in dimensions:
            problems += _dimension_set_problems(dimension_set, root)
    metrics = directive.get("Metrics")
    if not isinstance(metrics, list):
        return [*problems, "Metrics is not an array"]
    if len(metrics) > MAX_METRICS_PER_DIRECTIVE:
        problems.append(f"{len(metrics)} metrics: at most {MAX_METRICS_PER_DIRECTIVE}")
    for metric in metrics:
        problems += _metric_problems(metric, root)
    return problems


def _dimension_set_problems(dimension_set: Any, root: dict[str, Any]) -> list[str]:
    if not isinstance(dimension_set, list):
        return ["a dimension set is not an array"]
    problems = []
    if len(dimension_set) > MAX_DIMENSIONS_PER_SET:
        problems.append(f"a dimension set of {len(dimension_set)}: at most 30")
    for name in dimension_set:
        value = root.get(name) if isinstance(name, str) else None
        if not isinstance(value, str):
            problems.append(f"dimension {name!r} has no string member on the root")
        elif not (value.strip() and value.isascii() and len(value) <= 1024):
            problems.append(f"dimension {name!r} has value {value!r}: 1..1024 ASCII, not blank")
    return problems


def _metric_problems(metric: Any, root: dict[str, Any]) -> list[str]:
    if not isinstance(metric, dict):
        return ["a metric definition is not an object"]
    problems = []
    unknown = set(metric) - {"Name", "Unit", "StorageResolution"}
    if unknown:
        problems.append(f"metric with unknown members {sorted(unknown)}")
    name = metric.get("Name")
    if not isinstance(name, str) or not name.strip() or len(name) > 1024:
        return [*problems, f"metric name {name!r} is not a 1..1024 character string"]
    unit = metric.get("Unit")
    if unit is not None and unit not in UNITS:
        problems.append(f"metric {name}: unit {unit!r} is not a CloudWatch unit")
    if metric.get("StorageResolution", 60) not in (1, 60):
        problems.append(f"metric {name}: StorageResolution is neither 1 nor 60")
    value = root.get(name)
    values = value if isinstance(value, list) else [value]
    if isinstance(value, list) and len(value) > MAX_VALUES_PER_METRIC:
        problems.append(f"metric {name}: {len(value)} values, at most {MAX_VALUES_PER_METRIC}")
    if not all(_is_number(v) for v in values):
        problems.append(f"metric {name}: its member {value!r} is not a number or numbers")
    return problems


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
