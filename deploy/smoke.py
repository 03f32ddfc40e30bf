"""`smoke`: GET <base-url>/healthz until it answers 200, within a deadline."""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from deploy.errors import DeployError


@dataclass(frozen=True)
class SmokeResult:
    """The successful probe."""

    url: str
    status: int
    attempts: int
    seconds: float


def healthz_url(base_url: str, path: str = "/healthz") -> str:
    """Join the base URL (which may end in a stage, like .../prod) and the health path."""
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def _probe(url: str, timeout: float) -> tuple[int | None, str]:
    request = urllib.request.Request(url, headers={"User-Agent": "deploy-smoke"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read(500).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(500).decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as exc:
        return None, str(getattr(exc, "reason", exc))


def smoke(
    base_url: str,
    *,
    deadline_s: float = 60.0,
    interval_s: float = 2.0,
    timeout_s: float = 10.0,
    path: str = "/healthz",
) -> SmokeResult:
    """Probe until a 200 or the deadline.

    :raise DeployError: with the last status and body (or connection error) seen.
    """
    url = healthz_url(base_url, path)
    if not url.startswith(("http://", "https://")):
        raise DeployError(f"base URL must start with http:// or https://, not {base_url!r}")
    started = time.monotonic()
    attempts = 0
    while True:
        attempts += 1
        remaining = deadline_s - (time.monotonic() - started)
        status, detail = _probe(url, max(0.5, min(timeout_s, remaining)))
        if status == 200:
            return SmokeResult(url, status, attempts, time.monotonic() - started)
        seen = f"HTTP {status}: {detail.strip()[:300]}" if status else f"no answer: {detail}"
        print(f"smoke attempt {attempts}: {seen}", file=sys.stderr)
        if time.monotonic() - started + interval_s > deadline_s:
            raise DeployError(
                f"smoke test failed: GET {url} did not answer 200 within "
                f"{deadline_s:g} s ({attempts} attempts); last: {seen}"
            )
        time.sleep(interval_s)
