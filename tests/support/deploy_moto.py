"""moto as a server in this process, for the steps of a workflow run as separate
processes (`python -m deploy ...` with AWS_ENDPOINT_URL pointing here)."""

from __future__ import annotations

from typing import Any

import boto3
import requests

REGION = "eu-west-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


class MotoServer:
    """Clients for a running ThreadedMotoServer, and its reset."""

    def __init__(self, url: str) -> None:
        self.url = url

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def reset(self) -> None:
        requests.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()
