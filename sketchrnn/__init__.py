"""Sketch-RNN (Ha & Eck 2017) in Keras 3: encoder, LSTM decoder, mixture head, sampling, and the official models.

>>> import sketchrnn
>>> bird = sketchrnn.pretrained("bird")          # doctest: +SKIP
>>> sketches = bird.sample(4, temperature=0.25)  # doctest: +SKIP
>>> pad = sketchrnn.complete_pad("bird")       # doctest: +SKIP
>>> pad.show()                                 # draw; the model finishes it  # doctest: +SKIP
"""


def pretrained(name: str, *, model_mirror: str | None = None, cache_dir=None):
    """Return a ``Sampler`` of Google's pretrained Sketch-RNN model ``name`` (``qd models`` lists them).

    The ``.gen.json`` file is fetched from the public bucket (or ``model_mirror`` /
    ``$QD_MODEL_MIRROR``) into the user cache on first use.
    """
    from .models import sampler
    from .official import resolve

    return sampler(resolve(name), model_mirror=model_mirror, cache_dir=cache_dir)


def complete_pad(model, drawing=None, n: int = 4, temperature: float = 0.4, **options):
    """A drawing pad on which the Sketch-RNN ``model`` (a run folder, ``.gen.json`` or official name)
    finishes your drawing ``n`` ways; ``.show()`` it in a desktop window or a notebook. See
    ``sketchrnn.complete.complete_pad`` for the options."""
    from .complete import complete_pad as make

    return make(model, drawing, n, temperature, **options)
