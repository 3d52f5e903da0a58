"""The streams between the job's Java front and its Python operators: their types.

Decoding runs in the JVM (``jvm/``, package ``timeline.flink.decode``) with the rules of
``engine/decode.py``; the timeline operator receives batches of complete instants (``operators/timelines.py``).
"""
from __future__ import annotations

from pyflink.common import Types

KEY_TYPE = Types.ROW([Types.STRING()])  # the key of PyFlink's keyed streams: Row(key)
INSTANT = Types.TUPLE([Types.STRING(), Types.LONG(), Types.STRING()])  # (key, time, payloads): Instants' output
