"""Unit tests: one module each, no database, no AWS."""
