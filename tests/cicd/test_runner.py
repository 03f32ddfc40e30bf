"""The local runner's expression rules, which the deploy test relies on, follow GitHub's."""

from __future__ import annotations

import pytest

from tests.cicd.runner import ExpressionError, condition, evaluate, interpolate

CONTEXTS = {
    "github": {"ref": "refs/heads/main", "event_name": "push"},
    "steps": {
        "promote": {"outcome": "success"},
        "smoke": {"outcome": "failure"},
        "skipped": {"outcome": "skipped"},
    },
    "vars": {"AWS_REGION": "eu-west-1"},
    "inputs": {"apply": True},
}


@pytest.mark.parametrize(
    ("expression", "status", "expected"),
    [
        # No status function: implicit success() &&
        (None, "success", True),
        (None, "failure", False),
        ("github.ref == 'refs/heads/main'", "success", True),
        ("github.ref == 'refs/heads/main'", "failure", False),
        ("${{ github.ref == 'refs/heads/main' }}", "success", True),
        # Status functions decide for themselves
        ("always()", "failure", True),
        ("failure()", "success", False),
        ("failure() && steps.promote.outcome == 'success'", "failure", True),
        ("failure() && steps.skipped.outcome == 'success'", "failure", False),
        (
            "(failure() || cancelled()) && steps.promote.outcome == 'success' "
            "&& steps.smoke.outcome != 'success'",
            "cancelled",
            True,
        ),
        ("always() && steps.promote.outcome == 'success'", "failure", True),
        ("!cancelled()", "failure", True),
        # Case-insensitive string comparison, missing properties are null
        ("github.EVENT_NAME == 'PUSH'", "success", True),
        ("steps.nothing.outcome == 'success'", "success", False),
        ("inputs.apply && github.event_name == 'workflow_dispatch'", "success", False),
    ],
)
def test_conditions(expression, status, expected):
    assert condition(expression, CONTEXTS, status) is expected


def test_interpolation_keeps_whole_values_and_joins_parts():
    assert interpolate("${{ inputs.apply }}", CONTEXTS) is True
    assert interpolate("region-${{ vars.AWS_REGION }}", CONTEXTS) == "region-eu-west-1"
    assert interpolate("${{ vars.MISSING }}", CONTEXTS) is None
    assert interpolate(5, CONTEXTS) == 5


def test_unknown_things_are_errors_not_silently_false():
    with pytest.raises(ExpressionError):
        evaluate("secretz.X == 'a'", CONTEXTS)
    with pytest.raises(ExpressionError):
        condition("hashFiles('x') == ''", CONTEXTS, "success")
    with pytest.raises(ExpressionError):
        evaluate("github.ref ==", CONTEXTS)
