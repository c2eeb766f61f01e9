"""Commands of the CNN classifier: ``qd train-cnn``, ``qd classify``."""


def register(sub) -> None:
    """Add the classifier commands to the ``qd`` parser."""
