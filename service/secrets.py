"""Database credentials from Secrets Manager: read on first use, cached, re-read on demand.

The function gets the secret's ARN, never the password. After a rotation the
cached credentials may be refused (MySQL error 1045); ``db.py`` then asks for
a fresh copy with ``force_fetch=True`` and retries the connection once.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from typing import Any

logger = logging.getLogger(__name__)

DEFAULT_MAX_AGE = 3600  # seconds; a rotation is caught earlier by the 1045 retry


class SecretUnavailable(Exception):
    """The secret could not be read or does not hold usable JSON."""


class SecretCache:
    """One secret's JSON value, cached for ``max_age`` seconds (Powertools' parameters pattern)."""

    def __init__(
        self,
        secret_id: str,
        *,
        max_age: float = DEFAULT_MAX_AGE,
        client: Any = None,
        version_stage: str = "AWSCURRENT",
        extension_port: int | None = None,
    ) -> None:
        self.secret_id = secret_id
        self.max_age = max_age
        self.version_stage = version_stage
        self._client = client
        self._owns_client = client is None
        # With the Parameters and Secrets extension (a layer), reads need no SDK; only a
        # forced read (the password was refused: a rotation) goes to Secrets Manager
        # directly, past the extension's cache, which may hold the old value for its TTL.
        self._extension: Any = None
        if extension_port:
            from service.secrets_extension import ExtensionClient

            self._extension = ExtensionClient(extension_port)
        self._value: dict[str, Any] | None = None
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        # Created on first use: botocore costs ~90 ms to import. Its model is botocore's
        # own; the shared endpoints.json is trimmed (service/aws_sdk.py).
        if self._client is None:
            from botocore.config import Config

            from service import aws_sdk

            config = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 3})
            self._client = aws_sdk.client("secretsmanager", config=config)
        return self._client

    def get(self, *, force_fetch: bool = False) -> dict[str, Any]:
        """The secret's JSON; fetched when missing, expired or ``force_fetch``.

        :raise SecretUnavailable: Secrets Manager failed or the value is not a JSON object.
        """
        with self._lock:
            fresh = time.monotonic() - self._fetched_at < self.max_age
            if self._value is None or force_fetch or not fresh:
                self._value = self._fetch(force=force_fetch)
                self._fetched_at = time.monotonic()
            return self._value

    def forget(self) -> None:
        """Drop the cached value (and a client made here): the next ``get`` reads again.

        After a SnapStart restore the cached value may be stale and the client's
        connections and credentials belong to the snapshot.
        """
        with self._lock:
            self._value = None
            self._fetched_at = 0.0
            if self._owns_client:
                self._client = None

    def _fetch(self, *, force: bool = False) -> dict[str, Any]:
        if self._extension is not None and not force:
            response = self._read_through_extension()
        else:
            response = self._read_from_secrets_manager()
        try:
            value = json.loads(response["SecretString"])
        except (KeyError, TypeError, ValueError) as error:
            logger.error("cannot read secret %s: %s", self.secret_id, type(error).__name__)
            raise SecretUnavailable(f"cannot read secret {self.secret_id}") from error
        if not isinstance(value, dict):
            raise SecretUnavailable(f"secret {self.secret_id} is not a JSON object")
        logger.info("read secret %s (version %s)", self.secret_id, response.get("VersionId"))
        return value

    def _read_through_extension(self) -> dict[str, Any]:
        from service.secrets_extension import ExtensionError

        if not os.environ.get("AWS_SESSION_TOKEN"):
            # SnapStart functions get container credentials, not this variable, and the
            # extension needs it as its token: the SDK reads the secret there.
            return self._read_from_secrets_manager()
        try:
            response: dict[str, Any] = self._extension.get_secret_value(
                SecretId=self.secret_id, VersionStage=self.version_stage
            )
        except (ExtensionError, OSError) as error:
            # No layer, or it refused (a wrong token, Secrets Manager's own error): the SDK
            # gives the authoritative answer (the value, or SecretUnavailable).
            logger.warning("secrets extension failed (%s); using the SDK", error)
            return self._read_from_secrets_manager()
        return response

    def _read_from_secrets_manager(self) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            # Ask for the stage explicitly: a plain read may lag a rotation's finishSecret.
            response: dict[str, Any] = self.client.get_secret_value(
                SecretId=self.secret_id, VersionStage=self.version_stage
            )
        except (BotoCoreError, ClientError) as error:
            # Never log the value; the error text names only the secret and the failure.
            logger.error("cannot read secret %s: %s", self.secret_id, type(error).__name__)
            raise SecretUnavailable(f"cannot read secret {self.secret_id}") from error
        return response
