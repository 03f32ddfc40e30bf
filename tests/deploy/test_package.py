"""The real package: reproducible, complete, lean, and importable by a clean python3.12."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import statistics
import subprocess
import zipfile
from pathlib import Path

from tests.deploy.conftest import REPO, build, python312, unpack

RUNTIME_PROVIDED_TOP = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "dateutil",
    "six.py",
    "urllib3",
)


def _copy_project(dest: Path) -> Path:
    """The inputs of a build (sources, lock, setup.cfg) in another folder."""
    for name in ("service", "migrations"):
        shutil.copytree(
            REPO / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "instance")
        )
    (dest / "deploy").mkdir()
    shutil.copy2(REPO / "deploy" / "requirements.lock", dest / "deploy")
    shutil.copy2(REPO / "setup.cfg", dest)
    return dest


def test_package_prints_size_and_terraform_hash(x86_build, x86_zip):
    data = x86_zip.read_bytes()
    assert x86_build["size"] == len(data)
    assert x86_build["sha256_base64"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert x86_build["arch"] == "x86_64"
    assert x86_build["runtime"] == "python3.12"
    assert x86_build["bytecode"] is True


def test_package_same_tree_elsewhere_is_byte_identical_and_change_changes_hash(
    x86_build, x86_zip, tmp_path
):
    # GIVEN the same inputs copied to another folder
    project = _copy_project(tmp_path / "copy")
    # WHEN it is built again
    again = build(tmp_path / "again.zip", "--arch", "x86_64", project=project)
    # THEN the zip is byte for byte the same (paths of the build folder leak nowhere)
    assert again["sha256"] == x86_build["sha256"]
    assert (tmp_path / "again.zip").read_bytes() == x86_zip.read_bytes()
    # WHEN one source file changes
    with (project / "service" / "errors.py").open("a") as f:
        f.write("\n# changed\n")
    changed = build(tmp_path / "changed.zip", "--arch", "x86_64", project=project)
    # THEN the hash changes
    assert changed["sha256_base64"] != x86_build["sha256_base64"]


def test_package_zip_entries_are_normalised(x86_zip):
    with zipfile.ZipFile(x86_zip) as z:
        infos = z.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
    assert {i.external_attr >> 16 for i in infos} <= {0o100644, 0o100755}
    assert not any(name.endswith("/") for name in names)
    assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}


def test_package_contains_service_migrations_and_ca_bundle(x86_zip):
    names = set(zipfile.ZipFile(x86_zip).namelist())
    assert "service/lambda_handler.py" in names
    assert "service/__pycache__/lambda_handler.cpython-312.pyc" in names
    assert "service/certs/global-bundle.pem" in names
    assert "migrations/env.py" in names
    assert "migrations/alembic.ini" in names
    assert any(n.startswith("migrations/versions/") and n.endswith(".py") for n in names)
    assert "flask/__init__.py" in names
    assert "pydantic_core/__init__.py" in names


def test_package_excludes_what_lambda_does_not_need(x86_zip):
    names = zipfile.ZipFile(x86_zip).namelist()
    tops = {n.split("/", 1)[0] for n in names}
    # provided by the runtime
    assert not tops & set(RUNTIME_PROVIDED_TOP)
    # tests, caches of the host Python, stubs, docs, console scripts, extension sources
    assert not [n for n in names if "/tests/" in n or n.startswith(("tests/", "bin/"))]
    assert not [
        n
        for n in names
        if n.endswith((".pyi", ".pyx", ".c", ".h", ".md", ".rst"))
        and "/licenses/" not in n
        and not n.split("/")[-1].startswith("LICENSE")
    ]
    assert not [n for n in names if n.endswith(".pyc") and ".cpython-312." not in n]
    assert not [n for n in names if n.startswith("service/") and "/instance/" in n]
    # dist-info keeps what importlib.metadata reads, not the installer's bookkeeping
    dist_info = [n for n in names if ".dist-info/" in n]
    assert dist_info
    assert not [
        n for n in dist_info if n.rsplit("/", 1)[1] in {"RECORD", "INSTALLER", "REQUESTED", "WHEEL"}
    ]
    metadata = zipfile.ZipFile(x86_zip).read(
        next(n for n in dist_info if n.startswith("flask-") and n.endswith("/METADATA"))
    )
    assert b"Version: " in metadata
    assert len(metadata) < 3000  # the long description is gone


def test_package_unpacked_imports_handler_in_clean_python312(x86_dir, runtime_dir, tmp_path):
    # GIVEN the unpacked zip as /var/task and boto3 & co. as the runtime provides them
    script = f"""
import json, sys
sys.path[:0] = [{str(x86_dir)!r}, {str(runtime_dir)!r}]
import service.lambda_handler as entry
assert entry.__file__.startswith({str(x86_dir)!r}), entry.__file__
event = {{"httpMethod": "GET", "path": "/v1/openapi.json", "headers": {{"Host": "x"}},
          "multiValueHeaders": {{"Host": ["x"]}}, "queryStringParameters": None,
          "multiValueQueryStringParameters": None, "body": None, "isBase64Encoded": False,
          "requestContext": {{"path": "/prod/v1/openapi.json", "stage": "prod"}}}}
docs = entry.handler(event, None)
event = dict(event, path="/healthz", requestContext={{"path": "/prod/healthz"}})
health = entry.handler(event, None)
import bcrypt, pydantic_core, sqlalchemy.engine._row_cy, markupsafe._speedups  # native code
print(json.dumps({{"docs": docs["statusCode"], "openapi": json.loads(docs["body"])["openapi"],
                  "health": health["statusCode"], "health_body": json.loads(health["body"])}}))
"""
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite",
        "IMAGES_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    # WHEN a clean interpreter (-I: no site-packages, no PYTHON* variables) imports the handler
    result = subprocess.run(
        [python312(), "-I", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # THEN it answers API Gateway events
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["docs"] == 200
    assert answer["openapi"].startswith("3.")
    assert answer["health"] == 200
    assert answer["health_body"]["status"] == "ok"
    # AND it wrote no bytecode of its own: the shipped 3.12 .pyc were used
    assert not [p for p in x86_dir.rglob("*.pyc") if ".cpython-312." not in p.name]


def test_package_cold_import_time_is_reported(x86_dir, runtime_dir, tmp_path):
    script = (
        f"import sys, time; sys.path[:0] = [{str(x86_dir)!r}, {str(runtime_dir)!r}]; "
        "t = time.perf_counter(); import service.lambda_handler; "
        "print(time.perf_counter() - t)"
    )
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite", "IMAGES_DIR": str(tmp_path)}
    times = []
    for _ in range(5):
        result = subprocess.run(
            [python312(), "-I", "-c", script],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        times.append(float(result.stdout))
    median = statistics.median(times)
    print(f"cold import of service.lambda_handler (python3.12, x86_64 package): {median:.3f} s")
    assert median < 5.0


def test_package_default_arm64_ships_only_aarch64_extensions(tmp_path):
    summary = build(tmp_path / "arm.zip")
    assert summary["arch"] == "arm64"
    folder = unpack(tmp_path / "arm.zip", tmp_path / "task")
    machines = set()
    for so in folder.rglob("*.so"):
        header = so.read_bytes()[:20]
        assert header[:4] == b"\x7fELF"
        machines.add(int.from_bytes(header[18:20], "little"))
    assert machines == {183}  # EM_AARCH64
    assert not list(folder.rglob("*x86_64*"))


def test_package_include_boto3_ships_it(tmp_path):
    summary = build(
        tmp_path / "boto.zip", "--arch", "x86_64", "--include-boto3", "--max-size", "50"
    )
    names = zipfile.ZipFile(summary["path"]).namelist()
    assert "boto3/__init__.py" in names
    assert "botocore/__init__.py" in names
    assert "jmespath/__init__.py" in names
