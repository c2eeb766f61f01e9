"""Say what a drawing is with a trained classifier run: from strokes, a bitmap or a file (while you draw: ``guesses``).

>>> Classifier("runs/cnn1").top(drawing.strokes)  # doctest: +SKIP
[('cat', 0.91), ('dog', 0.05), ('bird', 0.02)]
"""
from __future__ import annotations

import numpy as np

from ..errors import QuickDrawError
from . import runs, seen
from .model import class_names

TOP_K = 3


class Classifier:
    """A trained run's model, ready to say what drawings are.

    >>> Classifier("runs/cnn1").top([[[10, 200], [10, 200]]])  # doctest: +SKIP
    [('line', 0.8), ...]
    """

    def __init__(self, rundir):
        self.run, self.model = runs.load(rundir)
        self.classes = class_names(self.model)
        self.image_size = int(self.model.input_shape[1])
        self.synthetic = bool(self.run.get("synthetic"))

    def warm_up(self) -> None:
        """Load the compiled parts (the rendering kernels, the model's predict function) before the first
        drawing: their first use holds Python's interpreter for a moment, which a drawing pad must not feel."""
        self.top([[[10.0, 120.0, 240.0], [30.0, 200.0, 40.0]]], 1)

    def top(self, strokes, k: int = TOP_K) -> list[tuple[str, float]]:
        """The ``k`` likeliest classes of a drawing (dataset-layout strokes), with probabilities."""
        check_top(k)
        return self.top_bitmap(self.render(strokes), k)

    def render(self, strokes) -> np.ndarray:
        """Render strokes to a uint8 (size, size) bitmap exactly as the training data was.

        Strokes not already in the dataset's frame (integers from about 0, the longer side about
        255), such as raw drawings, ones from the drawing window or a drawing's first strokes, are
        simplified first the way ``qd build`` simplifies raw drawings: moved to the corner, scaled
        to 255, thinned (``seen.bitmap``).
        """
        return seen.bitmap(strokes, self.image_size)

    def top_bitmap(self, bitmap, k: int = TOP_K) -> list[tuple[str, float]]:
        """The ``k`` likeliest classes of one uint8 (size, size) bitmap, with probabilities."""
        check_top(k)
        probs = self.probabilities(bitmap)
        best = np.argsort(-probs)[:k]
        return [(self.classes[i], float(probs[i])) for i in best]

    def probabilities(self, bitmap) -> np.ndarray:
        """Class probabilities (float32, one per class) of one uint8 (size, size) bitmap.

        Runs Keras' compiled predict function on one batch (no ``model.predict`` per call, no eager
        forward pass): a few milliseconds on a CPU.
        """
        x = np.asarray(bitmap, np.uint8)[None, :, :, None]
        return np.asarray(self.model.predict_on_batch(x), np.float32)[0]


def classify_file(rundir, path, *, index: int = 0, top: int = TOP_K) -> tuple[list[tuple[str, float]], bool]:
    """The ``top`` likeliest classes of drawing ``index`` in ``path``, and whether the model is synthetic.

    ``path`` is any file ``quickdraw.formats.read_drawing`` reads; a bitmap row is classified as is.
    """
    from ..formats import read_drawing

    check_top(top)
    runs.read_run(rundir)
    drawing = read_drawing(path, index)
    classifier = Classifier(rundir)
    if drawing.bitmap is not None:
        if drawing.bitmap.shape != (classifier.image_size,) * 2:
            raise QuickDrawError(f"{path} holds {drawing.bitmap.shape[0]}x{drawing.bitmap.shape[1]} bitmaps; "
                                 f"the model takes {classifier.image_size}x{classifier.image_size}")
        return classifier.top_bitmap(drawing.bitmap, top), classifier.synthetic
    if drawing.num_points == 0:
        raise QuickDrawError(f"{path}: the drawing has no points")
    return classifier.top(drawing.strokes, top), classifier.synthetic


def check_top(k: int) -> None:
    """Refuse a number of guesses below 1."""
    if k < 1:
        raise QuickDrawError(f"--top must be at least 1, not {k}")

