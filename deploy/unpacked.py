"""A built package as a folder `serve` can import from: unpacked for as long as it runs.

A zip is extracted into a temporary folder that is removed when the context ends, which
`serve` makes happen on Ctrl-C and on SIGTERM too. Before anything is imported the
package's extensions are checked against this interpreter and this machine: they are
compiled for one CPython version and one architecture, and a mismatch would otherwise
show up as an obscure ImportError on the first request. Standard library only.
"""

from __future__ import annotations

import platform
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from deploy.binaries import elf_machine
from deploy.errors import DeployError
from deploy.targets import ELF_MACHINES

# platform.machine() names on Linux (and macOS) for the two Lambda architectures.
_HOST_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


@contextmanager
def unpacked(package: Path) -> Iterator[Path]:
    """The package as a folder: a folder as it is, a zip extracted until the context ends."""
    if package.is_dir():
        yield package.resolve()
        return
    if not zipfile.is_zipfile(package):
        raise DeployError(f"{package} is neither a folder nor a zip file")
    folder = Path(tempfile.mkdtemp(prefix="deploy-serve-"))
    try:
        print(f"unpacked {package} into {folder}", file=sys.stderr, flush=True)
        with zipfile.ZipFile(package) as archive:
            archive.extractall(folder)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _extensions(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.so") if p.is_file())


def check_runs_here(folder: Path, label: str | None = None) -> None:
    """Refuse a package whose extensions this Python on this machine cannot load."""
    label = label or str(folder)
    running = f"{sys.version_info[0]}{sys.version_info[1]}"
    host = _HOST_ARCH.get(platform.machine().lower())
    machines = {value: arch for arch, value in ELF_MACHINES.items()}
    for path in _extensions(folder):
        match = re.search(r"\.cpython-(\d)(\d+)", path.name)
        if match and match[1] + match[2] != running:
            raise DeployError(
                f"{label} holds extensions for CPython {match[1]}.{match[2]} ({path.name}); "
                f"run serve with that Python, e.g. python{match[1]}.{match[2]} -m deploy serve ..."
            )
        built_for = machines.get(elf_machine(path) or -1)
        if built_for and host and built_for != host:
            raise DeployError(
                f"{label} is built for {built_for} ({path.relative_to(folder).as_posix()}) "
                f"but this machine is {host}: build one for it with "
                f"python -m deploy package --arch {host} -o build/lambda-{host}.zip"
            )
