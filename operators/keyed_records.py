"""The records of the Python operators as a Pulsar sink takes them: each with its message key.

A keyed record is ``<length>:<key><record>``: the key's UTF-8 length in decimal, a colon, the key, then
the record's JSON. The records of one call travel as one element, joined by ``\\n`` (a compact JSON
record holds no raw newline; a key may hold anything, hence its length). In the JVM,
``timeline.flink.sink.KeyedLines`` splits them into (key, record) without parsing a record, and
``timeline.flink.sink.KeyedRecords`` makes each a message. A file sink takes text instead: the records
one per line, written as they are.
"""
from __future__ import annotations

from pyflink.common import Types

KEYED_RECORDS = Types.PRIMITIVE_ARRAY(Types.BYTE())  # an element of keyed records: bytes
TEXT = Types.STRING()  # an element of text records


def record_type(keyed: bool):
    """The element type of an operator's records: keyed records, or text."""
    return KEYED_RECORDS if keyed else TEXT


def key_prefix(key: bytes) -> bytes:
    """What precedes each record of the message key ``key`` (UTF-8) in keyed records."""
    return b"%d:%s" % (len(key), key)
