"""The syntax of what the command line changes: -D Flink options."""
import pytest

from dsl.errors import SpecError
from jobs.arguments import flink_options


def test_flink_options_are_key_value_pairs_in_order():
    assert flink_options(["rest.port=8082", " a.b = c=d "]) == (("rest.port", "8082"), ("a.b", "c=d"))


@pytest.mark.parametrize("option", ["rest.port", "=8082"])
def test_a_flink_option_without_a_key_and_value_is_refused(option):
    with pytest.raises(SpecError, match=f"-D wants KEY=VALUE, got '{option}'"):
        flink_options([option])
