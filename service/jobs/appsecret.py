"""The application's database secret: its versions, staging labels and first password.

Terraform creates the secret without a password (nothing secret in its state);
the migration job gives it one, and only then is there anything to rotate. A
version without a password is never made AWSCURRENT by the rotation function.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # typing only: names the client for mypy and the IAM call check
    from mypy_boto3_secretsmanager import SecretsManagerClient

logger = logging.getLogger(__name__)

CURRENT, PENDING = "AWSCURRENT", "AWSPENDING"
# Secrets Manager labels a rotation's version AWSPENDING before createSecret fills
# it; one still empty this long after is a failed rotation, not one in progress.
EMPTY_PENDING_IS_STALE_AFTER = timedelta(hours=1)
# Characters that every MySQL client and connection-string parser takes literally.
EXCLUDED_CHARACTERS = "/@\"'\\:;%`{}[]<>|&$#"


def read(
    client: SecretsManagerClient, arn: str, stage: str = CURRENT, version: str | None = None
) -> dict[str, Any]:
    """A version's JSON value (by stage, and by version id when given)."""
    kwargs: dict[str, Any] = {"SecretId": arn, "VersionStage": stage}
    if version:
        kwargs["VersionId"] = version
    value: dict[str, Any] = json.loads(client.get_secret_value(**kwargs)["SecretString"])
    return value


def has_password(secret: dict[str, Any]) -> bool:
    """True once the migration job (or a rotation) has set a password."""
    password = secret.get("password")
    return isinstance(password, str) and password != ""


def random_password(client: SecretsManagerClient) -> str:
    """32 characters from Secrets Manager's generator, each class included."""
    response = client.get_random_password(
        PasswordLength=32, ExcludeCharacters=EXCLUDED_CHARACTERS, RequireEachIncludedType=True
    )
    password: str = response["RandomPassword"]
    return password


def release_stale_pending(
    client: SecretsManagerClient, arn: str, now: datetime | None = None
) -> str | None:
    """Take AWSPENDING off a version that no rotation can finish; return its id.

    While AWSPENDING sits on a version other than AWSCURRENT, Secrets Manager
    refuses to start a rotation ("a previous rotation is still in progress").
    https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html
    Stale: a version without a password (the configuration test's copy of a
    secret not yet bootstrapped, or a rotation placeholder), or one left empty
    for over an hour. A pending version with a password may be a rotation in
    progress: it is left alone and reported.
    """
    now = now or datetime.now(UTC)
    versions = client.list_secret_version_ids(SecretId=arn).get("Versions", [])
    for version in versions:
        labels = version.get("VersionStages", [])
        if PENDING not in labels or CURRENT in labels:
            continue
        version_id = version["VersionId"]
        try:
            value: dict[str, Any] | None = read(client, arn, PENDING, version_id)
        except client.exceptions.ResourceNotFoundException:
            value = None  # labelled, never filled
        if value is None:
            stale = now - version["CreatedDate"] > EMPTY_PENDING_IS_STALE_AFTER
        else:
            stale = not has_password(value)
        if not stale:
            logger.warning(
                "AWSPENDING is on version %s: a rotation is in progress or failed", version_id
            )
            return None
        client.update_secret_version_stage(
            SecretId=arn, VersionStage=PENDING, RemoveFromVersionId=version_id
        )
        logger.info("released a stale AWSPENDING from version %s", version_id)
        return str(version_id)
    return None
