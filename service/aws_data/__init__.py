"""botocore's data trimmed to what the app uses (service/aws_sdk.py; python -m deploy.aws_data)."""
