"""Strip shared objects for the package: drop every section the program does not load.

What `strip --strip-all` does to a shared object, for ELF64 little-endian files of any
architecture: sections without SHF_ALLOC (`.symtab`, `.strtab`, `.debug_*`,
`.comment`, ...) are never mapped into memory, and the dynamic loader works from the
program headers and the ALLOC sections (`.dynsym`, `.dynstr`, `.rela.*`, ...) only.
The bytes up to the end of the last loaded segment stay exactly as they were; the
dropped sections after them go, and a new section-name table and section header
table are appended. SQLAlchemy's Cython extensions ship with full debug information:
this takes them from 12 MB to 1.3 MB on x86_64.

Why not binutils' `strip`: an x86_64 build machine's `strip` cannot read aarch64 files
("Unable to recognise the format"), and `-F elf64-little` writes e_machine 0;
`llvm-strip` reads both but is not on every machine and its output depends on its
version. This is a pure function of the input bytes, so the zip stays byte-identical
wherever it is built. Anything unusual (not a 64-bit little-endian shared object,
extended section numbering, a kept section that refers to a dropped one) is left
untouched. Format: https://refspecs.linuxfoundation.org/elf/gabi4+/ch4.sheader.html
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_PHDR = struct.Struct("<IIQQQQQQ")
ET_DYN = 3
SHF_ALLOC = 0x2
SHF_INFO_LINK = 0x40
SHT_STRTAB, SHT_NOBITS = 3, 8
SHN_XINDEX = 0xFFFF


@dataclass
class _Section:
    name: int
    type: int
    flags: int
    addr: int
    offset: int
    size: int
    link: int
    info: int
    align: int
    entsize: int


def _name(data: bytes, table: _Section, offset: int) -> bytes:
    start = table.offset + offset
    return data[start : data.index(b"\0", start)]


def strip_elf(data: bytes) -> bytes | None:
    """The stripped bytes of an ELF64 LE shared object; None when it is left as it is."""
    if len(data) < _EHDR.size or data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return None
    header: list[Any] = list(_EHDR.unpack_from(data))
    e_type, e_phoff, e_shoff = header[1], header[5], header[6]
    e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx = header[9:14]
    if e_type != ET_DYN or e_shnum == 0 or e_shstrndx in (0, SHN_XINDEX):
        return None
    if e_shentsize != _SHDR.size or e_phentsize != _PHDR.size:
        return None
    if e_shoff + e_shnum * _SHDR.size > len(data):
        return None
    sections = [
        _Section(*_SHDR.unpack_from(data, e_shoff + i * _SHDR.size)) for i in range(e_shnum)
    ]
    kept = [0] + [i for i in range(1, e_shnum) if sections[i].flags & SHF_ALLOC]
    new_index = {old: new for new, old in enumerate(kept)}
    for i in kept[1:]:
        section = sections[i]
        linked = [section.link] + ([section.info] if section.flags & SHF_INFO_LINK else [])
        if any(target and target not in new_index for target in linked):
            return None  # it refers to a section that would go
    ends = [_EHDR.size, e_phoff + e_phnum * _PHDR.size]
    for i in range(e_phnum):
        segment = _PHDR.unpack_from(data, e_phoff + i * _PHDR.size)
        ends.append(segment[2] + segment[5])  # p_offset + p_filesz
    ends += [
        sections[i].offset + sections[i].size for i in kept[1:] if sections[i].type != SHT_NOBITS
    ]
    cut = max(ends)
    # The new section-name table: the kept sections' names, then its own.
    names = bytearray(b"\0")
    offsets: dict[bytes, int] = {}
    for i in [*kept[1:], -1]:
        name = b".shstrtab" if i == -1 else _name(data, sections[e_shstrndx], sections[i].name)
        if name not in offsets:
            offsets[name] = len(names)
            names += name + b"\0"
    table_offset = cut + len(names)
    table_offset += -table_offset % 8
    if table_offset + (len(kept) + 1) * _SHDR.size >= len(data):
        return None  # no smaller
    headers = bytearray()
    for i in kept:
        s = sections[i]
        if i == 0:
            headers += _SHDR.pack(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            continue
        info = new_index[s.info] if s.flags & SHF_INFO_LINK and s.info else s.info
        link = new_index[s.link] if s.link else 0
        name_offset = offsets[_name(data, sections[e_shstrndx], s.name)]
        headers += _SHDR.pack(
            name_offset, s.type, s.flags, s.addr, s.offset, s.size, link, info, s.align, s.entsize
        )
    headers += _SHDR.pack(offsets[b".shstrtab"], SHT_STRTAB, 0, 0, cut, len(names), 0, 0, 1, 0)
    header[6] = table_offset  # e_shoff
    header[12] = len(kept) + 1  # e_shnum
    header[13] = len(kept)  # e_shstrndx: the new table is the last section
    out = bytearray(data[:cut])
    out[: _EHDR.size] = _EHDR.pack(*header)
    out += names
    out += bytes(table_offset - len(out))
    out += headers
    return bytes(out)


def strip_tree(root: Path) -> tuple[int, int]:
    """Strip every shared object under root in place; return (files stripped, bytes saved)."""
    stripped = saved = 0
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        if not (path.name.endswith(".so") or ".so." in path.name):
            continue
        data = path.read_bytes()
        smaller = strip_elf(data)
        if smaller is None:
            continue
        path.write_bytes(smaller)
        stripped += 1
        saved += len(data) - len(smaller)
    return stripped, saved
