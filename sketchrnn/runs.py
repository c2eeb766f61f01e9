"""A Sketch-RNN run folder (RUNDIR): the one place that reads and writes its files.

RUNDIR holds ``run.json`` (kind "sketchrnn", classes, scale factor, step, seed, best validation),
``hparams.json``, ``checkpoint.npz`` (latest weights, optimiser state and step, for ``--resume``),
``best.npz`` (the weights of the lowest validation cost so far: what sampling and evaluation load,
as Magenta keeps only its best-validated model), ``losses.json`` (train curves per step,
validation every ``save_every`` steps), ``losses.png`` and ``samples.png``. Files are written
atomically. A trainer holds ``.train.lock`` (its pid inside) while it writes the folder
(``training_lock``).

>>> run = load_run("runs/eye")  # doctest: +SKIP
>>> run.hp.dec_rnn_size, run.info["weights_step"]  # doctest: +SKIP
(512, 1500)
"""
from __future__ import annotations

import json
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from quickdraw.core import validate
from quickdraw.core.atomic import write_atomic
from quickdraw.errors import QuickDrawError
from quickdraw.fetch.cache import exclusive

from .config import HParams

RUN_FILE = "run.json"
HPARAMS_FILE = "hparams.json"
CHECKPOINT_FILE = "checkpoint.npz"
BEST_FILE = "best.npz"
LOSSES_FILE = "losses.json"
LOCK = ".train"
LOCK_FILE = LOCK + ".lock"
SYNTHETIC_NOTE = "SYNTHETIC doodles (not Quick, Draw! data)"
RUN_FILES = (RUN_FILE, HPARAMS_FILE, CHECKPOINT_FILE, BEST_FILE, LOSSES_FILE, "losses.png", "samples.png")


@dataclass
class Run:
    """A loaded run: the model with its weights, hyperparameters and ``run.json`` contents."""

    model: object
    hp: HParams
    info: dict
    path: Path

    @property
    def scale(self) -> float:
        """The training set's scale factor (offsets are divided by it)."""
        return float(self.info["scale_factor"])


def read_info(rundir) -> dict:
    """Return ``run.json`` of a Sketch-RNN run, or raise QuickDrawError saying what RUNDIR is instead."""
    path = Path(rundir) / RUN_FILE
    if not path.is_file():
        raise QuickDrawError(f"{rundir} is not a training run (no {RUN_FILE}); train one with `qd train-rnn`")
    info = validate.json_object(path)
    if info.get("kind") != "sketchrnn":
        raise QuickDrawError(f"{rundir} holds a run of kind {info.get('kind')!r}, not a Sketch-RNN; "
                             "use a RUNDIR made by `qd train-rnn`")
    return info


def read_trained_info(rundir) -> dict:
    """``read_info``, also refusing a ``run.json`` without the fields that training writes first."""
    info = read_info(rundir)
    scale, seed = info.get("scale_factor"), info.get("seed", 0)
    if not isinstance(info.get("classes"), list) or isinstance(scale, bool) or not isinstance(scale, (int, float)) \
            or not (isinstance(seed, int) and 0 <= seed < 2 ** 32) or not isinstance(info.get("step", 0), int):
        raise QuickDrawError(f"{Path(rundir) / RUN_FILE} is corrupt (its classes, scale_factor, seed or step "
                             "are missing or wrong)")
    return info


def read_hparams(rundir) -> HParams:
    """Return the hyperparameters saved in RUNDIR/hparams.json."""
    path = Path(rundir) / HPARAMS_FILE
    values = validate.json_object(path)
    try:
        return HParams.from_dict(values)
    except (QuickDrawError, TypeError, ValueError) as err:
        raise QuickDrawError(f"{path} is corrupt ({err})") from None


def load_run(rundir) -> Run:
    """Load a trained run for sampling or evaluation: its best-validated weights (``best.npz``),
    or the latest checkpoint's in a run folder without them. ``info["weights_step"]`` says which step."""
    from .model import build_model

    info = read_trained_info(rundir)
    hp = read_hparams(rundir)
    model = build_model(hp)
    name = BEST_FILE if (Path(rundir) / BEST_FILE).is_file() else CHECKPOINT_FILE
    arrays = read_checkpoint(rundir, name)
    assign(model.variables, arrays, "model", rundir, name)
    return Run(model, hp, {**info, "weights_step": int(arrays["step"])}, Path(rundir))


def read_checkpoint(rundir, name: str = CHECKPOINT_FILE) -> dict:
    """Return the arrays of RUNDIR/``name`` (``checkpoint.npz`` or ``best.npz``) by name."""
    path = Path(rundir) / name
    if not path.is_file():
        raise QuickDrawError(f"{rundir} has no {CHECKPOINT_FILE} yet; train it with `qd train-rnn`")
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except (OSError, ValueError, EOFError, TypeError, AttributeError, zipfile.BadZipFile, zlib.error) as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise QuickDrawError(f"{path} is corrupt ({first}); train again or restore it") from None
    if not isinstance(arrays, dict) or "step" not in arrays or arrays["step"].shape != ():
        raise QuickDrawError(f"{path} is corrupt (no training step in it); train again or restore it")
    if not all(np.isfinite(a).all() for a in arrays.values() if a.dtype.kind in "fc"):
        raise QuickDrawError(f"{path} holds weights that are not finite numbers (a training that diverged?); "
                             "train again with a lower learning_rate")
    return arrays


def assign(variables, arrays: dict, prefix: str, rundir, name: str = CHECKPOINT_FILE) -> None:
    """Set ``variables`` from ``arrays["<prefix>/<i>"]``; refuse arrays that do not fit them."""
    values = [arrays.get(f"{prefix}/{i}") for i in range(len(variables))]
    if f"{prefix}/{len(variables)}" in arrays or any(
            v is None or tuple(v.shape) != tuple(var.shape) for v, var in zip(values, variables)):
        raise QuickDrawError(f"{rundir}/{name} does not fit the model of {HPARAMS_FILE}; "
                             "the run folder is inconsistent")
    for var, value in zip(variables, values):
        var.assign(value)


def training_lock(rundir):
    """Hold RUNDIR's training lock for the block (``with training_lock(rundir):``); a QuickDrawError
    naming the holder's pid when another process holds it. RUNDIR must exist."""
    return exclusive(Path(rundir) / LOCK, "training it")


def clear_run(rundir: Path) -> None:
    """Remove a Sketch-RNN run's files for ``--force``; refuse if the folder holds anything else."""
    rundir = Path(rundir)
    read_info(rundir)
    entries = [p for p in rundir.iterdir() if p.name != LOCK_FILE]  # the lock is this trainer's own
    others = sorted(p.name for p in entries if p.name not in RUN_FILES and not p.name.startswith("."))
    if others:
        raise QuickDrawError(f"--force replaces a Sketch-RNN run, but {rundir} also holds "
                             f"{', '.join(others[:3])}; move them or choose another folder")
    for p in entries:
        if p.is_dir():
            raise QuickDrawError(f"--force replaces a Sketch-RNN run's files, but {p} is a folder; move it")
        p.unlink()


def write_checkpoint(rundir: Path, model, optimizer, step: int, name: str = CHECKPOINT_FILE) -> None:
    """Write the model's weights and the step (and the optimiser's state unless ``optimizer`` is None)."""
    arrays = {f"model/{i}": np.asarray(v) for i, v in enumerate(model.variables)}
    if optimizer is not None:
        arrays.update({f"optimizer/{i}": np.asarray(v) for i, v in enumerate(optimizer.variables)})
    arrays["step"] = np.array(step)
    atomic_write(rundir / name, lambda f: np.savez(f, **arrays), binary=True)


def atomic_write(path: Path, write, binary: bool = False) -> Path:
    """Call ``write(file)`` on an open file (text unless ``binary``) through qd's one atomic writer
    (``quickdraw.core.atomic.write_atomic``: a temporary name beside ``path``, renamed when whole); return ``path``."""
    def fill(tmp: Path) -> None:
        with open(tmp, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as f:
            write(f)

    return write_atomic(path, fill)


def write_json(path: Path, data) -> None:
    """Write ``data`` as indented JSON to ``path``, atomically; NaN or infinity in it is a bug, refused."""
    text = json.dumps(data, indent=1, allow_nan=False) + "\n"
    atomic_write(path, lambda f: f.write(text))


def read_history(out: Path, empty: dict) -> dict:
    """Return RUNDIR/losses.json, or ``empty`` when it is missing or unreadable."""
    try:
        return json.loads((out / LOSSES_FILE).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return empty

