"""Packager and release tool for the Lambda functions (`python -m deploy --help`)."""
