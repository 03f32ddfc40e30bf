"""The real package: reproducible, complete, lean, and importable by a clean python3.12."""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import shutil
import statistics
import subprocess
import zipfile
from pathlib import Path

import pytest

from deploy.prune import read_excludes
from deploy.strip import strip_elf
from service import aws_sdk
from tests.support.deploy_build import REPO, build, python312, unpack

pytestmark = pytest.mark.slow  # builds Lambda packages

EXERCISE = Path(__file__).with_name("exercise_package.py")
EXCLUDED_MODULES = (
    "sqlalchemy.testing",
    "alembic.testing",
    "sqlalchemy.dialects.mssql",
    "sqlalchemy.dialects.oracle",
    "pydantic.v1",
)

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
    """The inputs of a build (sources, lock, excludes, setup.cfg) in another folder."""
    for name in ("service", "migrations"):
        shutil.copytree(
            REPO / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "instance")
        )
    (dest / "deploy").mkdir()
    for name in ("requirements.lock", "package-excludes.txt"):
        shutil.copy2(REPO / "deploy" / name, dest / "deploy")
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
    # botocore's trimmed data (service/aws_sdk.py), as committed
    shipped = sorted(n for n in names if n.startswith("service/aws_data/") and n.endswith(".json"))
    committed = sorted(
        f"service/{p.relative_to(aws_sdk.DATA_DIR.parent)}"
        for p in aws_sdk.DATA_DIR.rglob("*.json")
    )
    assert shipped == committed
    assert "service/aws_data/s3/2006-03-01/service-2.json" in shipped
    for name in shipped:
        assert zipfile.ZipFile(x86_zip).read(name) == (REPO / name).read_bytes()
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


def test_package_runs_every_handler_path_in_clean_python312(x86_dir, runtime_dir, tmp_path):
    # GIVEN the unpacked zip as /var/task and boto3 & co. as the runtime provides them
    # WHEN a clean interpreter (-I: no site-packages, no PYTHON* variables) imports every
    # module the three handlers need from it and runs their code paths
    result = subprocess.run(
        [python312(), "-I", str(EXERCISE), str(x86_dir), str(runtime_dir), str(tmp_path)],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # THEN everything imports, and nothing came from outside the package and the runtime
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["outside"] == []
    assert seen["modules"] > 20 and seen["imports"] > 30
    # AND the migration job's paths ran on SQLite, the MySQL dialect compiles
    assert seen["revision"] and seen["history"] >= 1
    assert seen["mysql"].startswith("SELECT")
    # AND the API answered API Gateway events
    assert seen["statuses"] == {
        "health": 200,
        "openapi": 200,
        "docs": 200,
        "create_user": 201,
        "get_user": 200,
        "create_product": 201,
        "invalid": 400,
        "missing": 404,
    }
    # AND what the excludes file leaves out was never needed
    loaded = set(seen["loaded"])
    assert not {m for m in loaded if m.startswith(EXCLUDED_MODULES)}
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


def test_package_leaves_out_what_the_excludes_file_lists(x86_zip):
    names = zipfile.ZipFile(x86_zip).namelist()
    patterns = read_excludes(REPO / "deploy" / "package-excludes.txt")
    assert patterns
    for pattern in patterns:
        if pattern.endswith("/"):
            hits = [n for n in names if fnmatch.fnmatchcase(n, pattern + "*")]
        else:
            hits = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
        assert hits == [], pattern


def test_package_ships_stripped_extensions_and_reports_the_unzipped_size(x86_build, x86_zip):
    with zipfile.ZipFile(x86_zip) as archive:
        infos = archive.infolist()
        extensions = [i for i in infos if i.filename.endswith(".so")]
        assert extensions
        for info in extensions:
            assert strip_elf(archive.read(info)) is None, f"{info.filename} is not stripped"
    assert x86_build["unzipped"] == sum(i.file_size for i in infos)
    assert x86_build["unzipped"] < 250 * 1024 * 1024
    assert x86_build["stripped_files"] >= 9
