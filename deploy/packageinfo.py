"""What a built zip is for, read from its contents: the architecture of its ELF
extensions and the CPython version its extensions and bytecode are compiled for.

`publish` compares both with each function's configuration before uploading, because
a mismatch deploys fine and fails only when the function imports the extension.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile

from deploy.targets import ELF_MACHINES

_MACHINES = {value: arch for arch, value in ELF_MACHINES.items()}
# PEP 3149 extension names (.cpython-312-x86_64-linux-gnu.so) and PEP 3147 bytecode
# (__pycache__/x.cpython-312.pyc); abi3 extensions name no version.
_EXTENSION_TAG = re.compile(r"\.cpython-(\d)(\d+)[a-z]*-[^/]*\.so$")
_BYTECODE_TAG = re.compile(r"__pycache__/[^/]+\.cpython-(\d)(\d+)\.pyc$")


def zip_architecture(data: bytes) -> str | None:
    """The Lambda architecture of the first ELF extension in a zip (None if it has none)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.endswith(".so") or ".so." in name:
                with archive.open(name) as f:
                    head = f.read(20)
                if head[:4] == b"\x7fELF" and len(head) == 20:
                    return _MACHINES.get(struct.unpack_from("<H", head, 18)[0], "unknown")
    return None


def zip_python(data: bytes) -> str | None:
    """The CPython version (`3.12`) the zip's extensions, else its bytecode, are built for."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
    for pattern in (_EXTENSION_TAG, _BYTECODE_TAG):
        found = {f"{m[1]}.{m[2]}" for name in names if (m := pattern.search(name))}
        if found:
            return sorted(found)[0] if len(found) == 1 else ", ".join(sorted(found))
    return None
