"""The one exception type for errors a user can cause."""


class QuickDrawError(Exception):
    """An error caused by user input or the environment, with a message written for the user.

    The CLI prints it as ``qd: <message>`` and exits 1; any other exception is a bug.
    """
