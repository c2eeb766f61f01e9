"""Stage 4, dataset folders: split and shard plans (``plan``), the records a build writes (``records``),
the streaming and Apache Beam builders (``stream``, ``beam``) behind ``quickdraw.build`` (``subset``),
the folder reader that needs no TensorFlow (``folder``), ``qd export`` (``export``) and ``qd info`` (``info``)."""
