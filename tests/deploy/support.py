"""What the deployment tests share: the repository's paths, the SAM template as data, the tools.

The template is read with a YAML loader that knows CloudFormation's short tags (``!Ref``,
``!GetAtt``, ``!Sub``...) and turns each into its long form (``{"Ref": ...}``,
``{"Fn::GetAtt": [resource, attribute]}``), so the tests compare plain data.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path
from typing import Any, Final

import pytest
import yaml

ROOT: Final = Path(__file__).resolve().parents[2]
TEMPLATE: Final = ROOT / "deploy" / "template.yaml"
DOCKERFILE: Final = ROOT / "deploy" / "Dockerfile"
EXPAND_TEMPLATE: Final = ROOT / "deploy" / "expand_template.py"
BUILD_LAMBDA_ZIP: Final = ROOT / "scripts" / "build-lambda-zip"
ZIP_COLD_START: Final = ROOT / "benchmarks" / "zip_cold_start.py"


def _build_constant(name: str) -> tuple[str, ...]:
    """A tuple of strings that scripts/build-lambda-zip defines at its top level."""
    found = re.search(rf"^{name} = \(([^)]*)\)", BUILD_LAMBDA_ZIP.read_text(), re.MULTILINE)
    assert found is not None, f"scripts/build-lambda-zip names no {name}"
    return tuple(re.findall(r'"([^"]+)"', found.group(1)))


LOCAL_ONLY: Final = _build_constant("LOCAL_ONLY")
"""The packages scripts/build-lambda-zip leaves out of the Lambda artifact."""
SDK_SERVICES: Final = _build_constant("SDK_SERVICES")
"""The services whose API models scripts/build-lambda-zip keeps in the zip's botocore."""


def locked_version(package: str) -> str:
    """The version uv.lock pins for ``package``."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    [version] = [entry["version"] for entry in lock["package"] if entry["name"] == package]
    return str(version)


VENV_BIN: Final = Path(sys.executable).parent
"""cfn-lint and hadolint: the project's dev group (scripts/bootstrap)."""
IAC_BIN: Final = ROOT / ".tools" / "iac" / "bin"
"""checkov and the SAM translator's Python: scripts/install-iac-tools."""


def tool(path: Path) -> Path:
    """``path`` if it is installed; otherwise fail (never skip) and say how to install it."""
    if not path.exists():
        how = "scripts/install-iac-tools" if IAC_BIN in path.parents else "scripts/bootstrap"
        pytest.fail(f"{path} is missing: run {how} (scripts/test does both)")
    return path


class _CloudFormationLoader(yaml.SafeLoader):
    """PyYAML's safe loader plus CloudFormation's ``!Tag`` short forms."""


def _short_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _short_form)


def parse_template(text: str) -> dict[str, Any]:
    """A CloudFormation or SAM template (YAML or JSON) as plain data, short forms expanded."""
    template: dict[str, Any] = yaml.load(text, Loader=_CloudFormationLoader)  # noqa: S506 - safe loader + tags
    return template


def load_template() -> dict[str, Any]:
    """deploy/template.yaml as data."""
    return parse_template(TEMPLATE.read_text(encoding="utf-8"))


def ref(name: str) -> dict[str, str]:
    """``!Ref name`` in long form."""
    return {"Ref": name}


def get_att(resource: str, attribute: str) -> dict[str, list[str]]:
    """``!GetAtt resource.attribute`` in long form."""
    return {"Fn::GetAtt": [resource, attribute]}


def resources_of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """The template's resources of one type, by logical id."""
    return {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == kind
    }


EXAMPLE_QUEUE_ARN: Final = "arn:aws:sqs:eu-west-1:123456789012:triggersqs-Queue-1A2B3C4D5E6F"
QUEUE_ARN_VALUE: Final = {"Fn::If": ["CreatesQueue", get_att("Queue", "Arn"), ref("QueueArn")]}
"""The queue the consumer reads: the one the stack creates, or the QueueArn parameter's."""


def allowed(template: dict[str, Any], parameter: str) -> list[int]:
    """A numeric parameter's allowed values."""
    return [int(value) for value in template["Parameters"][parameter]["AllowedValues"]]


EXISTING_QUEUE: Final = "arn:aws:sqs:eu-west-1:123456789012:orders"
EXISTING_DEAD_LETTERS: Final = "arn:aws:sqs:eu-west-1:123456789012:orders-dlq"
QUEUE_KEY: Final = "arn:aws:kms:eu-west-1:123456789012:key/0f6a4c1e-8d0b-4a57-9d2c-2b8e6f1a3c5d"
EXISTING: Final = {
    "QueueArn": EXISTING_QUEUE,
    "DeadLetterQueueArn": EXISTING_DEAD_LETTERS,
    "QueueKmsKeyArn": QUEUE_KEY,
}
"""Parameters of a deployment onto an existing queue, its dead-letter queue and its KMS key."""
VARIANTS: Final[dict[str, dict[str, str]]] = {
    "zip, new queue": {},
    "image, new queue": {"PackageType": "Image"},
    "zip, existing queue": EXISTING,
    "image, existing queue": {**EXISTING, "PackageType": "Image"},
}
"""The deployments every check covers: each package type, with a new or an existing queue."""
