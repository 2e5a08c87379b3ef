"""What CloudFormation makes of a template for given parameters, offline: conditions decided.

``resolve`` evaluates the Conditions section, drops the resources and outputs whose condition is
false, picks the branch of every ``Fn::If`` and removes what ``AWS::NoValue`` removes; parameter
references become their values. What only exists once deployed (``Fn::GetAtt``, resource
``Ref``s, ``Fn::Sub``) is kept as written, so the tests can check where each one points.
Only the condition functions the project's template uses are supported; anything else fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

NO_VALUE = {"Ref": "AWS::NoValue"}
PSEUDO = re.compile(r"AWS::\w+")
SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}")
_DROP = object()


@dataclass(frozen=True)
class Deployment:
    """The resources and outputs a stack would have, with its parameters' values."""

    parameters: dict[str, str]
    conditions: dict[str, bool]
    resources: dict[str, dict[str, Any]]
    outputs: dict[str, Any]

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {name: res for name, res in self.resources.items() if res["Type"] == kind}

    def references(self) -> set[str]:
        """Every resource name a Ref, Fn::GetAtt or Fn::Sub of the stack points to."""
        found: set[str] = set()
        _collect(list(self.resources.values()) + list(self.outputs.values()), found)
        return {
            name for name in found if name not in self.parameters and not PSEUDO.fullmatch(name)
        }


def resolve(template: dict[str, Any], **overrides: str) -> Deployment:
    """The stack ``template`` makes with its parameters' defaults, except ``overrides``."""
    declared = template.get("Parameters", {})
    unknown = set(overrides) - set(declared)
    assert not unknown, f"no such parameters: {unknown}"
    parameters = {name: str(spec.get("Default", "")) for name, spec in declared.items()}
    parameters.update(overrides)
    conditions: dict[str, bool] = {}
    for name in template.get("Conditions", {}):
        _condition(name, template["Conditions"], parameters, conditions)
    resources = {
        name: _resolve(resource, parameters, conditions)
        for name, resource in template["Resources"].items()
        if conditions.get(resource.get("Condition", ""), True)
    }
    outputs = {
        name: _resolve(output, parameters, conditions)
        for name, output in template.get("Outputs", {}).items()
        if conditions.get(output.get("Condition", ""), True)
    }
    return Deployment(parameters, conditions, resources, outputs)


def _condition(
    name: str, declared: dict[str, Any], parameters: dict[str, str], done: dict[str, bool]
) -> bool:
    if name not in done:
        done[name] = _evaluate(declared[name], declared, parameters, done)
    return done[name]


def _evaluate(
    expression: Any, declared: dict[str, Any], parameters: dict[str, str], done: dict[str, bool]
) -> bool:
    [(function, argument)] = expression.items()
    if function == "Condition":
        return _condition(argument, declared, parameters, done)
    if function == "Fn::Equals":
        left, right = (_value(side, parameters) for side in argument)
        return left == right
    parts = [_evaluate(part, declared, parameters, done) for part in argument]
    if function == "Fn::Not":
        return not parts[0]
    if function == "Fn::And":
        return all(parts)
    if function == "Fn::Or":
        return any(parts)
    raise AssertionError(f"unsupported condition function {function}")


def _value(side: Any, parameters: dict[str, str]) -> str:
    if isinstance(side, dict):
        return parameters[side["Ref"]]
    return str(side).lower() if isinstance(side, bool) else str(side)


def _resolve(node: Any, parameters: dict[str, str], conditions: dict[str, bool]) -> Any:
    if isinstance(node, list):
        items = [_resolve(item, parameters, conditions) for item in node]
        return [item for item in items if item is not _DROP]
    if not isinstance(node, dict):
        return node
    if node == NO_VALUE:
        return _DROP
    if set(node) == {"Fn::If"}:
        condition, when_true, when_false = node["Fn::If"]
        chosen = when_true if conditions[condition] else when_false
        return _resolve(chosen, parameters, conditions)
    if set(node) == {"Ref"} and node["Ref"] in parameters:
        return parameters[node["Ref"]]
    resolved = {key: _resolve(value, parameters, conditions) for key, value in node.items()}
    return {key: value for key, value in resolved.items() if value is not _DROP}


def _collect(node: Any, found: set[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _collect(item, found)
    elif isinstance(node, dict):
        if set(node) == {"Ref"}:
            found.add(node["Ref"])
        elif set(node) == {"Fn::GetAtt"}:
            target = node["Fn::GetAtt"]
            found.add(target[0] if isinstance(target, list) else target.split(".")[0])
        elif set(node) == {"Fn::Sub"}:
            text = node["Fn::Sub"] if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"][0]
            variables = {} if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"][1]
            found.update(set(SUB_NAME.findall(text)) - set(variables))
            _collect(variables, found)
        else:
            for value in node.values():
                _collect(value, found)
