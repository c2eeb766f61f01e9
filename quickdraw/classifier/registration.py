"""Plain ``keras.models.load_model`` reads qd's ``model.keras`` files once ``quickdraw.classifier`` is imported.

A qd classifier holds qd's own Keras layers (the softmax that keeps the class names, the training-only
augmentation) and loss, registered with Keras when ``quickdraw.classifier.model`` is imported. That
module imports Keras, and importing ``quickdraw.classifier`` must stay light (a run folder is read
without TensorFlow), so the registration waits for Keras: it happens at once when Keras is already
imported, else just after Keras' own import finishes, in either order:

>>> import quickdraw.classifier, keras           # doctest: +SKIP
>>> keras.models.load_model("runs/cnn1/model.keras")  # doctest: +SKIP
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

LAYERS = "quickdraw.classifier.model"


def register_when_keras_loads() -> None:
    """Register qd's Keras objects now if Keras is loaded, else as soon as it is."""
    if "keras" in sys.modules:
        _register()
    elif not any(isinstance(finder, _AfterKeras) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterKeras())


def _register() -> None:
    try:
        importlib.import_module(LAYERS)
    except ImportError:  # Keras without a backend: loading fails later with Keras' own message
        pass


class _AfterKeras(importlib.abc.MetaPathFinder):
    """Finds nothing itself: on the first ``import keras`` it wraps Keras' loader to register qd's layers."""

    def find_spec(self, name, path=None, target=None):
        if name != "keras":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec("keras")
        if spec is not None and spec.loader is not None:
            spec.loader = _RegisteringLoader(spec.loader)
        return spec


class _RegisteringLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        _register()

    def __getattr__(self, name):  # get_resource_reader, is_package, ... of the real loader
        return getattr(self._loader, name)
