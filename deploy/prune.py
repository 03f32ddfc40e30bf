"""What the package leaves out: tests, caches, docs, stubs, sources of extensions, dist-info bloat.

Dependencies are installed into a staging folder first and pruned there; the project's
own folders (service/, migrations/) are copied in through `copy_sources`, which skips
the same kind of files.
"""

from __future__ import annotations

import fnmatch
import shutil
from collections.abc import Sequence
from pathlib import Path

# Folders nobody imports at run time.
_ALWAYS_DROP_DIRS = frozenset({"__pycache__", "tests", "test", ".pytest_cache", ".mypy_cache"})
# Folders dropped only when they are not Python packages (botocore.docs is imported).
_DOC_DIRS = frozenset({"docs", "doc", "examples"})
_DROP_SUFFIXES = (".pyc", ".pyo", ".pyi", ".c", ".h", ".pyx", ".pxd", ".md", ".rst")
_DROP_NAMES = frozenset({"py.typed", ".DS_Store"})
# In *.dist-info keep what importlib.metadata reads (METADATA headers, entry points,
# top_level.txt) and the licence texts; drop the installer's bookkeeping.
_DIST_INFO_DROP = frozenset({"RECORD", "INSTALLER", "REQUESTED", "WHEEL", "direct_url.json"})
_LICENSE_PREFIXES = ("LICENSE", "LICENCE", "COPYING", "NOTICE", "AUTHORS")


def _is_license(path: Path) -> bool:
    return path.name.upper().startswith(_LICENSE_PREFIXES) or "licenses" in path.parts


def _drop_file(path: Path) -> bool:
    if path.name in _DROP_NAMES:
        return True
    return path.name.endswith(_DROP_SUFFIXES) and not _is_license(path)


def _drop_dir(path: Path) -> bool:
    if path.name in _ALWAYS_DROP_DIRS:
        return True
    return path.name in _DOC_DIRS and not (path / "__init__.py").exists()


def trim_metadata(path: Path) -> None:
    """Keep only the header block of a METADATA file (drops the long description)."""
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    header, _sep, _body = text.partition("\n\n")
    path.write_text(header + "\n", encoding="utf-8", errors="surrogateescape")


def read_excludes(path: Path) -> list[str]:
    """The patterns of an excludes file (deploy/package-excludes.txt): no comments, no blanks."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def _excluded(rel: str, is_dir: bool, patterns: Sequence[str]) -> str | None:
    for pattern in patterns:
        if pattern.endswith("/"):
            if is_dir and fnmatch.fnmatchcase(rel, pattern[:-1]):
                return pattern
        elif not is_dir and fnmatch.fnmatchcase(rel, pattern):
            return pattern
    return None


def apply_excludes(root: Path, patterns: Sequence[str]) -> tuple[list[str], list[str]]:
    """Delete what the patterns match; return (removed paths, patterns that matched nothing)."""
    removed: list[str] = []
    used: set[str] = set()
    for path in sorted(root.rglob("*")):  # parents before children
        if not path.exists() and not path.is_symlink():
            continue  # inside a folder removed already
        rel = path.relative_to(root).as_posix()
        pattern = _excluded(rel, path.is_dir(), patterns)
        if pattern is None:
            continue
        used.add(pattern)
        if path.is_dir():
            shutil.rmtree(path)
            removed.append(rel + "/")
        else:
            path.unlink()
            removed.append(rel)
    return removed, [p for p in patterns if p not in used]


def prune_dependencies(root: Path) -> list[str]:
    """Delete what the runtime does not need from installed dependencies; return what went."""
    removed: list[str] = []
    bin_dir = root / "bin"  # console scripts (flask, alembic, ...) are useless on Lambda
    if bin_dir.is_dir():
        shutil.rmtree(bin_dir)
        removed.append("bin/")
    for path in sorted(root.rglob("*"), reverse=True):  # children before parents
        if not path.exists():
            continue
        rel = path.relative_to(root).as_posix()
        if path.is_dir():
            if _drop_dir(path):
                shutil.rmtree(path)
                removed.append(rel + "/")
        elif path.parent.name.endswith(".dist-info"):
            if path.name in _DIST_INFO_DROP:
                path.unlink()
                removed.append(rel)
            elif path.name == "METADATA":
                trim_metadata(path)
        elif _drop_file(path):
            path.unlink()
            removed.append(rel)
    return removed


def _ignore(directory: str, names: list[str]) -> set[str]:
    base = Path(directory)
    return {
        name
        for name in names
        if ((base / name).is_dir() and _drop_dir(base / name))
        or ((base / name).is_file() and _drop_file(base / name))
    }


def copy_sources(source: Path, dest: Path) -> None:
    """Copy a project folder (service/, migrations/) without tests, caches and docs."""
    shutil.copytree(source, dest, ignore=_ignore, dirs_exist_ok=False)
