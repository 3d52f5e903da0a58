"""The engine's generated code is visible where it runs: in tracebacks, line by line."""
from __future__ import annotations

import traceback

import pytest

from dsl.plan import compile_plan
from dsl.spec import load_spec
from engine.incremental import Engine

SPEC_TEXT = """\
name: traced
key: k
time: t
timelines:
  seeking: has_existed_within(action == "seek", 5s)
"""
SPEC = load_spec(SPEC_TEXT)


def test_a_traceback_shows_the_generated_line_that_failed():
    engine = Engine(compile_plan(SPEC))
    with pytest.raises(AttributeError) as raised:
        engine.process(engine.new_state(), 1000, [["not", "an", "object"]], [])
    frame = traceback.extract_tb(raised.tb)[-1]
    assert (frame.filename, frame.name) == (engine.filename, "apply")
    assert frame.line == engine.source.splitlines()[frame.lineno - 1].strip() == "p0 = ev.get('action') == 'seek'"
    assert "p0 = ev.get('action') == 'seek'" in "".join(traceback.format_exception(raised.value))


def test_plans_with_one_name_keep_their_own_code():
    other = Engine(compile_plan(load_spec(SPEC_TEXT.replace('seeking: has_existed_within(action == "seek", 5s)',
                                                            "action: latest_event_to_state(action)"))))
    engine = Engine(compile_plan(SPEC))
    assert engine.filename != other.filename
    with pytest.raises(AttributeError) as raised:
        other.process(other.new_state(), 1000, [None], [])
    assert traceback.extract_tb(raised.tb)[-1].line == "x = ev.get('action')"
