"""Keras 3 models of the doodle classifier: a CNN, the dense (MLP) baseline and the linear model, ``keras.ops`` only.

A model takes raw 0-255 bitmaps (N, H, W, 1), scales them itself, and ends in a float32 softmax
layer that remembers the class names, so a saved ``model.keras`` is all ``qd classify`` needs. Its
custom layers are registered when this module is imported: import it before
``keras.models.load_model``.

>>> model = build_model("cnn", 28, ["cat", "dog"])  # doctest: +SKIP
>>> class_names(model)  # doctest: +SKIP
['cat', 'dog']
"""
from __future__ import annotations

import math

import keras
from keras import layers, ops

from ..errors import QuickDrawError

KINDS = ("cnn", "mlp", "linear")  # linear: flatten, one dense softmax layer (class templates)
MIN_SIZE = 8  # three 2x2 poolings leave at least one pixel
MAX_SIZE = 256
WIDTHS = (32, 64, 128, 256, 256)
# Keras' default 0.99 leaves inference statistics near their initial values for the first few hundred
# steps, which is all a small homework dataset gets: its validation accuracy would sit at chance.
BN_MOMENTUM = 0.9
# L2 penalty on the linear model's weights: its templates read as pictures of the classes (bicycle wheels, the
# apple's stem, the rainbow's arc) instead of pixel noise, for about 4 points of accuracy (19 mirror classes,
# 800 drawings each: 64.2% against 68.0% without; docs/notes/issue-26.md).
LINEAR_L2 = 1e-2


@keras.saving.register_keras_serializable(package="quickdraw")
class ClassSoftmax(layers.Layer):
    """Softmax over the classes, always in float32, carrying the class names in its config."""

    def __init__(self, class_names, **kwargs):
        kwargs["dtype"] = "float32"
        super().__init__(**kwargs)
        self.class_names = [str(c) for c in class_names]

    def call(self, logits):
        return ops.softmax(ops.cast(logits, "float32"), axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.pop("dtype", None)
        return {**config, "class_names": self.class_names}


@keras.saving.register_keras_serializable(package="quickdraw")
class RandomAffine(layers.Layer):
    """Training-only random rotation, zoom and shift of square images, resampled once.

    ``rotation`` is the largest angle in radians, ``zoom`` and ``shift`` fractions of the image.
    Outside training the images pass through unchanged.
    """

    def __init__(self, rotation=math.radians(12), zoom=0.1, shift=0.08, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rotation, self.zoom, self.shift, self.seed = rotation, zoom, shift, seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=False):
        if not training:
            return images
        n = ops.shape(images)[0]
        size = images.shape[1]
        angle = keras.random.uniform((n,), -self.rotation, self.rotation, seed=self.generator)
        scale = keras.random.uniform((n,), 1 - self.zoom, 1 + self.zoom, seed=self.generator)
        shift = keras.random.uniform((n, 2), -self.shift, self.shift, seed=self.generator) * size
        # The transform maps each output pixel back to the input: rotate and scale about the centre.
        cos, sin = ops.cos(angle) / scale, ops.sin(angle) / scale
        centre = (size - 1) / 2
        transform = ops.stack([cos, -sin, centre * (1 - cos + sin) + shift[:, 0],
                               sin, cos, centre * (1 - sin - cos) + shift[:, 1]], axis=1)
        return ops.cast(_resample(ops.cast(images, "float32"), transform), images.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rotation": self.rotation, "zoom": self.zoom, "shift": self.shift,
                "seed": self.seed}


@keras.saving.register_keras_serializable(package="quickdraw")
class SmoothedCrossentropy(keras.losses.Loss):
    """Cross-entropy of integer labels against predicted probabilities, with label smoothing."""

    def __init__(self, smoothing=0.1, name="smoothed_crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.smoothing = smoothing

    def call(self, y_true, y_pred):
        classes = ops.shape(y_pred)[-1]
        target = ops.one_hot(ops.cast(ops.reshape(y_true, (-1,)), "int32"), classes, dtype=y_pred.dtype)
        target = target * (1 - self.smoothing) + self.smoothing / classes
        return keras.losses.categorical_crossentropy(target, y_pred)

    def get_config(self):
        return {**super().get_config(), "smoothing": self.smoothing}


def _resample(images, transform):
    """Bilinear resampling of (N, S, S, C) images at ``transform`` (N, 6) of each output pixel, 0 outside.

    Written with gathers rather than ``ops.image.affine_transform`` so that XLA can compile it.
    """
    n, size, channels = ops.shape(images)[0], images.shape[1], images.shape[3]
    ys, xs = ops.meshgrid(ops.arange(size, dtype="float32"), ops.arange(size, dtype="float32"), indexing="ij")
    xs, ys = ops.reshape(xs, (1, -1)), ops.reshape(ys, (1, -1))
    t = [transform[:, i:i + 1] for i in range(6)]
    x_in = t[0] * xs + t[1] * ys + t[2]
    y_in = t[3] * xs + t[4] * ys + t[5]
    x0, y0 = ops.floor(x_in), ops.floor(y_in)
    flat = ops.reshape(images, (n, size * size, channels))
    out = 0.0
    for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):
        px, py = x0 + dx, y0 + dy
        weight = (1 - ops.abs(x_in - px)) * (1 - ops.abs(y_in - py))
        inside = (px >= 0) & (px <= size - 1) & (py >= 0) & (py <= size - 1)
        index = ops.cast(ops.clip(py, 0, size - 1) * size + ops.clip(px, 0, size - 1), "int32")
        pixels = ops.take_along_axis(flat, ops.expand_dims(index, -1), axis=1)
        out = out + pixels * ops.expand_dims(ops.where(inside, weight, 0.0), -1)
    return ops.reshape(out, (n, size, size, channels))


def check_image_size(kind: str, size: int) -> None:
    """Raise QuickDrawError unless a ``kind`` model can take ``size`` x ``size`` bitmaps."""
    if kind not in KINDS:
        raise QuickDrawError(f"unknown model {kind!r}; choose one of {', '.join(KINDS)}")
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise QuickDrawError(f"the {kind.upper()} takes bitmaps of {MIN_SIZE} to {MAX_SIZE} pixels a side; "
                             f"this dataset's are {size}x{size}: rebuild it with `qd build --size 28`")


def conv_blocks(size: int) -> int:
    """Number of conv-pool blocks for ``size`` pixels: pool while at least 4 pixels would remain, 3 to 5."""
    blocks = 3
    while blocks < len(WIDTHS) and size // 2 ** (blocks + 1) >= 4:
        blocks += 1
    return blocks


def build_model(kind: str, image_size: int, class_names, *, augment: bool = False, seed: int = 0,
                dtype: str | None = None) -> keras.Model:
    """Build an uncompiled ``kind`` ("cnn", "mlp" or "linear") classifier of raw uint8 (N, S, S, 1) bitmaps.

    "linear" is flatten and one dense softmax layer: its kernel's column c, reshaped to (S, S), is
    class c's template (``quickdraw.classifier.explain`` draws them).

    ``augment`` adds training-only random rotation, zoom and shifts; ``dtype`` is a Keras dtype
    policy such as "mixed_float16" (the softmax stays float32).
    """
    check_image_size(kind, image_size)
    if len(class_names) < 2:
        raise QuickDrawError(f"a classifier needs at least 2 classes, the dataset has {len(class_names)}")
    inputs = keras.Input((image_size, image_size, 1), dtype="uint8", name="bitmap")
    x = layers.Rescaling(1 / 255, dtype=dtype)(inputs)
    if augment:
        x = RandomAffine(seed=seed, dtype=dtype, name="augment")(x)
    if kind == "cnn":
        x = _cnn_body(x, image_size, seed, dtype)
    elif kind == "mlp":
        x = _mlp_body(x, seed, dtype)
    else:
        x = layers.Flatten(dtype=dtype)(x)
    # A linear model's weights are read as pictures: L2 pulls the weights of pixels that seldom hold ink to zero
    # (Adam would otherwise move them as far as any other) and smooths the rest.
    regulariser = keras.regularizers.L2(LINEAR_L2) if kind == "linear" else None
    logits = layers.Dense(len(class_names), dtype=dtype, name="logits", kernel_regularizer=regulariser)(x)
    outputs = ClassSoftmax(class_names, name="classes")(logits)
    return keras.Model(inputs, outputs, name=f"quickdraw_{kind}")


def _cnn_body(x, image_size, seed, dtype):
    for block in range(conv_blocks(image_size)):
        for _ in range(2):
            x = layers.Conv2D(WIDTHS[block], 3, padding="same", use_bias=False, dtype=dtype)(x)
            x = layers.BatchNormalization(momentum=BN_MOMENTUM, dtype=dtype)(x)
            x = layers.ReLU(dtype=dtype)(x)
        x = layers.MaxPooling2D(dtype=dtype)(x)
        x = layers.Dropout(0.1 * (block + 1), seed=seed + block, dtype=dtype)(x)
    x = layers.Flatten(dtype=dtype)(x)
    x = layers.Dense(256, use_bias=False, dtype=dtype)(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, dtype=dtype)(x)
    x = layers.ReLU(dtype=dtype)(x)
    return layers.Dropout(0.5, seed=seed + 10, dtype=dtype)(x)


def _mlp_body(x, seed, dtype):
    x = layers.Flatten(dtype=dtype)(x)
    for i in range(2):
        x = layers.Dense(128, activation="relu", dtype=dtype)(x)
        x = layers.Dropout(0.2, seed=seed + i, dtype=dtype)(x)
    return x


def class_names(model: keras.Model) -> list[str]:
    """Return the class names stored in a classifier built by ``build_model``."""
    try:
        return list(model.get_layer("classes").class_names)
    except (ValueError, AttributeError):
        raise QuickDrawError(f"model {model.name!r} is not a qd classifier (no class names)")
