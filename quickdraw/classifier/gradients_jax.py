"""Input gradients on the JAX backend: ``jax.value_and_grad`` of the model's stateless call, jitted once.

See ``quickdraw.classifier.gradients`` for the contract; this is its JAX half. The weights are
passed to the compiled function as arguments (``stateless_call``), not baked into it.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def gradient_function(model, objective):
    """``f(x, *args) -> (values, gradients)`` of ``objective(predict, x, *args)``, compiled once per input shape."""

    def total(x, trainable, non_trainable, *args):
        def predict(v):
            return model.stateless_call(trainable, non_trainable, v, training=False)[0]

        values = objective(predict, x, *args)
        return jnp.sum(values), values

    step = jax.jit(jax.value_and_grad(total, has_aux=True))

    def f(x, *args):
        trainable = [v.value for v in model.trainable_variables]
        non_trainable = [v.value for v in model.non_trainable_variables]
        (_, values), grads = step(jnp.asarray(x, jnp.float32), trainable, non_trainable, *(jnp.asarray(a) for a in args))
        return np.asarray(values), np.asarray(grads)

    return f
