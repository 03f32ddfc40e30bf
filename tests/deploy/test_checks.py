"""The packager's failures are loud and clear: wrong platforms, size budget, missing inputs."""

from __future__ import annotations

import os
import zipfile

import pytest

from deploy import binaries, wheels
from deploy.errors import DeployError
from deploy.package import PackageOptions, build_package
from deploy.progress import Progress
from deploy.targets import Target
from tests.support.deploy_build import run_deploy
from tests.support.deploy_fakes import (
    AARCH64,
    X86_64,
    elf_header,
    lock_for,
    make_project,
    make_wheel,
)

BUILDS = pytest.mark.slow  # builds a (small) package: make test-fast leaves it out
ARM = Target("3.12", "arm64")
ARM_TAG = "cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64"


def _options(project, wheel, tmp_path, **overrides):
    """Offline build options: only the fake wheel's folder as index."""
    values = {
        "project": project,
        "output": tmp_path / "out" / "lambda.zip",
        "target": ARM,
        "lock": lock_for(wheel, tmp_path / "test.lock"),
        "cache": tmp_path / "cache",
        "pip_options": ["--no-index", f"--find-links={wheel.parent}"],
        "progress": Progress(enabled=False),
    }
    return PackageOptions(**(values | overrides))


@BUILDS
def test_build_small_project_offline_and_excludes_tests_and_docs(tmp_path):
    wheel = make_wheel(
        tmp_path / "wheels",
        "fakeext",
        "1.0",
        ARM_TAG,
        {
            "fakeext/__init__.py": b"",
            "fakeext/_ext.cpython-312-aarch64-linux-gnu.so": elf_header(AARCH64),
            "fakeext/tests/test_x.py": b"",
            "fakeext/x.pyi": b"",
        },
    )
    project = make_project(tmp_path / "proj")
    result = build_package(_options(project, wheel, tmp_path))
    names = zipfile.ZipFile(result.summary.path).namelist()
    assert "fakeext/_ext.cpython-312-aarch64-linux-gnu.so" in names
    assert "service/certs/global-bundle.pem" in names
    assert "migrations/versions/0001_init.py" in names
    assert "fakeext-1.0.dist-info/METADATA" in names
    for absent in (
        "fakeext/tests/test_x.py",
        "fakeext/x.pyi",
        "service/tests/test_it.py",
        "service/NOTES.md",
        "fakeext-1.0.dist-info/RECORD",
        "fakeext-1.0.dist-info/WHEEL",
    ):
        assert absent not in names
    metadata = zipfile.ZipFile(result.summary.path).read("fakeext-1.0.dist-info/METADATA")
    assert metadata == b"Metadata-Version: 2.1\nName: fakeext\nVersion: 1.0\n"
    assert result.native_files == 1


@BUILDS
def test_build_wrong_architecture_extension_fails_clearly(tmp_path):
    # GIVEN a wheel tagged aarch64 that really holds an x86_64 extension
    wheel = make_wheel(
        tmp_path / "wheels",
        "fakeext",
        "1.0",
        ARM_TAG,
        {
            "fakeext/__init__.py": b"",
            "fakeext/_ext.cpython-312-aarch64-linux-gnu.so": elf_header(X86_64),
        },
    )
    # WHEN it is packaged for arm64 THEN the build fails, naming the file and both machines
    with pytest.raises(DeployError) as error:
        build_package(_options(make_project(tmp_path / "proj"), wheel, tmp_path))
    message = str(error.value)
    assert "cannot run on python3.12/arm64" in message
    assert "fakeext/_ext.cpython-312-aarch64-linux-gnu.so is built for x86_64" in message
    assert not (tmp_path / "out" / "lambda.zip").exists()


@BUILDS
def test_build_wrong_platform_wheel_fails_on_the_cli(tmp_path):
    wheel = make_wheel(
        tmp_path / "wheels",
        "fakeext",
        "1.0",
        "py3-none-any",
        {"fakeext/__init__.py": b"", "fakeext/_ext.so": b"\xcf\xfa\xed\xfe" + bytes(60)},
    )
    project = make_project(tmp_path / "proj")
    result = run_deploy(
        "package",
        "--project",
        str(project),
        "--output",
        str(tmp_path / "o.zip"),
        "--requirements",
        str(lock_for(wheel, tmp_path / "l.lock")),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--no-index",
        "--find-links",
        str(wheel.parent),
        "--quiet",
    )
    assert result.returncode == 1
    assert "error: compiled extensions that cannot run on python3.12/arm64" in result.stderr
    assert "fakeext/_ext.so is a macOS Mach-O binary" in result.stderr


def test_install_rejects_wheel_tagged_for_another_platform(tmp_path):
    wheel = make_wheel(
        tmp_path, "fakeext", "1.0", "cp312-cp312-manylinux2014_x86_64", {"fakeext/__init__.py": b""}
    )
    with pytest.raises(
        DeployError,
        match=r"wheels built for another platform than "
        r"python3\.12/arm64(?s:.)*"
        r"fakeext-1\.0-cp312-cp312-manylinux2014_x86_64\.whl: tags",
    ):
        wheels.install([wheel], ARM, tmp_path / "site")


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("a.cpython-311-aarch64-linux-gnu.so", elf_header(AARCH64), "extension for CPython 3.11"),
        ("a.cpython-312-x86_64-linux-gnu.so", elf_header(AARCH64), "is named for x86_64"),
        ("a.abi3.so", elf_header(X86_64), "built for x86_64 (ELF e_machine 62), not arm64"),
        ("a.pyd", b"MZ" + bytes(30), "Windows PE binary"),
        ("libfoo.so.1", b"\x7fELF" + bytes([1, 1]) + bytes(20), "not a 64-bit little-endian"),
        ("helper", elf_header(3), "built for i386"),
    ],
)
def test_describe_problem_names_the_mismatch(tmp_path, name, content, problem):
    path = tmp_path / name
    path.write_bytes(content)
    assert problem in (binaries.describe_problem(path, ARM) or "")


def test_describe_problem_accepts_matching_and_non_native_files(tmp_path):
    ok = tmp_path / "a.cpython-312-aarch64-linux-gnu.so"
    ok.write_bytes(elf_header(AARCH64))
    text = tmp_path / "module.py"
    text.write_text("x = 1\n")
    assert binaries.describe_problem(ok, ARM) is None
    assert binaries.describe_problem(text, ARM) is None
    assert binaries.check_tree(tmp_path, ARM) == 1


@BUILDS
def test_build_over_budget_fails_and_lists_largest(tmp_path):
    # GIVEN a dependency with 300 KB of incompressible data
    wheel = make_wheel(
        tmp_path / "wheels",
        "bigdata",
        "1.0",
        "py3-none-any",
        {"bigdata/__init__.py": b"", "bigdata/blob.bin": os.urandom(300_000)},
    )
    options = _options(make_project(tmp_path / "proj"), wheel, tmp_path, max_size_mb=0.1)
    # WHEN it is packaged with a 0.1 MB budget THEN it fails, largest entries first
    with pytest.raises(DeployError) as error:
        build_package(options)
    message = str(error.value)
    assert "over the 0.1 MB budget (--max-size)" in message
    assert message.splitlines()[1].strip().endswith("MB  bigdata")
    assert not options.output.exists()


@BUILDS
def test_build_without_ca_bundle_fails_clearly(tmp_path):
    wheel = make_wheel(
        tmp_path / "wheels", "fakeext", "1.0", "py3-none-any", {"fakeext/__init__.py": b""}
    )
    with pytest.raises(DeployError, match=r"service/certs/global-bundle\.pem is missing"):
        build_package(_options(make_project(tmp_path / "p", ca_bundle=False), wheel, tmp_path))


@BUILDS
def test_build_with_stale_lock_fails(tmp_path):
    project = make_project(tmp_path / "proj")
    (project / "setup.cfg").write_text("[options]\ninstall_requires =\n    flask>=3\n")
    (project / "deploy").mkdir()
    (project / "deploy" / "requirements.lock").write_text("# input-sha256: 00\nflask==3.1.3\n")
    with pytest.raises(DeployError, match=r"stale.*python -m deploy lock"):
        build_package(
            PackageOptions(
                project=project, output=tmp_path / "o.zip", progress=Progress(enabled=False)
            )
        )


@BUILDS
def test_cached_wheel_with_other_hash_is_not_used(tmp_path):
    wheel = make_wheel(
        tmp_path / "wheels", "fakeext", "1.0", "py3-none-any", {"fakeext/__init__.py": b""}
    )
    options = _options(make_project(tmp_path / "proj"), wheel, tmp_path)
    cache = tmp_path / "cache"
    cache.mkdir()
    # a tampered copy of the wheel in the cache, same file name
    make_wheel(cache, "fakeext", "1.0", "py3-none-any", {"fakeext/__init__.py": b"evil = 1"})
    build_package(options)
    shipped = zipfile.ZipFile(options.output).read("fakeext/__init__.py")
    assert shipped == b""


@BUILDS
def test_excludes_file_leaves_out_folders_and_files_and_flags_stale_patterns(tmp_path):
    wheel = make_wheel(
        tmp_path / "wheels",
        "fakeext",
        "1.0",
        "py3-none-any",
        {
            "fakeext/__init__.py": b"",
            "fakeext/testing/__init__.py": b"",
            "fakeext/v1/models.py": b"",
            "fakeext/keep/testing_tools.py": b"",
            "fakeext/data.bin": b"x",
        },
    )
    excludes = tmp_path / "excludes.txt"
    excludes.write_text(
        "# comment\n*/testing/\nfakeext/v1/   # trailing comment\n*.bin\nnothing/here/\n"
    )
    options = _options(make_project(tmp_path / "proj"), wheel, tmp_path, excludes=excludes)
    result = build_package(options)
    names = zipfile.ZipFile(result.summary.path).namelist()
    assert "fakeext/__init__.py" in names
    assert "fakeext/keep/testing_tools.py" in names  # a file, not a testing/ folder
    assert not [n for n in names if "/testing/" in n or "/v1/" in n or n.endswith(".bin")]
    assert result.warnings == ["exclude pattern 'nothing/here/' matches nothing: remove it"]


@BUILDS
def test_package_over_the_unzipped_limit_fails(tmp_path, monkeypatch):
    from deploy import package

    wheel = make_wheel(
        tmp_path / "wheels", "bigdata", "1.0", "py3-none-any",
        {"bigdata/__init__.py": b"", "bigdata/zeros.bin": bytes(300_000)},
    )  # fmt: skip
    monkeypatch.setattr(package, "UNZIPPED_LIMIT", 200_000)
    options = _options(make_project(tmp_path / "proj"), wheel, tmp_path)
    with pytest.raises(DeployError, match=r"unzipped, over Lambda's 0\.190735 MB limit"):
        build_package(options)
    assert not options.output.exists()
