"""Train the doodle classifier (a CNN, or the MLP or linear baseline) on a dataset's bitmaps into a run folder.

Each epoch is checkpointed, so an interrupted run continues with ``resume=True``; the run folder's
layout is in ``quickdraw.classifier.runs``. A resumed run trains the epochs an uninterrupted one
would: each epoch's shuffle order and the random state of its dropout and augmentation derive from
(seed, epoch), not from state carried over from the epochs before. One trainer at a time holds a
run folder (``runs.training_lock``).

>>> metrics = train("homework/", "runs/cnn1", epochs=5)  # doctest: +SKIP
"""
from __future__ import annotations

import contextlib
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import keras
import numpy as np

from ..builder.folder import open_dataset
from ..core import validate
from ..core.atomic import no_empty_folders
from ..errors import QuickDrawError
from ..fetch.cache import ensure_folder
from . import model as cnn_model, seen
from .evaluation import EVAL_BATCH, evaluate_model, split_arrays
from .runs import (CHECKPOINT, KIND, clear, finish, is_empty, read_run, save_model, save_weights, stored_kind,
                   training_lock, write_json)

LABEL_SMOOTHING = 0.1
WEIGHT_DECAY = 1e-4
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
    partial: bool = False
    seed: int = 0

    def check(self) -> None:
        """Raise QuickDrawError for values training cannot use."""
        for name, low in (("epochs", 1), ("batch_size", 1), ("patience", 1)):
            if getattr(self, name) < low:
                raise QuickDrawError(f"--{name.replace('_', '-')} must be at least {low}, not {getattr(self, name)}")
        if not self.lr > 0:
            raise QuickDrawError(f"--lr must be positive, not {self.lr}")
        self.seed = validate.seed(self.seed)


def train(dataset, out, *, resume: bool = False, force: bool = False, verbose: int | None = None,
          **settings) -> dict:
    """Train a classifier on the bitmaps of ``dataset`` into the run folder ``out``; return the test metrics.

    ``settings`` are the fields of ``Settings`` (model, epochs, batch_size, lr, patience, augment,
    mixed_precision, xla, distribute, partial, seed); ``partial`` adds to each epoch, for every
    training drawing of 2 or more strokes, a bitmap of its first k strokes (k at random each epoch;
    ``seen.prefix_bitmaps``), so that the model can guess drawings in progress (``qd play``); it needs
    a dataset with strokes. Validation and test stay whole drawings. None or absent means the default, or with ``resume``
    the run's own. Early stopping watches validation loss and restores the best epoch's weights;
    each epoch is checkpointed, so an interrupted run continues with ``resume=True``. ``force``
    replaces a run already in ``out``. ``verbose`` is Keras' (default: a bar on a terminal, else a
    line per epoch).
    """
    folder = open_dataset(dataset)
    if len(folder.classes) < 2:
        raise QuickDrawError(f"{dataset} has {len(folder.classes)} class; a classifier needs at least 2")
    rundir = Path(validate.output_path(out))
    given = {k: v for k, v in settings.items() if v is not None}
    unknown = set(given) - {f.name for f in fields(Settings)}
    if unknown:
        raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
    asked = Settings(**given)  # the values given, checked before anything is written
    if resume:
        asked.check()
    else:
        _checked(asked, folder)
    if resume and force:
        raise QuickDrawError("--resume continues a run and --force replaces it: give one of them")
    if rundir.exists() and not rundir.is_dir():
        raise QuickDrawError(f"--out {rundir} is a file; give a folder for the run")
    if resume and not (rundir / "run.json").is_file():
        raise QuickDrawError(f"nothing to resume in {rundir} (no run.json); drop --resume to start a run")
    with no_empty_folders(rundir), training_lock(ensure_folder(rundir)):
        return _train(folder, rundir, given, resume, force, verbose)


def _train(folder, rundir: Path, given: dict, resume: bool, force: bool, verbose) -> dict:
    classes = folder.classes
    run, s = _start_run(rundir, folder, given, resume, force)
    verbose = (1 if sys.stdout.isatty() else 2) if verbose is None else verbose
    x_train, y_train = split_arrays(folder, "train")
    x_valid, y_valid = split_arrays(folder, "valid")

    sequences = folder.strokes3("train") if s.partial else None
    examples = len(x_train) + (sum(_stroke_count(q) > 1 for q in sequences) if s.partial else 0)

    devices = accelerators()
    scope, replicas = _distribution(s.distribute)
    steps = math.ceil(examples / s.batch_size)
    with scope:
        model = compiled_model(s, folder.image_size, classes, steps, devices)
        keeper = _RunKeeper(rundir, s.patience, examples, s.seed)
        if resume:
            keeper.restore(model)
        else:
            prime_batch_norm(model, x_train[:EVAL_BATCH, ..., None])
    if verbose:
        where = f"{replicas} {devices[0]} replicas" if replicas > 1 else f"1 {devices[0]}"
        prefixes = f" and {examples - len(x_train)} stroke prefixes an epoch" if s.partial else ""
        print(f"training {s.model} on {len(x_train)} drawings{prefixes} of {len(classes)} classes "
              f"({folder.image_size}x{folder.image_size}), validating on {len(x_valid)}; "
              f"{keras.backend.backend()} on {where}" + (", SYNTHETIC data" if folder.synthetic else ""))
    epochs = range(keeper.epochs_done, s.epochs)
    inputs = (_partial_inputs(x_train, y_train, sequences, s.batch_size, s.seed, epochs) if s.partial
              else _fit_inputs(x_train, y_train, s.batch_size, s.seed, epochs))
    model.fit(**inputs, steps_per_epoch=steps,
              epochs=s.epochs, initial_epoch=keeper.epochs_done, validation_data=_eval_inputs(x_valid, y_valid),
              callbacks=[keeper], verbose=verbose)
    keeper.load_best(model)
    save_model(model, rundir / "model.keras")
    metrics = evaluate_model(model, folder, "test")
    metrics.update(best_epoch=keeper.best_epoch, epochs_run=len(keeper.history),
                   examples_per_s=_typical_rate(keeper.history), backend=keras.backend.backend(),
                   device=f"{replicas} x {devices[0]}", synthetic=folder.synthetic)
    finish(rundir, run, metrics, keeper.history, classes)
    return metrics


def compiled_model(s: Settings, image_size: int, classes, steps_per_epoch: int, devices=None):
    """The ``s.model`` classifier, seeded and compiled as ``train`` trains it (``devices`` from ``accelerators``)."""
    keras.utils.set_random_seed(s.seed)
    policy = _policy(s.mixed_precision, devices or accelerators())
    model = cnn_model.build_model(s.model, image_size, classes, augment=s.augment, seed=s.seed, dtype=policy)
    model.compile(_optimizer(s, steps_per_epoch, policy), _loss(), metrics=[_accuracy(), _crossentropy()],
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


def epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The order in which epoch ``epoch`` (from 0) of a run seeded ``seed`` visits ``n`` training drawings."""
    return np.random.default_rng([seed, epoch, 1]).permutation(n)


def bitmap_batches(bitmaps, labels, batch_size: int, *, shuffle: bool, seed: int = 0, epochs=range(1)):
    """A tf.data pipeline of (uint8 (B, S, S, 1), int32 (B,)) batches from in-memory arrays.

    With ``shuffle``, one pass per epoch of ``epochs`` (0-based numbers), each in ``epoch_order``;
    without, one pass in order.
    """
    import tensorflow as tf

    if not shuffle:
        return tf.data.Dataset.from_tensor_slices((bitmaps[..., None], labels)).batch(batch_size).prefetch(
            tf.data.AUTOTUNE)
    x, y = tf.constant(bitmaps[..., None]), tf.constant(labels)
    orders = [tf.data.Dataset.from_tensor_slices(epoch_order(seed, e, len(labels))).batch(batch_size)
              for e in epochs or range(1)]  # no epoch left: a pass that fit will not use
    ds = orders[0]
    for more in orders[1:]:
        ds = ds.concatenate(more)
    return ds.map(lambda index: (tf.gather(x, index), tf.gather(y, index))).prefetch(tf.data.AUTOTUNE)


def _fit_inputs(x, y, batch_size, seed, epochs) -> dict:
    """Batches of ``epochs`` in their ``epoch_order``: tf.data on TensorFlow, a generator on the others."""
    if keras.backend.backend() == "tensorflow":
        return {"x": bitmap_batches(x, y, batch_size, shuffle=True, seed=seed, epochs=epochs), "shuffle": False}

    def batches():
        for e in epochs:
            order = epoch_order(seed, e, len(y))
            for start in range(0, len(order), batch_size):
                index = order[start:start + batch_size]
                yield x[index][..., None], y[index]

    return {"x": batches()}


def epoch_prefixes(sequences, labels, seed: int, epoch: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The stroke-prefix bitmaps and labels that epoch ``epoch`` of a ``partial`` run seeded ``seed`` adds."""
    return seen.prefix_bitmaps(sequences, labels, np.random.default_rng([seed, epoch, 3]), size)


def _partial_inputs(x, y, sequences, batch_size, seed, epochs) -> dict:
    """Batches of each epoch's whole drawings and stroke prefixes, in its ``epoch_order``; rendered per epoch."""

    def batches():
        for e in epochs:
            px, py = epoch_prefixes(sequences, y, seed, e, x.shape[1])
            ex, ey = np.concatenate([x, px]), np.concatenate([y, py])
            order = epoch_order(seed, e, len(ey))
            for start in range(0, len(order), batch_size):
                index = order[start:start + batch_size]
                yield ex[index][..., None], ey[index]

    if keras.backend.backend() != "tensorflow":
        return {"x": batches()}
    import tensorflow as tf

    size = x.shape[1]
    signature = (tf.TensorSpec((None, size, size, 1), tf.uint8), tf.TensorSpec((None,), y.dtype))
    return {"x": tf.data.Dataset.from_generator(batches, output_signature=signature).prefetch(2), "shuffle": False}


def _stroke_count(sequence) -> int:
    """Strokes in a stroke-3 array (its last point ends one, lifted or not)."""
    lifts = int(np.count_nonzero(sequence[:, 2] > 0)) if len(sequence) else 0
    return lifts + (1 if len(sequence) and sequence[-1, 2] == 0 else 0)


def _eval_inputs(x, y):
    if keras.backend.backend() == "tensorflow":
        return bitmap_batches(x, y, EVAL_BATCH, shuffle=False)
    return x[..., None], y


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


def _crossentropy():
    """Plain cross-entropy: the "loss" that history.json, the curves and ``qd evaluate`` report (the
    objective minimised adds label smoothing and is kept as "smoothed_loss")."""
    return keras.metrics.SparseCategoricalCrossentropy(name="crossentropy")


def _typical_rate(history) -> float:
    """Median training examples/s over the epochs, leaving out the first (compilation) when there are more."""
    rates = [h["examples_per_s"] for h in history]
    return round(float(np.median(rates[1:] if len(rates) > 1 else rates)), 1)


class _RunKeeper(keras.callbacks.Callback):
    """Each epoch: time its training steps, record it in history.json, checkpoint the training state
    and the best weights (lowest validation cross-entropy); stop after ``patience`` epochs without a better one."""

    def __init__(self, rundir: Path, patience: int, examples: int, seed: int):
        super().__init__()
        self.rundir, self.dir = rundir, rundir / CHECKPOINT
        self.patience, self.examples, self.seed = patience, examples, seed
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
            history, best_epoch, best_loss = state["history"], int(state["best_epoch"]), float(state["best_val_loss"])
            if not isinstance(history, list) or not all(isinstance(h, dict) for h in history):
                raise ValueError("state.json holds no epoch history")
        except (OSError, ValueError, KeyError, TypeError) as err:
            first = (str(err).strip().splitlines() or [type(err).__name__])[0]
            raise QuickDrawError(f"cannot resume from {self.dir}: a checkpoint file is corrupt ({first}); "
                                 "start the run over with --force") from None
        self.history, self.best_epoch, self.best_loss = history, best_epoch, best_loss

    def load_best(self, model) -> None:
        """Put the best epoch's weights back into ``model``."""
        model.load_weights(self.dir / "best.weights.h5")

    def on_epoch_begin(self, epoch, logs=None):
        # Dropout and augmentation draw from seed generators whose state is not checkpointed: start
        # each epoch's from (seed, epoch), so that a resumed epoch draws what an uninterrupted one does.
        states = [v for v in self.model.non_trainable_variables if v.path.endswith("seed_generator_state")]
        for i, state in enumerate(states):
            start = np.random.default_rng([self.seed, epoch, 2, i]).integers(2 ** 32, dtype=np.uint32)
            state.assign(np.array([start, 0], np.uint32))
        self._start = self._end = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._end = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = self._end - self._start
        rate = self.examples / max(seconds, 1e-9)
        logs["examples/s"] = int(round(rate))  # Keras' progress bar shows it with the epoch's metrics
        names = {"loss": "crossentropy", "accuracy": "accuracy", "val_loss": "val_crossentropy",
                 "val_accuracy": "val_accuracy", "smoothed_loss": "loss"}
        entry = {"epoch": epoch + 1, **{k: round(float(logs[key]), 5) for k, key in names.items()},
                 "lr": float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)),
                 "seconds": round(seconds, 2), "examples_per_s": round(rate, 1)}
        self.history.append(entry)
        self.dir.mkdir(exist_ok=True)
        if entry["val_loss"] < self.best_loss:
            self.best_epoch, self.best_loss = epoch + 1, entry["val_loss"]
            save_weights(self.model, self.dir / "best.weights.h5")
        save_weights(self.model, self.dir / "last.weights.h5")
        write_json(self.dir / "state.json", {"history": self.history, "best_epoch": self.best_epoch,
                                              "best_val_loss": self.best_loss})
        write_json(self.rundir / "history.json", self.history)
        if epoch + 1 - self.best_epoch >= self.patience:
            self.model.stop_training = True


def _checked(s: Settings, folder) -> Settings:
    """``s`` if it can train on ``folder``; else a QuickDrawError."""
    s.check()
    cnn_model.check_image_size(s.model, folder.image_size)
    if s.partial and not folder.has_strokes:
        raise QuickDrawError(f"--partial trains on stroke prefixes, and {folder.path} holds bitmaps only; "
                             "build it from --source simplified, binary or raw")
    if s.distribute and s.xla and "GPU" not in accelerators():
        raise QuickDrawError("--xla cannot compile a step mirrored over CPU devices (TensorFlow places its "
                             "variables on several of them); drop --xla or --distribute")
    for split in ("train", "valid", "test"):
        if folder.count(split) == 0:
            raise QuickDrawError(f"{folder.path} has no drawings in its {split} split; rebuild it with "
                                 "`qd build ... --splits 0.8,0.1,0.1`")
    return s



def _start_run(rundir: Path, folder, given: dict, resume: bool, force: bool) -> tuple[dict, Settings]:
    """Return run.json's content and the settings: the stored ones to resume, else fresh ones, written.

    Everything is checked before the run folder is touched.
    """
    if resume:
        run = _resumable(rundir, folder, given)
        return run, _checked(Settings(**run["settings"]), folder)
    s = _checked(Settings(**given), folder)
    if not is_empty(rundir):
        if not (rundir / "run.json").is_file():
            raise QuickDrawError(f"{rundir} is not empty and holds no training run; choose a new or empty folder")
        if not force:
            kind = stored_kind(rundir)
            raise QuickDrawError(f"{rundir} already holds a {kind} run; --resume continues it, --force replaces it"
                                 if kind == KIND else f"{rundir} holds a {kind} run; choose another folder")
        clear(rundir)
    rundir.mkdir(parents=True, exist_ok=True)
    run = {"kind": KIND, "status": "training", "dataset": str(folder.path.resolve()), "classes": folder.classes,
           "image_size": folder.image_size, "synthetic": folder.synthetic, "settings": asdict(s)}
    write_json(rundir / "run.json", run)
    return run, s


def _resumable(rundir: Path, folder, given: dict) -> dict:
    run = read_run(rundir)
    if not isinstance(run.get("settings"), dict) or not {"classes", "image_size", "dataset"} <= set(run) \
            or set(run["settings"]) - {f.name for f in fields(Settings)}:
        raise QuickDrawError(f"{rundir / 'run.json'} is corrupt (its fields are not a CNN run's); "
                             "start the run over with --force")
    if run.get("status") == "done":
        raise QuickDrawError(f"the run in {rundir} has finished; nothing to resume (--force starts it over)")
    if not (rundir / CHECKPOINT / "state.json").is_file():
        raise QuickDrawError(f"{rundir} has no checkpoint (stopped before its first epoch ended); "
                             "start it over with --force")
    if run["classes"] != folder.classes or run["image_size"] != folder.image_size:
        raise QuickDrawError(f"{folder.path} is not the dataset this run trains on ({run['dataset']}): "
                             "its classes or image size differ")
    for name, value in given.items():
        stored = run["settings"].get(name, getattr(Settings(), name))
        if name not in DEVICE_SETTINGS and stored != value:
            raise QuickDrawError(f"--resume continues with the run's own settings: --{name.replace('_', '-')} "
                                 f"is {stored} there, not {value}")
    run["settings"].update({k: v for k, v in given.items() if k in DEVICE_SETTINGS})
    return run

