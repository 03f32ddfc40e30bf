"""Tiny wheels, ELF headers and project trees for fast packager tests (no network)."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

X86_64, AARCH64 = 62, 183


def elf_header(machine: int) -> bytes:
    """A 64-bit little-endian ELF shared-object header for `machine`."""
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    return ident + (3).to_bytes(2, "little") + machine.to_bytes(2, "little") + bytes(44)


def make_wheel(folder: Path, name: str, version: str, tag: str, files: dict[str, bytes]) -> Path:
    """Write a minimal valid wheel and return its path."""
    dist = f"{name}-{version}.dist-info"
    files = {
        **files,
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n"
        "A long description.\n".encode(),
        f"{dist}/WHEEL": f"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: false\n"
        f"Tag: {tag}\n".encode(),
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w") as z:
        for member, data in files.items():
            z.writestr(member, data)
    return path


def lock_for(wheel: Path, lock: Path) -> Path:
    """A lock pinning exactly this wheel (name, version, hash)."""
    name, version = wheel.name.split("-")[:2]
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    lock.write_text(f"{name}=={version} \\\n    --hash=sha256:{digest}\n")
    return lock


def make_project(root: Path, *, ca_bundle: bool = True) -> Path:
    """A minimal project: service/ with a handler, migrations/, the CA bundle."""
    (root / "service" / "certs").mkdir(parents=True)
    (root / "service" / "tests").mkdir()
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "service" / "__init__.py").write_text('"""Fake service."""\n')
    (root / "service" / "lambda_handler.py").write_text(
        "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"
    )
    (root / "service" / "tests" / "test_it.py").write_text("def test_it():\n    pass\n")
    (root / "service" / "NOTES.md").write_text("# notes\n")
    (root / "migrations" / "env.py").write_text("# alembic env\n")
    (root / "migrations" / "alembic.ini").write_text("[alembic]\n")
    (root / "migrations" / "versions" / "0001_init.py").write_text("revision = '0001'\n")
    if ca_bundle:
        (root / "service" / "certs" / "global-bundle.pem").write_text(
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
        )
    return root
