"""The benchmark harness (python -m tests.benchmarks) still runs: a tiny handler-only run.

The real runs are slow and never part of the test suite; see docs/performance.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.benchmarks import report, stats

ROOT = Path(__file__).resolve().parent.parent


def test_percentiles_and_summary():
    values = [i * 1_000_000 for i in range(1, 101)]  # 1..100 ms
    summary = stats.summarize(values)
    assert (summary["median_ms"], summary["p95_ms"], summary["p99_ms"]) == (50.5, 95.0, 99.0)
    assert summary["n"] == 100


def test_cost_rounds_up_to_the_millisecond_and_adds_the_request_price():
    # 1.2 ms at 128 MB bills 2 ms: 1e6 x 0.002 s x 0.125 GB x price + $0.20
    assert report.cost_per_million(1.2, 128) == 1e6 * 0.002 * 0.125 * 0.0000133334 + 0.20


@pytest.mark.mariadb  # the harness measures on the MySQL server
@pytest.mark.slow  # a benchmark process
def test_handler_benchmark_runs_end_to_end(tmp_path):
    out = tmp_path / "bench.json"
    subprocess.run(
        [sys.executable, "-m", "tests.benchmarks", "--only", "handler", "health", "get_product",
         "--requests", "20", "--warmup", "2", "--json", str(out)],
        cwd=ROOT, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    data = json.loads(out.read_text())
    results = data["handler"]["results"]
    assert set(results) == {"health", "get_product", "_floor_pymysql_pk_select",
                            "_orm_session_get", "_core_row_read",
                            "_framework_no_database"}  # fmt: skip
    assert results["get_product"]["n"] == 20
    assert results["get_product"]["ratio_over_floor"] > 1
    assert data["targets"]["handler.get_product.interleaved_with_floor.ratio"]["value"] > 1
    # The harness counts what the server counts (Questions), and a warm read is one statement
    check = data["handler"]["questions_cross_check"]
    assert check["agree"], check
    assert results["get_product"]["statements"] == results["health"]["statements"] == 1
