"""One-off Lambda entry points in the same package as the API: migrations and rotation."""
