"""Unit tests: one module of service/ each (with a database or moto only where that
module itself talks to one: models on both databases, storage on moto's S3)."""
