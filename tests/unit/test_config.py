"""Configuration from environment variables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.config import (
    API_ENV,
    LOCAL_ENV,
    MIGRATE_ENV,
    ROTATE_ENV,
    SETTINGS,
    as_bool,
    as_int,
    from_env,
    markdown_table,
)


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


DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
TABLE = re.compile(
    r"<!-- settings table: generated from SETTINGS in service/config.py -->\n"
    r"(?P<table>.*?)<!-- end of settings table -->",
    re.DOTALL,
)


def test_docs_show_the_settings_table():
    match = TABLE.search(DOCS.read_text())
    assert match, f"{DOCS} has no generated settings table"
    assert match["table"] == markdown_table(), "regenerate it: see docs/configuration.md"


def _sample(setting):
    """A raw value the setting parses into something other than its default."""
    if setting.parse is as_bool:
        return "true"
    return "7" if setting.parse is int else "some-value"


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_in_the_table_is_read_from_the_environment(setting):
    key = setting.key or setting.name
    assert from_env({setting.name: _sample(setting)})[key] != from_env({})[key]


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_a_blank_value_means_the_default(setting):
    key = setting.key or setting.name
    assert from_env({setting.name: "  "})[key] == from_env({})[key]


def test_a_setting_is_either_local_or_set_on_lambda():
    assert LOCAL_ENV.isdisjoint(API_ENV | MIGRATE_ENV | ROTATE_ENV)
    assert {s.name for s in SETTINGS} == LOCAL_ENV | API_ENV | MIGRATE_ENV | ROTATE_ENV


def test_every_function_knows_where_its_database_is():
    for env in (API_ENV, MIGRATE_ENV, ROTATE_ENV):
        assert {"DB_HOST", "DB_PORT", "DB_NAME", "LOG_LEVEL"} <= env
