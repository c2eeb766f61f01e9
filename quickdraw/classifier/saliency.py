"""Which pixels pushed a class: SmoothGrad saliency maps, and how to lay one over the drawing pad.

The map is SmoothGrad (Smilkov et al., "SmoothGrad: removing noise by adding noise", 2017): the
gradient of the class's logit with respect to the bitmap as the model scales it (value / 255),
averaged over ``SAMPLES`` copies with Gaussian noise of ``NOISE``. Positive: more ink there raises
the class (on the drawing's ink: that ink is evidence for it); negative: ink there counts against
it. It passes the model-randomisation sanity check (Adebayo et al., "Sanity checks for saliency
maps", 2018) that integrated gradients and gradient x input fail on these bitmaps: both multiply
by the input, so on the ink they mostly repeat how bright the ink is, for any weights
(``docs/notes/issue-26.md`` has the figures).

>>> s = saliency(classifier, classifier.render(strokes), classifier.classes.index("cat"))  # doctest: +SKIP
>>> rgba = overlay(s)                                  # (28, 28, 4), red for, blue against
>>> ax.imshow(rgba, extent=pad_extent(strokes, 28))   # over the pad, in its 0-255 frame
"""
from __future__ import annotations

import numpy as np
from keras import ops

from . import anatomy
from .gradients import compiled_once, gradient_function

SAMPLES = 32
NOISE = 0.15  # standard deviation, in the scaled bitmap's 0-1 units
METHOD = (f"SmoothGrad (Smilkov et al. 2017): gradient of the class logit, mean over {SAMPLES} noisy copies; "
          "red: ink there is evidence for the class, blue: against")
FOR, AGAINST = (0.84, 0.09, 0.11), (0.13, 0.40, 0.85)  # RdBu's ends


def saliency(classifier, bitmap, class_index: int, *, samples: int = SAMPLES, noise: float = NOISE,
             seed: int = 0) -> np.ndarray:
    """SmoothGrad map (S, S) float32 of class ``class_index`` for one uint8 (S, S) bitmap.

    ``classifier`` is a ``Classifier`` (or a Keras classifier model). Values are logit per unit of
    scaled ink; the same bitmap and seed give the same map. One call runs the model forward and back
    on ``samples`` copies in one batch: for the default 28x28 CNN on this project's 2-core CPU, 24 ms
    (p95 29) on TensorFlow, 56 ms on JAX, after a first call that traces the gradient (0.35 s, 1 s;
    ``bench/bench_explain.py``). Safe to call from a worker thread.
    """
    model = getattr(classifier, "model", classifier)
    gradient = compiled_once(model, "logit", lambda: gradient_function(anatomy.scaled_model(model), _logit))
    scaled = np.asarray(bitmap, np.float32)[None, :, :, None] / 255
    rng = np.random.default_rng(seed)
    noisy = scaled + rng.normal(0, noise, (samples, *scaled.shape[1:])).astype(np.float32)
    _, grads = gradient(noisy, np.full(samples, class_index, np.int32))
    return grads.mean(axis=0)[..., 0]


def _logit(predict, x, c):
    logits = ops.cast(predict(x), "float32")
    return ops.sum(logits * ops.one_hot(c, logits.shape[-1]), axis=1)


def overlay(saliency_map, *, scale: float | None = None, opacity: float = 0.85) -> np.ndarray:
    """An RGBA (S, S, 4) float image of a saliency map: red where positive, blue where negative.

    Opacity grows with the magnitude, up to ``opacity`` at ``scale`` and beyond (default: the 99th
    percentile of the magnitudes), so that near-zero pixels leave the drawing beneath visible.
    """
    s = np.asarray(saliency_map, np.float32)
    scale = float(np.percentile(np.abs(s), 99)) if scale is None else float(scale)
    strength = np.clip(np.abs(s) / scale, 0, 1) if scale > 0 else np.zeros_like(s)
    rgba = np.zeros((*s.shape, 4), np.float32)
    rgba[..., :3] = np.where((s >= 0)[..., None], FOR, AGAINST)
    rgba[..., 3] = opacity * strength
    return rgba


def pad_extent(strokes, size: int) -> tuple[float, float, float, float]:
    """Where the classifier's (size, size) bitmap of ``strokes`` lies on the pad: ``imshow``'s extent.

    The pad shows strokes in its own 0-255 frame (y down). ``Classifier.render`` moves a drawing not
    already in the dataset's frame to the corner and scales its longer side to 255 (``seen``), then
    the raster recipe centres it by its largest x and y and pads it by 24 frame units a side, 304
    units making ``size`` pixels. Returns (left, right, bottom, top) in pad units for
    ``ax.imshow(overlay(s), extent=pad_extent(strokes, size))`` on the pad's axes.
    """
    from ..raster.render import FRAME, LINE_DIAMETER, PADDING
    from .seen import dataset_frame, in_dataset_frame

    strokes = [np.asarray(s, np.float64)[:2] for s in strokes if np.asarray(s).size]
    points = np.concatenate(strokes, axis=1)
    if in_dataset_frame(strokes):
        low, unit = np.zeros(2), 1.0  # pad units per frame unit
    else:
        low = points.min(axis=1)
        side = float((points.max(axis=1) - low).max())
        unit = side / 255 if side > 0 else 1.0
    framed = np.concatenate(dataset_frame(strokes), axis=1)
    margin = (2 * PADDING + LINE_DIAMETER) / 2
    start = -((FRAME - framed.max(axis=1)) / 2 + margin)  # frame coordinates of the bitmap's top-left corner
    span = FRAME + 2 * PADDING + LINE_DIAMETER
    left, top = low + unit * start
    return float(left), float(left + unit * span), float(top + unit * span), float(top)
