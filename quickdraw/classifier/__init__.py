"""The doodle classifier: a Keras CNN (or MLP baseline) on a dataset's bitmaps, above the data layer.

``training`` trains into a run folder (``runs`` reads and writes it), ``evaluation`` scores a run on
a split, ``predict`` says what a drawing is (from strokes or a file), ``guesses`` while you draw
(``guess_pad``), ``play`` is the Quick, Draw! game (``game``), ``model`` holds the Keras layers and
``plots`` the pictures.

>>> from quickdraw.classifier import train, Classifier  # doctest: +SKIP
>>> metrics = train("homework/", "runs/cnn1", epochs=5)  # doctest: +SKIP
>>> Classifier("runs/cnn1").top(drawing.strokes)  # doctest: +SKIP
[('cat', 0.91), ('dog', 0.05), ('bird', 0.02)]
>>> guess_pad("runs/cnn1").show()   # draw; the guesses follow every stroke  # doctest: +SKIP
>>> game("runs/cnn1", rounds=6).show()   # the Quick, Draw! game  # doctest: +SKIP
"""
import importlib

from .registration import register_when_keras_loads

# Plain keras.models.load_model reads qd's model.keras files after `import quickdraw.classifier`
# (the custom layers register when Keras loads, in either import order; this import stays light).
register_when_keras_loads()

# Each public name and its module; loaded on first use, so that importing a part (the run folder,
# the window panel) does not load Keras.
_NAMES = {"evaluate_model": "evaluation", "evaluate_run": "evaluation", "Classifier": "predict",
          "classify_file": "predict", "export_model": "export", "game": "play", "guess_pad": "guesses",
          "read_run": "runs", "Settings": "training",
          "accelerators": "training", "bitmap_batches": "training", "compiled_model": "training",
          "prime_batch_norm": "training", "train": "training", "explain": "explanations"}

__all__ = sorted(_NAMES)


def __getattr__(name):
    if name in _NAMES:
        value = getattr(importlib.import_module(f".{_NAMES[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
