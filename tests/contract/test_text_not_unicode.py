"""The MessageStore contract for metadata that is not valid Unicode: a hand-made SQS event can
carry an unpaired surrogate in its queue ARN or message group id (JSON allows "\\ud800"); every
store keeps such text with the surrogate escaped, so whatever it returns encodes as UTF-8 and the
API can render it."""

from __future__ import annotations

from tests.support.factories import new_record, new_rejection
from triggersqs.core.ports import MessageStore, RecordFilter
from triggersqs.core.records import storable_text

ARN = "arn:aws:sqs:us-east-1:123456789012:q\ud800"
GROUP = "group-\udc00"


def test_a_records_queue_arn_and_group_are_kept_with_unpaired_surrogates_escaped(
    store: MessageStore,
) -> None:
    # GIVEN a valid record whose queue ARN and message group id hold unpaired surrogates
    item = new_record(queue_arn=ARN, group=GROUP)

    # WHEN it is saved, then read back one by one and in a listing
    store.save([item])
    one = store.get_record(item.envelope.message_id)
    listed = store.list_records(RecordFilter(), after=None, limit=10).items

    # THEN both reads give the text escaped, as the SQLite and DynamoDB stores write it
    assert one is not None
    for stored in (one, *listed):
        assert (
            stored.queue_arn == storable_text(ARN) == "arn:aws:sqs:us-east-1:123456789012:q\\ud800"
        )
        assert stored.message_group_id == storable_text(GROUP)
        assert stored.queue_arn.encode("utf-8")  # no UnicodeEncodeError


def test_a_rejections_queue_arn_is_kept_with_unpaired_surrogates_escaped(
    store: MessageStore,
) -> None:
    # GIVEN a rejected message whose queue ARN holds an unpaired surrogate
    item = new_rejection(queue_arn=ARN)

    # WHEN it is saved, then read back one by one and in a listing
    store.save([item])
    one = store.get_rejection(item.envelope.message_id)
    listed = store.list_rejections(after=None, limit=10).items

    # THEN both reads give the text escaped
    assert one is not None
    for stored in (one, *listed):
        assert stored.queue_arn == storable_text(ARN)
