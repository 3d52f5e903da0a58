"""The engine's generated code: visible where it runs (in tracebacks, line by line), and its comparisons exact."""
from __future__ import annotations

import traceback

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsl.plan import compile_plan
from dsl.spec import load_spec
from engine.incremental import Engine
from engine.values import compare, compare_source

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


COMPARED = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(-3, 3, allow_nan=False),
                     st.sampled_from(("", "a", "b", "1")), st.lists(st.integers(), max_size=1))


@given(value=COMPARED, op=st.sampled_from(("==", "!=", "<", "<=", ">", ">=")),
       literal=st.one_of(st.booleans(), st.integers(-3, 3), st.floats(-3, 3, allow_nan=False),
                         st.sampled_from(("a", "b", "1"))))
def test_generated_comparisons_follow_the_comparison_rule(value, op, literal):
    as_name = eval(f"lambda x: {compare_source('x', op, literal)}")
    as_expression = eval(f"lambda ev: {compare_source('ev.get(0)', op, literal)}")
    assert as_name(value) is as_expression({0: value}) is compare(value, op, literal)
