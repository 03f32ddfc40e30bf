"""The test suite's own rules, checked on its source (AST, nothing imported):

- no module under tests/ imports a test module (``test_*.py``) or a ``conftest.py``:
  shared helpers live in tests/support/ (or in an area's own helper modules, such as
  tests/terraform/harness/), so a helper has one home and no test module is imported
  a second time under another name;
- a ``conftest.py`` holds fixtures and hooks only (no helper functions, classes or
  constants that other modules would want to import).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


def sources() -> list[Path]:
    # tests/benchmarks (`python -m tests.benchmarks`, never collected) is scanned too.
    return sorted(TESTS.rglob("*.py"))


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(TESTS.parent).with_suffix("").parts)


def imported_modules(source: str, module: str) -> list[tuple[int, str]]:
    """(line, absolute dotted name) of every module an import statement in ``source``
    (the text of ``module``) may import: ``from a.b import c`` names a.b and a.b.c."""
    package = module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            parts = package[: len(package) - node.level + 1] if node.level else []
            base = ".".join([*parts, *([node.module] if node.module else [])])
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def imports_of_tests_or_conftests(source: str, module: str) -> list[tuple[int, str]]:
    """The imports of test modules or conftest files under tests/ (one per statement)."""
    found: dict[int, str] = {}
    for line, name in imported_modules(source, module):
        parts = name.split(".")
        if parts[0] == "tests" and any(p == "conftest" or p.startswith("test_") for p in parts):
            found.setdefault(line, name)
    return sorted(found.items())


def conftest_helpers(source: str) -> list[tuple[int, str]]:
    """What a conftest defines at the top level besides fixtures and ``pytest_*`` hooks."""
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            fixture = any("fixture" in ast.unparse(d) for d in node.decorator_list)
            if not (fixture or node.name.startswith("pytest_")):
                found.append((node.lineno, f"def {node.name}"))
        elif isinstance(node, ast.ClassDef):
            found.append((node.lineno, f"class {node.name}"))
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            found.append((node.lineno, ast.unparse(node).split("=")[0].strip()))
    return found


def test_no_module_imports_a_test_module_or_a_conftest():
    assert TESTS / "benchmarks" / "inprocess.py" in sources()  # the harness is held to it too
    bad = [
        f"{path.relative_to(TESTS.parent)}:{line}: {name}"
        for path in sources()
        for line, name in imports_of_tests_or_conftests(path.read_text(), module_name(path))
    ]
    assert bad == [], "move what they need to tests/support/:\n" + "\n".join(bad)


def test_conftest_files_hold_fixtures_and_hooks_only():
    conftests = [path for path in sources() if path.name == "conftest.py"]
    assert TESTS / "conftest.py" in conftests
    bad = [
        f"{path.relative_to(TESTS.parent)}:{line}: {what}"
        for path in conftests
        for line, what in conftest_helpers(path.read_text())
    ]
    assert bad == [], "move these to tests/support/:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("from tests.conftest import MARIADB", ["tests.conftest"]),
        ("from tests.runtime.test_rotation import rotate_fully", ["tests.runtime.test_rotation"]),
        ("from tests.runtime import test_rotation", ["tests.runtime.test_rotation"]),
        ("import tests.fuzz.conftest", ["tests.fuzz.conftest"]),
        ("from .conftest import cluster", ["tests.fuzz.conftest"]),
        ("from . import test_faults", ["tests.fuzz.test_faults"]),
        ("from ..runtime.test_tls import aws_app", ["tests.runtime.test_tls"]),
        ("from tests.support.transport import ApiClient", []),
        ("from tests.terraform.harness import render", []),
        ("import pytest", []),
    ],
)
def test_the_import_scan_finds_test_modules_and_conftests(source, found):
    reported = imports_of_tests_or_conftests(source, "tests.fuzz.test_scanned")
    assert [name for _line, name in reported] == found


def test_the_conftest_scan_finds_helpers():
    source = (
        "import pytest\n"
        "LIMIT = 3\n"
        "@pytest.fixture\ndef ok(): ...\n"
        "@pytest.fixture(scope='session')\ndef ok_too(): ...\n"
        "def pytest_configure(config): ...\n"
        "def helper(): ...\n"
        "class Thing: ...\n"
    )
    assert conftest_helpers(source) == [(2, "LIMIT"), (8, "def helper"), (9, "class Thing")]
