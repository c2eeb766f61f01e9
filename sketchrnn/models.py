"""Where every command finds its Sketch-RNN: a run folder, a ``.gen.json`` file, or an official model's name.

An existing path wins (a ``qd train-rnn`` run folder, or a sketch-rnn-js ``.gen.json`` file);
anything else is looked up among the official pretrained models as forgivingly as categories are
(``palm tree``, ``palm_tree``, ``Palm-Tree``) and fetched into the cache, or refused with close names.

>>> run = load("bird")            # doctest: +SKIP
>>> run = load("runs/eye")        # doctest: +SKIP
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import official
from .runs import Run, load_run, read_info
from .sample import Sampler

FRAME_SAMPLES, FRAME_TEMPERATURE, FRAME_SEED = 16, 0.25, 0  # how an official model's own drawing size is measured


def load(spec, *, model_mirror: str | None = None, cache_dir=None, quiet: bool = True, frame: bool = True) -> Run:
    """Load the Sketch-RNN that ``spec`` names (see the module's docstring).

    With ``frame`` (the default), an official model's ``scale_factor`` becomes the frame mapping
    (``frame_scale``), for drawings in the dataset's 0-255 frame; ``frame=False`` keeps the model's
    own, for data in its own units (a sketchrnn ``.npz``). Runs and qd's exports keep theirs either way.
    """
    path = Path(str(spec))
    if path.is_dir():
        return load_run(path)
    if path.is_file() and path.name.endswith(official.SUFFIX):
        run = official.load_file(path)
    elif path.is_file():
        read_info(path)  # says what the file is not
    else:
        run = official.load_name(str(spec), model_mirror, cache_dir, quiet=quiet)
    if frame and not run.info["in_frame"]:
        run.info["scale_factor"] = frame_scale(run)
    return run


def sampler(spec, **where) -> Sampler:
    """The ``Sampler`` of the Sketch-RNN that ``spec`` names (``where``: ``model_mirror``, ``cache_dir``)."""
    return Sampler.from_run(load(spec, **where))


def frame_scale(run: Run) -> float:
    """The scale that maps the dataset's 0-255 frame onto an official model's own drawing size.

    The official models draw about 3-4 times larger (in their training data's units) than the
    dataset's frame. qd measures each model's typical size once, as the median longest side of 16
    samples at temperature 0.25 (seed 0), and divides offsets by ``scale_factor x 255 / size``
    instead of ``scale_factor``: partial drawings in the frame then look to the model like the
    drawings it learned, and its sketches come back at the frame's size.
    """
    sizes = [np.ptp(np.cumsum(s[:, :2], axis=0), axis=0).max() for s in
             Sampler.from_run(run).sample(FRAME_SAMPLES, FRAME_TEMPERATURE, FRAME_SEED) if len(s) > 1]
    size = float(np.median(sizes)) if sizes else official.FRAME
    return run.scale * official.FRAME / max(size, 1e-6)


def check(spec) -> None:
    """Fail early, before anything heavy loads, when ``spec`` names no run folder, model file or model name."""
    path = Path(str(spec))
    if path.is_dir():
        read_info(path)
    elif not (path.is_file() and path.name.endswith(official.SUFFIX)):
        official.resolve(str(spec))
