"""Aggregates in the DSL: the 'aggregate' section, the '| aggregate(...)' form, the plan, and errors."""
from __future__ import annotations

import pytest

from dsl.aggregates import Aggregate
from dsl.nodes import And, Compare, DurationWhere, LatestEventToState
from dsl.errors import SpecError
from dsl.parser import parse_expression
from dsl.plan import compile_plan
from dsl.spec import load_spec

TIMELINES = """\
name: demo
key: id
time: ts
timelines:
  s: latest_event_to_state(player)
  b: s == "buffer"
  d: duration_where(b)
"""
# Lines 1-7 above; what a test adds starts on line 8.
BUFFERING = Compare(LatestEventToState("player"), "==", "buffer")


def load_error(text: str) -> SpecError:
    with pytest.raises(SpecError) as caught:
        load_spec(text, "spec.yaml")
    return caught.value


def test_the_pipe_form_defines_an_aggregate_not_a_timeline():
    entry = "  d_by_cdn: d | aggregate(group_by(cdn, country), count, sum, avg, every(30s))\n"
    spec = load_spec(TIMELINES + entry + "session_timeout: 5m\n")
    assert spec.aggregates == (
        Aggregate("d_by_cdn", DurationWhere(BUFFERING), ("cdn", "country"), ("count", "sum", "avg"), 30_000),
    )
    assert "d_by_cdn" not in spec.timelines and spec.outputs == ("s", "b", "d")


def test_the_section_form_parses_to_the_same_aggregate():
    piped = load_spec(TIMELINES + "  d_by_cdn: d | aggregate(group_by(cdn), sum, max)\nsession_timeout: 5m\n")
    section = load_spec(TIMELINES + "session_timeout: 5m\naggregate:\n"
                        "  d_by_cdn: {timeline: d, group_by: [cdn], metrics: [sum, max], every: 1m}\n")
    assert section.aggregates == piped.aggregates
    # every defaults to one minute
    assert piped.aggregates[0].every_ms == 60_000


def test_group_by_and_metrics_may_be_left_out():
    section = "aggregate:\n  too: {timeline: b}\n"
    spec = load_spec(TIMELINES + "  all: b | aggregate()\nsession_timeout: 5m\n" + section)
    assert spec.aggregates == (Aggregate("all", BUFFERING, (), ()), Aggregate("too", BUFFERING, (), ()))


def test_an_aggregate_may_aggregate_an_expression():
    spec = load_spec(TIMELINES + '  n: b && s != "pause" | aggregate(sum, every(10))\nsession_timeout: 5m\n')
    assert spec.aggregates[0].timeline == And(BUFFERING, Compare(LatestEventToState("player"), "!=", "pause"))


def test_the_plan_shares_aggregate_nodes_with_the_outputs():
    plan = compile_plan(load_spec(TIMELINES + "  d_by: d | aggregate(group_by(player, cdn))\n"
                                  "outputs: [d]\nsession_timeout: 5m\n"))
    # outputs: #0 state(player), #1 b, #2 d; the aggregate adds only latest_event_to_state(cdn), #3
    assert [node.expr for node in plan.nodes][3] == LatestEventToState("cdn")
    assert len(plan.nodes) == 4
    (aggregate,) = plan.aggregates
    assert (aggregate.value, aggregate.groups) == (2, (0, 3))
    assert plan.describe().endswith("aggregate d_by: #2 by #0, #3 every 1m: count")


@pytest.mark.parametrize(
    ("added", "line", "column", "message"),
    [
        # "  by: d | aggregate(group_by(cdn), " is 35 characters
        ("  by: d | aggregate(group_by(cdn), p99)\n", 8, 36,
         "timeline 'by': unknown metric 'p99' (expected one of count, sum, avg, min, max)"),
        ("  by: d | aggregate(summ)\n", 8, 21, "unknown metric 'summ' (did you mean 'sum'?)"),
        ("  by: d | aggregate(sum, sum)\n", 8, 26, "metric 'sum' is listed twice"),
        ("  by: d | aggregate(every(0))\n", 8, 27, "every(...) must be positive, got 0"),
        ("  by: d | aggregate(every(-5s))\n", 8, 27, "every(...) must be positive, got -5s"),
        ("  by: d | aggregate(every(5s), every(1m))\n", 8, 32, "every(...) is given twice"),
        ("  by: d | aggregate(group_by(a, a))\n", 8, 33, "column 'a' is listed twice in group_by"),
        ("  by: d | aggregate(sort(a))\n", 8, 21, "expected group_by(...) or every(...), got 'sort(...)'"),
        ("  by: d | b\n", 8, 11, "expected aggregate(...) after '|', got 'b' (a logical or is '||')"),
        ("  by: s | aggregate(count)\n", 8, 7,
         "aggregate 'by': only numeric and boolean timelines aggregate, got a state timeline"),
        ("  by: dd | aggregate(count)\n", 8, 7, "aggregate 'by': unknown timeline 'dd' (did you mean 'd'?)"),
        ("  by: d * 0.5 | aggregate(count)\n", 8, 9,
         "aggregate 'by': a numeric timeline aggregates when it is one of duration_where, duration_in_cur_state"),
    ],
)
def test_pipe_form_errors_are_located(added, line, column, message):
    error = load_error(TIMELINES + added + "session_timeout: 5m\n")
    assert message in str(error)
    assert (error.line, error.column) == (line, column)


@pytest.mark.parametrize(
    ("fields", "line", "column", "message"),
    [
        # the fields start on line 11, after "session_timeout", "aggregate:" and "  by:";
        # "    metrics: [sum, " is 19 characters
        ("    timeline: d\n    metrics: [sum, median]\n", 12, 20, "unknown metric 'median'"),
        ("    timeline: s\n", 11, 15,
         "aggregate 'by': only numeric and boolean timelines aggregate, got a state timeline"),
        ("    timeline: zz\n", 11, 15, "aggregate 'by': unknown timeline 'zz'"),
        ("    timeline: d\n    every: 0\n", 12, 12, "'every' of aggregate 'by' must be positive, got 0"),
        ("    timeline: d\n    every: soon\n", 12, 12, "expected a duration such as 5s"),
        ("    timeline: d\n    group_by: cdn\n", 12, 15,
         "'group_by' of aggregate 'by' must be a list of column names, got a string"),
        ("    timeline: d\n    group_by: [cdn, cdn]\n", 12, 21, "column 'cdn' is listed twice in group_by"),
        ("    timeline: d\n    metric: [sum]\n", 12, 5, "unknown key 'metric' in aggregate 'by' (did you"),
        ("    metrics: [sum]\n", 11, 5, "aggregate 'by' needs a 'timeline'"),
    ],
)
def test_section_errors_are_located(fields, line, column, message):
    error = load_error(TIMELINES + "session_timeout: 5m\naggregate:\n  by:\n" + fields)
    assert message in str(error)
    assert (error.line, error.column) == (line, column)


def test_a_section_aggregate_may_not_reuse_a_timeline_name():
    error = load_error(TIMELINES + "session_timeout: 5m\naggregate:\n  d: {timeline: d}\n")
    assert (error.line, error.column, error.message) == (10, 3, "'d' is already defined under 'timelines'")


@pytest.mark.parametrize(
    ("added", "line", "column"),
    [
        ("  by: d | aggregate(sum)\n", 8, 7),  # at the expression of the entry
        ("aggregate:\n  by: {timeline: d}\n", 9, 3),  # at the aggregate's name
    ],
)
def test_aggregates_need_a_session_timeout(added, line, column):
    error = load_error(TIMELINES + added)
    assert error.message == (
        "aggregate 'by' needs a 'session_timeout': it counts the keys active at each tick,"
        " and a key stops being active only when its session ends"
    )
    assert (error.line, error.column) == (line, column)


def test_a_single_bar_in_an_expression_still_suggests_a_logical_or():
    with pytest.raises(SpecError) as caught:
        parse_expression("b | c")
    assert caught.value.message == "unexpected character '|' (did you mean '||'?)"
