"""The pictures of ``qd explain``: class templates, filters, activation maps, saliency and dreams (Agg figures).

Each function returns a ``matplotlib.figure.Figure`` (no pyplot, no window); ``Explanation.save``
writes it. Weights and saliency use one diverging colour map centred on zero: red is evidence for
a class, blue against it.
"""
from __future__ import annotations

import math

import numpy as np

from .saliency import overlay

DIVERGING = "RdBu_r"  # blue below zero, white at zero, red above
ACTIVATION = "magma"
CAPTION_SIZE = 9
UNDERLAY = 600  # the drawing under a saliency map: full ink shows mid-grey, so red and blue stand out


def _figure(width, height):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _grid_shape(n: int, most_cols: int) -> tuple[int, int]:
    """(rows, cols) for ``n`` panels: as few rows of at most ``most_cols`` as will do, filled evenly."""
    rows = math.ceil(n / most_cols)
    return rows, math.ceil(n / rows)


def _limit(values) -> float:
    """A colour scale's end, centred on zero: the 99th percentile of the magnitudes, so that a few extreme
    weights (often at the bitmap's edge) do not wash the rest out; the colour bar marks what lies beyond."""
    return float(np.percentile(np.abs(values), 99)) or float(np.abs(values).max()) or 1.0


def _bare(ax):
    ax.set_xticks([])
    ax.set_yticks([])


def _caption(fig, text: str) -> None:
    fig.supxlabel(text, fontsize=CAPTION_SIZE, wrap=True)


def templates_figure(templates, bias, classes, *, title: str, caption: str):
    """One panel per class: its template, on one colour scale centred on zero."""
    n = len(classes)
    rows, cols = _grid_shape(n, 7)
    fig = _figure(1.9 * cols + 1.2, 2.0 * rows + 1.3)
    limit = _limit(templates)
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax in axes:
        _bare(ax)
        ax.set_axis_off()
    for ax, template, b, name in zip(axes, templates, bias, classes):
        ax.set_axis_on()
        image = ax.imshow(template, cmap=DIVERGING, vmin=-limit, vmax=limit)
        ax.set_title(f"{name}\nbias {b:+.2f}", fontsize=9)
    fig.colorbar(image, ax=list(axes), shrink=0.8, extend="both", label="weight (logit per unit of ink)")
    fig.suptitle(title)
    _caption(fig, caption)
    return fig


def filters_figure(filters, *, title: str, caption: str, label: str = "weight"):
    """Each filter (F, k, k) as a small image on one colour scale centred on zero."""
    rows, cols = _grid_shape(len(filters), 8)
    side = 1.2 if filters.shape[-1] <= 5 else 1.6
    fig = _figure(side * cols + 1.2, side * rows + 1.3)
    limit = _limit(filters)
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax in axes:
        ax.set_axis_off()
    for i, (ax, f) in enumerate(zip(axes, filters)):
        image = ax.imshow(f, cmap=DIVERGING, vmin=-limit, vmax=limit)
        ax.set_title(str(i + 1), fontsize=8)
    fig.colorbar(image, ax=list(axes), shrink=0.8, extend="both", label=label)
    fig.suptitle(title)
    _caption(fig, caption)
    return fig


def drawing_figure(e, *, title: str, caption: str):
    """The bitmap the model sees, its top guesses, and why: saliency (CNN, MLP) or template x ink (linear);
    for a CNN also its first filters and each block's strongest activation maps."""
    blocks = e.activations or []
    heights = [3.0] + ([1.5] if e.filters is not None else []) + [1.7] * len(blocks)
    fig = _figure(13, sum(heights) + 1.4)
    parts = np.atleast_1d(fig.subfigures(len(heights), 1, height_ratios=heights))
    _top_row(parts[0], e)
    if e.filters is not None:
        _strip(parts[1], e.filters, f"first layer: its {len(e.filters)} filters ({e.filters.shape[1]}x"
               f"{e.filters.shape[2]}; red adds, blue subtracts)", DIVERGING, centred=True)
    for k, (part, maps) in enumerate(zip(parts[len(heights) - len(blocks):], blocks), start=1):
        strength = maps.mean(axis=(0, 1))
        order = np.argsort(-strength)[:8]
        _strip(part, np.moveaxis(maps[:, :, order], -1, 0),
               f"block {k} ({maps.shape[0]}x{maps.shape[1]}, {maps.shape[2]} channels): its 8 strongest "
               "activation maps for this drawing", ACTIVATION, names=[f"ch {c + 1}" for c in order])
    fig.suptitle(title)
    _caption(fig, caption)
    return fig


def _top_row(sub, e):
    axes = sub.subplots(1, 4 if e.kind == "linear" else 3,
                        width_ratios=[1, 1.3, 1, 1] if e.kind == "linear" else [1, 1.3, 1])
    seen, bars = axes[0], axes[1]
    seen.imshow(e.bitmap, cmap="gray", vmin=0, vmax=255)
    seen.set_title(f"what the model sees ({e.bitmap.shape[0]}x{e.bitmap.shape[1]})", fontsize=9)
    _bare(seen)
    order = np.argsort(-e.probabilities)[:5]
    names = [e.classes[i] for i in order][::-1]
    colours = ["#c0392b" if e.classes[i] == e.explained else "#7f8c8d" for i in order][::-1]
    bars.barh(names, e.probabilities[order][::-1], color=colours)
    bars.set_xlim(0, 1)
    bars.set_title("top guesses", fontsize=9)
    bars.tick_params(labelsize=8)
    if e.kind == "linear":
        c = e.classes.index(e.explained)
        limit = _limit(e.templates[c])
        axes[2].imshow(e.templates[c], cmap=DIVERGING, vmin=-limit, vmax=limit)
        axes[2].set_title(f"template of {e.explained}", fontsize=9)
        contribution = e.templates[c] * e.bitmap / 255
        axes[3].imshow(e.bitmap, cmap="gray", vmin=0, vmax=UNDERLAY)
        axes[3].imshow(overlay(contribution))
        axes[3].set_title(f"template x ink: sums to {contribution.sum():+.2f}\n"
                          f"+ bias {e.bias[c]:+.2f} = logit {contribution.sum() + e.bias[c]:+.2f}", fontsize=9)
        _bare(axes[2])
        _bare(axes[3])
        return
    ax = axes[2]
    ax.imshow(e.bitmap, cmap="gray", vmin=0, vmax=UNDERLAY)
    ax.imshow(overlay(e.saliency))
    ax.set_title(f"what pushed {e.explained}\n(SmoothGrad over the bitmap)", fontsize=9)
    _bare(ax)


def _strip(sub, images, title, cmap, *, centred=False, names=None):
    """A row (two for many) of small images under one title."""
    n = len(images)
    rows = 2 if n > 16 else 1
    cols = math.ceil(n / rows)
    axes = np.atleast_1d(sub.subplots(rows, cols)).ravel()
    limit = float(np.abs(images).max()) or 1.0
    for ax in axes:
        ax.set_axis_off()
    for i, (ax, image) in enumerate(zip(axes, images)):
        if centred:
            ax.imshow(image, cmap=cmap, vmin=-limit, vmax=limit)
        else:
            ax.imshow(image, cmap=cmap, vmin=0, vmax=max(float(image.max()), 1e-6))
        if names is not None:
            ax.set_title(names[i], fontsize=7)
    sub.suptitle(title, fontsize=9)


def dreams_figure(dreams, *, start=None, title: str, caption: str):
    """Each dream as the model sees it (the exact raster recipe), titled with its class and probability."""
    panels = ([("start", start, None)] if start is not None else []) + [
        (d.class_name, d.bitmap, d.probability) for d in dreams]
    rows, cols = _grid_shape(len(panels), 7)
    fig = _figure(max(1.9 * cols, 6.5), 2.1 * rows + 1.3)
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax in axes:
        ax.set_axis_off()
    for ax, (name, bitmap, p) in zip(axes, panels):
        ax.imshow(bitmap, cmap="gray", vmin=0, vmax=255)
        ax.set_title(name if p is None else f"{name}\np = {p:.2f}", fontsize=9)
    fig.suptitle(title)
    _caption(fig, caption)
    return fig
