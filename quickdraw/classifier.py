"""Train, evaluate and use the doodle classifier (a CNN, or the MLP baseline) on a dataset's bitmaps.

A run folder (RUNDIR) holds ``run.json`` ({"kind": "cnn", settings...}), ``model.keras`` (raw 0-255
bitmaps in, class probabilities out, class names inside), ``history.json``, ``curves.png``,
``confusion.png`` and ``metrics.json``; while training, ``checkpoint/`` holds what ``resume`` needs.

>>> metrics = train("homework/", "runs/cnn1", epochs=5)  # doctest: +SKIP
>>> Classifier("runs/cnn1").top(drawing.strokes)  # doctest: +SKIP
[('cat', 0.91), ('dog', 0.05), ('bird', 0.02)]
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import keras
import numpy as np

from . import cnn_model
from .dataset_folder import open_dataset
from .errors import QuickDrawError

KIND = "cnn"
CHECKPOINT = "checkpoint"
LABEL_SMOOTHING = 0.1
WEIGHT_DECAY = 1e-4
EVAL_BATCH = 512
TOP_K = 3
FRAME_SLACK = 8  # units a simplified drawing may fall short of its frame's edges
# Training files that --force replaces; anything else in the folder makes it "not a run folder".
RUN_FILES = ("run.json", "model.keras", "history.json", "curves.png", "confusion.png", "metrics.json", CHECKPOINT)
DEVICE_SETTINGS = ("xla", "distribute")  # may change on resume: they leave the variables alike


@dataclass
class Settings:
    """What a training run was asked for; stored in run.json so that ``resume`` continues alike."""

    model: str = "cnn"
    epochs: int = 15
    batch_size: int = 128
    lr: float = 2e-3
    patience: int = 4
    augment: bool = False
    mixed_precision: bool = False
    xla: bool = False
    distribute: bool = False
    seed: int = 0

    def check(self) -> None:
        """Raise QuickDrawError for values training cannot use."""
        for name, low in (("epochs", 1), ("batch_size", 1), ("patience", 1)):
            if getattr(self, name) < low:
                raise QuickDrawError(f"--{name.replace('_', '-')} must be at least {low}, not {getattr(self, name)}")
        if not self.lr > 0:
            raise QuickDrawError(f"--lr must be positive, not {self.lr}")


def train(dataset, out, *, resume: bool = False, force: bool = False, verbose: int | None = None,
          **settings) -> dict:
    """Train a classifier on the bitmaps of ``dataset`` into the run folder ``out``; return the test metrics.

    ``settings`` are the fields of ``Settings`` (model, epochs, batch_size, lr, patience, augment,
    mixed_precision, xla, distribute, seed); None or absent means the default, or with ``resume``
    the run's own. Early stopping watches validation loss and restores the best epoch's weights;
    each epoch is checkpointed, so an interrupted run continues with ``resume=True``. ``force``
    replaces a run already in ``out``. ``verbose`` is Keras' (default: a bar on a terminal, else a
    line per epoch).
    """
    folder = open_dataset(dataset)
    classes = folder.classes
    if len(classes) < 2:
        raise QuickDrawError(f"{dataset} has {len(classes)} class; a classifier needs at least 2")
    rundir = Path(out)
    given = {k: v for k, v in settings.items() if v is not None}
    unknown = set(given) - {f.name for f in fields(Settings)}
    if unknown:
        raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
    run, s = _start_run(rundir, folder, given, resume, force)
    verbose = (1 if sys.stdout.isatty() else 2) if verbose is None else verbose
    x_train, y_train = _split(folder, "train")
    x_valid, y_valid = _split(folder, "valid")

    devices = accelerators()
    scope, replicas = _distribution(s.distribute)
    with scope:
        model = compiled_model(s, folder.image_size, classes, math.ceil(len(x_train) / s.batch_size), devices)
        keeper = _RunKeeper(rundir, s.patience, len(x_train))
        if resume:
            keeper.restore(model)
        else:
            prime_batch_norm(model, x_train[:EVAL_BATCH, ..., None])
    if verbose:
        where = f"{replicas} {devices[0]} replicas" if replicas > 1 else f"1 {devices[0]}"
        print(f"training {s.model} on {len(x_train)} drawings of {len(classes)} classes "
              f"({folder.image_size}x{folder.image_size}), validating on {len(x_valid)}; "
              f"{keras.backend.backend()} on {where}" + (", SYNTHETIC data" if folder.synthetic else ""))
    model.fit(**_fit_inputs(x_train, y_train, s.batch_size, s.seed), epochs=s.epochs,
              initial_epoch=keeper.epochs_done, validation_data=_eval_inputs(x_valid, y_valid),
              callbacks=[keeper], verbose=verbose)
    keeper.load_best(model)
    _save_model(model, rundir / "model.keras")
    metrics = evaluate_model(model, folder, "test")
    metrics.update(best_epoch=keeper.best_epoch, epochs_run=len(keeper.history),
                   examples_per_s=_typical_rate(keeper.history), backend=keras.backend.backend(),
                   device=f"{replicas} x {devices[0]}", synthetic=folder.synthetic)
    _finish(rundir, run, metrics, keeper.history, classes)
    return metrics


def compiled_model(s: Settings, image_size: int, classes, steps_per_epoch: int, devices=None):
    """The ``s.model`` classifier, seeded and compiled as ``train`` trains it (``devices`` from ``accelerators``)."""
    keras.utils.set_random_seed(s.seed)
    policy = _policy(s.mixed_precision, devices or accelerators())
    model = cnn_model.build_model(s.model, image_size, classes, augment=s.augment, seed=s.seed, dtype=policy)
    model.compile(_optimizer(s, steps_per_epoch, policy), _loss(), metrics=[_accuracy()],
                  jit_compile=s.xla or keras.backend.backend() == "jax")
    return model


def prime_batch_norm(model, bitmaps) -> None:
    """Start each BatchNormalization's moving statistics at those of ``bitmaps`` (one training batch).

    Keras starts them at mean 0 and variance 1, far from a doodle CNN's (variances near 0.005): the few
    dozen steps of a small dataset's first epochs would not wash that out, and validation, which uses
    them, would sit at chance while training accuracy climbs.
    """
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    momenta = [layer.momentum for layer in norms]
    for layer in norms:
        layer.momentum = 0.0
    model(bitmaps, training=True)
    for layer, momentum in zip(norms, momenta):
        layer.momentum = momentum


def accelerators() -> list[str]:
    """Kinds of the devices Keras' backend trains on: one "GPU" per GPU, else one "CPU" per CPU device."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_logical_devices("GPU")
        return ["GPU"] * len(gpus) if gpus else ["CPU"] * len(tf.config.list_logical_devices("CPU"))
    if keras.backend.backend() == "jax":
        import jax

        return [d.platform.upper() for d in jax.devices()]
    return ["CPU"]


def evaluate_run(rundir, dataset, split: str = "test") -> dict:
    """Metrics of the run's model on ``split`` of ``dataset`` (accuracy, top-3 accuracy, loss, per class).

    The dataset must hold the model's classes, in any order. Writes them with the confusion counts
    to RUNDIR/eval-<dataset name>-<split>.json and the matrix to ...-confusion.png; returns them
    without the confusion counts.
    """
    from .training_plots import plot_confusion

    model = Classifier(rundir)
    metrics = evaluate_model(model.model, open_dataset(dataset), split)
    stem = f"eval-{Path(dataset).resolve().name}-{split}"
    _write_json(Path(rundir) / f"{stem}.json", metrics)
    note = " (SYNTHETIC data)" if model.synthetic else ""
    plot_confusion(metrics["confusion"], model.classes, Path(rundir) / f"{stem}-confusion.png",
                   title=f"{Path(dataset).name} {split}: accuracy {metrics['accuracy']:.1%}{note}")
    return {k: v for k, v in metrics.items() if k != "confusion"}


def evaluate_model(model, folder, split: str) -> dict:
    """Accuracy, top-3 accuracy, loss, per-class accuracy and confusion counts of ``model`` on a split."""
    names = cnn_model.class_names(model)
    if sorted(folder.classes) != sorted(names):
        missing = sorted(set(names) - set(folder.classes))
        extra = sorted(set(folder.classes) - set(names))
        raise QuickDrawError("the dataset's classes differ from the model's"
                             + (f"; missing: {', '.join(missing)}" if missing else "")
                             + (f"; unknown to the model: {', '.join(extra)}" if extra else ""))
    size = model.input_shape[1]
    if folder.image_size != size:
        raise QuickDrawError(f"the model takes {size}x{size} bitmaps, the dataset holds "
                             f"{folder.image_size}x{folder.image_size}")
    x, labels = _split(folder, split)
    y = np.array([names.index(c) for c in folder.classes], np.int32)[labels]
    probs = model.predict(x, batch_size=EVAL_BATCH, verbose=0)
    return _metrics(probs, y, names, split, str(folder.path))


def _metrics(probs, y, names, split, dataset) -> dict:
    n = len(names)
    predicted = probs.argmax(axis=1)
    top = np.argsort(-probs, axis=1)[:, :TOP_K]
    confusion = np.bincount(y * n + predicted, minlength=n * n).reshape(n, n)
    support = confusion.sum(axis=1)
    loss = -np.log(np.clip(probs[np.arange(len(y)), y], 1e-7, 1)).mean()
    return {
        "dataset": dataset, "split": split, "examples": int(len(y)),
        "accuracy": round(float((predicted == y).mean()), 4),
        "top3_accuracy": round(float((top == y[:, None]).any(axis=1).mean()), 4),
        "loss": round(float(loss), 4),
        "per_class_accuracy": {c: round(float(confusion[i, i] / support[i]), 4) if support[i] else None
                               for i, c in enumerate(names)},
        "confusion": confusion.tolist(),
    }


class Classifier:
    """A trained run's model, ready to say what drawings are.

    >>> Classifier("runs/cnn1").top([[[10, 200], [10, 200]]])  # doctest: +SKIP
    [('line', 0.8), ...]
    """

    def __init__(self, rundir):
        self.run = read_run(rundir)
        path = Path(rundir) / "model.keras"
        if not path.is_file():
            raise QuickDrawError(f"{rundir} has no model.keras yet (training did not finish); "
                                 "continue it with `qd train-cnn DATASET --out RUNDIR --resume`")
        try:
            self.model = keras.models.load_model(path, compile=False)
        except (OSError, ValueError) as err:
            raise QuickDrawError(f"cannot read {path} ({str(err).splitlines()[0]}); train the run again")
        self.classes = cnn_model.class_names(self.model)
        self.image_size = int(self.model.input_shape[1])
        self.synthetic = bool(self.run.get("synthetic"))

    def top(self, strokes, k: int = TOP_K) -> list[tuple[str, float]]:
        """The ``k`` likeliest classes of a drawing (dataset-layout strokes), with probabilities."""
        _check_top(k)
        return self.top_bitmap(self.render(strokes), k)

    def render(self, strokes) -> np.ndarray:
        """Render strokes to a uint8 (size, size) bitmap exactly as the training data was.

        Strokes not already in the dataset's frame (integers from about 0, the longer side about
        255), such as raw drawings or ones from the drawing window, are simplified first the way
        ``qd build`` simplifies raw drawings: moved to the corner, scaled to 255, thinned.
        """
        from .render import render

        strokes = [np.asarray(s) for s in strokes]
        if not strokes or sum(s.shape[-1] for s in strokes) == 0:
            raise QuickDrawError("the drawing has no points")
        if not _in_dataset_frame(strokes):
            from .simplify import simplify

            strokes = [np.asarray(s) for s in simplify(strokes)]
        return render([strokes], self.image_size)[0]

    def top_bitmap(self, bitmap, k: int = TOP_K) -> list[tuple[str, float]]:
        """The ``k`` likeliest classes of one uint8 (size, size) bitmap, with probabilities."""
        _check_top(k)
        probs = self.model.predict(np.asarray(bitmap, np.uint8)[None, :, :, None], verbose=0)[0]
        best = np.argsort(-probs)[:k]
        return [(self.classes[i], float(probs[i])) for i in best]


def classify_file(rundir, path, *, index: int = 0, top: int = TOP_K) -> tuple[list[tuple[str, float]], bool]:
    """The ``top`` likeliest classes of drawing ``index`` in ``path``, and whether the model is synthetic."""
    _check_top(top)
    read_run(rundir)
    strokes = read_drawing(path, index)
    classifier = Classifier(rundir)
    return classifier.top(strokes, top), classifier.synthetic


def classify_window(rundir, *, top: int = TOP_K) -> None:
    """Open a drawing window; after each stroke the ``top`` guesses show under the pad and are printed."""
    from sketchrnn.canvas import DrawingCanvas, window_figure

    _check_top(top)
    classifier = Classifier(rundir)
    fig = window_figure(f"qd classify {Path(rundir).name}",
                        "classify a file instead: qd classify RUNDIR drawing.ndjson")

    def guess(strokes):
        if not strokes:
            return
        try:
            text = "   ".join(f"{name} {p:.0%}" for name, p in classifier.top(strokes, top))
        except QuickDrawError as err:
            text = str(err)
        canvas.set_status(text)
        print(text, flush=True)

    canvas = DrawingCanvas(fig, on_change=guess)
    if classifier.synthetic:
        canvas.pad.set_title("draw here (model trained on SYNTHETIC doodles)", fontsize=10)
    canvas.show()


def _in_dataset_frame(strokes) -> bool:
    """Whether (2, n) strokes look simplified: integers in 0-255, near both axes' 0, the longer side near 255.

    Simplification thins points, so a simplified drawing may stop a few units short of 0 or 255.
    """
    if any(s.shape[0] != 2 for s in strokes if s.size):
        return False
    points = np.concatenate([s for s in strokes if s.size], axis=1)
    return bool(np.all(points == np.round(points)) and points.min() >= 0 and points.max() <= 255
                and points.min(axis=1).max() <= FRAME_SLACK and points.max() >= 255 - FRAME_SLACK)


def _check_top(k: int) -> None:
    if k < 1:
        raise QuickDrawError(f"--top must be at least 1, not {k}")


def read_run(rundir) -> dict:
    """Return RUNDIR/run.json of a classifier run; raise QuickDrawError for anything else."""
    path = Path(rundir) / "run.json"
    if not path.is_file():
        raise QuickDrawError(f"{rundir} is not a training run (no run.json); train one with `qd train-cnn`")
    try:
        run = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise QuickDrawError(f"{path} is corrupt ({err})")
    if run.get("kind") != KIND:
        raise QuickDrawError(f"{rundir} holds a {run.get('kind')!r} run, not a CNN classifier run")
    return run


def read_drawing(path, index: int = 0) -> list[np.ndarray]:
    """Strokes of drawing ``index`` of an ndjson file, or of a strokes JSON file ``[[[xs], [ys]], ...]``."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise QuickDrawError(f"{path}: no such file")
    except (OSError, UnicodeDecodeError) as err:
        raise QuickDrawError(f"cannot read {path} as text ({err})")
    if index < 0:
        raise QuickDrawError(f"--index must be 0 or more, not {index}")
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
    if isinstance(whole, list):
        if index:
            raise QuickDrawError(f"{path} holds one drawing (strokes JSON); --index must be 0")
        return _check_strokes(whole, path)
    records = [whole] if whole is not None else [line for line in text.splitlines() if line.strip()]
    if index >= len(records):
        raise QuickDrawError(f"{path} holds {len(records)} drawing(s); --index {index} is past the end")
    try:
        record = json.loads(records[index]) if isinstance(records[index], str) else records[index]
    except json.JSONDecodeError:
        raise QuickDrawError(f"{path} is neither ndjson drawings nor strokes JSON (line {index + 1})")
    if not isinstance(record, dict) or "drawing" not in record:
        raise QuickDrawError(f"{path}: drawing {index} has no \"drawing\" strokes")
    strokes = record["drawing"]
    return _check_strokes(strokes, path)


def _check_strokes(strokes, path) -> list[np.ndarray]:
    out = []
    try:
        for stroke in strokes:
            a = np.asarray(stroke, dtype=np.float64)
            if a.ndim != 2 or a.shape[0] not in (2, 3):
                raise ValueError
            out.append(a)
    except (TypeError, ValueError):
        raise QuickDrawError(f"{path}: strokes must be lists [[xs...], [ys...]] (or [xs, ys, ts]) of numbers")
    if sum(a.shape[1] for a in out) == 0:
        raise QuickDrawError(f"{path}: the drawing has no points")
    return out


# ---- training pieces ------------------------------------------------------------------------------

def bitmap_batches(bitmaps, labels, batch_size: int, *, shuffle: bool, seed: int = 0):
    """A tf.data pipeline of (uint8 (B, S, S, 1), int32 (B,)) batches from in-memory arrays."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((bitmaps[..., None], labels))
    if shuffle:
        ds = ds.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _fit_inputs(x, y, batch_size, seed) -> dict:
    """tf.data batches on the TensorFlow backend, numpy arrays (Keras batches them) on the others."""
    if keras.backend.backend() == "tensorflow":
        return {"x": bitmap_batches(x, y, batch_size, shuffle=True, seed=seed), "shuffle": False}
    return {"x": x[..., None], "y": y, "batch_size": batch_size, "shuffle": True}


def _eval_inputs(x, y):
    if keras.backend.backend() == "tensorflow":
        return bitmap_batches(x, y, EVAL_BATCH, shuffle=False)
    return x[..., None], y


def _split(folder, split):
    x, y = folder.bitmaps(split), folder.labels(split)
    if len(y) == 0:
        raise QuickDrawError(f"{folder.path} has no drawings in its {split} split; rebuild it with "
                             "`qd build ... --splits 0.8,0.1,0.1`")
    return x, y


def _policy(mixed_precision: bool, devices) -> str | None:
    """float16 compute on GPUs, bfloat16 elsewhere (CPUs have no fast float16); None for float32."""
    if not mixed_precision:
        return None
    return "mixed_float16" if devices[0] == "GPU" else "mixed_bfloat16"


def _distribution(distribute: bool):
    """(scope, replicas): a tf.distribute.MirroredStrategy over the GPUs, else the CPU devices."""
    if not distribute:
        return contextlib.nullcontext(), 1
    if keras.backend.backend() != "tensorflow":
        raise QuickDrawError("--distribute uses tf.distribute and needs the TensorFlow backend "
                             "(KERAS_BACKEND=tensorflow)")
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    devices = [d.name for d in gpus or tf.config.list_logical_devices("CPU")]
    strategy = tf.distribute.MirroredStrategy(
        devices, cross_device_ops=None if gpus else tf.distribute.ReductionToOneDevice())
    return strategy.scope(), strategy.num_replicas_in_sync


def _optimizer(s: Settings, steps_per_epoch: int, policy):
    """AdamW with one epoch of linear warm-up, then cosine decay to zero over the remaining epochs."""

    total = steps_per_epoch * s.epochs
    warmup = steps_per_epoch if s.epochs > 1 else 0
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0 if warmup else s.lr, max(total - warmup, 1), warmup_target=s.lr if warmup else None,
        warmup_steps=warmup)
    optimizer = keras.optimizers.AdamW(schedule, weight_decay=WEIGHT_DECAY)
    if policy == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def _loss():
    return cnn_model.SmoothedCrossentropy(LABEL_SMOOTHING)


def _accuracy():
    return keras.metrics.SparseCategoricalAccuracy(name="accuracy")


def _typical_rate(history) -> float:
    """Median training examples/s over the epochs, leaving out the first (compilation) when there are more."""
    rates = [h["examples_per_s"] for h in history]
    return round(float(np.median(rates[1:] if len(rates) > 1 else rates)), 1)


class _RunKeeper(keras.callbacks.Callback):
    """Each epoch: time its training steps, record it in history.json, checkpoint the training state
    and the best weights (lowest validation loss); stop after ``patience`` epochs without a better one."""

    def __init__(self, rundir: Path, patience: int, examples: int):
        super().__init__()
        self.rundir, self.dir = rundir, rundir / CHECKPOINT
        self.patience, self.examples = patience, examples
        self.history: list[dict] = []
        self.best_epoch, self.best_loss = 0, math.inf
        self._start = self._end = 0.0

    @property
    def epochs_done(self) -> int:
        """Epochs finished so far, resumed ones included."""
        return len(self.history)

    def restore(self, model) -> None:
        """Load the last checkpoint (weights, optimizer state, history) into a compiled ``model``."""
        try:
            state = json.loads((self.dir / "state.json").read_text("utf-8"))
            model.optimizer.build(model.trainable_variables)
            model.load_weights(self.dir / "last.weights.h5")
        except (OSError, ValueError, KeyError) as err:
            raise QuickDrawError(f"cannot resume from {self.dir} ({str(err).splitlines()[0]}); "
                                 "start the run over with --force")
        self.history, self.best_epoch, self.best_loss = state["history"], state["best_epoch"], state["best_val_loss"]

    def load_best(self, model) -> None:
        """Put the best epoch's weights back into ``model``."""
        model.load_weights(self.dir / "best.weights.h5")

    def on_epoch_begin(self, epoch, logs=None):
        self._start = self._end = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._end = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = self._end - self._start
        rate = self.examples / max(seconds, 1e-9)
        logs["examples/s"] = int(round(rate))  # Keras' progress bar shows it with the epoch's metrics
        entry = {"epoch": epoch + 1, **{k: round(float(logs[k]), 5) for k in ("loss", "accuracy", "val_loss",
                                                                                "val_accuracy")},
                 "lr": float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)),
                 "seconds": round(seconds, 2), "examples_per_s": round(rate, 1)}
        self.history.append(entry)
        self.dir.mkdir(exist_ok=True)
        if entry["val_loss"] < self.best_loss:
            self.best_epoch, self.best_loss = epoch + 1, entry["val_loss"]
            _save_weights(self.model, self.dir / "best.weights.h5")
        _save_weights(self.model, self.dir / "last.weights.h5")
        _write_json(self.dir / "state.json", {"history": self.history, "best_epoch": self.best_epoch,
                                              "best_val_loss": self.best_loss})
        _write_json(self.rundir / "history.json", self.history)
        if epoch + 1 - self.best_epoch >= self.patience:
            self.model.stop_training = True


# ---- the run folder ---------------------------------------------------------------------------------

def _start_run(rundir: Path, folder, given: dict, resume: bool, force: bool) -> tuple[dict, Settings]:
    """Return run.json's content and the settings: the stored ones to resume, else fresh ones, written.

    Everything is checked before the run folder is touched.
    """
    if resume and force:
        raise QuickDrawError("--resume continues a run and --force replaces it: give one of them")
    if resume:
        run = _resumable(rundir, folder, given)
        return run, _checked(Settings(**run["settings"]), folder)
    s = _checked(Settings(**given), folder)
    if rundir.exists() and not rundir.is_dir():
        raise QuickDrawError(f"--out {rundir} is a file; give a folder for the run")
    if rundir.is_dir() and any(rundir.iterdir()):
        if not (rundir / "run.json").is_file():
            raise QuickDrawError(f"{rundir} is not empty and holds no training run; choose a new or empty folder")
        if not force:
            kind = _stored_kind(rundir)
            raise QuickDrawError(f"{rundir} already holds a {kind} run; --resume continues it, --force replaces it"
                                 if kind == KIND else f"{rundir} holds a {kind} run; choose another folder")
        _clear(rundir)
    rundir.mkdir(parents=True, exist_ok=True)
    run = {"kind": KIND, "status": "training", "dataset": str(folder.path.resolve()), "classes": folder.classes,
           "image_size": folder.image_size, "synthetic": folder.synthetic, "settings": asdict(s)}
    _write_json(rundir / "run.json", run)
    return run, s


def _checked(s: Settings, folder) -> Settings:
    """``s`` if it can train on ``folder``; else a QuickDrawError."""
    s.check()
    cnn_model.check_image_size(s.model, folder.image_size)
    if s.distribute and s.xla and "GPU" not in accelerators():
        raise QuickDrawError("--xla cannot compile a step mirrored over CPU devices (TensorFlow places its "
                             "variables on several of them); drop --xla or --distribute")
    for split in ("train", "valid", "test"):
        if folder.count(split) == 0:
            raise QuickDrawError(f"{folder.path} has no drawings in its {split} split; rebuild it with "
                                 "`qd build ... --splits 0.8,0.1,0.1`")
    return s


def _resumable(rundir: Path, folder, given: dict) -> dict:
    if not (rundir / "run.json").is_file():
        raise QuickDrawError(f"nothing to resume in {rundir} (no run.json); drop --resume to start a run")
    run = read_run(rundir)
    if run.get("status") == "done":
        raise QuickDrawError(f"the run in {rundir} has finished; nothing to resume (--force starts it over)")
    if not (rundir / CHECKPOINT / "state.json").is_file():
        raise QuickDrawError(f"{rundir} has no checkpoint (stopped before its first epoch ended); "
                             "start it over with --force")
    if run["classes"] != folder.classes or run["image_size"] != folder.image_size:
        raise QuickDrawError(f"{folder.path} is not the dataset this run trains on ({run['dataset']}): "
                             "its classes or image size differ")
    for name, value in given.items():
        if name not in DEVICE_SETTINGS and run["settings"][name] != value:
            raise QuickDrawError(f"--resume continues with the run's own settings: --{name.replace('_', '-')} "
                                 f"is {run['settings'][name]} there, not {value}")
    run["settings"].update({k: v for k, v in given.items() if k in DEVICE_SETTINGS})
    return run


def _stored_kind(rundir: Path) -> str:
    try:
        return str(json.loads((rundir / "run.json").read_text("utf-8")).get("kind"))
    except (OSError, ValueError, AttributeError):
        return "unreadable"


def _clear(rundir: Path) -> None:
    """Remove a classifier run's files for --force; refuse if the folder holds anything else."""
    if _stored_kind(rundir) != KIND:
        raise QuickDrawError(f"{rundir} holds a {_stored_kind(rundir)} run, not a classifier run; "
                             "--force replaces only classifier runs: choose another folder")
    ours = [p for p in rundir.iterdir() if p.name in RUN_FILES or p.name.startswith(("eval-", "."))]
    others = sorted(p.name for p in rundir.iterdir() if p not in ours)
    if others:
        raise QuickDrawError(f"--force replaces a classifier run, but {rundir} also holds "
                             f"{', '.join(others[:3])}; move them or choose another folder")
    for p in ours:
        shutil.rmtree(p) if p.is_dir() else p.unlink()


def _finish(rundir: Path, run: dict, metrics: dict, history: list[dict], classes) -> None:
    """Write metrics.json and the plots, mark the run done and drop its checkpoint."""
    from .training_plots import plot_confusion, plot_curves

    note = " (SYNTHETIC data)" if run["synthetic"] else ""
    _write_json(rundir / "metrics.json", metrics)
    plot_curves(history, rundir / "curves.png", best_epoch=metrics["best_epoch"],
                title=f"{run['settings']['model'].upper()} learning curves{note}")
    plot_confusion(metrics["confusion"], classes, rundir / "confusion.png",
                   title=f"test confusion, accuracy {metrics['accuracy']:.1%}{note}")
    run["status"] = "done"
    _write_json(rundir / "run.json", run)
    shutil.rmtree(rundir / CHECKPOINT, ignore_errors=True)


def _save_model(model, path: Path) -> None:
    tmp = path.with_name(f".{path.stem}.part.keras")
    model.save(tmp)
    os.replace(tmp, path)


def _save_weights(model, path: Path) -> None:
    tmp = path.with_name(f".{path.name.split('.')[0]}.part.weights.h5")
    model.save_weights(tmp)
    os.replace(tmp, path)


def _write_json(path: Path, data) -> None:
    """Write ``data`` as JSON under a temporary name beside ``path``, then rename it into place."""
    tmp = path.with_name(f".{path.name}.part")
    try:
        tmp.write_text(json.dumps(data, indent=1) + "\n", "utf-8")
        os.replace(tmp, path)
    except OSError as err:
        raise QuickDrawError(f"cannot write {path}: {err.strerror}")
