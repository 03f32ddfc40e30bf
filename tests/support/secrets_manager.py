"""Secrets Manager's rotation lifecycle as AWS documents it, on top of moto's versions and labels.

moto keeps versions and staging labels, but its rotation is simplified: its
``rotate_secret`` invokes a Lambda (Docker, not here), never creates the empty
AWSPENDING version first, runs every step even with ``RotateImmediately=False``
(https://github.com/getmoto/moto/issues/7342). Tests therefore play Secrets
Manager's side explicitly, with this model, and call the rotation handler
in-process the way Secrets Manager invokes it:

1. A rotation first creates the new version, labelled AWSPENDING and without a
   value, then invokes the four steps with its id as ``ClientRequestToken``;
   reading the empty version raises ResourceNotFoundException (AWS's rotation
   templates check the token's stages first and rely on that exception in
   createSecret: https://github.com/aws-samples/aws-secrets-manager-rotation-lambdas,
   folder SecretsManagerRDSMySQLRotationMultiUser).
2. RotateSecret refuses to start while AWSPENDING is on a version other than
   AWSCURRENT ("assumes that a previous rotation request is still in progress
   and returns an error"); a failed rotation leaves the labels as they were
   ("the AWSPENDING staging label might be attached to an empty secret version").
3. ``RotateImmediately=false``: "Secrets Manager tests the rotation configuration
   by running the testSecret step of the Lambda rotation function. The test
   creates an AWSPENDING version of the secret and then removes it." The copy
   holds the AWSCURRENT value. If testSecret fails, the version is left behind
   (the worst case: the label stays and blocks later rotations).
   https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html
4. DescribeSecret reports ``RotationEnabled`` once rotation is configured.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

CURRENT, PENDING = "AWSCURRENT", "AWSPENDING"
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


class RotationInProgress(Exception):
    """RotateSecret's InvalidRequestException: AWSPENDING is on a version other than AWSCURRENT."""


class RotatingSecretsManager:
    """The client the rotation function gets, and Secrets Manager's side of a rotation."""

    def __init__(
        self,
        client: Any,
        rotation_handler: Callable[..., Any],
        *,
        rotation_enabled: bool = True,
        context: Any = None,
    ) -> None:
        self._client = client
        self._handler = rotation_handler
        self._enabled_for_all = rotation_enabled
        self._enabled: set[str] = set()
        self._empty: dict[str, tuple[str, datetime]] = {}  # arn -> (version id, created)
        self.context = context
        self.invocations: list[tuple[str, str]] = []  # (step, token), in order

    # --- the API the rotation function calls -------------------------------------------

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def describe_secret(self, *, SecretId: str) -> dict[str, Any]:
        described = dict(self._client.describe_secret(SecretId=SecretId))
        described["RotationEnabled"] = self._enabled_for_all or SecretId in self._enabled
        stages = dict(described.get("VersionIdsToStages", {}))
        if SecretId in self._empty:
            stages[self._empty[SecretId][0]] = [PENDING]
        described["VersionIdsToStages"] = stages
        return described

    def list_secret_version_ids(self, *, SecretId: str, **kwargs: Any) -> dict[str, Any]:
        listed = dict(self._client.list_secret_version_ids(SecretId=SecretId, **kwargs))
        versions = list(listed.get("Versions", []))
        if SecretId in self._empty:
            version_id, created = self._empty[SecretId]
            versions.append(
                {"VersionId": version_id, "VersionStages": [PENDING], "CreatedDate": created}
            )
        listed["Versions"] = versions
        return listed

    def get_secret_value(self, *, SecretId: str, **kwargs: Any) -> dict[str, Any]:
        empty = self._empty.get(SecretId)
        if empty and kwargs.get("VersionId") == empty[0]:
            raise self._client.exceptions.ResourceNotFoundException(
                {"Error": {"Code": "ResourceNotFoundException", "Message": "no value"}},
                "GetSecretValue",
            )
        result: dict[str, Any] = self._client.get_secret_value(SecretId=SecretId, **kwargs)
        return result

    def put_secret_value(self, *, SecretId: str, **kwargs: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._client.put_secret_value(SecretId=SecretId, **kwargs)
        empty = self._empty.get(SecretId)
        if empty and kwargs.get("ClientRequestToken") == empty[0]:
            del self._empty[SecretId]  # filled: from now on moto holds the version
        return result

    def update_secret_version_stage(self, *, SecretId: str, **kwargs: Any) -> dict[str, Any]:
        empty = self._empty.get(SecretId)
        if (
            empty
            and kwargs.get("VersionStage") == PENDING
            and kwargs.get("RemoveFromVersionId") == empty[0]
            and not kwargs.get("MoveToVersionId")
        ):
            del self._empty[SecretId]  # an empty version without labels is gone
            return {"ARN": SecretId, "Name": SecretId}
        result: dict[str, Any] = self._client.update_secret_version_stage(
            SecretId=SecretId, **kwargs
        )
        return result

    # --- Secrets Manager's side -------------------------------------------------------

    def stages(self, arn: str) -> dict[str, list[str]]:
        """Version id -> labels, only versions that carry one."""
        described = self.describe_secret(SecretId=arn)["VersionIdsToStages"]
        return {version: labels for version, labels in described.items() if labels}

    def configure_rotation(self, arn: str, *, rotate_immediately: bool) -> str:
        """RotateSecret with a rotation function and a schedule; returns the version it used."""
        self._refuse_while_in_progress(arn)
        self._enabled.add(arn)
        if rotate_immediately:
            return self.rotate(arn)
        return self.test_configuration(arn)

    def test_configuration(self, arn: str) -> str:
        """RotateImmediately=false: testSecret on an AWSPENDING copy of AWSCURRENT, then drop it."""
        token = str(uuid.uuid4())
        current = self._client.get_secret_value(SecretId=arn, VersionStage=CURRENT)
        self._client.put_secret_value(
            SecretId=arn,
            ClientRequestToken=token,
            SecretString=current["SecretString"],
            VersionStages=[PENDING],
        )
        self.invoke(arn, token, "testSecret")  # on failure the copy keeps its label
        self._client.update_secret_version_stage(
            SecretId=arn, VersionStage=PENDING, RemoveFromVersionId=token
        )
        return token

    def start_rotation(self, arn: str, *, created: datetime | None = None) -> str:
        """Create the rotation's version: AWSPENDING, no value yet (``created``: its date)."""
        self._refuse_while_in_progress(arn)
        token = str(uuid.uuid4())
        for version, labels in self._client.describe_secret(SecretId=arn)[
            "VersionIdsToStages"
        ].items():
            if PENDING in labels:  # on AWSCURRENT's version: the label moves to the new one
                self._client.update_secret_version_stage(
                    SecretId=arn, VersionStage=PENDING, RemoveFromVersionId=version
                )
        self._empty[arn] = (token, created or datetime.now(UTC))
        return token

    def rotate(self, arn: str) -> str:
        """A whole rotation; a failing step raises and leaves the labels as they are."""
        token = self.start_rotation(arn)
        self.resume(arn, token)
        return token

    def resume(self, arn: str, token: str, steps: tuple[str, ...] = STEPS) -> None:
        """Run (or retry) steps of the rotation whose version is ``token``."""
        for step in steps:
            self.invoke(arn, token, step)

    def invoke(self, arn: str, token: str, step: str) -> None:
        """Invoke the rotation function as Secrets Manager does."""
        self.invocations.append((step, token))
        event = {"SecretId": arn, "ClientRequestToken": token, "Step": step}
        self._handler(event, self.context, client=self)

    def _refuse_while_in_progress(self, arn: str) -> None:
        for version, labels in self.stages(arn).items():
            if PENDING in labels and CURRENT not in labels:
                raise RotationInProgress(
                    f"A previous rotation isn't complete: AWSPENDING is on version {version}"
                )
