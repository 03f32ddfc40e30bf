"""The secret cache: one read, re-read on demand or expiry, clear failures."""

from __future__ import annotations

import json

import boto3
import pytest

from service import secrets as secrets_module
from service.secrets import SecretCache, SecretUnavailable


class CountingClient:
    """moto's client, counting GetSecretValue calls."""

    def __init__(self):
        self._client = boto3.client("secretsmanager")
        self.reads = 0

    def __getattr__(self, name):
        return getattr(self._client, name)

    def get_secret_value(self, **kwargs):
        self.reads += 1
        return self._client.get_secret_value(**kwargs)


@pytest.fixture
def secret_arn(aws):
    client = boto3.client("secretsmanager")
    value = {"username": "app", "password": "first-password"}
    return client.create_secret(Name="db", SecretString=json.dumps(value))["ARN"]


def test_secret_is_read_once_then_cached(secret_arn):
    client = CountingClient()
    cache = SecretCache(secret_arn, client=client)
    assert cache.get() == {"username": "app", "password": "first-password"}
    assert cache.get()["password"] == "first-password"
    assert client.reads == 1


def test_force_fetch_sees_a_rotation(secret_arn):
    client = CountingClient()
    cache = SecretCache(secret_arn, client=client)
    cache.get()
    client.put_secret_value(
        SecretId=secret_arn,
        SecretString=json.dumps({"username": "app_clone", "password": "second"}),
        VersionStages=["AWSCURRENT"],
    )
    assert cache.get()["password"] == "first-password"  # cached
    assert cache.get(force_fetch=True) == {"username": "app_clone", "password": "second"}
    assert client.reads == 2


def test_expired_value_is_read_again(secret_arn, monkeypatch):
    now = [100.0]
    monkeypatch.setattr(secrets_module.time, "monotonic", lambda: now[0])
    client = CountingClient()
    cache = SecretCache(secret_arn, client=client, max_age=60)
    cache.get()
    now[0] += 61
    cache.get()
    assert client.reads == 2


def test_missing_secret_is_unavailable_and_logs_no_value(aws, caplog):
    cache = SecretCache("arn:aws:secretsmanager:eu-west-1:123456789012:secret:nope")
    with pytest.raises(SecretUnavailable, match="cannot read secret"):
        cache.get()
    assert "ResourceNotFoundException" in caplog.text


def test_non_json_secret_is_unavailable(aws):
    client = boto3.client("secretsmanager")
    arn = client.create_secret(Name="plain", SecretString="hunter2")["ARN"]
    with pytest.raises(SecretUnavailable):
        SecretCache(arn).get()
