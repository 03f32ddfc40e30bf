"""Configuration read from environment variables, with local defaults.

Every setting comes from the environment; nothing is read at import time.

==========================  =========================================  ==========================
Variable                    Meaning                                    Default
==========================  =========================================  ==========================
``DATABASE_URL``            SQLAlchemy URL (local runs, tests)         SQLite in the instance folder
``DB_SECRET_ARN``           Secrets Manager ARN of the app's DB        unset (use DATABASE_URL)
                            credentials; wins over DATABASE_URL
``DB_ADMIN_SECRET_ARN``     Master secret (migration and rotation)     unset
``DB_HOST``                 Database host when the secret lacks it     unset
``DB_PORT``                 Database port when the secret lacks it     3306
``DB_NAME``                 Database name when the secret lacks it     unset
``DB_CONNECT_TIMEOUT``      Seconds to wait for a DB connection (and   20
                            its greeting: a paused Aurora resumes in
                            ~15 s)
``DB_READ_TIMEOUT``         Seconds to wait for a DB answer            15
``DB_SECRET_EXTENSION_PORT`` Port of the Parameters and Secrets Lambda  unset (read with the SDK)
                            Extension (a layer; AWS's default 2773):
                            the secret is read from it, no SDK
``DB_TLS_CA``               CA bundle for TLS to the database          bundled RDS CA
``IMAGES_BUCKET``           S3 bucket for product images               unset (use IMAGES_DIR)
``IMAGES_DIR``              Local folder for images                    ``<instance>/images``
``IMAGE_URL_EXPIRES``       Lifetime of download URLs, seconds         300
``BCRYPT_ROUNDS``           bcrypt cost for new password hashes        10
``AUTH_CACHE_SIZE``         Verified-credential cache entries          1024
``AUTH_CACHE_TTL``          Verified-credential cache lifetime, sec.   300
``SECRET_KEY``              Signs local download URLs                  random per process
``LOG_LEVEL``               Logging level                              INFO
``TRACING_ENABLED``         AWS X-Ray tracing through Powertools       false
``POWERTOOLS_SERVICE_NAME`` Service name in logs, metrics, traces      inventory-api
``POWERTOOLS_METRICS_NAMESPACE`` CloudWatch metrics namespace          InventoryApi
==========================  =========================================  ==========================

The ``*_ENV`` sets name what each Lambda function reads; the Terraform tests
check that Terraform sets exactly these.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Any

API_ENV = frozenset(
    {
        "DB_SECRET_ARN",
        "DB_SECRET_EXTENSION_PORT",
        "DB_HOST",
        "DB_PORT",
        "DB_NAME",
        "DB_CONNECT_TIMEOUT",
        "DB_READ_TIMEOUT",
        "IMAGES_BUCKET",
        "IMAGE_URL_EXPIRES",
        "BCRYPT_ROUNDS",
        "AUTH_CACHE_SIZE",
        "AUTH_CACHE_TTL",
        "LOG_LEVEL",
        "TRACING_ENABLED",
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
    }
)
MIGRATE_ENV = frozenset(
    {
        "DB_ADMIN_SECRET_ARN",
        "DB_SECRET_ARN",
        "DB_HOST",
        "DB_PORT",
        "DB_NAME",
        "LOG_LEVEL",
        "POWERTOOLS_SERVICE_NAME",
    }
)
ROTATE_ENV = frozenset(
    {"DB_ADMIN_SECRET_ARN", "DB_HOST", "DB_PORT", "DB_NAME", "LOG_LEVEL", "POWERTOOLS_SERVICE_NAME"}
)
# Never set on Lambda: local runs and tests only.
LOCAL_ENV = frozenset({"DATABASE_URL", "IMAGES_DIR", "SECRET_KEY", "DB_TLS_CA"})

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


def from_env(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from environment variables."""
    env = os.environ if env is None else env
    on_lambda = bool(env.get("AWS_LAMBDA_FUNCTION_NAME"))  # set by the Lambda runtime
    return {
        "DATABASE_URL": env.get("DATABASE_URL") or None,
        "DB_SECRET_ARN": env.get("DB_SECRET_ARN") or None,
        "DB_ADMIN_SECRET_ARN": env.get("DB_ADMIN_SECRET_ARN") or None,
        "DB_HOST": env.get("DB_HOST") or None,
        "DB_PORT": as_int(env.get("DB_PORT"), 3306),
        "DB_NAME": env.get("DB_NAME") or None,
        # A paused Aurora Serverless v2 greets only after resuming (~15 s): wait up to
        # 20 s, inside the API function's 25 s timeout and API Gateway's 29 s.
        "DB_CONNECT_TIMEOUT": as_int(env.get("DB_CONNECT_TIMEOUT"), 20),
        "DB_READ_TIMEOUT": as_int(env.get("DB_READ_TIMEOUT"), 15),
        # Below Aurora's idle timeout (Terraform sets wait_timeout = 600 s).
        "DB_POOL_RECYCLE": 280,
        # A pooled connection idle this long is pinged before use (a frozen container's
        # may be gone); busier ones are not, and a dead one costs a read a retry.
        "DB_IDLE_PING_SECONDS": 30,
        "DB_SECRET_EXTENSION_PORT": as_int(env.get("DB_SECRET_EXTENSION_PORT"), 0) or None,
        "DB_TLS_CA": env.get("DB_TLS_CA") or None,
        "IMAGES_BUCKET": env.get("IMAGES_BUCKET") or None,
        "IMAGES_DIR": env.get("IMAGES_DIR") or None,
        "IMAGE_URL_EXPIRES": as_int(env.get("IMAGE_URL_EXPIRES"), 300),
        "BCRYPT_ROUNDS": as_int(env.get("BCRYPT_ROUNDS"), 10),
        "AUTH_CACHE_SIZE": as_int(env.get("AUTH_CACHE_SIZE"), 1024),
        "AUTH_CACHE_TTL": as_int(env.get("AUTH_CACHE_TTL"), 300),
        "SECRET_KEY": env.get("SECRET_KEY") or secrets.token_hex(32),
        "LOG_LEVEL": (env.get("LOG_LEVEL") or "INFO").upper(),
        "TRACING_ENABLED": as_bool(env.get("TRACING_ENABLED")),
        "LOG_JSON": on_lambda,  # JSON lines for CloudWatch; readable text on a laptop
        "METRICS_ENABLED": on_lambda,  # EMF lines only where CloudWatch reads them
        "METRICS_NAMESPACE": env.get("POWERTOOLS_METRICS_NAMESPACE") or "InventoryApi",
        "SERVICE_NAME": env.get("POWERTOOLS_SERVICE_NAME") or "inventory-api",
        "MAX_IMAGE_BYTES": MAX_IMAGE_BYTES,
        # Werkzeug refuses bigger bodies with 413 before parsing them; the
        # slack covers multipart framing around a file of exactly the limit.
        "MAX_CONTENT_LENGTH": MAX_IMAGE_BYTES + 64 * 1024,
    }
