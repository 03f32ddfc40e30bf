"""Small units of the packager: targets, lock files, zips, progress, pruning."""

from __future__ import annotations

import io
import os
import time
import zipfile

import pytest

from deploy import lockfile, prune, zipper
from deploy.errors import DeployError
from deploy.progress import Progress
from deploy.targets import Target
from tests.support.deploy_build import REPO


@pytest.mark.parametrize(
    ("tag", "arm64", "x86_64"),
    [
        ("cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64", True, False),
        ("cp39-abi3-manylinux_2_34_aarch64", True, False),
        ("cp312-cp312-manylinux_2_28_x86_64", False, True),
        ("py3-none-any", True, True),
        ("cp311-cp311-manylinux2014_aarch64", False, False),
        ("cp312-cp312-manylinux_2_35_aarch64", False, False),  # needs a newer glibc than Lambda's
        ("cp312-cp312-musllinux_1_2_aarch64", False, False),
        ("cp312-cp312-macosx_11_0_arm64", False, False),
    ],
)
def test_target_accepts_only_runtime_compatible_tags(tag, arm64, x86_64):
    assert Target("3.12", "arm64").accepts_wheel_tag(tag) is arm64
    assert Target("3.12", "x86_64").accepts_wheel_tag(tag) is x86_64


def test_target_pip_args_and_validation():
    args = Target("3.12", "x86_64").pip_args()
    assert args[:5] == ["--implementation", "cp", "--python-version", "3.12", "--only-binary=:all:"]
    assert "manylinux_2_34_x86_64" in args
    assert "manylinux2014_x86_64" in args
    assert Target.from_runtime("python3.13", "arm64").python == "3.13"
    with pytest.raises(ValueError, match="unknown architecture"):
        Target("3.12", "ppc64le")
    with pytest.raises(ValueError, match="not a Python Lambda runtime"):
        Target.from_runtime("nodejs20.x", "arm64")


def test_lock_render_read_roundtrip(tmp_path):
    pins = [
        lockfile.Pin("flask", "3.1.3", frozenset({"a" * 64})),
        lockfile.Pin("bcrypt", "5.0.0", frozenset({"b" * 64, "c" * 64})),
    ]
    path = tmp_path / "requirements.lock"
    path.write_text(lockfile.render(pins, ["flask>=3"], "3.12"))
    read, digest = lockfile.read_lock(path)
    assert sorted(read, key=lambda p: p.name) == sorted(pins, key=lambda p: p.name)
    assert digest == lockfile.input_digest(["flask>=3"])


def test_lock_rejects_unpinned_lines(tmp_path):
    path = tmp_path / "requirements.lock"
    path.write_text("flask>=3\n")
    with pytest.raises(DeployError, match="not an exact pin"):
        lockfile.read_lock(path)


def test_committed_lock_is_fresh_and_covers_the_runtime_packages():
    pins, digest = lockfile.read_lock(REPO / "deploy" / "requirements.lock")
    requirements = lockfile.read_install_requires(REPO / "setup.cfg")
    assert digest == lockfile.input_digest(requirements), "run: python -m deploy lock"
    names = {pin.name for pin in pins}
    assert {"flask", "apig-wsgi", "pymysql", "bcrypt", "aws-lambda-powertools"} <= names
    assert names >= lockfile.RUNTIME_PROVIDED
    assert all(pin.hashes for pin in pins)
    ship, runtime = lockfile.split_runtime_provided(pins, include_boto3=False)
    assert {p.name for p in runtime} == lockfile.RUNTIME_PROVIDED
    assert not {p.name for p in ship} & lockfile.RUNTIME_PROVIDED
    assert lockfile.split_runtime_provided(pins, include_boto3=True)[1] == []


def test_zip_is_deterministic_and_normalises_permissions(tmp_path):
    root = tmp_path / "root"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "b.py").write_text("b = 1\n")
    (root / "pkg" / "a.py").write_text("a = 1\n")
    (root / "tool").write_text("#!/bin/sh\n")
    os.chmod(root / "tool", 0o700)
    os.chmod(root / "pkg" / "a.py", 0o600)
    first = zipper.write_zip(root, tmp_path / "1.zip")
    os.utime(root / "pkg" / "a.py", (0, 0))  # mtimes do not matter
    second = zipper.write_zip(root, tmp_path / "2.zip")
    assert first.sha256_b64 == second.sha256_b64
    assert (tmp_path / "1.zip").read_bytes() == (tmp_path / "2.zip").read_bytes()
    infos = {i.filename: i for i in zipfile.ZipFile(tmp_path / "1.zip").infolist()}
    assert list(infos) == ["pkg/a.py", "pkg/b.py", "tool"]
    assert infos["pkg/a.py"].external_attr >> 16 == 0o100644
    assert infos["tool"].external_attr >> 16 == 0o100755
    assert first.by_top_level.keys() == {"pkg", "tool"}
    assert zipper.largest(first, 1)[0][0] == "pkg"


def test_prune_keeps_packages_named_docs_and_licenses(tmp_path):
    (tmp_path / "botocore" / "docs").mkdir(parents=True)
    (tmp_path / "botocore" / "docs" / "__init__.py").write_text("")
    (tmp_path / "lib" / "docs").mkdir(parents=True)
    (tmp_path / "lib" / "docs" / "index.html").write_text("")
    (tmp_path / "lib" / "tests").mkdir()
    (tmp_path / "lib" / "tests" / "__init__.py").write_text("")
    (tmp_path / "lib-1.0.dist-info" / "licenses").mkdir(parents=True)
    (tmp_path / "lib-1.0.dist-info" / "licenses" / "LICENSE.rst").write_text("MIT")
    (tmp_path / "lib-1.0.dist-info" / "RECORD").write_text("")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "flask").write_text("")
    removed = prune.prune_dependencies(tmp_path)
    assert (tmp_path / "botocore" / "docs" / "__init__.py").exists()
    assert (tmp_path / "lib-1.0.dist-info" / "licenses" / "LICENSE.rst").exists()
    assert not (tmp_path / "lib" / "docs").exists()
    assert not (tmp_path / "lib" / "tests").exists()
    assert not (tmp_path / "bin").exists()
    assert "lib-1.0.dist-info/RECORD" in removed


def test_progress_prints_one_line_per_step_off_a_terminal():
    stream = io.StringIO()
    progress = Progress(stream)
    with progress.step("Fetching") as step:
        step.update("(3 wheels)")
    with pytest.raises(RuntimeError), progress.step("Zipping"):
        raise RuntimeError
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("Fetching: done in ")
    assert lines[0].endswith("s (3 wheels)")
    assert lines[1].startswith("Zipping: failed in ")
    assert "\r" not in stream.getvalue()


def test_progress_animates_on_a_terminal():
    stream = io.StringIO()
    with Progress(stream, live=True).step("Compiling"):
        time.sleep(0.25)
    assert "\r\033[K| Compiling" in stream.getvalue() or "\r\033[K/ Compiling" in stream.getvalue()
    assert stream.getvalue().endswith("\n")


@pytest.mark.parametrize(
    "command",
    [
        "package",
        "lock",
        "serve",
        "publish",
        "migrate",
        "promote",
        "rollback",
        "smoke",
        "status",
        "logs",
        "invoke",
    ],
)
def test_every_command_has_help(command, capsys):
    from deploy.cli import main

    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert f"usage: python -m deploy {command}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("runtime", "newest", "loads", "refuses"),
    [
        # Amazon Linux 2 (glibc 2.26): no manylinux_2_28 wheels
        ("python3.11", "manylinux_2_26_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64"),
        # Amazon Linux 2023 (glibc 2.34)
        ("python3.12", "manylinux_2_34_x86_64", "manylinux_2_28_x86_64", "manylinux_2_35_x86_64"),
        ("python3.13", "manylinux_2_34_x86_64", "manylinux_2_34_x86_64", "manylinux_2_39_x86_64"),
    ],
)
def test_runtime_sets_the_glibc_floor(runtime, newest, loads, refuses):
    target = Target.from_runtime(runtime, "x86_64")
    tag = f"cp{target.nodot}-cp{target.nodot}"
    assert target.platforms[0] == newest
    assert target.platforms[-1] == "manylinux2014_x86_64"
    assert target.accepts_wheel_tag(f"{tag}-{loads}")
    assert not target.accepts_wheel_tag(f"{tag}-{refuses}")


def test_unknown_runtimes_are_refused():
    with pytest.raises(ValueError, match=r"python3\.9 is not a Lambda Python runtime we know"):
        Target("3.9", "arm64")


def test_package_accepts_only_the_runtime_the_lock_is_resolved_for(capsys):
    from deploy.cli import main

    assert lockfile.lock_python(REPO / "deploy" / "requirements.lock") == "3.12"
    assert main(["package", "--runtime", "python3.13", "--output", "/nonexistent/x.zip"]) == 1
    assert capsys.readouterr().err.strip() == (
        "error: deploy/requirements.lock is resolved for python3.12, so it "
        "builds only for that runtime, not python3.13: regenerate it with "
        "python -m deploy lock --python 3.13 (and run the functions on the same runtime)"
    )
    with pytest.raises(SystemExit) as exit_:
        main(["package", "--runtime", "python3.8"])
    assert exit_.value.code == 2
    assert "invalid choice: 'python3.8'" in capsys.readouterr().err
