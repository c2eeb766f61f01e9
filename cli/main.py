"""The ``qd`` entry point: one sub-command per user task, errors printed as one line."""
from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.abc
import importlib.util
import os
import sys

from quickdraw.errors import QuickDrawError

# Each module defines register(subparsers); a command sets ``func(args) -> int | None``.
COMMAND_MODULES = ["cli.data", "cli.info", "cli.dataset", "cli.cnn", "cli.rnn", "cli.evaluate", "cli.complete",
                   "cli.models", "cli.play"]


def build_parser() -> argparse.ArgumentParser:
    """Return the full ``qd`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="qd",
        description="Quick, Draw! toolkit: download subsets, build tf.data datasets, "
        "train a CNN classifier and a Sketch-RNN that completes your drawings.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


@contextlib.contextmanager
def _stderr_to_devnull():
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class _QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    """Imports TensorFlow with file descriptor 2 on /dev/null: its C++ libraries print CUDA probes
    ("Could not find cuda drivers") through absl before any log level applies (tensorflow#100442).
    The devices are listed there too, so that the "failed call to cuInit" of a machine without a
    GPU stays quiet as well."""

    def find_spec(self, name, path, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            exec_module = spec.loader.exec_module

            def quiet_exec(module):
                with _stderr_to_devnull():
                    exec_module(module)
                    module.config.list_physical_devices()

            spec.loader.exec_module = quiet_exec
        return spec


def main(argv: list[str] | None = None) -> int:
    """Run ``qd`` with ``argv``; return the exit status (0 ok, 1 user error, 130 interrupted)."""
    # TensorFlow's C++ log (oneDNN fallbacks, CUDA probes) is noise to qd's users; TF_CPP_MIN_LOG_LEVEL=0 shows it
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if os.environ["TF_CPP_MIN_LOG_LEVEL"] >= "2" and "tensorflow" not in sys.modules:
        sys.meta_path.insert(0, _QuietTensorFlowImport())
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except QuickDrawError as err:
        print(f"qd: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("qd: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
