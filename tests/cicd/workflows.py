"""Reading the workflows under .github/: YAML, steps, `uses:` pins and `run:` commands."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
NAMES = ("ci.yml", "deploy.yml", "terraform.yml")

# The one list of third-party actions and the commits they are pinned to. Every `uses:`
# in every workflow must be one of these, with `# <version>` after it. To move a pin,
# change it here and in the workflows (Dependabot does the workflows).
PINS = {
    "actions/checkout": ("11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2"),
    "actions/setup-python": ("a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0"),
    "actions/cache": ("5a3ec84eff668545956fd18022155c47e93e2684", "v4.2.3"),
    "actions/upload-artifact": ("ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2"),
    "actions/download-artifact": ("d3f86a106a0bac45b974a628896c90dbdf5c8093", "v4.3.0"),
    "aws-actions/configure-aws-credentials": (
        "b47578312673ae6fa5b5096b330d9fbac3d116df",
        "v4.2.1",
    ),
    "hashicorp/setup-terraform": ("b9cd54a3c349d3f38e8881555d616ced269862dd", "v3.1.2"),
}


def load(name: str) -> dict[str, Any]:
    """One workflow as a dict; YAML 1.1 reads the key `on` as True, so it is renamed back."""
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    if True in data:
        data["on"] = data.pop(True)
    return data


def workflows() -> dict[str, dict[str, Any]]:
    return {name: load(name) for name in NAMES}


@dataclass(frozen=True)
class Step:
    workflow: str
    job_id: str
    index: int
    data: dict[str, Any]

    @property
    def id(self) -> str | None:
        return self.data.get("id")

    @property
    def run(self) -> str | None:
        return self.data.get("run")

    @property
    def uses(self) -> str | None:
        return self.data.get("uses")

    def where(self) -> str:
        label = self.id or self.data.get("name") or f"#{self.index}"
        return f"{self.workflow}:{self.job_id}:{label}"


def steps(name: str, workflow: dict[str, Any] | None = None) -> Iterator[Step]:
    workflow = workflow or load(name)
    for job_id, job in workflow["jobs"].items():
        for index, data in enumerate(job.get("steps", [])):
            yield Step(name, job_id, index, data)


def all_steps() -> Iterator[Step]:
    for name in NAMES:
        yield from steps(name)


USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<rest>.*)$")


def uses_lines() -> Iterator[tuple[str, int, str, str]]:
    """(file, line number, reference, rest of the line) of every `uses:` in the raw text."""
    for path in sorted(WORKFLOWS.glob("*.y*ml")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if match := USES_LINE.match(line):
                yield path.name, number, match["ref"], match["rest"]


def commands(script: str) -> list[list[str]]:
    """The simple commands of a `run:` script, split like the shell would (no expansion).

    Continuation lines are joined; `|`, `||`, `&&` and `;` separate commands. Enough
    for the scripts in our workflows, which the e2e test runs for real anyway.
    """
    joined = re.sub(r"\\\n\s*", " ", script)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        current: list[str] = []
        for token in lexer:
            if token in {";", "&&", "||", "|", "&"}:
                if current:
                    found.append(current)
                current = []
            else:
                current.append(token)
        if current:
            found.append(current)
    return found
