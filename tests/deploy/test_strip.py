"""deploy/strip.py on the real extensions we ship, for both architectures: smaller, the
loaded bytes untouched, well-formed for readelf, deterministic; odd files left alone.
(That the stripped x86_64 extensions load and work is test_package.py's clean-import test.)"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zipfile

import pytest

from deploy import lockfile, wheels
from deploy.strip import strip_elf, strip_tree
from deploy.targets import Target
from tests.support.deploy_build import REPO, WHEEL_CACHE, wheel_cache_lock
from tests.support.deploy_fakes import X86_64, elf_header

SHDR = struct.Struct("<IIQQQQIIQQ")
PHDR = struct.Struct("<IIQQQQQQ")


def _extensions(arch: str) -> dict[str, bytes]:
    """The shared objects of the locked SQLAlchemy and pydantic-core wheels for an arch."""
    pins, _ = lockfile.read_lock(REPO / "deploy" / "requirements.lock")
    chosen = [p for p in pins if p.name in ("sqlalchemy", "pydantic-core")]
    found = {}
    with wheel_cache_lock():
        locked = wheels.ensure_wheels(chosen, Target("3.12", arch), WHEEL_CACHE)
    for wheel in locked:
        with zipfile.ZipFile(wheel) as archive:
            for name in archive.namelist():
                if name.endswith(".so"):
                    found[name] = archive.read(name)
    assert len(found) >= 9
    return found


def _sections(data: bytes) -> list[tuple]:
    (shoff,) = struct.unpack_from("<Q", data, 40)
    (shnum,) = struct.unpack_from("<H", data, 60)
    return [SHDR.unpack_from(data, shoff + i * SHDR.size) for i in range(shnum)]


def _segments(data: bytes) -> list[tuple]:
    (phoff,) = struct.unpack_from("<Q", data, 32)
    (phnum,) = struct.unpack_from("<H", data, 56)
    return [PHDR.unpack_from(data, phoff + i * PHDR.size) for i in range(phnum)]


def _without_section_fields(data: bytes) -> bytes:
    """The ELF header without e_shoff, e_shnum, e_shstrndx (the fields strip rewrites)."""
    return data[:40] + data[48:60]


@pytest.fixture(scope="module", params=["x86_64", "arm64"])
def locked_extensions(request):
    return request.param, _extensions(request.param)


def test_stripping_drops_only_what_is_never_loaded(locked_extensions):
    _arch, files = locked_extensions
    saved = 0
    for name, data in files.items():
        stripped = strip_elf(data)
        assert stripped is not None, name
        assert len(stripped) < len(data)
        saved += len(data) - len(stripped)
        # The program headers and every loaded byte are exactly as they were
        assert _segments(stripped) == _segments(data)
        for segment in _segments(data):
            start, size = segment[2], segment[5]
            if start == 0:  # the segment holding the ELF header
                assert _without_section_fields(stripped) == _without_section_fields(data)
                start, size = 64, size - 64
            assert stripped[start : start + size] == data[start : start + size], name
        # The allocated sections are all there, unchanged; nothing else but the name table
        before = [s for s in _sections(data) if s[2] & 0x2]
        after = _sections(stripped)
        assert [s[1:6] for s in after if s[2] & 0x2] == [s[1:6] for s in before]
        assert [s[1] for s in after if not s[2] & 0x2] == [0, 3]  # NULL, .shstrtab
        # Deterministic, and stripping again finds nothing to do
        assert strip_elf(data) == stripped
        assert strip_elf(stripped) is None
    assert saved > 5_000_000  # SQLAlchemy's extensions carry full debug info


def test_readelf_reads_the_stripped_files_without_complaint(locked_extensions, tmp_path):
    readelf = shutil.which("readelf")
    assert readelf, "readelf (binutils) is needed to check the stripped files"
    arch, files = locked_extensions
    for name, data in files.items():
        path = tmp_path / name.rsplit("/", 1)[-1]
        path.write_bytes(strip_elf(data) or data)
        result = subprocess.run(
            [readelf, "--wide", "--file-header", "--section-headers", "--program-headers",
             "--dynamic", str(path)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode == 0 and not result.stderr, (name, result.stderr)
        machine = {"x86_64": "X86-64", "arm64": "AArch64"}[arch]
        assert machine in result.stdout
        assert ".debug_info" not in result.stdout and ".symtab" not in result.stdout


@pytest.mark.parametrize(
    "data",
    [
        b"not an elf file at all",
        b"\x7fELF" + bytes([1, 1]) + bytes(58),  # 32-bit
        elf_header(X86_64),  # a header without sections
        b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8) + (2).to_bytes(2, "little") + bytes(46),
    ],
    ids=["text", "elf32", "no-sections", "executable"],
)
def test_other_files_are_left_alone(data):
    assert strip_elf(data) is None


def test_a_kept_section_pointing_at_a_dropped_one_is_left_alone(locked_extensions):
    _arch, files = locked_extensions
    with_symtab = (d for d in files.values() if any(s[1] == 2 for s in _sections(d)))
    data = bytearray(next(with_symtab))
    sections = _sections(bytes(data))
    dynsym = next(i for i, s in enumerate(sections) if s[1] == 11)  # SHT_DYNSYM
    symtab = next(i for i, s in enumerate(sections) if s[1] == 2)  # SHT_SYMTAB (dropped)
    (shoff,) = struct.unpack_from("<Q", data, 40)
    struct.pack_into("<I", data, shoff + dynsym * SHDR.size + 40, symtab)  # sh_link
    assert strip_elf(bytes(data)) is None


def test_strip_tree_counts_and_skips_non_elf(tmp_path, locked_extensions):
    _arch, files = locked_extensions
    data = next(iter(files.values()))
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "ext.so").write_bytes(data)
    (tmp_path / "pkg" / "fake.so").write_bytes(b"not elf")
    (tmp_path / "pkg" / "module.py").write_text("x = 1\n")
    count, saved = strip_tree(tmp_path)
    assert count == 1 and saved == len(data) - (tmp_path / "pkg" / "ext.so").stat().st_size
    assert (tmp_path / "pkg" / "fake.so").read_bytes() == b"not elf"
