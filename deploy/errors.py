"""The one exception type the commands raise for a clear, expected failure."""


class DeployError(Exception):
    """A failure with a message meant for the operator; the CLI prints it and exits 1."""
