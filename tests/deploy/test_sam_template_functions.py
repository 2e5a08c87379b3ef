"""deploy/template.yaml: the consumer and the API, from one artifact, each told its role.

Read from the SAM template itself; what SAM and CloudFormation make of it is checked by
test_sam_template_roles.py.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from tests.deploy.support import (
    BUILD_LAMBDA_ZIP,
    DOCKERFILE,
    EXAMPLE_QUEUE_ARN,
    QUEUE_ARN_VALUE,
    ROOT,
    TEMPLATE,
    get_att,
    load_template,
    ref,
    resources_of_type,
)
from triggersqs.settings import ENV_PREFIX, Settings

FUNCTIONS = {
    "ConsumerZipFunction": ("consumer", "IsZip"),
    "ConsumerImageFunction": ("consumer", "IsImage"),
    "ApiZipFunction": ("api", "IsZip"),
    "ApiImageFunction": ("api", "IsImage"),
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def functions(template: dict[str, Any], role: str | None = None) -> dict[str, dict[str, Any]]:
    found = resources_of_type(template, "AWS::Serverless::Function")
    assert found, "the template defines no function"
    return {name: fn for name, fn in found.items() if role is None or FUNCTIONS[name][0] == role}


def environment(template: dict[str, Any], function: dict[str, Any]) -> dict[str, Any]:
    """A function's variables as SAM merges them: the Globals', then its own."""
    shared = template["Globals"]["Function"]["Environment"]["Variables"]
    own = function["Properties"].get("Environment", {}).get("Variables", {})
    return {**shared, **own}


def queue_event(function: dict[str, Any]) -> dict[str, Any]:
    events = [
        event for event in function["Properties"]["Events"].values() if event["Type"] == "SQS"
    ]
    assert len(events) == 1, "each consumer has exactly one SQS trigger"
    properties: dict[str, Any] = events[0]["Properties"]
    return properties


def test_a_consumer_and_an_api_exist_for_each_package_type(template: dict[str, Any]) -> None:
    found = functions(template)

    assert template["Parameters"]["PackageType"]["AllowedValues"] == ["Zip", "Image"]
    assert {name: function["Condition"] for name, function in found.items()} == {
        name: condition for name, (_, condition) in FUNCTIONS.items()
    }
    assert template["Conditions"]["IsZip"] == {"Fn::Equals": [ref("PackageType"), "Zip"]}
    assert template["Conditions"]["IsImage"] == {"Fn::Equals": [ref("PackageType"), "Image"]}
    for name, function in found.items():
        expected = "Image" if "Image" in name else None  # SAM's default: Zip
        assert function["Properties"].get("PackageType") == expected, name


def test_each_function_is_told_its_role_and_gets_its_own_role_and_log_group(
    template: dict[str, Any],
) -> None:
    for name, function in functions(template).items():
        role = FUNCTIONS[name][0]
        prefix = role.capitalize()
        properties = function["Properties"]

        assert environment(template, function)["TRIGGERSQS_ROLE"] == role, name
        assert properties["Role"] == get_att(f"{prefix}Role", "Arn"), name
        assert "Policies" not in properties, name  # with a Role, SAM adds none of its own
        assert properties["LoggingConfig"] == {
            "LogFormat": "JSON",
            "LogGroup": ref(f"{prefix}LogGroup"),
        }, name


def test_the_consumers_report_batch_item_failures_and_have_no_url(
    template: dict[str, Any],
) -> None:
    for name, function in functions(template, "consumer").items():
        event = queue_event(function)

        assert "FunctionUrlConfig" not in function["Properties"], name
        assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"], name
        assert event["Queue"] == QUEUE_ARN_VALUE, name
        assert event["BatchSize"] == ref("BatchSize"), name
        assert event["ScalingConfig"] == {"MaximumConcurrency": ref("MaximumConcurrency")}, name
        # SQS refuses a batching window on a FIFO queue.
        assert event["MaximumBatchingWindowInSeconds"] == {
            "Fn::If": ["IsFifo", ref("AWS::NoValue"), ref("BatchingWindowSeconds")]
        }, name


def test_the_apis_have_an_iam_authenticated_url_and_no_trigger(template: dict[str, Any]) -> None:
    for name, function in functions(template, "api").items():
        assert function["Properties"]["FunctionUrlConfig"] == {"AuthType": "AWS_IAM"}, name
        assert "Events" not in function["Properties"], name
    assert "FunctionUrlConfig" not in template["Globals"]["Function"]
    assert not resources_of_type(template, "AWS::Lambda::Permission"), "no public invoke grant"
    assert not resources_of_type(template, "AWS::Lambda::Url"), "only the functions' own URLs"


def test_the_functions_only_accept_records_from_the_consumed_queue(
    template: dict[str, Any],
) -> None:
    for function in functions(template).values():
        variables = environment(template, function)

        assert variables["TRIGGERSQS_QUEUE_ARNS"] == QUEUE_ARN_VALUE
        assert variables["TRIGGERSQS_STORE"] == "dynamodb"
        assert variables["TRIGGERSQS_DYNAMODB_TABLE"] == ref("Table")
        assert variables["TRIGGERSQS_BODY_BUCKET"] == ref("BodyBucket")
        assert variables["TRIGGERSQS_RETENTION_DAYS"] == ref("RetentionDays")
        assert variables["TRIGGERSQS_METRICS_NAMESPACE"] == ref("MetricsNamespace")


def test_each_function_environment_is_a_configuration_the_service_accepts(
    template: dict[str, Any],
) -> None:
    # GIVEN the variables as CloudFormation resolves them (with the parameters' defaults)
    parameters = template["Parameters"]
    resolved = {
        "Table": "triggersqs-messages",
        "BodyBucket": "triggersqs-bodybucket-1a2b3c4d5e6f",
        **{name: str(parameter.get("Default", "")) for name, parameter in parameters.items()},
    }

    def resolve(value: Any) -> str:
        if value == QUEUE_ARN_VALUE:
            return EXAMPLE_QUEUE_ARN
        if isinstance(value, dict) and "Ref" in value:
            return resolved[value["Ref"]]
        assert isinstance(value, str), f"unexpected value {value!r}"
        return value

    for name, function in functions(template).items():
        environ = {key: resolve(value) for key, value in environment(template, function).items()}

        # WHEN the service reads them THEN it starts (unknown TRIGGERSQS_* names are refused)
        settings = Settings.from_environ(environ)

        assert all(key.startswith(ENV_PREFIX) for key in environ)
        assert settings.store == "dynamodb"
        assert settings.queue_arns == (EXAMPLE_QUEUE_ARN,)
        assert settings.role == FUNCTIONS[name][0], name
        assert settings.retention_days == int(resolved["RetentionDays"])
        assert settings.body_bucket == resolved["BodyBucket"]


def test_every_environment_choice_the_template_offers_is_a_valid_setting(
    template: dict[str, Any],
) -> None:
    fields = {field.name for field in dataclasses.fields(Settings)}
    for parameter, setting in (("InvalidMessages", "invalid_messages"), ("LogLevel", "log_level")):
        assert setting in fields
        for value in template["Parameters"][parameter]["AllowedValues"]:
            Settings.build(**{setting: value})


def test_the_zip_functions_run_the_handler_the_image_runs(template: dict[str, Any]) -> None:
    command = re.search(r'^CMD \["([^"]+)"\]$', DOCKERFILE.read_text(), re.MULTILINE)

    assert command is not None
    for name in ("ConsumerZipFunction", "ApiZipFunction"):
        handler = template["Resources"][name]["Properties"]["Handler"]
        assert handler == command.group(1) == "triggersqs.lambda_handler.handler"


def test_the_zip_runtime_matches_the_image_and_the_build_script_defaults(
    template: dict[str, Any],
) -> None:
    runtimes = {
        template["Resources"][name]["Properties"]["Runtime"]
        for name in ("ConsumerZipFunction", "ApiZipFunction")
    }
    image_python = re.search(r"^ARG PYTHON_VERSION=(\S+)$", DOCKERFILE.read_text(), re.MULTILINE)
    script = BUILD_LAMBDA_ZIP.read_text()

    assert image_python is not None
    assert runtimes == {f"python{image_python.group(1)}"} == {"python3.13"}
    assert '"--python-version", default="3.13"' in script
    assert template["Parameters"]["Architecture"]["Default"] == "arm64"
    assert 'default="arm64"' in script


def test_both_zip_functions_deploy_the_one_file_build_lambda_zip_writes(
    template: dict[str, Any],
) -> None:
    for name in ("ConsumerZipFunction", "ApiZipFunction"):
        code_uri = template["Resources"][name]["Properties"]["CodeUri"]

        # `sam build` leaves a CodeUri ending in .zip as it is; paths are relative to the template.
        assert code_uri.endswith(".zip")
        assert (TEMPLATE.parent / code_uri).resolve() == ROOT / "dist" / "lambda.zip"
    assert 'default=ROOT / "dist" / "lambda.zip"' in BUILD_LAMBDA_ZIP.read_text()


def test_a_zip_deployment_needs_no_docker_to_check_the_image_functions(
    template: dict[str, Any],
) -> None:
    # The SAM CLI ignores Conditions: when the image functions are not built, `sam deploy
    # --guided` asks Docker about their image unless the ImageUri resolves to an ECR URI.
    for name in ("ConsumerImageFunction", "ApiImageFunction"):
        image_uri = template["Resources"][name]["Properties"]["ImageUri"]
        ecr = "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/triggersqs:latest"

        assert image_uri == {"Fn::If": ["HasImageUri", ref("ImageUri"), {"Fn::Sub": ecr}]}
    assert template["Parameters"]["ImageUri"]["Default"] == ""
    assert template["Conditions"]["HasImageUri"] == {
        "Fn::Not": [{"Fn::Equals": [ref("ImageUri"), ""]}]
    }


def test_sam_build_finds_the_dockerfile_of_the_image_functions(template: dict[str, Any]) -> None:
    for name in ("ConsumerImageFunction", "ApiImageFunction"):
        metadata = template["Resources"][name]["Metadata"]

        context = (TEMPLATE.parent / metadata["DockerContext"]).resolve()
        assert context == ROOT
        assert (context / metadata["Dockerfile"]).resolve() == DOCKERFILE
