"""docs/deploying.md says what the template does: its parameters, alarms, commands and the
caller policy a Function URL needs, kept from drifting apart."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.deploy.support import ROOT, load_template, resources_of_type
from tests.deploy.test_sam_template_alarms import ALARMS

DOC = ROOT / "docs" / "deploying.md"


@pytest.fixture(scope="module")
def text() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def test_the_doc_lists_every_alarm_by_name(text: str) -> None:
    for suffix in ALARMS.values():
        assert f"STACK-{suffix}" in text, suffix


def test_the_parameter_table_gives_every_parameter_with_its_default(
    text: str, template: dict[str, Any]
) -> None:
    rows = dict(re.findall(r"^\| `(\w+)` \|\s*`?([^`|]*?)`?\s*\|", text, re.MULTILINE))

    assert set(rows) >= set(template["Parameters"])
    for name, parameter in template["Parameters"].items():
        assert rows[name] == str(parameter["Default"]), name


def test_the_sam_build_commands_exclude_the_functions_of_the_other_package_type(
    text: str, template: dict[str, Any]
) -> None:
    functions = resources_of_type(template, "AWS::Serverless::Function")
    builds = re.findall(r"sam build [^`]*?(--exclude \w+ --exclude \w+)", text.replace("\\\n", ""))

    excluded = [set(re.findall(r"--exclude (\w+)", build)) for build in builds]
    assert excluded == [
        {name for name, fn in functions.items() if fn["Condition"] == condition}
        for condition in ("IsImage", "IsZip")
    ]


def test_the_caller_policy_allows_both_invoke_actions_and_direct_invokes_only_via_the_url(
    text: str,
) -> None:
    [block] = [
        json.loads(found)
        for found in re.findall(r"```json\n(.*?)```", text, re.DOTALL)
        if "InvokeFunctionUrl" in found
    ]
    statements = {statement["Action"]: statement for statement in block["Statement"]}

    assert set(statements) == {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}
    assert statements["lambda:InvokeFunction"]["Condition"] == {
        "Bool": {"lambda:InvokedViaFunctionUrl": "true"}
    }
    assert statements["lambda:InvokeFunctionUrl"]["Condition"] == {
        "StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}
    }
    for statement in statements.values():
        assert statement["Effect"] == "Allow"
        assert statement["Resource"] == "API_FUNCTION_ARN"
    assert "ApiFunctionArn" in load_template()["Outputs"]
