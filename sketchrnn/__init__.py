"""Sketch-RNN (Ha & Eck 2017) in Keras 3: encoder, LSTM decoder, mixture head, sampling, and the official models.

>>> import sketchrnn
>>> bird = sketchrnn.pretrained("bird")          # doctest: +SKIP
>>> sketches = bird.sample(4, temperature=0.25)  # doctest: +SKIP
"""


def pretrained(name: str, *, model_mirror: str | None = None, cache_dir=None):
    """Return a ``Sampler`` of Google's pretrained Sketch-RNN model ``name`` (``qd models`` lists them).

    The ``.gen.json`` file is fetched from the public bucket (or ``model_mirror`` /
    ``$QD_MODEL_MIRROR``) into the user cache on first use.
    """
    from .models import sampler
    from .official import resolve

    return sampler(resolve(name), model_mirror=model_mirror, cache_dir=cache_dir)
