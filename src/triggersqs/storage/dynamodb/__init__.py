"""The DynamoDB store: one table shared by every Lambda instance, worker and server in AWS."""

from triggersqs.storage.dynamodb.provisioning import create_table
from triggersqs.storage.dynamodb.store import DynamoDbStore
from triggersqs.storage.dynamodb.table import DEFAULT_MAX_WORKERS

__all__ = ["DEFAULT_MAX_WORKERS", "DynamoDbStore", "create_table"]
