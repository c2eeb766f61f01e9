"""Input gradients on the TensorFlow backend: a ``tf.GradientTape`` inside one traced ``tf.function``.

See ``quickdraw.classifier.gradients`` for the contract; this is its TensorFlow half.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf


def gradient_function(model, objective):
    """``f(x, *args) -> (values, gradients)`` of ``objective(predict, x, *args)``, traced once per input shape."""

    def predict(v):
        return model(v, training=False)

    @tf.function(reduce_retracing=True)
    def step(x, *args):
        with tf.GradientTape() as tape:
            tape.watch(x)
            values = objective(predict, x, *args)
            total = tf.reduce_sum(values)
        return values, tape.gradient(total, x)

    def f(x, *args):
        values, grads = step(tf.convert_to_tensor(np.asarray(x, np.float32)), *(tf.convert_to_tensor(a) for a in args))
        return values.numpy(), grads.numpy()

    return f
