"""The Terraform configuration as Python data (python-hcl2), plus the checks validate lacks.

``load(dir)`` parses every ``*.tf`` file. Expressions stay strings such as
``"${aws_s3_bucket.images.arn}/*"``; literals become Python values. On top of
that, ``hygiene_problems``: unused variables, undeclared providers, version
constraints, undescribed/untyped variables and outputs. (What Terraform
evaluates -- policies, names, counts -- is checked on render.py's output.)
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import hcl2
from hcl2.utils import SerializationOptions

_OPTIONS = SerializationOptions(
    strip_string_quotes=True, explicit_blocks=False, with_comments=False
)
_BUILTIN_PROVIDERS = {"terraform"}  # terraform_data, terraform_remote_state


@dataclass
class Config:
    """One root module: blocks by kind, each keyed by name (resources by type, then name)."""

    directory: Path
    resources: dict[str, dict[str, dict]] = field(default_factory=lambda: defaultdict(dict))
    data: dict[str, dict[str, dict]] = field(default_factory=lambda: defaultdict(dict))
    variables: dict[str, dict] = field(default_factory=dict)
    outputs: dict[str, dict] = field(default_factory=dict)
    locals: dict[str, object] = field(default_factory=dict)
    providers: list[tuple[str, dict]] = field(default_factory=list)
    terraform: list[dict] = field(default_factory=list)
    modules: dict[str, dict] = field(default_factory=dict)
    moved: list[dict] = field(default_factory=list)

    def resource(self, address: str) -> dict:
        """The body of ``type.name``; KeyError when it is not declared."""
        rtype, name = address.split(".", 1)
        return self.resources[rtype][name]

    def data_source(self, address: str) -> dict:
        """The body of data source ``type.name``."""
        dtype, name = address.split(".", 1)
        return self.data[dtype][name]

    def required_providers(self) -> dict[str, object]:
        found: dict[str, object] = {}
        for block in self.terraform:
            for rp in block.get("required_providers", []):
                found.update(rp)
        return found


def load(directory: Path) -> Config:
    """Parse every ``*.tf`` file of ``directory`` (not recursive: one root module)."""
    cfg = Config(directory)
    for path in sorted(directory.glob("*.tf")):
        with path.open(encoding="utf-8") as f:
            doc = hcl2.load(f, serialization_options=_OPTIONS)
        for block in doc.get("resource", []):
            for rtype, named in block.items():
                cfg.resources[rtype].update(named)
        for block in doc.get("data", []):
            for dtype, named in block.items():
                cfg.data[dtype].update(named)
        for block in doc.get("variable", []):
            cfg.variables.update(block)
        for block in doc.get("output", []):
            cfg.outputs.update(block)
        for block in doc.get("locals", []):
            cfg.locals.update(block)
        for block in doc.get("module", []):
            cfg.modules.update(block)
        for block in doc.get("provider", []):
            cfg.providers.extend(block.items())
        cfg.terraform.extend(doc.get("terraform", []))
        cfg.moved.extend(doc.get("moved", []))
    return cfg


def load_tfvars(path: Path) -> dict[str, object]:
    """A ``.tfvars`` file as a dict of variable values."""
    with path.open(encoding="utf-8") as f:
        return hcl2.load(f, serialization_options=_OPTIONS)


################################################################################
# Hygiene
################################################################################

_VAR_REF = re.compile(r"\bvar\.([A-Za-z_][\w-]*)")
_PROVIDER_REF = re.compile(r"^\$\{([a-z][a-z0-9-]*)(?:\.[\w-]+)?\}$")


def _text(value: object) -> str:
    return json.dumps(value)


def unused_variables(cfg: Config) -> list[str]:
    """Variables no expression refers to (a variable's own validation does not count)."""
    used: set[str] = set()
    everything = [cfg.resources, cfg.data, cfg.outputs, cfg.locals, cfg.modules, cfg.providers]
    used.update(_VAR_REF.findall(_text(everything)))
    # Another variable's validation block may refer to this one (cross-variable validation).
    for name, body in cfg.variables.items():
        used.update(v for v in _VAR_REF.findall(_text(body.get("validation", []))) if v != name)
    return sorted(set(cfg.variables) - used)


def used_providers(cfg: Config) -> set[str]:
    """Local provider names used by resources, data sources and provider blocks."""
    used = {name for name, _ in cfg.providers}
    for blocks in (cfg.resources, cfg.data):
        for rtype, named in blocks.items():
            used.add(rtype.split("_", 1)[0])
            for body in named.values():
                ref = body.get("provider")
                if isinstance(ref, str) and (m := _PROVIDER_REF.match(ref)):
                    used.add(m.group(1))
    return used - _BUILTIN_PROVIDERS


def hygiene_problems(cfg: Config) -> list[str]:
    """Everything ``terraform validate`` accepts but a maintained root module should not."""
    problems = [f"variable {v}: declared but never used" for v in unused_variables(cfg)]

    if not any("required_version" in block for block in cfg.terraform):
        problems.append("terraform: no required_version")
    required = cfg.required_providers()
    for name in sorted(used_providers(cfg) - set(required)):
        problems.append(f"provider {name}: used but not in required_providers")
    for name, spec in sorted(required.items()):
        if not isinstance(spec, dict) or "source" not in spec:
            problems.append(f"provider {name}: required_providers entry without source")
            continue
        version = spec.get("version")
        if not version:
            problems.append(f"provider {name}: no version constraint")
        elif "~>" not in str(version):
            problems.append(f"provider {name}: version {version!r} is not pinned with ~>")
    for name, body in sorted(cfg.modules.items()):
        source = str(body.get("source", ""))
        if not source.startswith(("./", "../")) and not body.get("version"):
            problems.append(f"module {name}: registry module without version")

    for name, body in sorted(cfg.variables.items()):
        if not body.get("type"):
            problems.append(f"variable {name}: no type")
        if not str(body.get("description", "")).strip():
            problems.append(f"variable {name}: no description")
    for name, body in sorted(cfg.outputs.items()):
        if not str(body.get("description", "")).strip():
            problems.append(f"output {name}: no description")
    return problems
