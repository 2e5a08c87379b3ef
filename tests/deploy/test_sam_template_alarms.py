"""The alarms, their destination and the dashboard, as a stack would hold them in every variant.

Read from the expanded template resolved for each package type and queue (as
test_sam_template_roles.py does). docs/operations.md is the runbook for these alarms, by name;
docs/deploying.md lists them.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.deploy.cloudformation import Deployment, resolve
from tests.deploy.support import (
    EXISTING,
    EXISTING_DEAD_LETTERS,
    VARIANTS,
    allowed,
    get_att,
    load_template,
)

ALARMS = {
    "DeadLetterQueueAlarm": "dead-letter-queue-not-empty",
    "QueueAgeAlarm": "queue-oldest-message-age",
    "RecordsFailedAlarm": "records-failed",
    "ConsumerErrorsAlarm": "consumer-errors",
    "ConsumerThrottlesAlarm": "consumer-throttles",
    "ConsumerDurationAlarm": "consumer-duration-near-timeout",
    "ApiErrorsAlarm": "api-errors",
    "ApiThrottlesAlarm": "api-throttles",
    "ApiDurationAlarm": "api-duration-near-timeout",
    "TableThrottlesAlarm": "table-throttled-requests",
    "TableSystemErrorsAlarm": "table-system-errors",
}
"""Each alarm and the suffix of its name (``<stack>-<suffix>``): the runbook's vocabulary."""
LAMBDA_ALARMS = {
    "ConsumerErrorsAlarm": ("consumer", "Errors"),
    "ConsumerThrottlesAlarm": ("consumer", "Throttles"),
    "ConsumerDurationAlarm": ("consumer", "Duration"),
    "ApiErrorsAlarm": ("api", "Errors"),
    "ApiThrottlesAlarm": ("api", "Throttles"),
    "ApiDurationAlarm": ("api", "Duration"),
}
EMF_METRICS = {
    "RecordsStored",
    "RecordsDuplicate",
    "RecordsRejected",
    "RecordsFailed",
    "RecordsReturnedToQueue",
    "BatchDuration",
    "OldestMessageAge",
    "ColdStart",
}
"""What the consumer emits per batch (/work/tools/contracts.md), with the dimension QueueName."""
TABLE_OPERATIONS = {"PutItem", "TransactWriteItems", "GetItem", "BatchGetItem", "Query"}
"""Every DynamoDB operation the two functions call."""


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def stack(request: pytest.FixtureRequest, expanded_template: dict[str, Any]) -> Deployment:
    return resolve(expanded_template, **VARIANTS[request.param])


def alarms(stack: Deployment) -> dict[str, dict[str, Any]]:
    return {
        name: alarm["Properties"] for name, alarm in stack.of_type("AWS::CloudWatch::Alarm").items()
    }


def function_ref(stack: Deployment, role: str) -> dict[str, str]:
    kind = "Image" if stack.parameters["PackageType"] == "Image" else "Zip"
    return {"Ref": f"{role.capitalize()}{kind}Function"}


def queue_name(stack: Deployment, dead_letters: bool = False) -> Any:
    """The QueueName dimension a stack's alarms should use, as the stack would compute it."""
    arn = stack.parameters["DeadLetterQueueArn" if dead_letters else "QueueArn"]
    if arn:
        return {"Fn::Select": [5, {"Fn::Split": [":", arn]}]}
    return get_att("DeadLetterQueue" if dead_letters else "Queue", "QueueName")


def rendered(value: Any) -> str:
    """What CloudFormation would put for an Fn::Sub variable: ARNs split, resources named."""
    if isinstance(value, str):
        return value
    if "Fn::Select" in value:
        index, split = value["Fn::Select"]
        separator, text = split["Fn::Split"]
        return str(text.split(separator)[index])
    if "Fn::GetAtt" in value:
        return "<{}.{}>".format(*value["Fn::GetAtt"])
    return "<{}>".format(value["Ref"])


def test_the_stack_has_exactly_the_alarms_the_runbook_names(stack: Deployment) -> None:
    found = alarms(stack)
    expected = dict(ALARMS)
    if stack.parameters["QueueArn"] and not stack.parameters["DeadLetterQueueArn"]:
        del expected["DeadLetterQueueAlarm"]

    assert {name: properties["AlarmName"] for name, properties in found.items()} == {
        name: {"Fn::Sub": f"${{AWS::StackName}}-{suffix}"} for name, suffix in expected.items()
    }
    for name, properties in found.items():
        assert properties["TreatMissingData"] == "notBreaching", name
        assert len(properties["AlarmDescription"]) > 40, name


def test_the_queue_alarms_watch_the_consumed_queue_and_its_dead_letters(
    stack: Deployment,
) -> None:
    found = alarms(stack)
    age = found["QueueAgeAlarm"]
    dead_letters = found["DeadLetterQueueAlarm"]

    assert (age["Namespace"], age["MetricName"]) == ("AWS/SQS", "ApproximateAgeOfOldestMessage")
    assert age["Dimensions"] == [{"Name": "QueueName", "Value": queue_name(stack)}]
    assert age["Threshold"] == stack.parameters["QueueAgeAlarmSeconds"] == "600"
    assert dead_letters["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert dead_letters["Dimensions"] == [
        {"Name": "QueueName", "Value": queue_name(stack, dead_letters=True)}
    ]
    assert (dead_letters["ComparisonOperator"], dead_letters["Threshold"]) == (
        "GreaterThanOrEqualToThreshold",
        1,
    )


def test_the_records_failed_alarm_reads_the_consumers_metric(stack: Deployment) -> None:
    # Records failed inside a partial batch never show in Lambda's Errors.
    alarm = alarms(stack)["RecordsFailedAlarm"]

    assert alarm["Namespace"] == stack.parameters["MetricsNamespace"] == "triggersqs"
    assert alarm["MetricName"] == "RecordsFailed"
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": queue_name(stack)}]
    assert (alarm["Statistic"], alarm["Threshold"]) == ("Sum", 1)


def test_the_function_alarms_watch_errors_throttles_and_duration_of_each_function(
    stack: Deployment,
) -> None:
    found = alarms(stack)
    for name, (role, metric) in LAMBDA_ALARMS.items():
        alarm = found[name]

        assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", metric), name
        assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": function_ref(stack, role)}]
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold", name


def test_the_duration_alarms_go_off_at_80_percent_of_every_allowed_timeout() -> None:
    template = load_template()
    table = template["Mappings"]["DurationAlarm"]

    assert set(table) == {str(value) for value in allowed(template, "FunctionTimeout")}
    for timeout, row in table.items():
        assert row == {"Milliseconds": int(timeout) * 1000 * 8 // 10}, timeout
    for name in ("ConsumerDurationAlarm", "ApiDurationAlarm"):
        properties = template["Resources"][name]["Properties"]
        assert properties["Threshold"] == {
            "Fn::FindInMap": ["DurationAlarm", {"Ref": "FunctionTimeout"}, "Milliseconds"]
        }
        assert properties["Statistic"] == "Maximum"


@pytest.mark.parametrize("metric", ["ThrottledRequests", "SystemErrors"])
def test_the_table_alarms_sum_every_operation_the_functions_call(
    stack: Deployment, metric: str
) -> None:
    [alarm] = [
        properties
        for properties in alarms(stack).values()
        if any(
            query.get("MetricStat", {}).get("Metric", {}).get("MetricName") == metric
            for query in properties.get("Metrics", [])
        )
    ]
    queries = {query["Id"]: query for query in alarm["Metrics"]}
    [total] = [query for query in queries.values() if query.get("ReturnData")]
    stats = [query["MetricStat"] for query in queries.values() if "MetricStat" in query]

    assert {
        dimension["Value"]
        for stat in stats
        for dimension in stat["Metric"]["Dimensions"]
        if dimension["Name"] == "Operation"
    } == TABLE_OPERATIONS
    for stat in stats:
        assert stat["Metric"]["Namespace"] == "AWS/DynamoDB"
        assert {"Name": "TableName", "Value": {"Ref": "Table"}} in stat["Metric"]["Dimensions"]
    # Every operation counts, and one without data counts as 0 rather than silencing the sum.
    assert set(re.findall(r"FILL\((\w+), 0\)", total["Expression"])) == set(queries) - {total["Id"]}


@pytest.mark.parametrize(
    ("destination", "actions"),
    [
        ({}, None),
        ({"AlarmEmail": "ops@example.com"}, [{"Ref": "AlarmTopic"}]),
        ({"AlarmTopicArn": "arn:aws:sns:eu-west-1:123456789012:pager"}, None),
    ],
)
def test_every_alarm_tells_the_destination_given_when_it_goes_off_and_clears(
    expanded_template: dict[str, Any], destination: dict[str, str], actions: list[Any] | None
) -> None:
    stack = resolve(expanded_template, **EXISTING, **destination)
    expected = actions or (list(destination.values()) if destination else None)

    for name, alarm in alarms(stack).items():
        assert alarm.get("AlarmActions") == expected, name
        assert alarm.get("OKActions") == expected, name
    if "AlarmEmail" in destination:
        subscription = stack.resources["AlarmEmailSubscription"]["Properties"]
        assert subscription == {
            "TopicArn": {"Ref": "AlarmTopic"},
            "Protocol": "email",
            "Endpoint": "ops@example.com",
        }
    else:
        assert "AlarmTopic" not in stack.resources


def test_the_dashboard_shows_the_queue_both_functions_the_table_and_the_consumer_metrics(
    stack: Deployment,
) -> None:
    [dashboard] = stack.of_type("AWS::CloudWatch::Dashboard").values()
    text, variables = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    names = {
        "AWS::Region": "eu-west-1",
        "MetricsNamespace": stack.parameters["MetricsNamespace"],
        "Table": "<Table>",
        **{name: rendered(value) for name, value in variables.items()},
    }

    body = json.loads(re.sub(r"\$\{([\w:]+)\}", lambda found: names[found.group(1)], text))
    metrics = [metric for widget in body["widgets"] for metric in widget["properties"]["metrics"]]

    queue = rendered(queue_name(stack))
    assert ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", queue] in [
        metric[:4] for metric in metrics
    ]
    emf = {metric[1] for metric in metrics if metric[0] == "triggersqs"}
    assert emf == EMF_METRICS
    assert all(
        metric[2:4] == ["QueueName", queue] for metric in metrics if metric[0] == "triggersqs"
    )
    functions = {metric[3] for metric in metrics if metric[0] == "AWS/Lambda"}
    assert functions == {rendered(function_ref(stack, role)) for role in ("consumer", "api")}
    assert {metric[3] for metric in metrics if metric[0] == "AWS/DynamoDB"} == {"<Table>"}
    if stack.parameters["DeadLetterQueueArn"]:
        assert names["DeadLetterQueueName"] == EXISTING_DEAD_LETTERS.rsplit(":", 1)[1]
