"""The operator's per-key logic: instants, the one pending timer, and the state it checkpoints."""
from __future__ import annotations

from dsl.plan import compile_plan
from dsl.spec import load_spec
from engine.incremental import Engine
from engine.keyed import KeyedTimelines

SPEC = load_spec("""\
name: keyed
key: k
time: t
timelines:
  recent_seek: has_existed_within(action == "seek", 5s)
session_timeout: 60s
""")


def keyed() -> KeyedTimelines:
    return KeyedTimelines(Engine(compile_plan(SPEC)))


def test_an_instant_applies_all_its_events_and_returns_its_changes():
    timelines = keyed()
    key_state = timelines.new_key()
    events = [{"k": "a", "t": 1000}, {"k": "a", "t": 1000, "action": "seek"}]
    assert timelines.on_instant(key_state, 1000, events) == [("recent_seek", 1000, True, None)]


def test_the_timer_moves_earlier_but_an_earlier_timer_stays():
    timelines = keyed()
    key_state = timelines.new_key()
    timelines.on_instant(key_state, 1000, [{"action": "play"}])
    key_state.timer = timelines.timer_for(key_state)
    assert key_state.timer == 61_000  # the session timeout
    timelines.on_instant(key_state, 2000, [{"action": "seek"}])
    key_state.timer = timelines.timer_for(key_state)
    assert key_state.timer == 7000  # the seek's window closes before the timeout
    timelines.on_instant(key_state, 3000, [{"action": "play"}])
    assert timelines.timer_for(key_state) == 7000  # the timeout moved to 63,000: the timer stays


def test_an_early_firing_emits_what_is_due_and_sets_the_next_timer():
    timelines = keyed()
    key_state = timelines.new_key()
    timelines.on_instant(key_state, 1000, [{"action": "seek"}])
    key_state.timer = None  # fired at 6000
    assert timelines.on_watermark(key_state, 6000) == [("recent_seek", 6000, False, None)]
    assert timelines.timer_for(key_state) == 61_000
    assert timelines.on_watermark(key_state, 61_000) == [("recent_seek", 61_000, None, None)]
    assert timelines.is_empty(key_state)
    assert timelines.timer_for(key_state) is None


def test_the_state_survives_its_json():
    timelines = keyed()
    key_state = timelines.new_key()
    timelines.on_instant(key_state, 1000, [{"action": "seek"}])
    key_state.timer = timelines.timer_for(key_state)
    restored = timelines.from_json(timelines.to_json(key_state))
    assert (restored.engine_state, restored.timer) == (key_state.engine_state, key_state.timer)
    assert timelines.on_watermark(restored, 6000) == timelines.on_watermark(key_state, 6000)
