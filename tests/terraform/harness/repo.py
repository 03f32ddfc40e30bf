"""Where things are, and what the checks report at the end of a run."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
TERRAFORM_DIR = REPO_ROOT / "terraform"

# Lines for the run's summary (conftest.py prints them), e.g. the IAM counts.
SUMMARY: list[str] = []
