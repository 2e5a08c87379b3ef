"""Creating the DynamoDB table (``triggersqs create-table``, tests, benchmarks); in AWS the SAM
template creates it from the same definition (schema.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from triggersqs.errors import StorageError
from triggersqs.storage.dynamodb.errors import error_code, translate
from triggersqs.storage.dynamodb.schema import TABLE_DEFINITION

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def create_table(client: DynamoDBClient, table_name: str, *, wait_seconds: int = 300) -> bool:
    """Create the table (on-demand capacity) and wait until it is ACTIVE; False if it existed."""
    try:
        client.create_table(TableName=table_name, **TABLE_DEFINITION)
        created = True
    except ClientError as exc:
        if error_code(exc) != "ResourceInUseException":
            raise translate(exc, "CreateTable") from exc
        created = False
    except BotoCoreError as exc:
        raise translate(exc, "CreateTable") from exc
    try:
        client.get_waiter("table_exists").wait(
            TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": wait_seconds}
        )
    except WaiterError as exc:
        raise StorageError(f"DynamoDB table {table_name} did not become ACTIVE: {exc}") from exc
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, "DescribeTable") from exc
    return created
