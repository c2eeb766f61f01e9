"""The ``qd`` entry point: one sub-command per user task, errors printed as one line."""
from __future__ import annotations

import argparse
import importlib
import os
import sys

# TensorFlow's C++ log (oneDNN fallbacks, CUDA probes) is noise to qd's users; TF_CPP_MIN_LOG_LEVEL=0 shows it.
# Set before quickdraw loads, which mutes TensorFlow's import (quickdraw.core.quiet_tensorflow) at this level.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from quickdraw.core import quiet_tensorflow, validate  # noqa: E402
from quickdraw.errors import QuickDrawError  # noqa: E402

# Each module defines register(subparsers); a command sets ``func(args) -> int | None``.
COMMAND_MODULES = ["cli.data", "cli.info", "cli.dataset", "cli.cnn", "cli.rnn", "cli.evaluate", "cli.complete",
                   "cli.models", "cli.play", "cli.web", "cli.explain"]


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


def main(argv: list[str] | None = None) -> int:
    """Run ``qd`` with ``argv``; return the exit status (0 ok, 1 user error, 130 interrupted)."""
    quiet_tensorflow.announce = True
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        with validate.speaking_flags():
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
