"""The one exception type the commands raise for a clear, expected failure."""


class DeployError(Exception):
    """A failure with a message meant for the operator; the CLI prints it and exits 1.

    :param details: lines printed on stderr before the one-line message (e.g. the log
        tail of a failed invocation).
    """

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details
