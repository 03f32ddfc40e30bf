"""`python -m deploy <command>`: package, serve locally, and release the Lambda functions."""

from deploy.cli import main

raise SystemExit(main())
