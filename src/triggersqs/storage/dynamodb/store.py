"""The DynamoDB store: one table shared by every Lambda instance, worker and server in AWS.

Layout (schema.py; docs/dynamodb.md gives the reasoning and the capacity arithmetic):

- one main item per message id (``pk`` = message id, ``sk`` = ``"#"``), written with the condition
  ``attribute_not_exists(pk)``: whichever writer comes first stores it, every other one is told
  it is a duplicate, whatever the kind (record or rejection) (writes.py);
- a body longer than ``items.MAIN_BODY_BYTES`` continues in part items (``sk`` = ``"body#0001"``
  ...), written with the main item in one transaction, so a stored message is always whole
  (items.py); or, with a bucket, a body over its threshold goes to S3 first and the main item
  keeps its preview and the object's key (storage/s3_bodies.py: a claim check);
- every item carries ``expires_at`` (the table's time to live) unless the retention is 0
  (storage/retention.py);
- listings merge the sharded partitions of one sparse index, from the cursor on, and then read the
  chosen main items: no page reads more than it shows (plus a small margin), and nothing scans
  (listing.py, reads.py).

Every botocore error is translated (errors.py): unreachable, throttled or failing means
StorageUnavailableError, so the records go back to the queue.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from triggersqs.core.clock import Deadline, WallClock
from triggersqs.core.ports import RecordFilter, SaveStatus, Slice
from triggersqs.core.records import Incoming, StoredRecord, StoredRejection, now_us
from triggersqs.errors import StorageError, StorageUnavailableError
from triggersqs.storage.budget import Budgeted
from triggersqs.storage.common import Stamps
from triggersqs.storage.dynamodb import listing, writes
from triggersqs.storage.dynamodb.errors import translating
from triggersqs.storage.dynamodb.items import kind_of, record_of, rejection_of
from triggersqs.storage.dynamodb.reads import read_whole
from triggersqs.storage.dynamodb.schema import KIND_RECORD, KIND_REJECTION, MAIN_SK
from triggersqs.storage.dynamodb.table import DEFAULT_MAX_WORKERS, Table
from triggersqs.storage.retention import KEEP_FOREVER, Retention
from triggersqs.storage.s3_bodies import BodyBucket

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoDbStore:
    """A :class:`~triggersqs.core.ports.MessageStore` in one DynamoDB table (see the module doc).

    It takes a boto3 DynamoDB client, or one per time budget (``storage.budget.Budgeted``: what
    the bootstrap builds once per process, so that every write ends before its deadline), and
    runs the requests of one call on up to ``max_workers`` threads. ``clock`` stamps
    ``stored_at``; ``sleep`` waits between tries of a throttled or conflicting request.
    """

    def __init__(
        self,
        client: DynamoDBClient | Budgeted[DynamoDBClient],
        table_name: str,
        *,
        clock: WallClock = now_us,
        sleep: Callable[[float], None] = time.sleep,
        max_workers: int = DEFAULT_MAX_WORKERS,
        retention: Retention = KEEP_FOREVER,
        bodies: BodyBucket | None = None,
    ) -> None:
        self._table = Table(
            client,
            table_name,
            max_workers=max_workers,
            sleep=sleep,
            retention=retention,
            bodies=bodies,
        )
        self._clock = clock
        self._stamps = Stamps(clock)

    def save(
        self,
        items: Sequence[Incoming],
        *,
        ordered: bool = False,
        deadline: Deadline | None = None,
    ) -> list[SaveStatus]:
        """Write each new message id once, concurrently; see :meth:`MessageWriter.save`.

        With ``ordered`` the writes run one after another; a failure holds back the rest of its
        message group.
        """
        return writes.save(self._table, self._stamps, items, ordered=ordered, deadline=deadline)

    def get_record(self, message_id: str) -> StoredRecord | None:
        """The whole record with this message id, if any."""
        found = read_whole(self._table, message_id, self._clock() // 1_000_000)
        if found is None or kind_of(found[0]) != KIND_RECORD:
            return None
        return record_of(*found)

    def get_rejection(self, message_id: str) -> StoredRejection | None:
        """The whole rejected message with this message id, if any."""
        found = read_whole(self._table, message_id, self._clock() // 1_000_000)
        if found is None or kind_of(found[0]) != KIND_REJECTION:
            return None
        return rejection_of(*found)

    def list_records(
        self, where: RecordFilter, *, after: str | None, limit: int, newest_first: bool = False
    ) -> Slice[StoredRecord]:
        """One sparse index, all its shards merged: by client, else by command, else all records."""
        return listing.list_records(
            self._table, where, after=after, limit=limit, newest_first=newest_first
        )

    def list_rejections(
        self, *, after: str | None, limit: int, newest_first: bool = False
    ) -> Slice[StoredRejection]:
        """Rejected messages in stored order (or its reverse) after the cursor."""
        return listing.list_rejections(
            self._table, after=after, limit=limit, newest_first=newest_first
        )

    def mark_replayed(self, message_id: str, replayed_as: str) -> StoredRejection | None:
        """Mark the rejection replayed as ``replayed_as``: one conditional UpdateItem (only a
        rejection's main item); see :meth:`RejectionMarker`."""
        if not writes.mark_replayed(self._table, message_id, replayed_as):
            return None
        return self.get_rejection(message_id)

    def check(self) -> None:
        """Read one (absent) item: proves the table answers, with the read permission we use."""
        try:
            with translating("GetItem"):
                self._table.client.get_item(
                    TableName=self._table.name,
                    Key={"pk": {"S": MAIN_SK}, "sk": {"S": MAIN_SK}},
                    ProjectionExpression="pk",
                )
        except StorageUnavailableError:
            raise
        except StorageError as exc:
            raise StorageUnavailableError(str(exc)) from exc

    def close(self) -> None:
        """Stop the worker threads and close the client's connections."""
        self._table.close()
