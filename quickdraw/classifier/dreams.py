"""Ask the classifier what a class looks like: strokes optimised until the model sees that class in them.

DeepDream asks a network what it has learned by changing an input, by gradient ascent, until the
network's answer grows. Here the input is a drawing, not free pixels: a few strokes (from a blank
start, or a given drawing's own strokes) whose points move to raise the class, drawn by a
differentiable copy of the raster recipe (``soft_render``). That is the regulariser that makes a
dream read as a doodle; the rest follows feature visualisation practice (Olah et al., "Feature
Visualization", Distill 2017): each step averages the gradient over randomly rotated and stretched
copies (transformation robustness, so that the dream is not one network's blind spot), and lines
start wide and soft and narrow to the recipe's width (early gradients reach farther). The
objective is the class's logit plus its log-probability (evidence for it, and against the others).

The result is a drawing in the dataset's frame, rendered by the exact recipe and scored by the model
like any other drawing: ``Dream.probability`` is what ``Classifier.top`` says of it.

>>> d = dream(Classifier("runs/cnn1"), "cat")  # doctest: +SKIP
>>> d.probability > 0.9, d.bitmap.shape        # doctest: +SKIP
(True, (28, 28))
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from keras import ops

from . import anatomy, soft_render
from .gradients import compiled_once, gradient_function

STEPS = 200
COPIES = 8  # transformed copies whose gradients each step averages
LEARNING_RATE = 3.0  # frame units per step (Adam)
ROTATION = math.radians(12)
STRETCH = 0.1
BLANK_STROKES, BLANK_POINTS = 6, 8  # the strokes of a dream from a blank start
START_RADIUS, START_SOFTNESS = 2.5, 0.6  # pixels, from a blank; the recipe's by NARROW_BY of the steps
NARROW_BY = 0.7
FROM_DRAWING_RATE = 0.35  # of LEARNING_RATE


@dataclass
class Dream:
    """A drawing the model dreamed for ``class_name``: strokes (2, n) in the dataset's frame, the
    uint8 bitmap the model sees of them, and the probability it gives the class."""

    class_name: str
    strokes: list
    bitmap: np.ndarray
    probability: float
    from_drawing: bool


def dream(classifier, class_name: str, *, start=None, steps: int = STEPS, seed: int = 0) -> Dream:
    """Optimise strokes until ``classifier`` (a ``Classifier``) sees ``class_name`` in them; return the ``Dream``.

    ``start`` is a drawing's strokes ((2, n) arrays or [xs, ys] lists, any frame) to begin from, as
    DeepDream begins from a photo; None begins from a few random strokes (seeded by ``seed``).
    """
    c = classifier.classes.index(class_name)
    points = _start_points(start, seed)
    optimise = _optimiser(classifier.model)
    rng = np.random.default_rng([seed, c, 7])
    first, second = np.zeros_like(points), np.zeros_like(points)
    radius, softness = soft_render.line_radius(classifier.image_size), soft_render.SOFTNESS
    # From a drawing, lines keep the recipe's width and points move slower: the dream stays near it.
    wide, soft = (START_RADIUS, START_SOFTNESS) if start is None else (radius, softness)
    rate = LEARNING_RATE if start is None else LEARNING_RATE * FROM_DRAWING_RATE
    for t in range(1, steps + 1):
        share = min(1.0, t / max(NARROW_BY * steps, 1))
        schedule = np.array([wide + (radius - wide) * share, soft + (softness - soft) * share], np.float32)
        angle = rng.uniform(-ROTATION, ROTATION, COPIES).astype(np.float32)
        stretch = rng.uniform(1 - STRETCH, 1 + STRETCH, (COPIES, 2)).astype(np.float32)
        _, grads = optimise(np.repeat(points[None], COPIES, 0), angle, stretch,
                            np.full(COPIES, c, np.int32), schedule)
        grad = grads.mean(axis=0)
        first = 0.9 * first + 0.1 * grad  # Adam, ascending
        second = 0.999 * second + 0.001 * grad ** 2
        points = points + rate * (first / (1 - 0.9 ** t)) / (np.sqrt(second / (1 - 0.999 ** t)) + 1e-8)
    strokes = _as_strokes(points)
    bitmap = classifier.render(strokes)
    return Dream(class_name, strokes, bitmap, float(classifier.probabilities(bitmap)[c]), start is not None)


def _optimiser(model):
    """The compiled gradient of the dream objective for ``model`` (one per model, kept on it)."""
    return compiled_once(model, "dream", lambda: _compile(model))


def _compile(model):
    size = anatomy.image_size(model)
    logits_model = anatomy.scaled_model(model)

    def objective(predict, points, angle, stretch, c, schedule):
        centred = points - ops.mean(points, axis=(1, 2), keepdims=True)
        cos, sin = ops.cos(angle)[:, None, None], ops.sin(angle)[:, None, None]
        x, y = centred[..., 0], centred[..., 1]
        turned = ops.stack([stretch[:, 0, None, None] * (cos * x - sin * y),
                            stretch[:, 1, None, None] * (sin * x + cos * y)], axis=-1)
        image = soft_render.soft_bitmap(turned, size, schedule[0], schedule[1])
        logits = ops.cast(predict(image), "float32")
        chosen = ops.one_hot(c, logits.shape[-1])
        return ops.sum(logits * chosen, axis=1) + ops.sum(ops.log_softmax(logits, axis=-1) * chosen, axis=1)

    return gradient_function(logits_model, objective)


def _start_points(start, seed: int) -> np.ndarray:
    """(K, M, 2) float32 frame points: the start drawing's strokes, or seeded random strokes near the middle."""
    if start is not None:
        from .seen import dataset_frame

        return soft_render.padded_points(dataset_frame(start))
    rng = np.random.default_rng([seed, 11])
    origins = rng.uniform(60, 195, (BLANK_STROKES, 1, 2))
    walks = np.cumsum(rng.normal(0, 22, (BLANK_STROKES, BLANK_POINTS - 1, 2)), axis=1)
    return np.concatenate([origins, origins + walks], axis=1).astype(np.float32)


def _as_strokes(points: np.ndarray) -> list[np.ndarray]:
    """Optimised (K, M, 2) points as integer (2, n) strokes in the dataset's frame (repeated end points dropped)."""
    moved = points - points.reshape(-1, 2).min(axis=0)
    framed = np.round(moved * (soft_render.SIDE / max(float(moved.max()), 1e-3))).astype(np.int64)
    strokes = []
    for stroke in framed:
        keep = np.concatenate([[True], np.any(np.diff(stroke, axis=0) != 0, axis=1)])
        strokes.append(stroke[keep].T)
    return strokes
