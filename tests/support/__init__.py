"""Helpers shared by test modules (never import helpers from test modules or conftest)."""
