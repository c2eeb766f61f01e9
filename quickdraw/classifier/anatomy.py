"""What is inside a trained classifier: its kind, a linear model's class templates, a CNN's filters and blocks.

A saved classifier takes raw 0-255 bitmaps and scales them itself (``Rescaling(1 / 255)``), then
runs a plain chain of layers up to the ``logits`` dense layer and the softmax. Explanations need
that chain from the scaled bitmap on, in float32 (gradients do not flow through uint8 inputs):
``scaled_model`` rebuilds it on a float input, sharing the trained layers, and can also return
each convolution block's activation maps.

>>> weights, bias = templates(model)  # doctest: +SKIP
>>> weights.shape, bias.shape          # doctest: +SKIP
((5, 28, 28), (5,))
"""
from __future__ import annotations

import keras
import numpy as np

from ..errors import QuickDrawError
from .model import KINDS, RandomAffine


def model_kind(model) -> str:
    """The kind of a classifier built by ``build_model``: "cnn", "mlp" or "linear"."""
    kind = model.name.removeprefix("quickdraw_")
    if kind not in KINDS:
        raise QuickDrawError(f"model {model.name!r} is not a qd classifier")
    return kind


def image_size(model) -> int:
    """Pixels a side of the bitmaps the model takes."""
    return int(model.input_shape[1])


def templates(model) -> tuple[np.ndarray, np.ndarray]:
    """A linear model's class templates (C, S, S) and biases (C,), as float32 numpy arrays.

    Template c is column c of the dense layer's kernel, reshaped to the bitmap's (S, S) in the order
    ``Flatten`` reads pixels (row by row): the logit of class c for a bitmap ``b`` is
    ``(templates[c] * b / 255).sum() + bias[c]``. Positive weights are ink that is evidence for the
    class, negative ones ink that is evidence against it.
    """
    if model_kind(model) != "linear":
        raise QuickDrawError(f"only a linear model's weights are class templates; this is a {model_kind(model)}")
    kernel, bias = (np.asarray(keras.ops.convert_to_numpy(w), np.float32) for w in model.get_layer("logits").weights)
    size = image_size(model)
    return kernel.T.reshape(-1, size, size), bias


def convolutions(model) -> list:
    """A CNN's Conv2D layers, first to last."""
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


def first_filters(model) -> np.ndarray:
    """A CNN's first-layer filters as (filters, k, k) float32: the patterns it looks for in the bitmap."""
    convs = convolutions(model)
    if not convs:
        raise QuickDrawError(f"a {model_kind(model)} model has no convolution filters")
    kernel = np.asarray(keras.ops.convert_to_numpy(convs[0].kernel), np.float32)  # (k, k, 1, filters)
    return np.moveaxis(kernel[:, :, 0, :], -1, 0)


def block_ends(model) -> list:
    """The layer whose output ends each convolution block (its last ReLU, before pooling), first to last."""
    ends = []
    for layer, after in zip(model.layers, model.layers[1:]):
        if isinstance(after, keras.layers.MaxPooling2D):
            ends.append(layer)
    return ends


def scaled_model(model, *, blocks: bool = False):
    """The classifier from the scaled bitmap (float32 (N, S, S, 1), value / 255) to its logits.

    Shares the trained layers; augmentation is left out (it only acts while training); call it with
    ``training=False`` (dropout off, batch normalisation's moving statistics). With
    ``blocks``, the model returns [logits, block 1 activations, block 2, ...] (``block_ends``).
    """
    size = image_size(model)
    inputs = keras.Input((size, size, 1), dtype="float32", name="scaled_bitmap")
    x, outputs, ends = inputs, [], {id(layer) for layer in block_ends(model)} if blocks else set()
    chain = model.layers[1:]  # the input layer first
    if not chain or not isinstance(chain[0], keras.layers.Rescaling):
        raise QuickDrawError(f"model {model.name!r} does not start by scaling its bitmaps; not a qd classifier")
    for layer in chain[1:]:
        if isinstance(layer, RandomAffine):
            continue
        x = layer(x)
        if id(layer) in ends:
            outputs.append(x)
        if layer.name == "logits":
            return keras.Model(inputs, [x, *outputs] if blocks else x, name=f"{model.name}_scaled")
    raise QuickDrawError(f"model {model.name!r} has no logits layer; not a qd classifier")
