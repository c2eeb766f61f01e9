"""qd: a toolkit for Google's Quick, Draw! dataset (CC BY 4.0) and sketch models.

Heavy parts (TensorFlow) load only when used.
"""
__version__ = "0.1.0"

from .categories import names as category_names, resolve as resolve_category
from .drawing import Drawing
from .errors import QuickDrawError

ATTRIBUTION = ('Data: Google Creative Lab, "The Quick, Draw! Dataset", CC BY 4.0, '
               "https://github.com/googlecreativelab/quickdraw-dataset")

__all__ = ["ATTRIBUTION", "__version__", "Drawing", "QuickDrawError", "category_names", "resolve_category"]
