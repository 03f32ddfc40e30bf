"""Check that every compiled file in a package runs on the target platform.

Reads the ELF header of each shared object (e_ident class/endianness and e_machine,
https://refspecs.linuxfoundation.org/elf/gabi4+/ch4.eheader.html) and the CPython
ABI tag in extension module names (PEP 3149), so a wheel built for the wrong
architecture or Python fails the build instead of the first request on Lambda.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

from deploy.errors import DeployError
from deploy.targets import ELF_MACHINES, Target

_MACHINE_NAMES = {value: arch for arch, value in ELF_MACHINES.items()} | {
    3: "i386",
    40: "arm (32-bit)",
    8: "mips",
    20: "ppc",
    21: "ppc64",
    22: "s390",
    243: "riscv",
}
_FOREIGN_MAGIC = {
    b"\xcf\xfa\xed\xfe": "a macOS Mach-O binary",
    b"\xca\xfe\xba\xbe": "a macOS universal binary",
    b"MZ": "a Windows PE binary",
}
_NATIVE_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")
_ABI_TAG = re.compile(r"\.cpython-(\d+)[a-z]*-([a-z0-9_]+)-linux-gnu\.so$")


def _looks_native(path: Path) -> bool:
    return path.name.endswith(_NATIVE_SUFFIXES) or ".so." in path.name


def elf_machine(path: Path) -> int | None:
    """The ELF `e_machine` of a 64-bit little-endian ELF file, None for anything else."""
    with path.open("rb") as f:
        head = f.read(20)
    if head[:4] != b"\x7fELF" or len(head) < 20 or head[4] != 2 or head[5] != 1:
        return None
    machine: int = struct.unpack_from("<H", head, 18)[0]
    return machine


def describe_problem(path: Path, target: Target) -> str | None:
    """Return why a file cannot load on the target, or None if it can (or is not native)."""
    with path.open("rb") as f:
        head = f.read(20)
    if head[:4] != b"\x7fELF":
        if not _looks_native(path):
            return None
        for magic, what in _FOREIGN_MAGIC.items():
            if head.startswith(magic):
                return f"is {what}, not a Linux ELF shared object"
        return "is not an ELF shared object"
    if len(head) < 20 or head[4] != 2 or head[5] != 1:
        return "is not a 64-bit little-endian ELF file"
    (machine,) = struct.unpack_from("<H", head, 18)
    if machine != target.elf_machine:
        found = _MACHINE_NAMES.get(machine, f"e_machine {machine}")
        return (
            f"is built for {found} (ELF e_machine {machine}), not {target.arch} "
            f"(e_machine {target.elf_machine})"
        )
    tag = _ABI_TAG.search(path.name)
    if tag and tag[1] != target.nodot:
        return f"is an extension for CPython {tag[1][0]}.{tag[1][1:]}, not {target.python}"
    if tag and tag[2] != target.machine:
        return f"is named for {tag[2]}, not {target.machine}"
    return None


def check_tree(root: Path, target: Target) -> int:
    """Check every file under root; return how many native files were checked.

    :raise DeployError: listing every file that does not match the target.
    """
    problems, checked = [], 0
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        problem = describe_problem(path, target)
        if problem is None:
            checked += _looks_native(path)
            continue
        problems.append(f"  {path.relative_to(root).as_posix()} {problem}")
    if problems:
        raise DeployError(
            f"compiled extensions that cannot run on {target.runtime}/{target.arch}:\n"
            + "\n".join(problems)
            + "\nA wheel in the lock or the wheel cache is mis-tagged; pin another version."
        )
    return checked
