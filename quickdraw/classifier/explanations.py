"""See inside a trained classifier: what it learned, and why it guessed what it guessed (``explain``).

Without a drawing: a linear model's weights, one template per class (red where ink is evidence for
the class, blue where against); a CNN's first-layer filters; an MLP's first-layer weights, one
image per hidden unit. On a drawing: the bitmap the model sees, its top guesses, and why (a CNN:
its filters, each block's strongest activation maps for this drawing and a SmoothGrad saliency map,
``saliency``; a linear model: the class's template and template x ink, whose sum plus the bias is
exactly the logit). With ``dream``: drawings optimised until the model sees a class (``dreams``).

``explain`` returns an ``Explanation``: the figure and the arrays behind it. In a notebook it shows
itself; ``.save("explain.png")`` writes the picture.

>>> e = explain("runs/cnn1", "cat.ndjson")   # doctest: +SKIP
>>> e.top(3), e.saliency.shape              # doctest: +SKIP
([('cat', 0.93), ('dog', 0.04), ('bird', 0.01)], (28, 28))
>>> e.save("explain.png")                   # doctest: +SKIP
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import QuickDrawError
from . import anatomy, explain_plots
from .dreams import STEPS

MLP_UNITS_SHOWN = 32


@dataclass
class Explanation:
    """What ``explain`` found: the figure, and the arrays it draws.

    ``kind`` is "cnn", "mlp" or "linear"; ``bitmap`` (uint8 (S, S)) and ``probabilities`` (C,) are
    set for a drawing, ``explained`` names the class explained and ``saliency`` (S, S) holds its
    SmoothGrad map (CNN, MLP). ``templates`` (C, S, S) and ``bias`` (C,) are a linear model's,
    ``filters`` (F, k, k) a CNN's first layer (an MLP's first-layer weights as (units, S, S)),
    ``activations`` each CNN block's maps (H, W, channels) for the drawing, ``dreams`` a list of
    ``dreams.Dream``.
    """

    kind: str
    classes: list
    synthetic: bool
    figure: object = None
    bitmap: np.ndarray | None = None
    probabilities: np.ndarray | None = None
    explained: str | None = None
    saliency: np.ndarray | None = None
    templates: np.ndarray | None = None
    bias: np.ndarray | None = None
    filters: np.ndarray | None = None
    activations: list | None = None
    dreams: list = field(default_factory=list)

    def top(self, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` likeliest classes of the drawing, with probabilities."""
        if self.probabilities is None:
            return []
        order = np.argsort(-self.probabilities)[:k]
        return [(self.classes[i], float(self.probabilities[i])) for i in order]

    def png(self) -> bytes:
        """The figure as PNG bytes."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(self.figure)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()

    def _repr_png_(self) -> bytes:  # shown inline in Jupyter
        return self.png()

    def save(self, path) -> Path:
        """Write the figure to ``path`` as a PNG, atomically; return the path."""
        from ..core.atomic import write_atomic

        data = self.png()
        return write_atomic(path, lambda tmp: Path(tmp).write_bytes(data))


def explain(run, drawing=None, *, index: int = 0, class_name: str | None = None, dream=None,
            steps: int = STEPS, seed: int = 0) -> Explanation:
    """Explain a classifier run (a run folder or a ``Classifier``): see the module docstring.

    ``drawing`` is a drawing file qd reads (drawing ``index`` of it), strokes ((2, n) arrays or
    [xs, ys] lists) or a uint8 (S, S) bitmap. ``class_name`` explains that class instead of the top
    guess. ``dream`` is a class name, a list of them, or "all": optimise a drawing for each (from
    ``drawing`` when given, else from a blank; ``steps`` steps, seeded by ``seed``). A linear model
    does not dream: its templates are already what it thinks each class looks like.
    """
    from .predict import Classifier

    classifier = run if isinstance(run, Classifier) else _load(run)
    kind = anatomy.model_kind(classifier.model)
    e = Explanation(kind, list(classifier.classes), classifier.synthetic)
    if class_name is not None and dream is not None:
        raise QuickDrawError("--class explains a guess and --dream names the classes it dreams of: give one of them")
    explained = _class(classifier, class_name) if class_name is not None else None
    wanted = _dream_classes(classifier, dream, kind) if dream is not None else []
    start = _drawing(classifier, drawing, index, need_strokes=bool(wanted)) if drawing is not None else None
    if kind == "linear":
        e.templates, e.bias = anatomy.templates(classifier.model)
    note = " (model trained on SYNTHETIC doodles)" if e.synthetic else ""
    if wanted:
        return _dream(e, classifier, wanted, start, steps, seed, note)
    if start is None:
        if explained is not None and kind != "linear":
            raise QuickDrawError("--class explains a guess: give a DRAWING too (or --dream CLASS to see what the "
                                 "model thinks a class looks like)")
        return _learned(e, classifier, explained, note)
    return _on_drawing(e, classifier, start, explained, note)


def _load(run):
    from .predict import Classifier
    from .runs import read_run

    read_run(run)  # a Sketch-RNN run or a stranger folder is refused before Keras loads
    return Classifier(run)


def _class(classifier, name: str) -> str:
    """The run's spelling of class ``name``, or a QuickDrawError suggesting the closest."""
    from ..categories import key, lookup

    listing = f"the run's classes are: {', '.join(classifier.classes)}"
    return lookup(name, {key(c): c for c in classifier.classes}, "class of this run", listing)


def _dream_classes(classifier, dream, kind: str) -> list[str]:
    if kind == "linear":
        raise QuickDrawError("a linear model does not dream: its class templates are already what it thinks each "
                             "class looks like; `qd explain RUN` (no --dream) draws them")
    names = [dream] if isinstance(dream, str) else list(dream)
    if [n.strip().lower() for n in names] == ["all"]:
        return list(classifier.classes)
    return [_class(classifier, n) for n in names]


def _drawing(classifier, drawing, index: int, need_strokes: bool):
    """(strokes or None, uint8 bitmap) of the drawing argument, or a QuickDrawError."""
    if isinstance(drawing, (str, Path)):
        from ..formats import read_drawing

        read = read_drawing(drawing, index)
        where = str(drawing)
        if read.bitmap is not None:
            bitmap, strokes = np.asarray(read.bitmap, np.uint8), None
        else:
            bitmap, strokes = None, read.strokes
    elif isinstance(drawing, np.ndarray) and drawing.ndim == 2 and drawing.shape[0] != 2:
        bitmap, strokes, where = np.asarray(drawing, np.uint8), None, "the bitmap"
    else:
        bitmap, strokes, where = None, drawing, "the drawing"
    if bitmap is not None:
        if bitmap.shape != (classifier.image_size,) * 2:
            raise QuickDrawError(f"{where} holds {bitmap.shape[0]}x{bitmap.shape[1]} bitmaps; the model takes "
                                 f"{classifier.image_size}x{classifier.image_size}")
        if not bitmap.any():
            raise QuickDrawError(f"{where}: the bitmap is blank (no ink); nothing to explain")
        if need_strokes:
            raise QuickDrawError(f"{where} holds bitmaps, and a dream moves strokes: give a drawing with strokes "
                                 "(ndjson, binary, strokes JSON), or no drawing to dream from a blank")
        return None, bitmap
    if not any(np.asarray(s).size for s in strokes):
        raise QuickDrawError(f"{where}: the drawing has no points; nothing to explain")
    return strokes, classifier.render(strokes)


def _learned(e, classifier, explained, note) -> Explanation:
    if e.kind == "linear":
        shown = [e.classes.index(explained)] if explained else list(range(len(e.classes)))
        e.figure = explain_plots.templates_figure(
            e.templates[shown], e.bias[shown], [e.classes[i] for i in shown],
            title=f"What the linear model learned: one template per class{note}",
            caption="Each template is the dense layer's weights for one class, laid out as the 28x28 bitmap: "
                    "red where ink is evidence for the class, blue where ink is evidence against it. "
                    "logit = sum(template x bitmap / 255) + bias; the softmax of the logits is the guess.")
    elif e.kind == "cnn":
        e.filters = anatomy.first_filters(classifier.model)
        e.figure = explain_plots.filters_figure(
            e.filters, title=f"What the CNN's first layer looks for: its {len(e.filters)} filters{note}",
            caption=f"Each {e.filters.shape[1]}x{e.filters.shape[2]} filter slides over the bitmap and adds up the "
                    "ink under it, weighted: red weights add, blue subtract. Strokes in a filter's pattern "
                    "(edges, line ends, slants) light up its activation map; `qd explain RUN DRAWING` shows them.")
    else:
        import keras

        kernel = next(layer for layer in classifier.model.layers if isinstance(layer, keras.layers.Dense))
        weights = np.asarray(kernel.get_weights()[0], np.float32).T[:MLP_UNITS_SHOWN]
        e.filters = weights.reshape(len(weights), classifier.image_size, classifier.image_size)
        e.figure = explain_plots.filters_figure(
            e.filters, label="weight (per unit of ink)",
            title=f"What the MLP's first layer looks for: {len(e.filters)} of its {kernel.units} hidden units{note}",
            caption="Each image is one hidden unit's weights over the 28x28 bitmap: red where ink excites the "
                    "unit, blue where it inhibits it. Deeper layers combine these units into classes.")
    return e


def _on_drawing(e, classifier, start, explained, note) -> Explanation:
    from . import saliency

    strokes, e.bitmap = start
    e.probabilities = classifier.probabilities(e.bitmap)
    e.explained = explained or e.classes[int(np.argmax(e.probabilities))]
    c = e.classes.index(e.explained)
    what = "its top guess" if explained is None else "the class asked for"
    if e.kind == "linear":
        caption = (f"For a linear model the explanation is exact: each pixel adds template x ink to the logit of "
                   f"{e.explained}; red pixels pushed it up, blue down.")
    else:
        e.saliency = saliency.saliency(classifier, e.bitmap, c)
        caption = f"Saliency of {e.explained}: {saliency.METHOD}."
    if e.kind == "cnn":
        e.filters = anatomy.first_filters(classifier.model)
        outputs = anatomy.scaled_model(classifier.model, blocks=True)(
            e.bitmap[None, :, :, None].astype(np.float32) / 255, training=False)
        import keras

        e.activations = [np.asarray(keras.ops.convert_to_numpy(a), np.float32)[0] for a in outputs[1:]]
        caption += (" Activation maps: each block's ReLU output, its channels ordered by mean activation; "
                    "early blocks respond to strokes and edges, later ones to larger parts.")
    e.figure = explain_plots.drawing_figure(
        e, title=f"Why the {e.kind.upper()} says {e.explained} ({what}, p = {e.probabilities[c]:.2f}){note}",
        caption=caption)
    return e


def _dream(e, classifier, wanted, start, steps, seed, note) -> Explanation:
    from .dreams import dream

    strokes, bitmap = start if start is not None else (None, None)
    for name in wanted:
        e.dreams.append(dream(classifier, name, start=strokes, steps=steps, seed=seed))
    origin = "from the given drawing" if strokes is not None else "from a blank (a few random strokes)"
    e.figure = explain_plots.dreams_figure(
        e.dreams, start=bitmap,
        title=f"What the {e.kind.upper()} thinks each class looks like: dreams {origin}{note}",
        caption=f"Each dream is a drawing whose strokes moved for {steps} steps to raise the class (its logit and "
                "log-probability, averaged over rotated and stretched copies); shown as the model sees it, "
                "rendered by the dataset's raster recipe; p is the model's probability for the class.")
    return e
