"""Commands about built datasets: ``qd build``, ``qd export``, ``qd show``."""


def register(sub) -> None:
    """Add the dataset commands to the ``qd`` parser."""
