"""App configurations the tests build: the local one, and the one Lambda builds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from service import create_app
from service.extensions import db


def make_config(database_url: str, tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    """The test configuration: cheap bcrypt, a private image folder."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "BCRYPT_ROUNDS": 4,
        "IMAGES_DIR": str(tmp_path / "images"),
        "IMAGES_BUCKET": None,
        "SECRET_KEY": "test-secret",
        **overrides,
    }


def aws_app(tmp_path: Path, **overrides: Any):
    """The app as the Lambda function builds it: only the secret's ARN, no password
    (DB_SECRET_ARN and the DB_* settings come from the environment the test sets)."""
    return create_app(
        {
            "BCRYPT_ROUNDS": 4,
            "IMAGES_DIR": str(tmp_path / "images"),
            "DATABASE_URL": None,
            **overrides,
        }
    )


def dispose(app) -> None:
    """Close the app's session and pooled connections (a container going away)."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
