"""The pinned dependency lock: generate it from setup.cfg, read it, split off runtime packages.

The lock (`deploy/requirements.lock`) pins every runtime dependency, transitive ones
included, to one version with the sha256 of each wheel it may use (arm64 and x86_64),
so two builds months apart install the same bytes. Regenerate it after changing
`install_requires` in setup.cfg: `python -m deploy lock`.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from deploy.errors import DeployError
from deploy.pip import run_pip
from deploy.targets import ARCHES, Target

DEFAULT_LOCK = Path(__file__).with_name("requirements.lock")

# What the Lambda Python runtimes already ship (boto3 and its dependencies).
# https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html#python-sdk-included
RUNTIME_PROVIDED = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"}
)
_INPUT_MARK = "# input-sha256: "
_PYTHON_MARK = re.compile(r"^# Resolved for python(\d+\.\d+) ", re.MULTILINE)
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>\S+)(?P<rest>.*)$")


@dataclass(frozen=True)
class Pin:
    """One locked distribution: canonical name, exact version, allowed wheel hashes."""

    name: str
    version: str
    hashes: frozenset[str]

    def requirement_line(self) -> str:
        """The pip requirements line, hashes included."""
        hashes = "".join(f" --hash=sha256:{h}" for h in sorted(self.hashes))
        return f"{self.name}=={self.version}{hashes}"


def read_install_requires(setup_cfg: Path) -> list[str]:
    """Return `[options] install_requires` of a setup.cfg, one requirement per item."""
    parser = configparser.ConfigParser()
    if not parser.read(setup_cfg):
        raise DeployError(f"cannot read {setup_cfg}")
    raw = parser.get("options", "install_requires", fallback="")
    return [line.strip() for line in raw.splitlines() if line.strip()]


def input_digest(requirements: Iterable[str]) -> str:
    """A digest of the lock's inputs, to tell when the lock is stale."""
    text = "\n".join(sorted(r.replace(" ", "") for r in requirements))
    return hashlib.sha256(text.encode()).hexdigest()


def resolve(requirements: Sequence[str], target: Target, pip_options: Sequence[str]) -> list[Pin]:
    """Resolve requirements for one target with pip's resolver (`--dry-run --report`)."""
    with tempfile.TemporaryDirectory(prefix="deploy-lock-") as tmp:
        report = Path(tmp, "report.json")
        run_pip(
            [
                "install",
                "--dry-run",
                "--ignore-installed",
                "--quiet",
                "--report",
                str(report),
                "--target",
                str(Path(tmp, "target")),
                *target.pip_args(),
                *pip_options,
                *requirements,
            ],
            what=f"resolving dependencies for {target.runtime}/{target.arch}",
        )
        data = json.loads(report.read_text())
    pins = []
    for item in data["install"]:
        hashes = item["download_info"].get("archive_info", {}).get("hashes", {})
        if "sha256" not in hashes:
            raise DeployError(f"pip reported no sha256 for {item['metadata']['name']}")
        pins.append(
            Pin(
                canonicalize_name(item["metadata"]["name"]),
                item["metadata"]["version"],
                frozenset({hashes["sha256"]}),
            )
        )
    return pins


def merge(per_arch: dict[str, list[Pin]]) -> list[Pin]:
    """Merge per-architecture resolutions into one pin per name with all hashes."""
    merged: dict[str, Pin] = {}
    for arch, pins in per_arch.items():
        for pin in pins:
            seen = merged.get(pin.name)
            if seen is None:
                merged[pin.name] = pin
            elif seen.version != pin.version:
                raise DeployError(
                    f"{pin.name} resolves to {seen.version} on one architecture and "
                    f"{pin.version} on {arch}; pin it in setup.cfg install_requires"
                )
            else:
                merged[pin.name] = Pin(pin.name, pin.version, seen.hashes | pin.hashes)
    return sorted(merged.values(), key=lambda p: p.name)


def render(pins: Iterable[Pin], requirements: Sequence[str], python: str) -> str:
    """The lock file text."""
    lines = [
        "# Pinned runtime dependencies of the Lambda package. Generated; do not edit.",
        "# Regenerate after changing setup.cfg install_requires: python -m deploy lock",
        f"# Resolved for python{python} on manylinux {' and '.join(ARCHES)} (wheels only).",
        f"{_INPUT_MARK}{input_digest(requirements)}",
    ]
    for pin in pins:
        hashes = sorted(pin.hashes)
        lines.append(f"{pin.name}=={pin.version}" + (" \\" if hashes else ""))
        lines += [
            f"    --hash=sha256:{h}" + (" \\" if i < len(hashes) - 1 else "")
            for i, h in enumerate(hashes)
        ]
    return "\n".join(lines) + "\n"


def generate(setup_cfg: Path, output: Path, python: str, pip_options: Sequence[str]) -> list[Pin]:
    """Resolve setup.cfg's install_requires for every architecture and write the lock."""
    requirements = read_install_requires(setup_cfg)
    per_arch = {arch: resolve(requirements, Target(python, arch), pip_options) for arch in ARCHES}
    pins = merge(per_arch)
    output.write_text(render(pins, requirements, python))
    return pins


def read_lock(path: Path) -> tuple[list[Pin], str | None]:
    """Parse a lock file; return its pins and the recorded input digest (if any)."""
    if not path.is_file():
        raise DeployError(f"lock file {path} not found; create it with: python -m deploy lock")
    digest = None
    logical: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        if raw.startswith(_INPUT_MARK):
            digest = raw.removeprefix(_INPUT_MARK).strip()
        line = raw.split("#", 1)[0] if not raw.lstrip().startswith("--hash") else raw
        line = line.rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        if pending.strip():
            logical.append(pending.strip())
        pending = ""
    pins = []
    for line in logical:
        match = _PIN.match(line)
        if not match:
            raise DeployError(f"{path}: not an exact pin (name==version): {line!r}")
        hashes = frozenset(re.findall(r"--hash=sha256:([0-9a-f]{64})", match["rest"]))
        pins.append(Pin(canonicalize_name(match["name"]), match["version"], hashes))
    return pins, digest


def lock_python(path: Path) -> str | None:
    """The Python version a lock was resolved for (its header), None if it does not say."""
    match = _PYTHON_MARK.search(path.read_text()) if path.is_file() else None
    return match[1] if match else None


def split_runtime_provided(pins: Iterable[Pin], include_boto3: bool) -> tuple[list[Pin], list[Pin]]:
    """Split pins into (to ship, left to the Lambda runtime)."""
    ship: list[Pin] = []
    runtime: list[Pin] = []
    for pin in pins:
        (runtime if pin.name in RUNTIME_PROVIDED and not include_boto3 else ship).append(pin)
    return ship, runtime
