"""Run by a clean python3.12 (`-I`) against an unpacked package, as Lambda would import it:
every module the three handlers need, imported from the package, and their code paths
run (tests/deploy/test_package.py). Not a test module: a script.

Usage: python3.12 -I exercise_package.py TASK_ROOT RUNTIME_SITE_PACKAGES TMP_DIR
Prints one JSON line with what it saw.
"""

import ast
import base64
import importlib
import json
import os
import pkgutil
import sys
from pathlib import Path

task, runtime, tmp = sys.argv[1:4]
sys.path[:0] = [task, runtime]
os.environ.update(
    DATABASE_URL=f"sqlite:///{tmp}/db.sqlite",
    IMAGES_DIR=f"{tmp}/images",
    SECRET_KEY="package-test",
    BCRYPT_ROUNDS="4",
    AWS_LAMBDA_FUNCTION_NAME="package-test",  # JSON logs and EMF metrics, as on Lambda
    TRACING_ENABLED="true",  # imports Powertools' Tracer and the X-Ray SDK
    AWS_XRAY_CONTEXT_MISSING="IGNORE_ERROR",
    AWS_DEFAULT_REGION="eu-west-1",
)


def first_party_imports(root: Path) -> set[str]:
    """Modules that code under root imports anywhere (functions included), except those
    only for type checking or behind `except ImportError` (optional by design)."""
    found: set[str] = set()

    def visit(node, optional=False):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child, optional)
            return
        if isinstance(node, ast.Try):
            guards = {ast.unparse(h.type) for h in node.handlers if h.type is not None}
            guarded = bool(guards & {"ImportError", "ModuleNotFoundError"})
            for child in node.body:
                visit(child, optional or guarded)
            for child in node.handlers + node.orelse + node.finalbody:
                visit(child, optional)
            return
        if not optional and isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif (
            not optional
            and isinstance(node, ast.ImportFrom)
            and node.level == 0
            and node.module != "__future__"
        ):
            found.update(f"{node.module}:{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child, optional)

    for path in root.rglob("*.py"):
        visit(ast.parse(path.read_text()))
    return found


def import_named(spec: str) -> None:
    module_name, _, attr = spec.partition(":")
    module = importlib.import_module(module_name)
    if attr and attr != "*" and not hasattr(module, attr):
        importlib.import_module(f"{module_name}.{attr}")  # `from package import module`


# 1. The three handlers, from the package
import service.jobs.migrate as migrate_job  # noqa: E402
import service.jobs.rotate as rotate_job  # noqa: E402
import service.lambda_handler as api  # noqa: E402

assert api.__file__.startswith(task), api.__file__
assert callable(migrate_job.handler) and callable(rotate_job.handler)

# 2. Every first-party module, and everything first-party code imports
import service  # noqa: E402

modules = [m.name for m in pkgutil.walk_packages(service.__path__, "service.")]
for name in modules:
    importlib.import_module(name)
imports = sorted(
    first_party_imports(Path(task, "service")) | first_party_imports(Path(task, "migrations"))
)
for spec in imports:
    import_named(spec)

# 3. The migration job's code paths on SQLite: upgrade, current, history
from alembic import command  # noqa: E402
from sqlalchemy import create_engine, select, table  # noqa: E402

engine = create_engine(os.environ["DATABASE_URL"])
with engine.connect() as connection:
    command.upgrade(migrate_job._alembic_config(connection), "head")
    connection.commit()
    revision = migrate_job.current_revision(connection)
history = migrate_job._history()

# 4. The MySQL dialect and driver Aurora needs (no server: engine and compiler only)
from sqlalchemy.dialects import mysql  # noqa: E402

mysql_engine = create_engine("mysql+pymysql://app:pw@127.0.0.1:9/inventory")
compiled = str(select(table("product")).compile(dialect=mysql.dialect()))


# 5. The API through API Gateway events
def call(method, path, body=None, auth=None):
    headers = {"Host": "x", "Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    event = {
        "httpMethod": method, "path": path, "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "body": json.dumps(body) if body is not None else None, "isBase64Encoded": False,
        "requestContext": {"path": f"/prod{path}", "stage": "prod", "requestId": "r1"},
    }  # fmt: skip
    return api.handler(event, None)["statusCode"]


user = {
    "username": "pkg@example.com",
    "password": "packaged pw",
    "first_name": "A",
    "last_name": "B",
}
product = {"name": "Lamp", "description": "d", "sku": "l-1", "manufacturer": "m", "quantity": 1}
statuses = {
    "health": call("GET", "/healthz"),
    "openapi": call("GET", "/v1/openapi.json"),
    "docs": call("GET", "/docs"),
    "create_user": call("POST", "/v1/user", user),
    "get_user": call("GET", "/v1/user/1", auth="pkg@example.com:packaged pw"),
    "create_product": call("POST", "/v1/product", product, auth="pkg@example.com:packaged pw"),
    "invalid": call("POST", "/v1/product", {"name": ""}, auth="pkg@example.com:packaged pw"),
    "missing": call("GET", "/v1/nothing"),
}
outside = sorted(
    name
    for name, module in sys.modules.items()
    if getattr(module, "__file__", None)
    and name not in ("__main__", "__mp_main__")  # this script
    and not module.__file__.startswith((task, runtime, sys.base_prefix))
)
print(
    json.dumps(
        {
            "modules": len(modules),
            "imports": len(imports),
            "revision": revision,
            "history": len(history),
            "mysql": compiled,
            "statuses": statuses,
            "outside": outside,
            "loaded": sorted(sys.modules),
        }
    )
)
