"""``qd complete`` (autocomplete a drawing) and ``qd demo`` (the offline tour)."""


def register(sub) -> None:
    """Add the completion and demo commands to the ``qd`` parser."""
