"""Where every command finds its Sketch-RNN: a run folder, a ``.gen.json`` file, or an official model's name.

An existing path wins (a ``qd train-rnn`` run folder, or a sketch-rnn-js ``.gen.json`` file);
anything else is looked up among the official pretrained models as forgivingly as categories are
(``palm tree``, ``palm_tree``, ``Palm-Tree``) and fetched into the cache, or refused with close names.

>>> run = load("bird")            # doctest: +SKIP
>>> run = load("runs/eye")        # doctest: +SKIP
"""
from __future__ import annotations

from pathlib import Path

from . import official
from .runs import Run, load_run, read_info


def load(spec, *, model_mirror: str | None = None, cache_dir=None, quiet: bool = True) -> Run:
    """Load the Sketch-RNN that ``spec`` names (see the module's docstring)."""
    path = Path(str(spec))
    if path.is_dir():
        return load_run(path)
    if path.is_file() and path.name.endswith(official.SUFFIX):
        return official.load_file(path)
    if path.is_file():
        read_info(path)  # says what the file is not
    return official.load_name(str(spec), model_mirror, cache_dir, quiet=quiet)


def check(spec) -> None:
    """Fail early, before anything heavy loads, when ``spec`` names no run folder, model file or model name."""
    path = Path(str(spec))
    if path.is_dir():
        read_info(path)
    elif not (path.is_file() and path.name.endswith(official.SUFFIX)):
        official.resolve(str(spec))
