"""Targets, cost and scaling derived from the measurements; the printed table."""

from __future__ import annotations

import math
from typing import Any

# Prices as given in issue 7's brief for arm64 (us-east-1, first tier), per AWS's public
# Lambda pricing page; not re-checked from this offline machine. Free tier ignored.
PRICE_PER_GB_SECOND = 0.0000133334
PRICE_PER_MILLION_REQUESTS = 0.20
MEMORY_SIZES_MB = (128, 256, 512, 1024)  # 1024 = the Terraform default api_memory_size
# Lambda allocates CPU in proportion to memory: 1,769 MB is one full vCPU.
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html
FULL_VCPU_MB = 1769
# Aurora Serverless v2 (Aurora MySQL) default max_connections by maximum ACU, from the
# Aurora User Guide, "Maximum connections for Aurora Serverless v2" (setting-capacity page).
AURORA_MYSQL_MAX_CONNECTIONS = {1: 90, 4: 135, 8: 1000, 16: 2000, 32: 3000, 64: 4000, 128: 5000}
RESERVED_FOR_OPERATORS = 10  # admin, migration job, rotation function, consoles
# Not measurable here: the round trip from a Lambda in the VPC to Aurora in the same
# region (an assumption: 0.5 ms; loopback MariaDB here answers a primary-key select in
# ~0.08 ms). Every database command of a request pays it.
ASSUMED_AWS_DB_RTT_MS = 0.5

# Issue 14's targets: ratios to floors measured in the same run (absolute times drift on
# this shared machine), statements per warm read, peak memory.
TARGETS = {
    "handler.get_product.statements": 1.0,
    "handler.get_user_warm.statements": 1.0,
    "handler.health.statements": 1.0,
    "handler.get_product.interleaved_with_floor.ratio": 3.0,
    "coldstart.first_response_over_floor": 1.5,
    "memory.peak_rss_mb": 75.0,
}
MIX = (
    "health",
    "get_product",
    "get_user_warm",
    "create_product",
    "patch_product",
    "upload_png_100k",
    "list_images",
)


def _get(out: dict[str, Any], dotted: str) -> Any:
    node: Any = out
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def lambda_duration_ms(wall_ms: float, cpu_ms: float, memory_mb: int) -> float:
    """Estimated Lambda duration: our CPU time slowed by the CPU share, plus the waits."""
    share = min(1.0, memory_mb / FULL_VCPU_MB)
    return cpu_ms / share + max(0.0, wall_ms - cpu_ms)


def cost_per_million(duration_ms: float, memory_mb: int) -> float:
    billed_ms = math.ceil(duration_ms)  # Lambda bills in 1 ms steps
    gb_seconds = billed_ms / 1000 * memory_mb / 1024
    return 1e6 * gb_seconds * PRICE_PER_GB_SECOND + PRICE_PER_MILLION_REQUESTS


def derive(out: dict[str, Any]) -> None:
    """Add ratios over the floor, the cost table, scaling and the target verdicts."""
    results = _get(out, "handler.results") or {}
    floor = results.get("_floor_pymysql_pk_select")
    if floor:
        for stats in results.values():
            stats["ratio_over_floor"] = stats["median_ms"] / floor["median_ms"]
    for server in (_get(out, "http") or {}).values():
        if floor and isinstance(server, dict):
            for stats in server.get("results", {}).values():
                stats["ratio_over_floor"] = stats["median_ms"] / floor["median_ms"]
    flat = {"handler": dict(results)}
    costs: dict[str, Any] = {}
    for name, stats in results.items():
        if name.startswith("_"):
            continue
        wall, cpu = stats["median_ms"], stats.get("cpu_median_ms", stats["median_ms"])
        costs[name] = {
            f"{mb}MB": {
                "naive_cost": cost_per_million(wall, mb),
                "est_duration_ms": lambda_duration_ms(wall, cpu, mb),
                "est_cost": cost_per_million(lambda_duration_ms(wall, cpu, mb), mb),
            }
            for mb in MEMORY_SIZES_MB
        }
    out["cost_per_million"] = costs
    mix = [results[n] for n in MIX if n in results]
    if mix:
        mean_ms = sum(s["mean_ms"] for s in mix) / len(mix)
        on_aws = {mb: sum(aws_duration_ms(s, mb) for s in mix) / len(mix) for mb in MEMORY_SIZES_MB}
        out["scaling"] = scaling(mean_ms, on_aws)
    verdicts = {}
    for key, limit in TARGETS.items():
        value = _get({**out, **flat}, key)
        verdicts[key] = {
            "limit": limit,
            "value": value,
            "met": None if value is None else value <= limit,
        }
    out["targets"] = verdicts


def aws_duration_ms(stats: dict[str, Any], memory_mb: int) -> float:
    """Estimated duration on Lambda: CPU scaled by the memory's CPU share, plus one
    assumed VPC round trip per measured database command (the local waits dropped)."""
    cpu = stats.get("cpu_mean_ms", stats["mean_ms"])
    share = min(1.0, memory_mb / FULL_VCPU_MB)
    return cpu / share + stats.get("db_round_trips", 0) * ASSUMED_AWS_DB_RTT_MS


def scaling(mean_ms: float, on_aws: dict[int, float]) -> dict[str, Any]:
    """Little's law with the measured mean duration of the request mix."""
    per_env_rps = 1000.0 / mean_ms
    lambda_rows = [
        {
            "memory_mb": mb,
            "est_duration_ms": duration,
            "rps_per_environment": 1000.0 / duration,
            "concurrency_for_100_rps": 100 * duration / 1000,
            "ceiling_rps_at_reserved_20": 20 * 1000.0 / duration,
            "ceiling_rps_at_max_acu_4": (AURORA_MYSQL_MAX_CONNECTIONS[4] - RESERVED_FOR_OPERATORS)
            * 1000.0
            / duration,
        }
        for mb, duration in on_aws.items()
    ]
    rows = []
    for acu, max_conn in AURORA_MYSQL_MAX_CONNECTIONS.items():
        usable = max_conn - RESERVED_FOR_OPERATORS
        rows.append(
            {
                "max_acu": acu,
                "max_connections": max_conn,
                "max_reserved_concurrency": usable,
                "ceiling_rps": usable * per_env_rps,
            }
        )
    return {
        "mix_mean_ms": mean_ms,
        "rps_per_environment": per_env_rps,
        "formula": "concurrency = rps x duration_s; connections = concurrency (pool_size 1, "
        "one request at a time per environment); reserved concurrency R <= max_connections - "
        f"{RESERVED_FOR_OPERATORS}; ceiling rps = R / duration_s",
        "by_max_acu": rows,
        "assumed_aws_db_rtt_ms": ASSUMED_AWS_DB_RTT_MS,
        "on_lambda": lambda_rows,
        "terraform_default": {
            "db_max_capacity": 4,
            "max_connections": AURORA_MYSQL_MAX_CONNECTIONS[4],
            "api_reserved_concurrency": 20,
            "ceiling_rps": 20 * per_env_rps,
        },
    }


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _latency_table(title: str, results: dict[str, Any]) -> list[str]:
    header = (
        "| endpoint | n | median ms | p95 ms | p99 ms | req/s | x floor | statements + pings "
        "| of which BEGIN/COMMIT/ROLLBACK | of which pings |"
    )
    lines = [f"\n## {title}", "", header, "|---|---|---|---|---|---|---|---|---|---|"]
    for name, s in results.items():
        lines.append(
            f"| {name} | {s['n']} | {_fmt(s['median_ms'])} | {_fmt(s['p95_ms'])} | "
            f"{_fmt(s['p99_ms'])} | {_fmt(s['rps'], 0)} | {_fmt(s.get('ratio_over_floor'), 2)} | "
            f"{_fmt(s.get('statements'), 2)} | {_fmt(s.get('transaction_control'), 2)} | "
            f"{_fmt(s.get('pings'), 2)} |"
        )
    return lines


def render(out: dict[str, Any]) -> str:
    """Markdown tables of everything measured."""
    lines = [
        f"# Benchmarks {out['when']} ({out['machine']['platform']}, "
        f"Python {out['machine']['python']}, {out['machine']['cpus']} CPUs)"
    ]
    if results := _get(out, "handler.results"):
        lines += _latency_table("Warm, through the Lambda handler (REST v1 events)", results)
    interleaved = [(n, r["interleaved_with_floor"]) for n, r in (results or {}).items()
                   if "interleaved_with_floor" in r]  # fmt: skip
    if interleaved:
        lines += [
            "",
            "Interleaved with the floor (one request, one raw select, in turns):",
            "",
            "| endpoint | median ms | floor median ms | ratio |",
            "|---|---|---|---|",
        ]
        for name, row in interleaved:
            lines.append(
                f"| {name} | {_fmt(row['endpoint_median_ms'])} | {_fmt(row['floor_median_ms'])}"
                f" | {_fmt(row['ratio'], 2)} |"
            )
    if check := _get(out, "handler.questions_cross_check"):
        lines.append(
            f"\nstatements per request, cross-check on {check['scenario']} x{check['requests']}:"
            f" server Questions {_fmt(check['server_questions_per_request'], 2)}, harness "
            f"queries {_fmt(check['harness_queries_per_request'], 2)} (agree: {check['agree']}; "
            f"Questions leaves out pings: harness pings "
            f"{_fmt(check['harness_pings_per_request'], 2)})"
        )
    for server, data in (_get(out, "http") or {}).items():
        lines += _latency_table(f"Over HTTP: {server}", data["results"])
        if data.get("server_cpu_ms_per_request") is not None:
            lines.append(
                f"\nserver CPU per request (mixed): {_fmt(data['server_cpu_ms_per_request'])} ms"
            )
    if cold := out.get("coldstart"):
        lines += ["\n## Cold start (fresh python3.12, unpacked x86_64 package, bytecode)", ""]
        for key, stats in cold.items():
            if isinstance(stats, dict) and "median" in stats:
                lines.append(
                    f"- {key}: median {_fmt(stats['median'], 1)} ms "
                    f"(min {_fmt(stats['min'], 1)}, max {_fmt(stats['max'], 1)}, "
                    f"n={stats['n']})"
                )
        for key, stats in (cold.get("snapstart") or {}).items():
            lines.append(
                f"- SnapStart {key}: median {_fmt(stats['median'], 1)} ms "
                f"(min {_fmt(stats['min'], 1)}, max {_fmt(stats['max'], 1)}, n={stats['n']})"
            )
        if (ratio := cold.get("first_response_over_floor")) is not None:
            lines.append(f"- first GET product response / bare-import floor: {ratio:.2f}")
        if top := cold.get("top_imports"):
            lines += ["", "| import (cumulative, median of 5) | ms |", "|---|---|"]
            lines += [f"| {row['module']} | {_fmt(row['cumulative_ms'], 1)} |" for row in top]
    if ways := out.get("secret_read"):
        lines += [
            "\n## Reading the DB secret in a fresh process (medians; flask/sqlalchemy/pymysql "
            "already imported)",
            "",
            "| way | import + client ms | call ms | total ms | RSS added MB |",
            "|---|---|---|---|---|",
        ]
        for way, row in ways.items():
            lines.append(
                f"| {way} | {_fmt(row['import_and_client_ms'], 1)} | {_fmt(row['call_ms'], 1)} | "
                f"{_fmt(row['total_ms'], 1)} | {_fmt(row['rss_added_mb'], 1)} |"
            )
    if side := out.get("original"):
        lines += [
            "\n## Side by side with the Node/Express original (interleaved, keep-alive)",
            "",
            "| endpoint | original median ms | deploy serve median ms | ours / original |",
            "|---|---|---|---|",
        ]
        for name, row in side["warm"].items():
            lines.append(
                f"| {name} | {_fmt(row['original']['median_ms'])} | "
                f"{_fmt(row['ours']['median_ms'])} | {_fmt(row['ratio_ours_over_original'], 2)} |"
            )
        cold = side["cold_start_ms"]
        lines.append(
            f"| cold start to first GET product 200 (spawn, secret from moto) | "
            f"{_fmt(cold['original']['median'], 1)} | {_fmt(cold['ours']['median'], 1)} | "
            f"{_fmt(cold['ours']['median'] / cold['original']['median'], 2)} |"
        )
    if memory := out.get("memory"):
        lines += [
            "\n## Memory",
            "",
            f"- peak RSS after {memory['requests']} mixed requests: "
            f"{_fmt(memory['peak_rss_mb'], 1)} MB (after import: "
            f"{_fmt(memory.get('rss_after_import_mb'), 1)} MB)",
        ]
        if steps := memory.get("rss_steps_mb"):
            lines += ["", "| after | RSS MB | added MB |", "|---|---|---|"]
            previous = None
            for label, rss in steps.items():
                added = "" if previous is None else f"{rss - previous:+.1f}"
                lines.append(f"| {label} | {rss:.1f} | {added} |")
                previous = rss
    if costs := out.get("cost_per_million"):
        sizes = [f"{mb}MB" for mb in MEMORY_SIZES_MB]
        lines += [
            "\n## Lambda cost per million requests (arm64, USD; est = CPU scaled by memory)",
            "",
            "| endpoint | " + " | ".join(f"{s} naive / est" for s in sizes) + " |",
            "|---|" + "---|" * len(sizes),
        ]
        for name, row in costs.items():
            cells = [f"{row[s]['naive_cost']:.3f} / {row[s]['est_cost']:.3f}" for s in sizes]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if scale := out.get("scaling"):
        lines += [
            "\n## Scaling on paper",
            "",
            f"- mix mean duration {_fmt(scale['mix_mean_ms'])}"
            f" ms -> {_fmt(scale['rps_per_environment'], 0)} req/s per environment",
            f"- {scale['formula']}",
        ]
        lines += [
            "",
            f"On Lambda (estimate: CPU / memory share + {ASSUMED_AWS_DB_RTT_MS} ms "
            "assumed per database command; mix of the 7 warm endpoints):",
            "",
            "| memory | est. duration ms | req/s per environment | concurrency for "
            "100 req/s | ceiling req/s at reserved 20 | ceiling req/s at 125 conns |",
            "|---|---|---|---|---|---|",
        ]
        for row in scale["on_lambda"]:
            lines.append(
                f"| {row['memory_mb']} MB | {_fmt(row['est_duration_ms'], 2)} | "
                f"{_fmt(row['rps_per_environment'], 0)} | "
                f"{_fmt(row['concurrency_for_100_rps'], 2)} | "
                f"{_fmt(row['ceiling_rps_at_reserved_20'], 0)} | "
                f"{_fmt(row['ceiling_rps_at_max_acu_4'], 0)} |"
            )
        lines += [
            "",
            "Connection ceiling by Aurora max ACU (local durations):",
            "",
            "| max ACU | max_connections | max reserved concurrency | ceiling req/s |",
            "|---|---|---|---|",
        ]
        for row in scale["by_max_acu"]:
            lines.append(
                f"| {row['max_acu']} | {row['max_connections']} | "
                f"{row['max_reserved_concurrency']} | {_fmt(row['ceiling_rps'], 0)} |"
            )
    if targets := out.get("targets"):
        lines += ["\n## Targets", "", "| target | limit | measured | met |", "|---|---|---|---|"]
        for key, v in targets.items():
            met = {True: "yes", False: "NO", None: "not run"}[v["met"]]
            lines.append(f"| {key} | <= {v['limit']} | {_fmt(v['value'])} | {met} |")
    return "\n".join(lines)
