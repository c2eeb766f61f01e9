"""``qd info FILE``: what a Quick, Draw! file holds."""


def register(sub) -> None:
    """Add ``qd info`` to the ``qd`` parser."""
