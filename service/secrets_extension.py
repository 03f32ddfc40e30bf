"""Secrets from the AWS Parameters and Secrets Lambda Extension: one GET on localhost.

The extension (a Lambda layer) reads Secrets Manager itself and caches the value, so the
function needs no AWS SDK for it: measured here (tests/benchmarks, ``--only secrets``) a
fresh process reads the secret this way in ~15 ms and +0.3 MB, against ~280 ms and
+18 MB for importing boto3 and creating its client.
Interface: https://docs.aws.amazon.com/lambda/latest/dg/with-secrets-manager.html
(GET /secretsmanager/get?secretId=...&versionStage=..., header
X-Aws-Parameters-Secrets-Token = the function's AWS_SESSION_TOKEN; INVOKE phase only).
SnapStart functions have no AWS_SESSION_TOKEN (container credentials): service/secrets.py
then uses the SDK.
"""

from __future__ import annotations

import http.client
import json
import os
from typing import Any
from urllib.parse import urlencode

TIMEOUT_SECONDS = 5  # the SDK client's read timeout, for the same call


class ExtensionError(Exception):
    """The extension answered, but not with the secret (e.g. Secrets Manager refused)."""


class ExtensionClient:
    """The one Secrets Manager call we make, with the SDK client's signature."""

    def __init__(self, port: int, host: str = "localhost") -> None:
        self.port = port
        self.host = host

    def get_secret_value(self, *, SecretId: str, VersionStage: str) -> dict[str, Any]:
        """Like ``secretsmanager.get_secret_value``.

        :raise OSError: the extension is not listening (no layer): the caller may fall back.
        :raise ExtensionError: any answer but 200 with a SecretString.
        """
        query = urlencode({"secretId": SecretId, "versionStage": VersionStage})
        headers = {"X-Aws-Parameters-Secrets-Token": os.environ.get("AWS_SESSION_TOKEN", "")}
        connection = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT_SECONDS)
        try:
            connection.request("GET", f"/secretsmanager/get?{query}", headers=headers)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        if response.status != 200:
            # The body may echo the request, never the secret: keep only the status.
            raise ExtensionError(f"the extension answered HTTP {response.status}")
        try:
            value: dict[str, Any] = json.loads(body)
            if not isinstance(value["SecretString"], str):
                raise TypeError("SecretString is not a string")
        except (ValueError, KeyError, TypeError) as error:
            raise ExtensionError("the extension's answer holds no SecretString") from error
        return value
