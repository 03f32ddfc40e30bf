"""First apply, first migration, first rotation, in every order, and stale AWSPENDING versions.

Secrets Manager's side is played by tests.support.secrets_manager (moto plus the
lifecycle AWS documents): enabling rotation with RotateImmediately=false runs
testSecret on an AWSPENDING copy of the current value, and a rotation starts by
creating an empty AWSPENDING version.
https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from service.jobs import migrate, rotate
from tests.support.cluster import logs_in
from tests.support.secrets_manager import RotatingSecretsManager, RotationInProgress

CURRENT, PENDING = "AWSCURRENT", "AWSPENDING"


@pytest.fixture
def secrets_manager(cluster):
    """Secrets Manager before Terraform has configured rotation."""
    return RotatingSecretsManager(
        boto3.client("secretsmanager"), rotate.handler, rotation_enabled=False
    )


def migrate_now():
    return migrate.handler({"action": "upgrade", "revision": "head"}, None)


def assert_no_rotation_in_progress(secrets_manager, cluster):
    """Either no AWSPENDING, or on AWSCURRENT's version: RotateSecret will start."""
    for labels in secrets_manager.stages(cluster.app_arn).values():
        assert PENDING not in labels or CURRENT in labels, secrets_manager.stages(cluster.app_arn)


def assert_rotated_to_the_clone(cluster, before):
    after = cluster.app_secret()
    assert after["username"] == f"{cluster.app_user}_clone"
    assert logs_in(cluster, after) and logs_in(cluster, before)


def test_apply_then_migration_then_rotation(cluster, secrets_manager):
    # Terraform enables rotation before the first migration: testSecret on a
    # copy of a secret that has no password yet (the old code: KeyError).
    secrets_manager.configure_rotation(cluster.app_arn, rotate_immediately=False)
    assert "password" not in cluster.app_secret()
    assert_no_rotation_in_progress(secrets_manager, cluster)

    migrate_now()
    first = cluster.app_secret()
    assert logs_in(cluster, first)

    secrets_manager.rotate(cluster.app_arn)
    assert_rotated_to_the_clone(cluster, first)
    assert_no_rotation_in_progress(secrets_manager, cluster)


def test_migration_then_apply_then_rotation(cluster, secrets_manager):
    migrate_now()
    first = cluster.app_secret()
    # The configuration test now logs in with a copy of the current credentials.
    secrets_manager.configure_rotation(cluster.app_arn, rotate_immediately=False)
    assert cluster.app_secret() == first
    assert_no_rotation_in_progress(secrets_manager, cluster)

    secrets_manager.rotate(cluster.app_arn)
    assert_rotated_to_the_clone(cluster, first)


def test_scheduled_rotation_before_the_first_migration_completes_without_rotating(
    cluster, secrets_manager
):
    secrets_manager.configure_rotation(cluster.app_arn, rotate_immediately=False)
    before = secrets_manager.stages(cluster.app_arn)
    # The schedule fires before any deploy has run the migration job.
    token = secrets_manager.rotate(cluster.app_arn)
    # Nothing to rotate: the secret is as it was, and nothing blocks the next rotation.
    assert secrets_manager.stages(cluster.app_arn) == before
    assert token not in secrets_manager.stages(cluster.app_arn)
    assert "password" not in cluster.app_secret()

    migrate_now()
    first = cluster.app_secret()
    secrets_manager.rotate(cluster.app_arn)
    assert_rotated_to_the_clone(cluster, first)


def test_first_migration_during_a_placeholder_rotation_keeps_its_password(cluster, secrets_manager):
    secrets_manager.configure_rotation(cluster.app_arn, rotate_immediately=False)
    token = secrets_manager.start_rotation(cluster.app_arn)
    secrets_manager.resume(cluster.app_arn, token, ("createSecret",))
    # A deploy runs the first migration while the rotation is between steps.
    migrate_now()
    bootstrapped = cluster.app_secret()
    secrets_manager.resume(cluster.app_arn, token, ("setSecret", "testSecret", "finishSecret"))
    # The placeholder is never promoted over the migration job's first password.
    assert cluster.app_secret() == bootstrapped
    assert logs_in(cluster, bootstrapped)
    assert_no_rotation_in_progress(secrets_manager, cluster)


def _old_release(event, context, client=None):
    """The rotation function of the previous release: testSecret needed a password."""
    raise KeyError("password")


def test_a_stale_pending_left_by_a_failed_configuration_test_is_released_by_the_migration_job(
    cluster, secrets_manager
):
    # GIVEN the previous release failed Terraform's configuration test: its
    # AWSPENDING copy (no password) stayed, and Secrets Manager refuses to rotate
    old = RotatingSecretsManager(
        boto3.client("secretsmanager"), _old_release, rotation_enabled=False
    )
    with pytest.raises(KeyError):
        old.configure_rotation(cluster.app_arn, rotate_immediately=False)
    with pytest.raises(RotationInProgress):
        secrets_manager.configure_rotation(cluster.app_arn, rotate_immediately=False)
    # WHEN the next deploy runs the migration job
    migrate_now()
    # THEN the label is gone, and Terraform's apply and the rotations work again
    assert_no_rotation_in_progress(secrets_manager, cluster)
    first = cluster.app_secret()
    secrets_manager.configure_rotation(cluster.app_arn, rotate_immediately=False)
    secrets_manager.rotate(cluster.app_arn)
    assert_rotated_to_the_clone(cluster, first)


@pytest.mark.parametrize("migrated_first", [False, True])
def test_secrets_manager_retrying_a_stale_rotation_completes_it(
    cluster, secrets_manager, migrated_first
):
    # GIVEN a rotation whose createSecret failed: AWSPENDING on an empty version
    secrets_manager.configure_rotation(cluster.app_arn, rotate_immediately=False)
    if migrated_first:
        migrate_now()
    first = cluster.app_secret()
    token = secrets_manager.start_rotation(cluster.app_arn)
    with pytest.raises(RotationInProgress):
        secrets_manager.rotate(cluster.app_arn)
    # WHEN Secrets Manager retries that rotation with the same token
    secrets_manager.resume(cluster.app_arn, token)
    # THEN it completes: a real rotation once there is a password, a no-op before
    assert_no_rotation_in_progress(secrets_manager, cluster)
    if migrated_first:
        assert_rotated_to_the_clone(cluster, first)
    else:
        assert cluster.app_secret() == first


@pytest.mark.parametrize(("hours", "released"), [(2, True), (0, False)])
def test_an_empty_pending_version_is_released_only_once_it_is_old(
    cluster, secrets_manager, monkeypatch, hours, released
):
    # The migration job's boto3 client must see the modelled empty version too.
    monkeypatch.setattr(boto3, "client", lambda *args, **kwargs: secrets_manager)
    migrate_now()
    created = datetime.now(UTC) - timedelta(hours=hours)
    token = secrets_manager.start_rotation(cluster.app_arn, created=created)
    migrate_now()
    assert (token not in secrets_manager.stages(cluster.app_arn)) is released


def test_a_pending_version_with_a_password_is_left_to_its_rotation(cluster, secrets_manager):
    migrate_now()
    secrets_manager.configure_rotation(cluster.app_arn, rotate_immediately=False)
    token = secrets_manager.start_rotation(cluster.app_arn)
    secrets_manager.resume(cluster.app_arn, token, ("createSecret",))
    migrate_now()  # a deploy while the rotation is in progress
    assert PENDING in secrets_manager.stages(cluster.app_arn)[token]
    secrets_manager.resume(cluster.app_arn, token, ("setSecret", "testSecret", "finishSecret"))
    assert CURRENT in secrets_manager.stages(cluster.app_arn)[token]


def test_finish_secret_never_promotes_a_version_without_password(cluster, secrets_manager):
    # Even a version that someone else wrote: AWSCURRENT must keep a password.
    migrate_now()
    secrets_manager.configure_rotation(cluster.app_arn, rotate_immediately=False)
    bootstrapped = cluster.app_secret()
    token = secrets_manager.start_rotation(cluster.app_arn)
    without = {k: v for k, v in bootstrapped.items() if k != "password"}
    secrets_manager.put_secret_value(
        SecretId=cluster.app_arn, ClientRequestToken=token,
        SecretString=json.dumps(without), VersionStages=[PENDING],
    )  # fmt: skip
    secrets_manager.resume(cluster.app_arn, token, ("setSecret", "testSecret", "finishSecret"))
    assert cluster.app_secret() == bootstrapped
    assert_no_rotation_in_progress(secrets_manager, cluster)


@pytest.mark.parametrize("migrated_first", [False, True])
def test_the_configuration_test_passes_even_before_rotation_shows_as_enabled(
    cluster, secrets_manager, migrated_first
):
    # AWS does not document whether RotationEnabled is already true while
    # RotateSecret runs its configuration test; testSecret changes nothing, so
    # it does not ask (the steps that change something do).
    if migrated_first:
        migrate_now()
    secrets_manager.test_configuration(cluster.app_arn)
    assert_no_rotation_in_progress(secrets_manager, cluster)
    token = secrets_manager.start_rotation(cluster.app_arn)
    with pytest.raises(rotate.RotationError, match="not enabled"):
        secrets_manager.resume(cluster.app_arn, token, ("createSecret",))
