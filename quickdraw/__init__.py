"""qd: a toolkit for Google's Quick, Draw! dataset (CC BY 4.0) and sketch models.

>>> import quickdraw
>>> for d in quickdraw.drawings("cat", count=3):  # doctest: +SKIP
...     print(d.countrycode, len(d.strokes))
>>> quickdraw.build(["cat", "dog"], count=2000, out="homework/")  # doctest: +SKIP
>>> train = quickdraw.load("homework/", "bitmap", split="train")  # doctest: +SKIP
>>> quickdraw.render([[[[0, 255], [0, 255]]]], size=28).shape
(1, 28, 28)
>>> quickdraw.simplify([[[0, 100], [0, 50], [0, 16]]])
[[[0, 255], [0, 128]]]

Heavy parts (requests, TensorFlow) load only when first used. Importing qd before TensorFlow turns on
TensorFlow's oneDNN kernels, which it leaves off on CPUs without AVX-512 although they train qd's
models much faster there (set TF_ENABLE_ONEDNN_OPTS=0 to keep them off).
"""
import os

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

from .core.quiet_tensorflow import install as _quiet_tensorflow  # noqa: E402

_quiet_tensorflow()  # TensorFlow's C++ start-up lines stay off the terminal (TF_CPP_MIN_LOG_LEVEL=0 keeps them)

from .builder.export import export
from .categories import names as category_names, resolve as resolve_category
from .core.about import ATTRIBUTION, __version__
from .errors import QuickDrawError
from .fetch.download import download, drawings
from .formats.drawing import Drawing
from .raster.render import render
from .raster.simplify import simplify

# Functions whose module has another name load on first use; the rest are imported above.
_LAZY = {"build": "builder.subset", "open_dataset": "builder.folder", "load": "pipeline.tfds",
         "show_examples": "pipeline.tfds", "plot": "builder.preview", "QuickDrawData": "compat",
         "QuickDrawDataGroup": "compat", "QuickDrawing": "compat", "QuickDrawAnimation": "compat"}

__all__ = ["ATTRIBUTION", "__version__", "Drawing", "QuickDrawError", "category_names", "resolve_category",
           "download", "drawings", "export", "render", "simplify", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        import importlib
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
