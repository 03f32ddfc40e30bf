"""`package`: build the Lambda zip (dependencies + service/ + migrations/ + CA bundle)."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from deploy import binaries, bytecode, lockfile, prune, strip, wheels, zipper
from deploy.errors import DeployError
from deploy.lockfile import Pin
from deploy.progress import Progress
from deploy.targets import Target

MB = 1024 * 1024  # AWS's "50 MB" zip limit is 52,428,800 bytes
# Lambda's limit for the unzipped package (layers included): 250 MB, 262,144,000 bytes.
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
UNZIPPED_LIMIT = 250 * MB
SOURCES = ("service", "migrations")
CA_BUNDLE = Path("service/certs/global-bundle.pem")
EXCLUDES = Path("deploy/package-excludes.txt")


@dataclass
class PackageOptions:
    """Inputs of a build; the defaults are what `python -m deploy package` uses."""

    project: Path = Path()
    output: Path = Path("build/lambda.zip")
    target: Target = field(default_factory=Target)
    include_boto3: bool = False
    lock: Path | None = None  # default: <project>/deploy/requirements.lock
    cache: Path | None = None  # default: <project>/build/cache/wheels
    compile: bool = True
    compile_python: str | None = None
    unchecked_hash: bool = True
    max_size_mb: float = 25.0
    strip: bool = True
    excludes: Path | None = None  # default: <project>/deploy/package-excludes.txt if present
    pip_options: list[str] = field(default_factory=list)
    progress: Progress = field(default_factory=Progress)


@dataclass(frozen=True)
class PackageResult:
    """What was built."""

    summary: zipper.ZipSummary
    target: Target
    shipped: list[Pin]
    left_to_runtime: list[Pin]
    compiled_with: str | None
    native_files: int
    warnings: list[str]
    stripped: tuple[int, int] = (0, 0)  # (files, bytes saved)


def _load_pins(options: PackageOptions) -> list[Pin]:
    lock = options.lock or options.project / "deploy" / "requirements.lock"
    pins, digest = lockfile.read_lock(lock)
    resolved_for = lockfile.lock_python(lock)
    if resolved_for is not None and resolved_for != options.target.python:
        raise DeployError(
            f"{lock} is resolved for python{resolved_for}, so it builds only for that runtime, "
            f"not {options.target.runtime}: regenerate it with "
            f"python -m deploy lock --python {options.target.python} (and run the functions "
            "on the same runtime)"
        )
    setup_cfg = options.project / "setup.cfg"
    if options.lock is None and digest and setup_cfg.is_file():
        current = lockfile.input_digest(lockfile.read_install_requires(setup_cfg))
        if current != digest:
            raise DeployError(
                f"{lock} is stale: setup.cfg install_requires changed since it was generated; "
                "regenerate it with: python -m deploy lock"
            )
    return pins


def _check_ca_bundle(project: Path) -> None:
    bundle = project / CA_BUNDLE
    if not bundle.is_file():
        raise DeployError(
            f"{CA_BUNDLE} is missing: the package must ship the Amazon RDS CA bundle "
            "(https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem)"
        )
    if b"-----BEGIN CERTIFICATE-----" not in bundle.read_bytes():
        raise DeployError(f"{CA_BUNDLE} is not a PEM certificate bundle")


def _add_sources(project: Path, staging: Path) -> None:
    for name in SOURCES:
        source = project / name
        if not source.is_dir():
            raise DeployError(f"{source} not found: run package from the repository root")
        if (staging / name).exists():
            raise DeployError(f"a dependency installs a top-level {name!r}, which clashes")
        prune.copy_sources(source, staging / name)
    root_ini = project / "alembic.ini"
    if root_ini.is_file():
        shutil.copy2(root_ini, staging / "alembic.ini")


def _excludes(options: PackageOptions) -> list[str]:
    path = options.excludes or options.project / EXCLUDES
    if options.excludes is None and not path.is_file():
        return []
    try:
        return prune.read_excludes(path)
    except OSError as exc:
        raise DeployError(f"cannot read the excludes file {path}: {exc}") from exc


def _budget_error(summary: zipper.ZipSummary, limit: float) -> DeployError:
    rows = "\n".join(f"  {size / MB:8.2f} MB  {name}" for name, size in zipper.largest(summary))
    return DeployError(
        f"package is {summary.size / MB:.2f} MB zipped, over the {limit:g} MB budget "
        f"(--max-size). Largest top-level entries (compressed):\n{rows}"
    )


def build_package(options: PackageOptions) -> PackageResult:
    """Build the zip described by options.

    :raise DeployError: on a stale lock, a download failure, a wrong-platform binary,
        missing sources or CA bundle, a compile error, or a zip over the size budget.
    """
    target, progress, warnings = options.target, options.progress, []
    project = options.project
    pins = _load_pins(options)
    ship, runtime = lockfile.split_runtime_provided(pins, options.include_boto3)
    excludes = _excludes(options)
    cache = options.cache or project / "build" / "cache" / "wheels"
    _check_ca_bundle(project)
    python = None
    if options.compile:
        python = bytecode.find_python(target.python, options.compile_python)
        if python is None:
            warnings.append(
                f"python{target.python} not found: shipping no bytecode, so cold "
                "starts compile every module (--compile-python PATH to fix)"
            )
    options.output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="staging-", dir=options.output.parent) as tmp:
        staging = Path(tmp) / "task"
        with progress.step(f"Fetching {len(ship)} wheels for {target.runtime}/{target.arch}"):
            wheel_files = wheels.ensure_wheels(ship, target, cache, options.pip_options)
        with progress.step("Installing dependencies"):
            wheels.install(wheel_files, target, staging)
        with progress.step("Pruning tests, caches, docs and dist-info") as step:
            step.update(f"({len(prune.prune_dependencies(staging))} paths)")
        with progress.step(f"Leaving out what {options.excludes or EXCLUDES} lists") as step:
            excluded, unused = prune.apply_excludes(staging, excludes)
            step.update(f"({len(excluded)} paths)")
        warnings += [f"exclude pattern {p!r} matches nothing: remove it" for p in unused]
        stripped = (0, 0)
        if options.strip:
            with progress.step("Stripping shared objects") as step:
                stripped = strip.strip_tree(staging)
                step.update(f"({stripped[0]} files, {stripped[1] / MB:.1f} MB less)")
        with progress.step("Adding service/, migrations/ and the CA bundle"):
            _add_sources(project, staging)
        with progress.step("Checking compiled extensions") as step:
            native = binaries.check_tree(staging, target)
            step.update(f"({native} native files)")
        if python:
            with progress.step(f"Compiling bytecode with {python}"):
                bytecode.compile_tree(python, staging, options.unchecked_hash)
        with progress.step(f"Writing {options.output}") as step:
            summary = zipper.write_zip(
                staging, options.output, lambda done, total: step.update(f"{done}/{total} files")
            )
    if summary.unzipped > UNZIPPED_LIMIT:
        options.output.unlink()
        raise DeployError(
            f"package is {summary.unzipped / MB:.1f} MB unzipped, over Lambda's "
            f"{UNZIPPED_LIMIT / MB:g} MB limit for a function's code and layers"
        )
    if summary.size > options.max_size_mb * MB:
        options.output.unlink()
        raise _budget_error(summary, options.max_size_mb)
    return PackageResult(summary, target, ship, runtime, python, native, warnings, stripped)
