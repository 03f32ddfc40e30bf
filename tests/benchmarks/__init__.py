"""Benchmarks: ``python -m tests.benchmarks`` (never collected by pytest: no test_ files here).

See docs/performance.md for what is measured, how, and the latest numbers.
"""
