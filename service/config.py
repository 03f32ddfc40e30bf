"""Settings: every environment variable a function reads, declared once in ``SETTINGS``.

``from_env`` builds the Flask config from the table; ``API_ENV``, ``MIGRATE_ENV``,
``ROTATE_ENV`` and ``LOCAL_ENV`` (what Terraform must set on each Lambda function,
checked in tests/terraform) and the table in docs/configuration.md (checked in
tests/unit/test_config.py) derive from it.
Nothing is read at import time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# Who reads a setting: the Lambda functions that get it in their environment
# (Terraform sets exactly these), or LOCAL: local runs and tests only, never on Lambda.
API, MIGRATE, ROTATE, LOCAL = "api", "migrate", "rotate", "local"
DB_LOCATION = frozenset({API, MIGRATE, ROTATE})

MAX_IMAGE_BYTES = 4 * 1024 * 1024  # Lambda's 6 MB payload limit minus base64 overhead

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def as_bool(value: str | None, default: bool = False) -> bool:
    """Parse a boolean strictly: junk raises instead of silently meaning False."""
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def as_int(value: str | None, default: int) -> int:
    """Parse an integer setting; an empty value means the default."""
    if value is None or not value.strip():
        return default
    return int(value)


@dataclass(frozen=True)
class Setting:
    """One environment variable: how it is parsed, its default, who reads it."""

    name: str
    parse: Callable[[str], Any]  # applied to a non-blank value
    default: Any  # when unset or blank; a callable is called each time
    description: str
    read_by: frozenset[str]
    key: str | None = None  # the Flask config key, when it is not ``name``
    shown_default: str | None = None  # for the docs, when ``default`` says too little

    def value(self, env: Mapping[str, str]) -> Any:
        raw = env.get(self.name)
        if raw is None or not raw.strip():
            return self.default() if callable(self.default) else self.default
        return self.parse(raw)


SETTINGS: tuple[Setting, ...] = (
    # ---------------------------------------------------------------- database
    Setting(
        "DATABASE_URL", str, None, "SQLAlchemy URL of the database (local runs, tests)",
        frozenset({LOCAL}), shown_default="SQLite file `instance/inventory.db`",
    ),
    Setting(
        "DB_SECRET_ARN", str, None,
        "Secrets Manager ARN of the app's database credentials; wins over `DATABASE_URL`",
        frozenset({API, MIGRATE}),
    ),
    Setting(
        "DB_ADMIN_SECRET_ARN", str, None,
        "Secrets Manager ARN of the master credentials (migration and rotation)",
        frozenset({MIGRATE, ROTATE}),
    ),
    Setting("DB_HOST", str, None, "Database host when the secret lacks it", DB_LOCATION),
    Setting("DB_PORT", int, 3306, "Database port when the secret lacks it", DB_LOCATION),
    Setting("DB_NAME", str, None, "Database name when the secret lacks it", DB_LOCATION),
    Setting(
        # A paused Aurora Serverless v2 greets only after resuming (~15 s): wait up to
        # 20 s, inside the API function's 25 s timeout and API Gateway's 29 s.
        "DB_CONNECT_TIMEOUT", int, 20,
        "Seconds to wait for a database connection and its greeting (a paused Aurora "
        "resumes in ~15 s)",
        frozenset({API}),
    ),
    Setting("DB_READ_TIMEOUT", int, 15, "Seconds to wait for a query's answer", frozenset({API})),
    Setting(
        "DB_SECRET_EXTENSION_PORT", int, None,
        "Port of the AWS Parameters and Secrets Lambda Extension (a layer; AWS's default "
        "2773): the secret is read from it, without an SDK client",
        frozenset({API}), shown_default="unset: read with the SDK",
    ),
    Setting(
        "DB_TLS_CA", str, None, "CA bundle for TLS to a database off loopback",
        frozenset({LOCAL}), shown_default="the Amazon RDS CAs in `service/certs/global-bundle.pem`",
    ),
    # ------------------------------------------------------------------ images
    Setting(
        "IMAGES_BUCKET", str, None, "S3 bucket for product images", frozenset({API}),
        shown_default="unset: images go to `IMAGES_DIR`",
    ),
    Setting(
        "IMAGES_DIR", str, None, "Local folder for product images", frozenset({LOCAL}),
        shown_default="`instance/images`",
    ),
    Setting("IMAGE_URL_EXPIRES", int, 300, "Lifetime of download URLs, seconds", frozenset({API})),
    Setting(
        "SECRET_KEY", str, None, "Signs the local image store's download URLs",
        frozenset({LOCAL}),
        shown_default="a key kept in `instance/download-url.key` (created on first use)",
    ),
    # ---------------------------------------------------------- authentication
    Setting("BCRYPT_ROUNDS", int, 10, "bcrypt cost of new password hashes", frozenset({API})),
    Setting(
        "AUTH_CACHE_SIZE", int, 1024, "Entries in the verified-credential cache",
        frozenset({API}),
    ),
    Setting(
        "AUTH_CACHE_TTL", int, 300, "Lifetime of a verified-credential cache entry, seconds",
        frozenset({API}),
    ),
    # ----------------------------------------------------------- observability
    Setting("LOG_LEVEL", str.upper, "INFO", "Logging level", frozenset({API, MIGRATE, ROTATE})),
    Setting(
        "TRACING_ENABLED", as_bool, False, "AWS X-Ray tracing through Powertools",
        frozenset({API}),
    ),
    Setting(
        "POWERTOOLS_SERVICE_NAME", str, "inventory-api", "Service name in logs, metrics, traces",
        frozenset({API, MIGRATE, ROTATE}), key="SERVICE_NAME",
    ),
    Setting(
        "POWERTOOLS_METRICS_NAMESPACE", str, "InventoryApi", "CloudWatch metrics namespace",
        frozenset({API}), key="METRICS_NAMESPACE",
    ),
)  # fmt: skip


def _read_by(function: str) -> frozenset[str]:
    return frozenset(s.name for s in SETTINGS if function in s.read_by)


API_ENV = _read_by(API)
MIGRATE_ENV = _read_by(MIGRATE)
ROTATE_ENV = _read_by(ROTATE)
LOCAL_ENV = _read_by(LOCAL)  # never set on Lambda: local runs and tests only


def from_env(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from environment variables."""
    env = os.environ if env is None else env
    on_lambda = bool(env.get("AWS_LAMBDA_FUNCTION_NAME"))  # set by the Lambda runtime
    return {
        **{setting.key or setting.name: setting.value(env) for setting in SETTINGS},
        # Below Aurora's idle timeout (Terraform sets wait_timeout = 600 s).
        "DB_POOL_RECYCLE": 280,
        # A pooled connection idle this long is pinged before use (a frozen container's
        # may be gone); busier ones are not, and a dead one costs a read a retry.
        "DB_IDLE_PING_SECONDS": 30,
        "LOG_JSON": on_lambda,  # JSON lines for CloudWatch; readable text on a laptop
        "METRICS_ENABLED": on_lambda,  # EMF lines only where CloudWatch reads them
        "MAX_IMAGE_BYTES": MAX_IMAGE_BYTES,
        # Werkzeug refuses bigger bodies with 413 before parsing them; the
        # slack covers multipart framing around a file of exactly the limit.
        "MAX_CONTENT_LENGTH": MAX_IMAGE_BYTES + 64 * 1024,
    }


def _default_text(setting: Setting) -> str:
    if setting.shown_default is not None:
        return setting.shown_default
    if setting.default is None:
        return "unset"
    if isinstance(setting.default, bool):
        return str(setting.default).lower()
    return f"`{setting.default}`"


def markdown_table() -> str:
    """The settings as the Markdown table docs/configuration.md shows."""
    lines = [
        "| Variable | Meaning | Default | Read by |",
        "|---|---|---|---|",
    ]
    for s in SETTINGS:
        read_by = ", ".join(f for f in (API, MIGRATE, ROTATE, LOCAL) if f in s.read_by)
        lines.append(f"| `{s.name}` | {s.description} | {_default_text(s)} | {read_by} |")
    return "\n".join(lines) + "\n"
