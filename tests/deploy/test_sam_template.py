"""deploy/template.yaml keeps its promises: read as data, no AWS needed.

Each test names one invariant of a safe deployment and checks it on the SAM template itself: here
the queue, its dead-letter queue and the parameters; test_sam_template_functions.py the consumer,
the API and their environment; test_sam_template_storage.py the table and the bucket;
test_sam_template_roles.py the permissions and test_sam_template_alarms.py the alarms and the
dashboard, on the template as CloudFormation receives it. test_sam_template_lint.py runs cfn-lint
and checkov.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.deploy.support import (
    EXAMPLE_QUEUE_ARN,
    allowed,
    get_att,
    load_template,
    ref,
)

SQS_MAX_VISIBILITY_TIMEOUT = 43_200
"""Seconds: 12 hours, the most SQS allows."""


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


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


def test_the_stack_creates_both_queues_unless_given_an_existing_queue(
    template: dict[str, Any],
) -> None:
    resources = template["Resources"]

    assert resources["Queue"]["Condition"] == resources["DeadLetterQueue"]["Condition"]
    assert resources["Queue"]["Condition"] == "CreatesQueue"
    assert template["Conditions"]["CreatesQueue"] == {"Fn::Equals": [ref("QueueArn"), ""]}
    assert template["Parameters"]["QueueArn"]["Default"] == ""
    assert re.fullmatch(template["Parameters"]["QueueArn"]["AllowedPattern"], EXAMPLE_QUEUE_ARN)


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


def test_a_fifo_queue_drops_no_repeated_command_unless_asked(template: dict[str, Any]) -> None:
    # Content-based deduplication would drop an identical body sent again within 5 minutes.
    queue = template["Resources"]["Queue"]["Properties"]
    parameter = template["Parameters"]["FifoContentBasedDeduplication"]
    rule = template["Rules"]["ContentBasedDeduplicationNeedsAFifoQueueCreatedHere"]

    assert queue["ContentBasedDeduplication"] == {
        "Fn::If": ["IsFifo", ref("FifoContentBasedDeduplication"), ref("AWS::NoValue")]
    }
    assert parameter["Default"] == "false"
    assert parameter["AllowedValues"] == ["false", "true"]
    assert "5 minutes" in parameter["Description"]
    assert rule["RuleCondition"] == {"Fn::Equals": [ref("FifoContentBasedDeduplication"), "true"]}


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


# -- operations ----------------------------------------------------------------------------------


def test_each_function_logs_to_its_own_log_group_with_retention(template: dict[str, Any]) -> None:
    for role in ("Consumer", "Api"):
        log_group = template["Resources"][f"{role}LogGroup"]["Properties"]

        assert log_group["RetentionInDays"] == ref("LogRetentionDays")
        assert log_group["LogGroupName"] == {
            "Fn::Sub": f"/aws/lambda/${{AWS::StackName}}-{role.lower()}"
        }
    assert template["Parameters"]["LogRetentionDays"]["Default"] in allowed(
        template, "LogRetentionDays"
    )


def test_the_template_takes_the_parameters_a_deployment_tunes(template: dict[str, Any]) -> None:
    assert {
        "FunctionTimeout",
        "MemorySize",
        "BatchSize",
        "BatchingWindowSeconds",
        "MaximumConcurrency",
        "MaxReceiveCount",
        "PackageType",
        "QueueArn",
        "RetentionDays",
        "FifoContentBasedDeduplication",
        "AlarmEmail",
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
