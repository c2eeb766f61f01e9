"""Plumbing every stage shares: atomic writes (``atomic``), argument checks (``validate``), progress bars
(``progress``), TensorFlow's quiet start (``quiet_tensorflow``) and the version and attribution (``about``)."""
