"""``qd evaluate RUNDIR DATA``: metrics of a trained CNN or Sketch-RNN run (dispatch on run.json)."""


def register(sub) -> None:
    """Add ``qd evaluate`` to the ``qd`` parser."""
