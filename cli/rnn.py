"""Commands of Sketch-RNN: ``qd train-rnn``, ``qd generate``, ``qd reconstruct``, ``qd interpolate``."""


def register(sub) -> None:
    """Add the Sketch-RNN commands to the ``qd`` parser."""
