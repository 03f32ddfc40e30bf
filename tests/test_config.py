"""Configuration from environment variables."""

from __future__ import annotations

import pytest

from service.config import as_bool, as_int, from_env


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("1", True), ("ON", True), ("false", False), ("0", False), ("", False)],
)
def test_as_bool_parses_strictly(value, expected):
    assert as_bool(value) is expected


def test_as_bool_rejects_junk():
    with pytest.raises(ValueError, match="not a boolean"):
        as_bool("maybe")


def test_as_int_defaults_on_empty():
    assert as_int("", 7) == 7 and as_int(None, 7) == 7 and as_int("9", 7) == 9


def test_defaults_need_no_environment():
    config = from_env({})
    assert config["DATABASE_URL"] is None and config["IMAGES_BUCKET"] is None
    assert config["BCRYPT_ROUNDS"] == 10
    assert config["IMAGE_URL_EXPIRES"] == 300
    assert config["LOG_LEVEL"] == "INFO"
    assert config["TRACING_ENABLED"] is False
    assert config["SECRET_KEY"] is None  # service.storage keeps a key in the instance folder


def test_environment_values_are_read():
    config = from_env(
        {"IMAGES_BUCKET": "b", "DB_PORT": "3307", "LOG_LEVEL": "debug", "TRACING_ENABLED": "true"}
    )
    assert config["IMAGES_BUCKET"] == "b" and config["DB_PORT"] == 3307
    assert config["LOG_LEVEL"] == "DEBUG" and config["TRACING_ENABLED"] is True
