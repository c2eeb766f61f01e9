"""A quiet TensorFlow import: its C++ start-up lines (CUDA probes, CPU features) go to /dev/null.

TensorFlow's C++ libraries print through absl before any log level applies ("Could not find cuda
drivers", tensorflow#100442), and print them twice (tensorflow and Keras both load them).
``install()`` puts a finder first on ``sys.meta_path`` that runs TensorFlow's import with file
descriptor 2 on /dev/null and lists the devices there too, so that the "failed call to cuInit" of a
machine without a GPU stays quiet as well. Python errors still surface: only the C++ stream is
muted, and only during that import. ``TF_CPP_MIN_LOG_LEVEL`` below 2 (e.g. 0) keeps everything.
"""
from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import sys

# Set by the qd command: say so on a terminal when TensorFlow starts loading (it takes seconds).
announce = False


@contextlib.contextmanager
def stderr_to_devnull():
    """Point file descriptor 2 at /dev/null inside the block (C and C++ writes included)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    """The finder ``install`` adds: it mutes the first import of ``tensorflow`` and then removes itself."""

    def find_spec(self, name, path, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            exec_module = spec.loader.exec_module

            def quiet_exec(module):
                if announce and sys.stderr.isatty():
                    print("qd: loading TensorFlow...", file=sys.stderr, flush=True)
                with stderr_to_devnull():
                    exec_module(module)
                    module.config.list_physical_devices()

            spec.loader.exec_module = quiet_exec
        return spec


def install(level: str = "2") -> None:
    """Mute TensorFlow's coming import unless it happened already or ``TF_CPP_MIN_LOG_LEVEL`` < 2.

    ``level`` is the ``TF_CPP_MIN_LOG_LEVEL`` set when the user set none.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", level)
    if (os.environ["TF_CPP_MIN_LOG_LEVEL"] >= "2" and "tensorflow" not in sys.modules
            and not any(isinstance(f, QuietTensorFlowImport) for f in sys.meta_path)):
        sys.meta_path.insert(0, QuietTensorFlowImport())
