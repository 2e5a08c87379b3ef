"""deploy/template.yaml keeps its promises: read as data, no AWS needed.

Each test names one invariant of a safe deployment (the queue, its dead-letter queue, the
function's trigger, the table, the endpoint, the permissions) and checks it on the template
itself. The lint tests (test_sam_template_lint.py) check the same file as CloudFormation will
receive it.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from tests.deploy.support import (
    BUILD_LAMBDA_ZIP,
    DOCKERFILE,
    ROOT,
    TEMPLATE,
    get_att,
    load_template,
    ref,
    resources_of_type,
)
from triggersqs.settings import ENV_PREFIX, Settings
from triggersqs.storage.dynamodb.schema import TABLE_DEFINITION

SQS_MAX_VISIBILITY_TIMEOUT = 43_200
"""Seconds: 12 hours, the most SQS allows."""
EXAMPLE_QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:triggersqs-Queue-1A2B3C4D5E6F"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = resources_of_type(template, "AWS::Serverless::Function")
    assert found, "the template defines no function"
    return found


def function_property(template: dict[str, Any], function: dict[str, Any], name: str) -> Any:
    """A property of a function, or the Globals' value SAM would give it."""
    properties = function["Properties"]
    if name in properties:
        return properties[name]
    return template.get("Globals", {}).get("Function", {}).get(name)


def queue_event(function: dict[str, Any]) -> dict[str, Any]:
    events = [
        event for event in function["Properties"]["Events"].values() if event["Type"] == "SQS"
    ]
    assert len(events) == 1, "each function has exactly one SQS trigger"
    properties: dict[str, Any] = events[0]["Properties"]
    return properties


def allowed(template: dict[str, Any], parameter: str) -> list[int]:
    return [int(value) for value in template["Parameters"][parameter]["AllowedValues"]]


def statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    role = template["Resources"]["FunctionRole"]["Properties"]
    return [
        statement
        for policy in role["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def as_list(value: Any) -> list[Any]:  # IAM allows one value or a list
    return value if isinstance(value, list) else [value]


# -- the queue and its dead-letter queue ----------------------------------------------------------


def test_the_queue_redrives_to_the_dead_letter_queue_after_max_receive_count(
    template: dict[str, Any],
) -> None:
    redrive = template["Resources"]["Queue"]["Properties"]["RedrivePolicy"]

    assert redrive == {
        "deadLetterTargetArn": get_att("DeadLetterQueue", "Arn"),
        "maxReceiveCount": ref("MaxReceiveCount"),
    }
    assert template["Resources"]["DeadLetterQueue"]["Type"] == "AWS::SQS::Queue"


def test_the_dead_letter_queue_is_of_the_same_type_as_the_queue(template: dict[str, Any]) -> None:
    queue = template["Resources"]["Queue"]["Properties"]
    dead_letters = template["Resources"]["DeadLetterQueue"]["Properties"]

    assert queue["FifoQueue"] == dead_letters["FifoQueue"]
    assert queue["FifoQueue"] == {"Fn::If": ["IsFifo", True, ref("AWS::NoValue")]}
    assert template["Conditions"]["IsFifo"] == {"Fn::Equals": [ref("QueueType"), "fifo"]}


def test_the_dead_letter_queue_keeps_messages_as_long_as_sqs_allows(
    template: dict[str, Any],
) -> None:
    dead_letters = template["Resources"]["DeadLetterQueue"]["Properties"]

    assert dead_letters["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_visibility_timeout_is_at_least_six_times_the_function_timeout_plus_the_batching_window(
    template: dict[str, Any],
) -> None:
    table = template["Mappings"]["QueueVisibilityTimeout"]
    queue = template["Resources"]["Queue"]["Properties"]

    assert queue["VisibilityTimeout"] == {
        "Fn::FindInMap": [
            "QueueVisibilityTimeout",
            ref("FunctionTimeout"),
            ref("BatchingWindowSeconds"),
        ]
    }
    assert template["Globals"]["Function"]["Timeout"] == ref("FunctionTimeout")
    for timeout in allowed(template, "FunctionTimeout"):
        for window in allowed(template, "BatchingWindowSeconds"):
            visibility = table[str(timeout)][str(window)]
            assert visibility >= 6 * timeout + window, (timeout, window)
            assert visibility <= SQS_MAX_VISIBILITY_TIMEOUT, (timeout, window)


def test_the_visibility_table_covers_exactly_the_allowed_timeouts_and_windows(
    template: dict[str, Any],
) -> None:
    table = template["Mappings"]["QueueVisibilityTimeout"]
    timeouts = {str(value) for value in allowed(template, "FunctionTimeout")}
    windows = {str(value) for value in allowed(template, "BatchingWindowSeconds")}

    assert set(table) == timeouts
    assert all(set(row) == windows for row in table.values())
    assert max(map(int, timeouts)) <= 900, "Lambda's longest timeout is 15 minutes"
    assert max(map(int, windows)) <= 300, "the longest batching window SQS allows"


def test_both_queues_are_encrypted_at_rest(template: dict[str, Any]) -> None:
    for name in ("Queue", "DeadLetterQueue"):
        assert template["Resources"][name]["Properties"]["SqsManagedSseEnabled"] is True


# -- the function and its trigger ------------------------------------------------------------------


def test_exactly_one_function_exists_for_each_package_type(template: dict[str, Any]) -> None:
    found = functions(template)

    assert template["Parameters"]["PackageType"]["AllowedValues"] == ["Zip", "Image"]
    assert {name: function["Condition"] for name, function in found.items()} == {
        "ZipFunction": "IsZip",
        "ImageFunction": "IsImage",
    }
    assert template["Conditions"]["IsZip"] == {"Fn::Equals": [ref("PackageType"), "Zip"]}
    assert template["Conditions"]["IsImage"] == {"Fn::Equals": [ref("PackageType"), "Image"]}
    assert found["ImageFunction"]["Properties"]["PackageType"] == "Image"
    assert "PackageType" not in found["ZipFunction"]["Properties"]  # SAM's default: Zip


def test_every_function_reports_batch_item_failures_for_its_queue(
    template: dict[str, Any],
) -> None:
    for name, function in functions(template).items():
        event = queue_event(function)

        assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"], name
        assert event["Queue"] == get_att("Queue", "Arn"), name
        assert event["BatchSize"] == ref("BatchSize"), name
        assert event["ScalingConfig"] == {"MaximumConcurrency": ref("MaximumConcurrency")}, name
        # SQS refuses a batching window on a FIFO queue.
        assert event["MaximumBatchingWindowInSeconds"] == {
            "Fn::If": ["IsFifo", ref("AWS::NoValue"), ref("BatchingWindowSeconds")]
        }, name


def test_the_function_only_accepts_records_from_its_own_queue(template: dict[str, Any]) -> None:
    for function in functions(template).values():
        variables = function_property(template, function, "Environment")["Variables"]

        assert variables["TRIGGERSQS_QUEUE_ARNS"] == get_att("Queue", "Arn")
        assert variables["TRIGGERSQS_STORE"] == "dynamodb"
        assert variables["TRIGGERSQS_DYNAMODB_TABLE"] == ref("Table")


def test_the_function_environment_is_a_configuration_the_service_accepts(
    template: dict[str, Any],
) -> None:
    # GIVEN the variables as CloudFormation resolves them (with the parameters' defaults)
    parameters = template["Parameters"]
    resolved = {
        "Table": "triggersqs-Table-1A2B3C4D5E6F",
        **{name: str(parameter.get("Default", "")) for name, parameter in parameters.items()},
    }

    def resolve(value: Any) -> str:
        if value == get_att("Queue", "Arn"):
            return EXAMPLE_QUEUE_ARN
        if isinstance(value, dict) and "Ref" in value:
            return resolved[value["Ref"]]
        assert isinstance(value, str), f"unexpected value {value!r}"
        return value

    for function in functions(template).values():
        variables = function_property(template, function, "Environment")["Variables"]
        environ = {name: resolve(value) for name, value in variables.items()}

        # WHEN the service reads them THEN it starts (unknown TRIGGERSQS_* names are refused)
        settings = Settings.from_environ(environ)

        assert all(name.startswith(ENV_PREFIX) for name in environ)
        assert settings.store == "dynamodb"
        assert settings.queue_arns == (EXAMPLE_QUEUE_ARN,)


def test_every_environment_choice_the_template_offers_is_a_valid_setting(
    template: dict[str, Any],
) -> None:
    fields = {field.name for field in dataclasses.fields(Settings)}
    for parameter, setting in (("InvalidMessages", "invalid_messages"), ("LogLevel", "log_level")):
        assert setting in fields
        for value in template["Parameters"][parameter]["AllowedValues"]:
            Settings.build(**{setting: value})


def test_the_zip_function_runs_the_handler_the_image_runs(template: dict[str, Any]) -> None:
    zip_function = template["Resources"]["ZipFunction"]["Properties"]
    command = re.search(r'^CMD \["([^"]+)"\]$', DOCKERFILE.read_text(), re.MULTILINE)

    assert command is not None
    assert zip_function["Handler"] == command.group(1) == "triggersqs.lambda_handler.handler"


def test_the_zip_runtime_matches_the_image_and_the_build_script_defaults(
    template: dict[str, Any],
) -> None:
    runtime = template["Resources"]["ZipFunction"]["Properties"]["Runtime"]
    image_python = re.search(r"^ARG PYTHON_VERSION=(\S+)$", DOCKERFILE.read_text(), re.MULTILINE)
    script = BUILD_LAMBDA_ZIP.read_text()

    assert image_python is not None
    assert runtime == f"python{image_python.group(1)}" == "python3.13"
    assert '"--python-version", default="3.13"' in script
    assert template["Parameters"]["Architecture"]["Default"] == "arm64"
    assert 'default="arm64"' in script


def test_the_zip_function_deploys_the_file_build_lambda_zip_writes(
    template: dict[str, Any],
) -> None:
    code_uri = template["Resources"]["ZipFunction"]["Properties"]["CodeUri"]

    # `sam build` leaves a CodeUri ending in .zip as it is; paths are relative to the template.
    assert code_uri.endswith(".zip")
    assert (TEMPLATE.parent / code_uri).resolve() == ROOT / "dist" / "lambda.zip"
    assert 'default=ROOT / "dist" / "lambda.zip"' in BUILD_LAMBDA_ZIP.read_text()


def test_a_zip_deployment_needs_no_docker_to_check_the_image_function(
    template: dict[str, Any],
) -> None:
    # The SAM CLI ignores Conditions: when the image function is not built, `sam deploy --guided`
    # asks Docker about its image unless the ImageUri resolves to an ECR URI.
    image_uri = template["Resources"]["ImageFunction"]["Properties"]["ImageUri"]

    assert image_uri == {
        "Fn::If": [
            "HasImageUri",
            ref("ImageUri"),
            {"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/triggersqs:latest"},
        ]
    }
    assert template["Parameters"]["ImageUri"]["Default"] == ""
    assert template["Conditions"]["HasImageUri"] == {
        "Fn::Not": [{"Fn::Equals": [ref("ImageUri"), ""]}]
    }


def test_sam_build_finds_the_dockerfile_of_the_image_function(template: dict[str, Any]) -> None:
    metadata = template["Resources"]["ImageFunction"]["Metadata"]

    context = (TEMPLATE.parent / metadata["DockerContext"]).resolve()
    assert context == ROOT
    assert (context / metadata["Dockerfile"]).resolve() == DOCKERFILE


# -- the table --------------------------------------------------------------------------------


def test_the_table_has_exactly_the_schema_the_code_creates(template: dict[str, Any]) -> None:
    table = template["Resources"]["Table"]
    properties = table["Properties"]

    assert table["Type"] == "AWS::DynamoDB::Table"
    assert properties["BillingMode"] == TABLE_DEFINITION["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["AttributeDefinitions"] == TABLE_DEFINITION["AttributeDefinitions"]
    assert properties["KeySchema"] == TABLE_DEFINITION["KeySchema"]
    assert properties["GlobalSecondaryIndexes"] == TABLE_DEFINITION["GlobalSecondaryIndexes"]
    assert set(TABLE_DEFINITION) <= set(properties), (
        "every CreateTable parameter is in the template"
    )


def test_the_table_has_point_in_time_recovery_and_outlives_the_stack(
    template: dict[str, Any],
) -> None:
    table = template["Resources"]["Table"]

    assert table["Properties"]["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True
    }
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


# -- the HTTP endpoint ---------------------------------------------------------------------------


def test_the_http_api_needs_iam_signed_requests(template: dict[str, Any]) -> None:
    for name, function in functions(template).items():
        assert function_property(template, function, "FunctionUrlConfig") == {
            "AuthType": "AWS_IAM"
        }, name
    assert not resources_of_type(template, "AWS::Lambda::Permission"), "no public invoke grant"
    assert not resources_of_type(template, "AWS::Lambda::Url"), "only the functions' own URLs"


# -- permissions ---------------------------------------------------------------------------------


def test_the_role_grants_exactly_the_queue_table_and_log_actions_the_service_needs(
    template: dict[str, Any],
) -> None:
    table = get_att("Table", "Arn")
    indexes = [
        {"Fn::Sub": f"${{Table.Arn}}/index/{index['IndexName']}"}
        for index in TABLE_DEFINITION["GlobalSecondaryIndexes"]
    ]
    granted = {
        (action, repr(resource))
        for statement in statements(template)
        for action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }
    expected = {
        *(
            (action, repr(get_att("Queue", "Arn")))
            for action in (
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:GetQueueAttributes",
            )
        ),
        *(
            (action, repr(table))
            for action in (
                "dynamodb:PutItem",  # also authorises the puts of TransactWriteItems
                "dynamodb:GetItem",
                "dynamodb:BatchGetItem",
                "dynamodb:Query",
                "dynamodb:DescribeTable",
            )
        ),
        *(("dynamodb:Query", repr(index)) for index in indexes),
        *(
            (action, repr(get_att("FunctionLogGroup", "Arn")))
            for action in ("logs:CreateLogStream", "logs:PutLogEvents")
        ),
    }

    assert granted == expected
    assert all(statement["Effect"] == "Allow" for statement in statements(template))


def test_no_statement_uses_a_wildcard_action_or_a_literal_wildcard_resource(
    template: dict[str, Any],
) -> None:
    for statement in statements(template):
        assert not any("*" in action for action in as_list(statement["Action"])), statement
        for resource in as_list(statement["Resource"]):
            assert not (isinstance(resource, str) and "*" in resource), statement
            assert "*" not in str(resource), statement
    role = template["Resources"]["FunctionRole"]["Properties"]
    assert "ManagedPolicyArns" not in role


def test_every_function_uses_the_least_privilege_role(template: dict[str, Any]) -> None:
    # With a Role of its own, SAM adds none of its policies (which grant SQS and logs on "*").
    for name, function in functions(template).items():
        assert function["Properties"]["Role"] == get_att("FunctionRole", "Arn"), name
        assert "Policies" not in function["Properties"], name
    trust = template["Resources"]["FunctionRole"]["Properties"]["AssumeRolePolicyDocument"]
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]


# -- operations ----------------------------------------------------------------------------------


def test_an_alarm_watches_the_dead_letter_queue_depth(template: dict[str, Any]) -> None:
    [alarm] = resources_of_type(template, "AWS::CloudWatch::Alarm").values()
    properties = alarm["Properties"]

    assert properties["Namespace"] == "AWS/SQS"
    assert properties["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert properties["Dimensions"] == [
        {"Name": "QueueName", "Value": get_att("DeadLetterQueue", "QueueName")}
    ]
    assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert properties["Threshold"] == 1


def test_function_logs_go_to_a_log_group_with_retention(template: dict[str, Any]) -> None:
    log_group = template["Resources"]["FunctionLogGroup"]

    assert log_group["Properties"]["RetentionInDays"] == ref("LogRetentionDays")
    assert template["Parameters"]["LogRetentionDays"]["Default"] in allowed(
        template, "LogRetentionDays"
    )
    for function in functions(template).values():
        logging = function_property(template, function, "LoggingConfig")
        assert logging["LogGroup"] == ref("FunctionLogGroup")


def test_outputs_give_the_queue_urls_the_function_url_and_the_table_name(
    template: dict[str, Any],
) -> None:
    outputs = {name: output["Value"] for name, output in template["Outputs"].items()}

    assert outputs["QueueUrl"] == ref("Queue")
    assert outputs["DeadLetterQueueUrl"] == ref("DeadLetterQueue")
    assert outputs["TableName"] == ref("Table")
    assert outputs["FunctionUrl"] == {
        "Fn::If": [
            "IsZip",
            get_att("ZipFunctionUrl", "FunctionUrl"),
            get_att("ImageFunctionUrl", "FunctionUrl"),
        ]
    }


def test_the_template_takes_the_parameters_a_deployment_tunes(template: dict[str, Any]) -> None:
    assert {
        "FunctionTimeout",
        "MemorySize",
        "BatchSize",
        "BatchingWindowSeconds",
        "MaximumConcurrency",
        "MaxReceiveCount",
        "PackageType",
    } <= set(template["Parameters"])
    for name, parameter in template["Parameters"].items():
        assert "Default" in parameter, f"{name}: `sam deploy --guided` offers a safe default"
        assert parameter.get("Description"), f"{name} is explained"


def test_every_checkov_skip_says_why(template: dict[str, Any]) -> None:
    skips = [
        (name, skip)
        for name, resource in template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]

    assert skips
    for name, skip in skips:
        assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), (name, skip)
        assert len(skip.get("comment", "")) > 20, (name, skip)
