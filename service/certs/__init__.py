"""The Amazon RDS CA bundle (``global-bundle.pem``) that database TLS is verified against."""
