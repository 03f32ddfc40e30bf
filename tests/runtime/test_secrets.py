"""The secret cache: one read, re-read on demand or expiry, clear failures."""

from __future__ import annotations

import json
import socket

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


# ------------------------------------------------ through the Parameters and Secrets extension


@pytest.fixture
def extension(aws):
    from tests.support.secrets_extension import fake_extension

    with fake_extension(boto3.client("secretsmanager")) as fake:
        yield fake


def _extension_cache(secret_arn, extension, **kwargs):
    return SecretCache(secret_arn, extension_port=extension.port, **kwargs)


def test_secret_is_read_through_the_extension_without_the_sdk(secret_arn, extension, monkeypatch):
    monkeypatch.setenv("AWS_SESSION_TOKEN", "the-session-token")
    cache = _extension_cache(secret_arn, extension)
    assert cache.get() == {"username": "app", "password": "first-password"}
    assert extension.tokens == ["the-session-token"]  # the extension's SSRF token
    assert cache._client is None  # no SDK client was created


def test_forced_read_goes_past_the_extension_cache(secret_arn, extension):
    # GIVEN the extension still serves the value from before a rotation
    extension.cached = json.dumps({"username": "app", "password": "first-password"})
    boto3.client("secretsmanager").put_secret_value(
        SecretId=secret_arn,
        SecretString=json.dumps({"username": "app_clone", "password": "second"}),
        VersionStages=["AWSCURRENT"],
    )
    cache = _extension_cache(secret_arn, extension)
    assert cache.get()["password"] == "first-password"
    # WHEN the database refused it and the app forces a read, THEN it sees the rotation
    assert cache.get(force_fetch=True) == {"username": "app_clone", "password": "second"}


def test_extension_refusal_falls_back_to_the_sdk_and_logs_no_value(secret_arn, extension, caplog):
    extension.status = 400  # e.g. a token it does not accept
    assert _extension_cache(secret_arn, extension).get()["password"] == "first-password"
    assert "first-password" not in caplog.text
    assert "HTTP 400" in caplog.text and "using the SDK" in caplog.text


def test_extension_refusal_and_an_unreadable_secret_is_unavailable(extension, caplog):
    extension.status = 403
    cache = SecretCache("arn:aws:secretsmanager:eu-west-1:123456789012:secret:nope",
                        extension_port=extension.port)  # fmt: skip
    with pytest.raises(SecretUnavailable, match="cannot read secret"):
        cache.get()


def test_without_a_session_token_the_sdk_reads_the_secret(secret_arn, extension, monkeypatch):
    # SnapStart functions get container credentials: no AWS_SESSION_TOKEN for the extension
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    assert _extension_cache(secret_arn, extension).get()["password"] == "first-password"
    assert extension.tokens == []


def test_without_an_extension_listening_the_sdk_reads_the_secret(secret_arn, caplog):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cache = SecretCache(secret_arn, extension_port=port)
    assert cache.get()["password"] == "first-password"
    assert "using the SDK" in caplog.text
