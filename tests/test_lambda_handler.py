"""The real Lambda entry point, imported the way Lambda imports it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.databases import migrate_to_head
from tests.support.transport import load_event

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import json, sys
from service.lambda_handler import handler
event = json.loads(sys.stdin.read())
result = handler(event, None)
heavy = sorted(
    m for m in ("alembic", "flask_migrate", "boto3", "service.openapi") if m in sys.modules
)
print(json.dumps({"result": result, "heavy": heavy}))
"""


def _invoke(event, env):
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **env},
        timeout=60,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_handler_module_answers_rest_v1_event_without_importing_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'handler.db'}"
    migrate_to_head(url)
    output = _invoke(
        load_event("rest_v1_get.json"),
        {"DATABASE_URL": url, "IMAGES_DIR": str(tmp_path / "img")},
    )
    result = output["result"]
    assert result["statusCode"] == 200
    assert json.loads(result["body"]) == {"status": "ok", "database": "ok"}
    # alembic, flask_migrate, boto3 and the OpenAPI builder stay off the hot path
    assert output["heavy"] == []


def test_handler_module_answers_http_v2_event(tmp_path):
    url = f"sqlite:///{tmp_path / 'handler.db'}"
    migrate_to_head(url)
    output = _invoke(load_event("http_v2_get.json"), {"DATABASE_URL": url})
    assert output["result"]["statusCode"] == 200
