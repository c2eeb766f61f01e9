"""``qd evaluate`` for Sketch-RNN: Magenta's losses of a run's best weights on a split of a source.

>>> evaluate_run("runs/eye", "../shared/quickdraw/sketchrnn/eye.npz")["recon"]  # doctest: +SKIP
0.034
"""
from __future__ import annotations

from pathlib import Path

from quickdraw.errors import QuickDrawError

from .data import load_for_model
from .models import load
from .runs import SYNTHETIC_NOTE
from .train import Steps, evaluate_sequences, make_optimizer


def evaluate_run(rundir, source, split: str = "test", **where) -> dict:
    """Evaluate a run's best weights on ``split`` of SOURCE; return Magenta's losses (Lr with pen loss on
    real points, raw KL) and "weights_step", the training step of the weights evaluated.

    SOURCE is a sketchrnn ``.npz`` or a dataset folder (restricted to the run's classes; one holding
    none of them is refused). Lr is Magenta's: the offset mixture NLL and the pen cross-entropy summed
    over each sketch's real points, divided by (sketches x the model's ``max_seq_len``), sketches
    longer than ``max_seq_len`` left out. Offsets are divided by the model's own scale factor, except
    for an official model on a dataset folder, whose drawings are in the 0-255 frame: there the frame
    is mapped onto the model's drawing size (``sketchrnn.models.frame_scale``). "scale" says which.
    """
    in_frame = Path(str(source)).is_dir()
    run = load(rundir, frame=in_frame, **where)
    data = load_for_model(source, run.info["classes"], run.hp.max_seq_len, splits=(split,))
    sequences = data.splits[split]
    if not sequences:
        raise QuickDrawError(f"{source} has no sketches of at most {run.hp.max_seq_len} points in split {split!r}")
    steps = Steps(run.model, make_optimizer(run.model, run.hp), run.hp)
    metrics = evaluate_sequences(steps, sequences, run.scale, run.hp, seed=0)
    mapped = in_frame and run.info.get("in_frame") is False
    scale = {"offsets_divided_by": round(run.scale, 6),
             "which": "the 0-255 frame mapped onto the model's drawing size" if mapped else "the model's own"}
    return {"split": split, "sketches": len(sequences), "dropped_too_long": data.dropped[split], "scale": scale,
            "weights_step": run.info["weights_step"],
            **({"model": run.info["pretrained"]} if run.info.get("pretrained") else {}),
            "classes": data.classes, **{k: round(v, 6) for k, v in metrics.items()},
            **({"note": SYNTHETIC_NOTE} if data.synthetic or run.info.get("synthetic") else {})}

