"""Front ends, which know no model: the drawing window that models plug into (``window``) and the
pictures (``plots``). Models hand them plugins; code that needs both models lives in ``cli``."""
