"""Cross-platform dependency install: a hash-checked wheel cache, then `pip install --target`.

Wheels are downloaded once into a cache folder (build/cache/wheels by default) for the
target platform with pip's `--platform/--python-version/--only-binary` options, checked
against the lock's sha256 hashes and the target's wheel tags, and installed from there,
so a rebuild needs no network.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from deploy.errors import DeployError
from deploy.lockfile import Pin
from deploy.pip import run_pip
from deploy.targets import Target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def find_cached(pin: Pin, target: Target, cache: Path) -> Path | None:
    """A cached wheel for the pin that the target accepts and whose hash the lock allows."""
    for path in sorted(cache.glob("*.whl")):
        try:
            name, version, _build, tags = parse_wheel_filename(path.name)
        except InvalidWheelFilename:
            continue
        if name != pin.name or str(version) != pin.version:
            continue
        if tags.isdisjoint(target.supported_tags):
            continue
        if not pin.hashes or _sha256(path) in pin.hashes:
            return path
    return None


def check_wheel_tags(wheels: Iterable[Path], target: Target) -> None:
    """Fail clearly if a wheel is tagged for another platform or Python."""
    wrong = []
    for path in wheels:
        _name, _version, _build, tags = parse_wheel_filename(path.name)
        if tags.isdisjoint(target.supported_tags):
            wrong.append(f"  {path.name}: tags {', '.join(sorted(map(str, tags)))}")
    if wrong:
        raise DeployError(
            f"wheels built for another platform than {target.runtime}/{target.arch} "
            f"({target.platforms[0]}):\n" + "\n".join(wrong)
        )


def _requirements_file(pins: Iterable[Pin], folder: Path) -> Path:
    path = folder / "requirements.txt"
    path.write_text("".join(pin.requirement_line() + "\n" for pin in pins))
    return path


def ensure_wheels(
    pins: Sequence[Pin], target: Target, cache: Path, pip_options: Sequence[str] = ()
) -> list[Path]:
    """Return one wheel per pin, downloading only those not yet in the cache."""
    cache.mkdir(parents=True, exist_ok=True)
    missing = [pin for pin in pins if find_cached(pin, target, cache) is None]
    if missing:
        with tempfile.TemporaryDirectory(prefix="deploy-dl-") as tmp:
            requirements = _requirements_file(missing, Path(tmp))
            hash_mode = ["--require-hashes"] if all(p.hashes for p in missing) else []
            run_pip(
                [
                    "download",
                    "--quiet",
                    "--no-deps",
                    *hash_mode,
                    "--dest",
                    str(cache),
                    *target.pip_args(),
                    *pip_options,
                    "-r",
                    str(requirements),
                ],
                what=f"downloading wheels for {target.runtime}/{target.arch}",
            )
    wheels = []
    for pin in pins:
        found = find_cached(pin, target, cache)
        if found is None:
            raise DeployError(
                f"no wheel for {pin.name}=={pin.version} matches {target.runtime}/{target.arch} "
                f"and the lock's hashes (looked in {cache})"
            )
        wheels.append(found)
    return wheels


def install(wheels: Sequence[Path], target: Target, dest: Path) -> None:
    """Install wheel files into `dest` (a flat folder, like /var/task) without bytecode."""
    check_wheel_tags(wheels, target)
    if not wheels:
        dest.mkdir(parents=True, exist_ok=True)
        return
    run_pip(
        [
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--no-compile",
            "--disable-pip-version-check",
            "--no-warn-script-location",
            "--target",
            str(dest),
            *target.pip_args(),
            *(str(w) for w in wheels),
        ],
        what=f"installing wheels into {dest}",
    )
