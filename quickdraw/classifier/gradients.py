"""Gradients of a classifier's outputs with respect to its input, on whichever Keras backend runs.

Keras 3 has no backend-neutral gradient, so each backend has a small module of its own
(``gradients_tensorflow``, ``gradients_jax``) and this one picks by ``keras.backend.backend()``.
Everything else an explanation computes is ``keras.ops`` and numpy.

``objective(predict, x, *args)`` says what to differentiate: ``predict(v)`` runs the model on a
float batch ``v`` (training off) and returns its output; the objective returns one value per
example (``keras.ops`` only). ``gradient_function(model, objective)`` compiles it once and returns
``f(x, *args) -> (values, gradients)``: numpy in, numpy out, the gradient of each example's value
with respect to its own input.

>>> f = gradient_function(logits_model, lambda predict, x, c: ops.take_along_axis(
...     predict(x), c[:, None], axis=1)[:, 0])  # doctest: +SKIP
>>> values, grads = f(np.zeros((4, 28, 28, 1), np.float32), np.array([0, 1, 2, 3]))  # doctest: +SKIP
"""
from __future__ import annotations

import importlib
import weakref

import keras

from ..errors import QuickDrawError

BACKENDS = {"tensorflow": "gradients_tensorflow", "jax": "gradients_jax"}
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def gradient_function(model, objective):
    """Compile ``objective`` of ``model`` into ``f(x, *args) -> (values, gradients)`` (see the module)."""
    backend = keras.backend.backend()
    if backend not in BACKENDS:
        raise QuickDrawError(f"explanations need gradients, which qd computes on the TensorFlow or JAX backend, "
                             f"not {backend}: set KERAS_BACKEND=tensorflow or jax")
    return importlib.import_module(f".{BACKENDS[backend]}", __package__).gradient_function(model, objective)


def compiled_once(model, name: str, build):
    """``build()``'s result, built once per ``model`` and ``name`` and kept while the model lives.

    Tracing a gradient takes about a second; a window asking for a saliency map after every stroke
    pays it once.
    """
    per_model = _COMPILED.setdefault(model, {})
    if name not in per_model:
        per_model[name] = build()
    return per_model[name]
