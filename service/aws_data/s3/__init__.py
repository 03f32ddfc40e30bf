"""The S3 model, trimmed (service/aws_sdk.py): the folder of each API version is data only."""
