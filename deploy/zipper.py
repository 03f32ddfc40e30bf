"""Reproducible zip archives and the hash Terraform compares.

Same files in, same bytes out: entries sorted by name, every timestamp 1980-01-01
00:00 (the zip epoch), permissions normalised to 0644 (0755 if executable), Unix as
the creating system, no directory entries and no extra fields, deflate at a fixed
level. Terraform's `filebase64sha256()` / `source_code_hash` then only changes when
a file does (zlib's version is part of the input: one build machine, one zlib).
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
COMPRESS_LEVEL = 6  # zlib default: level 9 takes 3.7x as long for 0.7% less


@dataclass(frozen=True)
class ZipSummary:
    """What was written: path, size, hashes, entry count, the size unpacked and the compressed
    size per top-level name."""

    path: Path
    size: int
    sha256_hex: str
    sha256_b64: str
    entries: int
    by_top_level: dict[str, int]
    unzipped: int = 0


def file_hashes(path: Path) -> tuple[str, str]:
    """Return (hex, base64) SHA-256 of a file; base64 is what filebase64sha256() gives."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest(), base64.b64encode(digest.digest()).decode("ascii")


def _mode(path: Path) -> int:
    executable = os.stat(path).st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return 0o755 if executable else 0o644


def _top_level(name: str) -> str:
    first = name.split("/", 1)[0]
    return "*.dist-info" if first.endswith(".dist-info") else first


def write_zip(
    root: Path, output: Path, on_file: Callable[[int, int], None] | None = None
) -> ZipSummary:
    """Zip every file under root into output, deterministically.

    :param on_file: called with (files done, total) for progress displays.
    """
    files = sorted((p.relative_to(root).as_posix(), p) for p in root.rglob("*") if p.is_file())
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    sizes: Counter[str] = Counter()
    unzipped = 0
    with zipfile.ZipFile(partial, "w") as archive:
        for done, (name, path) in enumerate(files, 1):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.create_system = 3  # Unix, so external_attr carries the permission bits
            info.external_attr = (stat.S_IFREG | _mode(path)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = path.read_bytes()
            unzipped += len(data)
            archive.writestr(info, data, compresslevel=COMPRESS_LEVEL)
            sizes[_top_level(name)] += archive.getinfo(name).compress_size
            if on_file:
                on_file(done, len(files))
    os.replace(partial, output)
    hex_digest, b64_digest = file_hashes(output)
    return ZipSummary(
        output, output.stat().st_size, hex_digest, b64_digest, len(files), dict(sizes), unzipped
    )


def largest(summary: ZipSummary, count: int = 10) -> list[tuple[str, int]]:
    """The top-level names taking the most compressed bytes, largest first."""
    return sorted(summary.by_top_level.items(), key=lambda item: (-item[1], item[0]))[:count]
