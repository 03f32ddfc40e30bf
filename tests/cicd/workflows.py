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
NAMES = ("ci.yml", "deploy.yml", "release.yml", "terraform.yml")
# A reusable workflow in this repository: `$/.github/workflows/<file>` (or `./...`).
LOCAL_CALL = re.compile(r"^(?:\$|\.)/\.github/workflows/(?P<file>[\w.-]+\.ya?ml)$")


def load(name: str) -> dict[str, Any]:
    """One workflow as a dict; YAML 1.1 reads the key `on` as True, so it is renamed back."""
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    if True in data:
        data["on"] = data.pop(True)
    return data


def workflows() -> dict[str, dict[str, Any]]:
    return {name: load(name) for name in NAMES}


def called_workflow(job: dict[str, Any]) -> str | None:
    """The file name of the reusable workflow of this repository a job calls, if any."""
    match = LOCAL_CALL.match(str(job.get("uses", "")))
    return match["file"] if match else None


def _with_inputs(value: Any, inputs: dict[str, Any]) -> Any:
    """A copy of a YAML value with `${{ inputs.x }}` replaced by the caller's literal value."""
    if isinstance(value, dict):
        return {k: _with_inputs(v, inputs) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_inputs(v, inputs) for v in value]
    if isinstance(value, str):
        pattern = re.compile(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}")
        whole = pattern.fullmatch(value.strip())
        if whole and not isinstance(inputs.get(whole[1]), str):
            return inputs.get(whole[1])
        return pattern.sub(lambda m: str(inputs.get(m[1], m[0])), value)
    return value


def expanded(name: str) -> dict[str, Any]:
    """A workflow with every call of a local reusable workflow replaced by the called jobs,
    as they run for that caller: ids `<caller>.<job>`, the caller's `needs` and `if`, and
    literal inputs where the called workflow reads `${{ inputs.x }}`."""
    workflow = load(name)
    jobs: dict[str, Any] = {}
    for job_id, job in workflow["jobs"].items():
        called = called_workflow(job)
        if called is None:
            jobs[job_id] = job
            continue
        inner = load(called)
        for inner_id, inner_job in inner["jobs"].items():
            copy = _with_inputs(inner_job, job.get("with", {}))
            copy["needs"] = job.get("needs", [])
            copy["if"] = job.get("if")
            copy["called_from"] = {"workflow": called, "job": inner_id}
            jobs[f"{job_id}.{inner_id}"] = copy
    return {**workflow, "jobs": jobs}


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
