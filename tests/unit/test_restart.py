"""The restart strategy of the ``checkpoint`` section and the Flink options it becomes."""
import pytest

from dsl.errors import SpecError
from dsl.spec import load_spec
from jobs.config import RestartConfig, job_config, job_of
from jobs.pipeline import restart_settings

SPEC = "name: demo\nkey: id\ntime: ts\ntimelines:\n  s: latest_event_to_state(player)\n"


def restart_of(checkpoint: str) -> RestartConfig:
    return job_config(load_spec(SPEC + "checkpoint:\n" + checkpoint)).checkpoint.restart


def test_the_default_is_flinks_exponential_delay_without_a_limit():
    restart = job_config(load_spec(SPEC)).checkpoint.restart
    assert restart == RestartConfig("exponential-delay", delay_ms=1000, max_delay_ms=60_000, attempts=None)
    assert restart_settings(restart) == {
        "restart-strategy.type": "exponential-delay",
        "restart-strategy.exponential-delay.initial-backoff": "1000 ms",
        "restart-strategy.exponential-delay.max-backoff": "60000 ms"}


def test_fixed_delay_with_attempts():
    restart = restart_of("  restart: fixed-delay\n  restart_delay: 5s\n  restart_attempts: 10\n")
    assert restart_settings(restart) == {
        "restart-strategy.type": "fixed-delay",
        "restart-strategy.fixed-delay.delay": "5000 ms",
        "restart-strategy.fixed-delay.attempts": "10"}


def test_fixed_delay_without_attempts_retries_without_a_limit():
    settings = restart_settings(restart_of("  restart: fixed-delay\n"))
    assert settings["restart-strategy.fixed-delay.attempts"] == str(2**31 - 1)


def test_none_fails_the_job_at_the_first_failure():
    assert restart_settings(restart_of("  restart: none\n")) == {"restart-strategy.type": "none"}


@pytest.mark.parametrize(("checkpoint", "message"), [
    ("  restart: forever\n", "'checkpoint.restart' must be one of exponential-delay, fixed-delay, none"),
    ("  restart_attempts: 3\n", "'checkpoint.restart_attempts' applies to 'restart: fixed-delay' only"),
    ("  restart: fixed-delay\n  restart_attempts: 0\n", "'checkpoint.restart_attempts' must be a positive"),
    ("  restart_max_delay: soon\n", "'checkpoint.restart_max_delay'"),
])
def test_bad_restart_settings_name_the_key(checkpoint, message):
    with pytest.raises(SpecError, match=message):
        restart_of(checkpoint)


@pytest.mark.parametrize(("written", "column", "message"), [
    ("  restart: bogus\n", 12, "'checkpoint.restart' must be one of exponential-delay, fixed-delay, none, got \"bogus\""),
    ("  restart: fixed-delay\n  restart_attempts: bogus\n", 21,
     "'checkpoint.restart_attempts' must be a positive integer, got \"bogus\""),
    ("  restart_attempts: 3\n", 21, "'checkpoint.restart_attempts' applies to 'restart: fixed-delay' only"),
])
def test_bad_restart_settings_are_placed_in_the_file_with_a_caret(written, column, message):
    text = SPEC + "checkpoint:\n" + written
    with pytest.raises(SpecError) as error:
        job_of(load_spec(text, "b.yaml"))
    line = text.count("\n")  # the last line written
    bad = text.splitlines()[line - 1]
    assert str(error.value) == f"b.yaml:{line}:{column}: {message}\n  {bad.strip()}\n  {' ' * (column - 3)}^"
