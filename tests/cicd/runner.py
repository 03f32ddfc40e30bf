"""A small local runner for the jobs of our workflows, enough to execute deploy.yml for real.

It evaluates the GitHub expressions our workflows use (`${{ }}` in `env:`, `if:`,
`outputs:`), runs every `run:` step with bash as GitHub does
(`bash --noprofile --norc -eo pipefail`), keeps step outcomes, `$GITHUB_OUTPUT`,
`$GITHUB_ENV` and `$GITHUB_STEP_SUMMARY`, and applies GitHub's rules for which
steps run after a failure. `uses:` steps do not run: the caller gives a handler per
action (default: nothing, success), and may substitute a `run:` step by its id (for
steps that need the network, such as pip installs).

Jobs that call a reusable workflow of this repository (`uses: $/.github/workflows/x.yml`)
run its jobs with the caller's `with:` as `inputs`, in the same run (same artifacts).
A job in an environment sees that environment's variables over the repository's, and
waits for its approval: the test says per environment whether reviewers approve
(default) or reject (the job fails, as GitHub marks a rejected deployment).
Not supported: matrices, services, containers, composite actions, `${{ }}` in `run:`
(our workflows have none; the static tests assert that).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# ---------------------------------------------------------------------------
# Expressions
# ---------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\],.*])
      | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
    )""",
    re.VERBOSE,
)

STATUS_FUNCTIONS = ("success", "failure", "always", "cancelled")


class ExpressionError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"cannot read expression at {text[pos:]!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match[kind]))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


def _loose(value: Any) -> Any:
    """GitHub compares strings case-insensitively; null, bool and numbers as they are."""
    return value.casefold() if isinstance(value, str) else value


def truthy(value: Any) -> bool:
    return value not in (None, False, 0, "", 0.0)


def to_string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Parser:
    """Recursive descent over: or -> and -> not -> comparison -> primary."""

    def __init__(self, text: str, contexts: Mapping[str, Any], functions: Mapping[str, Any]):
        self.tokens = _tokens(text)
        self.pos = 0
        self.contexts = contexts
        self.functions = functions

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ExpressionError(f"expected {value or 'a token'}, got {token}")
        self.pos += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.and_()
            value = value if truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.not_()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.not_()
            value = right if truthy(value) else value
        return value

    def not_(self) -> Any:
        if self.peek() == ("op", "!"):
            self.take()
            return not truthy(self.not_())
        return self.comparison()

    def comparison(self) -> Any:
        left = self.primary()
        token = self.peek()
        if token and token[1] in ("==", "!=", "<", ">", "<=", ">="):
            self.take()
            right = self.primary()
            a, b = _loose(left), _loose(right)
            return {
                "==": lambda: a == b,
                "!=": lambda: a != b,
                "<": lambda: a < b,
                ">": lambda: a > b,
                "<=": lambda: a <= b,
                ">=": lambda: a >= b,
            }[token[1]]()
        return left

    def primary(self) -> Any:
        kind, value = self.take()
        if kind == "string":
            return value[1:-1].replace("''", "'")
        if kind == "number":
            return float(value) if "." in value else int(value)
        if (kind, value) == ("op", "("):
            inner = self.or_()
            self.take(")")
            return inner
        if kind != "name":
            raise ExpressionError(f"unexpected {value!r}")
        if value in ("true", "false"):
            return value == "true"
        if value == "null":
            return None
        if self.peek() == ("op", "("):
            self.take("(")
            args = []
            while self.peek() != ("op", ")"):
                args.append(self.or_())
                if self.peek() == ("op", ","):
                    self.take()
            self.take(")")
            if value not in self.functions:
                raise ExpressionError(f"function {value}() is not supported here")
            return self.functions[value](*args)
        if value not in self.contexts:
            raise ExpressionError(f"unknown context {value!r}")
        current: Any = self.contexts[value]
        while self.peek() == ("op", "."):
            self.take()
            _, prop = self.take()
            current = _property(current, prop)
        return current


def _property(value: Any, name: str) -> Any:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if str(key).casefold() == name.casefold():
                return item
    return None


def evaluate(
    text: str, contexts: Mapping[str, Any], functions: Mapping[str, Any] | None = None
) -> Any:
    """Value of one expression (without `${{ }}`)."""
    return _Parser(text, contexts, functions or {}).parse()


_TEMPLATE = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


def interpolate(text: Any, contexts: Mapping[str, Any]) -> Any:
    """A YAML value with `${{ }}` templates replaced (a whole-template value keeps its type)."""
    if not isinstance(text, str) or "${{" not in text:
        return text
    whole = _TEMPLATE.fullmatch(text.strip())
    if whole:
        return evaluate(whole[1], contexts)
    return _TEMPLATE.sub(lambda m: to_string(evaluate(m[1], contexts)), text)


def condition(text: Any, contexts: Mapping[str, Any], status: str) -> bool:
    """An `if:`: implicit `success() &&` unless it calls a status function itself."""
    functions = {
        "success": lambda: status == "success",
        "failure": lambda: status == "failure",
        "cancelled": lambda: status == "cancelled",
        "always": lambda: True,
    }
    if text is None:
        return status == "success"
    if isinstance(text, bool):
        return text and status == "success"
    expression = str(text).strip()
    if expression.startswith("${{") and expression.endswith("}}"):
        expression = expression[3:-2]
    value = evaluate(expression, contexts, functions)
    if not any(re.search(rf"\b{name}\s*\(", expression) for name in STATUS_FUNCTIONS):
        return status == "success" and truthy(value)
    return truthy(value)


# ---------------------------------------------------------------------------
# Jobs
# ---------------------------------------------------------------------------


@dataclass
class StepResult:
    id: str | None
    name: str
    outcome: str  # success, failure, skipped
    conclusion: str
    outputs: dict[str, str] = field(default_factory=dict)
    log: str = ""
    uses: str | None = None


@dataclass
class JobResult:
    job_id: str
    result: str  # success, failure, skipped
    steps: list[StepResult] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    rejected: bool = False  # its environment's reviewers rejected it
    called: dict[str, JobResult] = field(default_factory=dict)  # a reusable workflow's jobs

    def step(self, step_id: str) -> StepResult:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def outcomes(self) -> dict[str, str]:
        return {s.id or s.name: s.outcome for s in self.steps}

    def log(self) -> str:
        return "\n".join(f"--- {s.id or s.name}: {s.outcome}\n{s.log}" for s in self.steps)


# A handler for a `uses:` step or a substituted `run:` step: gets the job's workspace,
# the step's environment and its evaluated `with:`; returns (succeeded, outputs).
Handler = Callable[[Path, dict[str, str], dict[str, Any]], tuple[bool, dict[str, str]]]


def _no_op(_workspace: Path, _env: dict[str, str], _with: dict[str, Any]) -> tuple[bool, dict]:
    return True, {}


def _read_key_values(path: Path) -> dict[str, str]:
    """`name=value` lines and `name<<DELIM` blocks, as GitHub reads GITHUB_OUTPUT/GITHUB_ENV."""
    values: dict[str, str] = {}
    lines = path.read_text().splitlines() if path.exists() else []
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            while index < len(lines) and lines[index] != delimiter:
                body.append(lines[index])
                index += 1
            index += 1
            values[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


@dataclass
class Runner:
    """Runs the jobs of one workflow, each in its own workspace (`<root>/<job id>`).

    Files move between jobs only through actions/upload-artifact and
    actions/download-artifact, which are modelled here: the artifact holds the uploaded
    files relative to their common folder, without hidden files unless
    `include-hidden-files: true` (as upload-artifact v4.4+ does), and download writes them
    under its `path`.
    """

    workflow: dict[str, Any]
    root: Path
    vars: dict[str, str]
    github: dict[str, Any]
    base_env: dict[str, str]
    env_overrides: dict[str, str] = field(default_factory=dict)
    uses_handlers: dict[str, Handler] = field(default_factory=dict)
    substitutes: dict[str, Handler] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    results: dict[str, JobResult] = field(default_factory=dict)
    environments: dict[str, dict[str, str]] = field(default_factory=dict)
    approvals: dict[str, bool] = field(default_factory=dict)
    load_workflow: Callable[[str], dict[str, Any]] | None = None
    job_prefix: str = ""  # `<caller job>.` for the jobs of a called workflow
    # Every job that ran, called workflows' jobs included, in the order they ran.
    ran: list[JobResult] = field(default_factory=list)

    def _contexts(self, variables: Mapping[str, str] | None = None, **extra: Any) -> dict:
        needs = {
            job_id: {"result": result.result, "outputs": result.outputs}
            for job_id, result in self.results.items()
        }
        return {
            "github": self.github,
            "vars": dict(variables if variables is not None else self.vars),
            "inputs": self.inputs,
            "needs": needs,
            "secrets": {},
            "runner": {"os": "Linux", "arch": "X64", "temp": str(self.root / "_temp")},
            **extra,
        }

    def _env(self, *layers: Mapping[str, Any] | None, contexts: Mapping[str, Any]) -> dict:
        env: dict[str, str] = {}
        for layer in layers:
            for key, value in (layer or {}).items():
                env[key] = to_string(interpolate(value, {**contexts, "env": env}))
        env.update(self.env_overrides)
        return env

    def _call(self, job_id: str, job: dict[str, Any]) -> JobResult:
        """Run the jobs of the reusable workflow a job calls; it fails if one of them does."""
        assert self.load_workflow is not None, "give load_workflow to run reusable workflows"
        match = re.fullmatch(r"(?:\$|\.)/\.github/workflows/([\w.-]+)", job["uses"])
        assert match, f"only this repository's reusable workflows: {job['uses']}"
        inputs = {k: interpolate(v, self._contexts()) for k, v in job.get("with", {}).items()}
        called = Runner(
            workflow=self.load_workflow(match[1]),
            root=self.root,
            vars=self.vars,
            github=self.github,
            base_env=self.base_env,
            env_overrides=self.env_overrides,
            uses_handlers=self.uses_handlers,
            substitutes=self.substitutes,
            inputs=inputs,
            environments=self.environments,
            approvals=self.approvals,
            load_workflow=self.load_workflow,
            job_prefix=f"{self.job_prefix}{job_id}.",
            ran=self.ran,
        )
        jobs = called.run()
        failed = any(r.result == "failure" for r in jobs.values())
        result = JobResult(job_id, "failure" if failed else "success")
        result.steps = [step for r in jobs.values() for step in r.steps]
        result.summary = "".join(r.summary for r in jobs.values())
        result.called = jobs
        return result

    def run_job(self, job_id: str) -> JobResult:
        job = self.workflow["jobs"][job_id]
        needs = job.get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        upstream_ok = all(self.results[n].result == "success" for n in needs)
        job_condition = job.get("if")
        if not upstream_ok or not condition(job_condition, self._contexts(), "success"):
            result = JobResult(job_id, "skipped")
            self.results[job_id] = result
            return result
        if "uses" in job:
            result = self._call(job_id, job)
            self.results[job_id] = result
            return result

        environment = job.get("environment")
        if isinstance(environment, dict):
            environment = environment.get("name")
        environment = to_string(interpolate(environment, self._contexts())) or None
        variables = {**self.vars, **self.environments.get(environment or "", {})}
        if environment and not self.approvals.get(environment, True):
            result = JobResult(job_id, "failure", rejected=True)  # the reviewers rejected it
            self.results[job_id] = result
            self.ran.append(result)
            return result

        workspace = self.root / f"{self.job_prefix}{job_id}"
        workspace.mkdir(parents=True, exist_ok=True)
        temp = self.root / "_temp" / f"{self.job_prefix}{job_id}"
        temp.mkdir(parents=True, exist_ok=True)
        summary_file = temp / "step_summary.md"
        env_file = temp / "github_env"
        summary_file.touch()
        defaults = {
            **self.workflow.get("defaults", {}).get("run", {}),
            **job.get("defaults", {}).get("run", {}),
        }
        status = "success"
        steps: dict[str, dict[str, Any]] = {}
        result = JobResult(job_id, "success")
        github_env: dict[str, str] = {}

        for index, step in enumerate(job.get("steps", [])):
            step_id = step.get("id")
            name = step.get("name") or step.get("uses") or f"step {index}"
            contexts = self._contexts(variables, steps=steps)
            job_env = self._env(self.workflow.get("env"), job.get("env"), contexts=contexts)
            contexts = {**contexts, "env": {**job_env, **github_env}}
            if not condition(step.get("if"), contexts, status):
                record = StepResult(step_id, name, "skipped", "skipped", uses=step.get("uses"))
                result.steps.append(record)
                if step_id:
                    steps[step_id] = {"outcome": "skipped", "conclusion": "skipped", "outputs": {}}
                continue
            env = {
                **self.base_env,
                **job_env,
                **github_env,
                **self._env(step.get("env"), contexts=contexts),
            }
            output_file = temp / f"output_{index}"
            output_file.write_text("")
            env.update(
                GITHUB_OUTPUT=str(output_file),
                GITHUB_ENV=str(env_file),
                GITHUB_STEP_SUMMARY=str(summary_file),
                GITHUB_WORKSPACE=str(workspace),
                GITHUB_ACTIONS="true",
                CI="true",
                RUNNER_TEMP=str(temp),
            )
            env.update(
                {
                    f"GITHUB_{k.upper()}": to_string(v)
                    for k, v in self.github.items()
                    if not isinstance(v, Mapping)
                }
            )
            log = ""
            with_ = {
                key: interpolate(value, contexts) for key, value in step.get("with", {}).items()
            }
            if step.get("uses"):
                action = step["uses"].split("@", 1)[0]
                handlers = {
                    "actions/upload-artifact": self._upload,
                    "actions/download-artifact": self._download,
                    **self.uses_handlers,
                }
                ok, outputs = handlers.get(action, _no_op)(workspace, env, with_)
                log = f"(uses {action}: {'ok' if ok else 'failed'})"
            elif step_id in self.substitutes:
                ok, outputs = self.substitutes[step_id](workspace, env, with_)
                log = "(substituted by the test)"
            else:
                workdir = step.get("working-directory", defaults.get("working-directory", "."))
                shell = step.get("shell", defaults.get("shell", "bash"))
                assert shell == "bash", f"only bash steps are supported, not {shell}"
                script = temp / f"step_{index}.sh"
                script.write_text(step["run"])
                started = time.monotonic()
                proc = subprocess.run(
                    ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                    cwd=workspace / workdir,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=float(step.get("timeout-minutes", 5)) * 60,
                    check=False,
                )
                ok = proc.returncode == 0
                log = (
                    f"$ {step['run'].strip()}\n[exit {proc.returncode}, "
                    f"{time.monotonic() - started:.1f} s]\n{proc.stdout}{proc.stderr}"
                )
                outputs = _read_key_values(output_file)
            github_env.update(_read_key_values(env_file))
            outcome = "success" if ok else "failure"
            conclusion = outcome
            if not ok and step.get("continue-on-error") is True:
                conclusion = "success"
            if conclusion == "failure":
                status = "failure"
            record = StepResult(step_id, name, outcome, conclusion, outputs, log, step.get("uses"))
            result.steps.append(record)
            if step_id:
                steps[step_id] = {"outcome": outcome, "conclusion": conclusion, "outputs": outputs}

        result.result = status
        result.summary = summary_file.read_text()
        contexts = self._contexts(variables, steps=steps)
        result.outputs = {
            key: to_string(interpolate(value, contexts))
            for key, value in job.get("outputs", {}).items()
        }
        self.results[job_id] = result
        self.ran.append(result)
        return result

    def _upload(
        self, workspace: Path, _env: dict[str, str], with_: dict[str, Any]
    ) -> tuple[bool, dict[str, str]]:
        patterns = [p.strip() for p in str(with_["path"]).splitlines() if p.strip()]
        files = [workspace / p for p in patterns if (workspace / p).is_file()]
        if not with_.get("include-hidden-files"):
            files = [f for f in files if not f.name.startswith(".")]
        if not files:
            return with_.get("if-no-files-found", "warn") != "error", {}
        base = Path(os.path.commonpath([f.parent for f in files])) if files else workspace
        store = self.root / "_artifacts" / str(with_["name"])
        for file in files:
            target = store / file.relative_to(base)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, target)
        return True, {}

    def _download(
        self, workspace: Path, _env: dict[str, str], with_: dict[str, Any]
    ) -> tuple[bool, dict[str, str]]:
        store = self.root / "_artifacts" / str(with_["name"])
        if not store.is_dir():
            return False, {}
        shutil.copytree(store, workspace / str(with_.get("path", ".")), dirs_exist_ok=True)
        return True, {}

    def run(self) -> dict[str, JobResult]:
        """Every job, in the order of `needs` (our workflows have a simple chain)."""
        pending = list(self.workflow["jobs"])
        while pending:
            for job_id in pending:
                needs = self.workflow["jobs"][job_id].get("needs", [])
                needs = [needs] if isinstance(needs, str) else needs
                if all(n in self.results for n in needs):
                    self.run_job(job_id)
                    pending.remove(job_id)
                    break
            else:
                raise AssertionError(f"jobs with unmet needs: {pending}")
        return self.results


def python_shims(folder: Path, python: str) -> Path:
    """`python` and `python3` on PATH that run `python` (a venv's interpreter keeps its venv)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("python", "python3"):
        shim = folder / name
        shim.write_text(f'#!/bin/sh\nexec "{python}" "$@"\n')
        shim.chmod(0o755)
    return folder


def minimal_env(path_first: Path) -> dict[str, str]:
    """What a runner's shell would have besides the workflow's env: PATH, HOME, locale."""
    keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "LC_ALL", "TMPDIR")}
    return {**keep, "PATH": f"{path_first}{os.pathsep}{os.environ.get('PATH', '')}"}
