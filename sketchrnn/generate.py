"""What ``qd generate``, ``qd reconstruct`` and ``qd interpolate`` do with a trained Sketch-RNN.

>>> generate("runs/eye", n=16, out="eyes.png")  # doctest: +SKIP
'wrote 16 generated sketches to eyes.png'
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from quickdraw.core import validate
from quickdraw.errors import QuickDrawError
from quickdraw.formats.strokes import to_stroke3

from .complete import read_partial, writable_out
from .data import load_for_model, load_source
from .models import sampler as load_sampler
from .plots import save_grid, save_ndjson
from .sample import Sampler, check_temperature

MAX_SKETCHES = 256  # of one generate or reconstruct grid
MAX_STEPS = 64  # of one interpolation strip


def generate(rundir, n: int = 16, temperature: float = 0.5, seed: int = 0, out="generated.png", **where) -> str:
    """Draw ``n`` sketches from random latent codes; write a PNG grid or ndjson ``out``; return a summary.

    ``rundir`` is a run folder, a ``.gen.json`` file or an official model name (``sketchrnn.models``);
    ``where`` takes ``model_mirror`` and ``cache_dir`` for the official models.
    """
    temperature = check_temperature(temperature)
    n, seed = validate.integer("--n", n, 1, MAX_SKETCHES), validate.seed(seed)
    out = writable_out(out)
    if out.suffix.lower() not in (".png", ".ndjson"):
        raise QuickDrawError(f"{out}: --out must end in .png or .ndjson")
    sampler = load_sampler(rundir, **where)
    sketches = sampler.sample(n, temperature, seed)
    if out.suffix.lower() == ".ndjson":
        save_ndjson(sketches, out, word=sampler.classes[0] if len(sampler.classes) == 1 else "")
    else:
        save_grid(sketches, out, cols=min(n, 8), label=_label(sampler, rundir, f"{n} samples, temperature "
                                                                            f"{temperature:g}, seed {seed}"))
    note = " (model trained on SYNTHETIC doodles)" if sampler.synthetic else ""
    return f"wrote {n} generated sketches to {out}{note}"


def reconstruct(rundir, source, n: int = 8, temperature: float = 0.5, seed: int = 0, out="reconstruct.png",
                **where) -> str:
    """Encode the first ``n`` test sketches of SOURCE and decode them; write inputs over reconstructions.

    A dataset folder gives only sketches of the model's classes (``data.load_for_model``).
    """
    temperature = check_temperature(temperature)
    n, seed = validate.integer("--n", n, 1, MAX_SKETCHES), validate.seed(seed)
    writable_out(out)
    sampler = load_sampler(rundir, **where)
    data = load_for_model(source, sampler.classes, sampler.hp.max_seq_len, splits=("test",))
    inputs = data.splits["test"][:n]
    if not inputs:
        raise QuickDrawError(f"{source} has no test sketches of at most {sampler.hp.max_seq_len} points")
    outputs = sampler.reconstruct(inputs, temperature, seed)
    k = len(inputs)
    save_grid([*inputs, *outputs], out, cols=k, titles=["input"] * k + ["reconstruction"] * k,
              label=_label(sampler, rundir, f"reconstructions at temperature {temperature:g}, seed {seed}",
                           data.synthetic))
    return f"wrote {k} sketches and their reconstructions to {out}"


def interpolate(rundir, a, b, steps: int = 8, temperature: float = 0.5, seed: int = 0,
                out="interpolate.png", **where) -> str:
    """Decode ``steps`` latent codes on the great circle from sketch ``a`` to sketch ``b``; write a strip."""
    temperature = check_temperature(temperature)
    steps, seed = validate.integer("--steps", steps, 2, MAX_STEPS), validate.seed(seed)
    writable_out(out)
    sampler = load_sampler(rundir, **where)
    first, last = read_sketch(a, sampler.classes), read_sketch(b, sampler.classes)
    path = sampler.interpolate(first, last, steps, temperature, seed)
    titles = ["A"] + [f"{t:.2f}" for t in np.linspace(0, 1, steps)] + ["B"]
    save_grid([first, *path, last], out, cols=steps + 2, titles=titles,
              label=_label(sampler, rundir, f"spherical interpolation A -> B, temperature {temperature:g}"))
    return f"wrote {steps} interpolated sketches between {a} and {b} to {out}"


def read_sketch(spec, classes=None) -> np.ndarray:
    """Read one sketch as stroke-3 from ``PATH`` or ``PATH:N``.

    PATH is a sketchrnn ``.npz`` or a dataset folder (N-th sketch of the test split, counting only
    sketches of ``classes`` when given) or a drawing file that ``qd complete`` reads (.ndjson line N,
    stroke-3 .npy, strokes .json).
    """
    text = str(spec)
    path, index = Path(text), 0
    if not path.exists() and ":" in text:
        head, _, tail = text.rpartition(":")
        if not tail.isdigit():
            raise QuickDrawError(f"{text}: the part after ':' must be a sketch number")
        path, index = Path(head), int(tail)
    if not path.exists():
        raise QuickDrawError(f"{path}: no such file or dataset folder")
    if path.is_dir() or path.suffix.lower() == ".npz":
        data = (load_for_model(path, classes, 10 ** 9, splits=("test",)) if classes
                else load_source(path, None, 10 ** 9, splits=("test",)))
        sketches = data.splits["test"]
        if index >= len(sketches):
            of = f" of {', '.join(data.classes)}" if path.is_dir() else ""
            raise QuickDrawError(f"{path} has {len(sketches)} test sketches{of}; there is no number {index}")
        return np.asarray(sketches[index], np.float32)
    return to_stroke3(read_partial(path, index=index), dtype=np.float32)


def _label(sampler: Sampler, rundir, what: str, synthetic_input: bool = False) -> str:
    kind = "official Sketch-RNN" if sampler.temperature_rule == "sketch-rnn-js" else "Sketch-RNN"
    label = f"{kind} {sampler.name or Path(str(rundir)).name} ({', '.join(sampler.classes)}): {what}"
    if sampler.synthetic or synthetic_input:
        label += " - SYNTHETIC doodles, not Quick, Draw! data"
    return label

