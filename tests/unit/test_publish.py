"""The publisher's message keys: the event's key as the job reads it, so that a key's events share a partition."""
import pytest

from broker.publish import message_key


@pytest.mark.parametrize(("payload", "key"), [
    (b'{"sessionId": "s1", "ts": 1}', "s1"),
    (b'{"sessionId": 42, "ts": 1}', "42"),  # an integer key, in decimal as the job reads it
    (b'{"ts": 1}', None),  # no key: a dead letter in the job
    (b'{"sessionId": true}', None),
    (b'[1, 2]', None),
    (b'not json', None),
])
def test_a_message_is_keyed_by_its_events_key(payload, key):
    assert message_key(payload, "sessionId") == key
