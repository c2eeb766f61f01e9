"""Train, checkpoint and resume Sketch-RNN runs (Magenta's schedules, any Keras backend).

The run folder's layout is in ``sketchrnn.runs``; ``Steps`` runs training and evaluation steps on the
backend Keras uses. One trainer at a time holds a run folder (``runs.training_lock``).

>>> summary = train("../shared/quickdraw/sketchrnn/eye.npz", "runs/eye", steps=2000)  # doctest: +SKIP
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from quickdraw.core import validate
from quickdraw.core.atomic import no_empty_folders
from quickdraw.errors import QuickDrawError
from quickdraw.fetch.cache import ensure_folder

from .config import HParams
from .data import TrainBatches, eval_batches, lengths_of, load_source, split_by_length
from .plots import plot_losses, save_grid
from .runs import (BEST_FILE, CHECKPOINT_FILE, HPARAMS_FILE, LOCK_FILE, LOSSES_FILE, RUN_FILE, SYNTHETIC_NOTE, assign, clear_run,
                   read_checkpoint, read_history, read_hparams, read_info, read_trained_info, training_lock,
                   write_checkpoint, write_json)
from .sample import Sampler

TRAIN_KEYS = ("recon", "offset", "pen", "kl", "kl_weight", "lr")
VALID_KEYS = ("recon", "offset", "pen", "kl")
JAX_LENGTH_STEP = 32  # jit compiles one program per shape: round padded lengths up to a multiple of this
TF_GROUPS = 3  # TensorFlow takes dynamic shapes: each batch runs as up to this many groups of similar lengths


def learning_rate(step: int, hp: HParams) -> float:
    """Magenta's learning rate at ``step``: (lr - min_lr) * decay_rate^step + min_lr."""
    return (hp.learning_rate - hp.min_learning_rate) * hp.decay_rate ** step + hp.min_learning_rate


def kl_weight(step: int, hp: HParams) -> float:
    """Magenta's annealed KL weight at ``step``: kl_weight * (1 - (1 - kl_weight_start) * kl_decay_rate^step)."""
    return hp.kl_weight * (1 - (1 - hp.kl_weight_start) * hp.kl_decay_rate ** step)


def validation_cost(valid: dict, hp: HParams) -> float:
    """The score that picks a run's best weights, as Magenta's trainer scores validation:
    Lr + kl_weight_start x max(KL, kl_tolerance) (its evaluation model keeps the KL weight at its
    start value); Lr alone for a decoder-only model."""
    if not hp.conditional:
        return float(valid["recon"])
    return float(valid["recon"] + hp.kl_weight_start * max(valid["kl"], hp.kl_tolerance))


def _schedule(hp: HParams):
    import keras

    class MagentaDecay(keras.optimizers.schedules.LearningRateSchedule):
        """``learning_rate`` as a Keras schedule of the optimiser's iteration counter."""

        def __call__(self, step):
            step = keras.ops.cast(step, "float32")
            return (hp.learning_rate - hp.min_learning_rate) * keras.ops.power(hp.decay_rate, step) \
                + hp.min_learning_rate

        def get_config(self):
            return {}

    return MagentaDecay()


def make_optimizer(model, hp: HParams):
    """Adam with Magenta's decaying learning rate and gradients clipped by value, built for ``model``."""
    import keras

    optimizer = keras.optimizers.Adam(learning_rate=_schedule(hp), clipvalue=hp.grad_clip)
    optimizer.build(model.trainable_variables)
    return optimizer


# ----------------------------------------------------------------------------- backend steps

def cpu_threads(groups: int = TF_GROUPS) -> None:
    """On TensorFlow without a GPU, give each op ``cores // groups`` threads and run up to ``cores``
    ops at once, so the groups of a batch (see ``Steps``) run side by side instead of splitting every
    small matmul across all cores. Does nothing once TensorFlow has started (it keeps its threads).
    """
    import keras

    if keras.backend.backend() != "tensorflow":
        return
    import tensorflow as tf

    cores = os.cpu_count() or 1
    try:
        if tf.config.list_physical_devices("GPU"):
            return
        tf.config.threading.set_intra_op_parallelism_threads(max(1, cores // groups))
        tf.config.threading.set_inter_op_parallelism_threads(cores)
    except RuntimeError:  # already initialised
        pass


class Steps:
    """The compiled training and evaluation steps for the current Keras backend.

    ``train(strokes, eps, keep, kl_weight)`` applies one optimiser update and returns the loss terms
    as floats; ``evaluate(strokes, eps)`` returns the evaluation terms; ``sync()`` writes the JAX
    state back into the Keras variables (a no-op on TensorFlow).

    TensorFlow runs a batch as up to ``TF_GROUPS`` groups of similar lengths (``split_by_length``),
    each only as long as its longest sketch, side by side in one graph whose loss adds up the
    groups' terms (``cpu_threads`` lets the groups run on separate cores);
    JAX compiles one program per shape, so it runs the batch whole, padded to a multiple of
    ``JAX_LENGTH_STEP`` rows. Both compute the same loss and gradient.
    """

    def __init__(self, model, optimizer, hp: HParams, groups: int = TF_GROUPS):
        import keras

        self.model, self.optimizer, self.hp = model, optimizer, hp
        self.groups = max(1, min(groups, hp.batch_size))
        self.backend = keras.backend.backend()
        if self.backend == "tensorflow":
            self._tensorflow()
        elif self.backend == "jax":
            self._jax()
        else:
            raise QuickDrawError(f"Sketch-RNN trains on the tensorflow or jax Keras backend, not {self.backend}; "
                                 "set KERAS_BACKEND")

    def _tensorflow(self):
        import tensorflow as tf

        from .model import loss_terms, losses, with_cost

        model, optimizer, hp = self.model, self.optimizer, self.hp
        strokes = tf.TensorSpec((None, None, 5), tf.float32)
        eps = tf.TensorSpec((None, hp.z_size), tf.float32)
        group = (strokes, eps, tf.TensorSpec((None, None, hp.dec_rnn_size), tf.float32))
        scalar = tf.TensorSpec((), tf.float32)

        @tf.function(input_signature=[(group,) * self.groups, scalar, scalar, scalar])
        def gradients(groups, batch, weight, recon_scale):
            with tf.GradientTape() as tape:
                parts = [loss_terms(model(s, eps=e, keep=k, training=True), s, hp, batch_size=batch)
                         for s, e, k in groups]
                terms = {key: tf.add_n([p[key] for p in parts]) for key in parts[0]}
                terms = with_cost(terms, hp, weight, recon_scale)
            return tape.gradient(terms["cost"], model.trainable_variables), terms

        @tf.function(autograph=False)
        def apply(grads):
            optimizer.apply(grads, model.trainable_variables)

        @tf.function(input_signature=[strokes, eps])
        def evaluate(strokes, eps):
            return losses(model(strokes, eps=eps, training=False), strokes, hp, 0.0, training=False)

        self._gradients, self._apply, self._evaluate = gradients, apply, evaluate

    def _tensorflow_train(self, strokes, eps, keep, weight, recon_scale) -> dict:
        import tensorflow as tf

        groups = []
        for index in split_by_length(lengths_of(strokes), self.groups):
            length = int(lengths_of(strokes[index]).max()) + 1
            groups.append((strokes[index, :length + 1], eps[index], keep[index, :length]))
        empty = (strokes[:0, :2], eps[:0], keep[:0, :1])  # adds nothing: one traced graph serves every batch
        groups += [empty] * (self.groups - len(groups))
        groups = tuple(tuple(tf.constant(x) for x in g) for g in groups)
        grads, terms = self._gradients(tuple(groups), np.float32(len(strokes)), np.float32(weight),
                                       np.float32(recon_scale))
        self._apply(grads)
        return {k: float(v) for k, v in terms.items()}

    def _jax(self):
        import jax

        from .model import loss_terms, losses, with_cost

        model, optimizer, hp = self.model, self.optimizer, self.hp

        def cost(trainable, fixed, strokes, eps, keep, weight, recon_scale):
            out, fixed = model.stateless_call(trainable, fixed, strokes, eps=eps, keep=keep, training=True)
            parts = with_cost(loss_terms(out, strokes, hp), hp, weight, recon_scale)
            return parts["cost"], (parts, fixed)

        grad = jax.value_and_grad(cost, has_aux=True)

        @jax.jit
        def train(state, strokes, eps, keep, weight, recon_scale):
            trainable, fixed, opt = state
            (_, (parts, fixed)), grads = grad(trainable, fixed, strokes, eps, keep, weight, recon_scale)
            trainable, opt = optimizer.stateless_apply(opt, grads, trainable)
            return parts, (trainable, fixed, opt)

        @jax.jit
        def evaluate(state, strokes, eps):
            out, _ = model.stateless_call(state[0], state[1], strokes, eps=eps, training=False)
            return losses(out, strokes, hp, 0.0, training=False)

        self._jax_train, self._jax_evaluate = train, evaluate
        self._state = None

    def _jax_state(self):
        if self._state is None:
            self._state = ([v.value for v in self.model.trainable_variables],
                           [v.value for v in self.model.non_trainable_variables],
                           [v.value for v in self.optimizer.variables])
        return self._state

    @staticmethod
    def _round_length(strokes, keep=None):
        extra = -(strokes.shape[1] - 1) % JAX_LENGTH_STEP
        if not extra:
            return strokes, keep
        pad = np.zeros((len(strokes), extra, 5), np.float32)
        pad[..., 4] = 1
        if keep is not None:
            keep = np.concatenate([keep, np.ones((len(keep), extra, keep.shape[2]), np.float32)], axis=1)
        return np.concatenate([strokes, pad], axis=1), keep

    def train(self, strokes, eps, keep, weight, recon_scale=1.0) -> dict:
        """One optimiser update on a batch; return its loss terms as floats.

        The update minimises "cost" = ``recon_scale`` x Lr + ``weight`` x max(KL, kl_tolerance);
        the other terms returned are the batch's own.
        """
        if self.backend == "jax":
            strokes, keep = self._round_length(strokes, keep)
            parts, self._state = self._jax_train(self._jax_state(), strokes, eps, keep, np.float32(weight),
                                                 np.float32(recon_scale))
            return {k: float(v) for k, v in parts.items()}
        return self._tensorflow_train(strokes, eps, keep, weight, recon_scale)

    def evaluate(self, strokes, eps) -> dict:
        """Evaluation loss terms of a batch (pen loss on real points only) as floats."""
        if self.backend == "jax":
            parts = self._jax_evaluate(self._jax_state(), self._round_length(strokes)[0], eps)
        else:
            parts = self._evaluate(strokes, eps)
        return {k: float(v) for k, v in parts.items()}

    def sync(self) -> None:
        """Write the JAX training state back into the model's and optimiser's variables."""
        if self.backend != "jax" or self._state is None:
            return
        trainable, fixed, opt = self._state
        for var, value in zip(self.model.trainable_variables, trainable):
            var.assign(value)
        for var, value in zip(self.model.non_trainable_variables, fixed):
            var.assign(value)
        for var, value in zip(self.optimizer.variables, opt):
            var.assign(value)


def dropout_masks(rng: np.random.Generator, shape, rate: float) -> np.ndarray:
    """Inverted-dropout masks: 0 with probability ``rate``, else 1 / (1 - rate), as float32."""
    return ((rng.random(shape, dtype=np.float32) >= rate) / np.float32(1 - rate)).astype(np.float32)


def evaluate_sequences(steps: Steps, sequences, scale: float, hp: HParams, seed: int = 0) -> dict:
    """Mean evaluation loss terms over ``sequences`` (stroke-3), batch-size weighted; z noise from ``seed``."""
    rng = np.random.default_rng([seed, 2])
    totals = dict.fromkeys(VALID_KEYS, 0.0)
    count = 0
    for batch in eval_batches(sequences, scale, hp.batch_size):
        eps = rng.standard_normal((len(batch), hp.z_size)).astype(np.float32)
        parts = steps.evaluate(batch, eps)
        for k in VALID_KEYS:
            totals[k] += parts[k] * len(batch)
        count += len(batch)
    return {k: v / max(count, 1) for k, v in totals.items()}


# ----------------------------------------------------------------------------- training

def _resolve_hparams(out: Path, resume: bool, force: bool, mode, batch_size, hparams: str, seed):
    """Return (hp, seed, saved info or None) for a new run or a resumed one (where changes are refused)."""
    changes = HParams().override(hparams or "")
    requested = {k: v for k, v in changes.to_dict().items() if v != HParams().to_dict()[k]}
    if mode is not None:
        requested["mode"] = mode
    if batch_size is not None:
        requested["batch_size"] = batch_size
    exists = (out / RUN_FILE).exists()
    unsaved = exists and not (out / CHECKPOINT_FILE).is_file()  # stopped (a full disk?) before its first checkpoint
    if not resume:
        if exists and force:
            read_info(out)  # a Sketch-RNN run, or an error naming what it is
        elif unsaved:
            read_info(out)
            raise QuickDrawError(f"{out} holds a run that stopped before its first checkpoint (nothing to resume); "
                                 f"{validate.option('force')} starts it again")
        elif exists:
            raise QuickDrawError(f"{out} already holds a run; {validate.option('resume')} continues it, "
                                 f"{validate.option('force')} replaces it")
        elif out.is_dir() and any(p.name != LOCK_FILE for p in out.iterdir()):
            raise QuickDrawError(f"{out} is not empty and holds no training run; choose a new or empty --out")
        return HParams().replace(**requested), (0 if seed is None else seed), None
    if not exists:
        raise QuickDrawError(f"{out} holds no run to resume; drop {validate.option('resume')} to start one")
    if unsaved:
        read_info(out)
        raise QuickDrawError(f"{out} holds a run that stopped before its first checkpoint (nothing to resume); "
                             f"start it again with {validate.option('force')} instead of {validate.option('resume')}")
    info = read_trained_info(out)
    saved = read_hparams(out)
    differ = [f"{k}: {getattr(saved, k)!r} -> {v!r}" for k, v in requested.items() if getattr(saved, k) != v]
    if seed is not None and seed != info.get("seed"):
        differ.append(f"seed: {info.get('seed')!r} -> {seed!r}")
    if differ:
        raise QuickDrawError(f"cannot resume {out} with different settings ({'; '.join(differ)}); "
                             "resume without them or train a new --out")
    return saved, info.get("seed", 0), info


def train(source, out, *, categories=None, mode=None, steps: int = 10_000, batch_size=None, hparams: str = "",
          resume: bool = False, force: bool = False, seed=None, log=None, progress: bool = True) -> dict:
    """Train a Sketch-RNN on SOURCE (sketchrnn ``.npz`` or dataset folder) into run folder ``out``.

    Trains until the step counter reaches ``steps``; every ``save_every`` steps (and at the end, and
    on Ctrl-C) it validates, checkpoints and refreshes ``losses.png`` and ``samples.png``. ``log``
    (e.g. ``print``) receives an opening line (sketches, steps, model size, where the run goes) and one
    line per validation; losses are named as in the paper: reconstruction (Lr) and KL (Lkl). ``force``
    replaces a Sketch-RNN run already in ``out``. Returns a summary dict; "interrupted" is True
    when stopped by Ctrl-C (the checkpoint is saved; ``resume=True`` continues it).
    """
    out = Path(validate.output_path(out))
    steps = validate.integer("steps", steps, 1)
    if seed is not None:
        seed = validate.seed(seed)
    if out.exists() and not out.is_dir():
        raise QuickDrawError(f"--out {out} is a file; give a folder for the run")
    if resume and force:
        raise QuickDrawError("--resume continues a run and --force replaces it: give one of them")
    _resolve_hparams(out, resume, force, mode, batch_size, hparams, seed)  # refuse early, before the folder is made
    with no_empty_folders(out), training_lock(ensure_folder(out)):
        hp, seed, saved_info = _resolve_hparams(out, resume, force, mode, batch_size, hparams, seed)  # now ours
        if force:
            clear_run(out)
        return _train(source, out, hp, seed, saved_info, categories, steps, resume, log, progress)


def _train(source, out: Path, hp: HParams, seed: int, saved_info, categories, steps: int, resume: bool, log,
           progress: bool) -> dict:
    import keras

    from .model import build_model

    if saved_info and saved_info.get("step", 0) >= steps:
        raise QuickDrawError(f"{out} is already at step {saved_info.get('step')}; ask for more --steps to go on")
    data = load_source(source, categories, hp.max_seq_len)
    if saved_info and saved_info.get("classes") != data.classes:
        raise QuickDrawError(f"cannot resume {out}: it was trained on {', '.join(saved_info['classes'])}, "
                             f"not {', '.join(data.classes)}")
    if not data.splits["valid"]:
        raise QuickDrawError(f"{source} has an empty valid split; Sketch-RNN validates on it while training")
    scale = float(saved_info["scale_factor"]) if saved_info else data.scale
    batches = TrainBatches(data.splits["train"], scale, hp.batch_size, seed, hp.random_scale_factor,
                           hp.augment_stroke_prob, hp.length_buckets)

    cpu_threads()
    keras.utils.set_random_seed(seed)
    model = build_model(hp)
    optimizer = make_optimizer(model, hp)
    history = {"train": {"step": [], **{k: [] for k in TRAIN_KEYS}},
               "valid": {"step": [], **{k: [] for k in VALID_KEYS}}}
    step = 0
    if resume:
        arrays = read_checkpoint(out)
        assign(model.variables, arrays, "model", out)
        assign(optimizer.variables, arrays, "optimizer", out)
        step = int(arrays["step"])
        history = _trim_history(read_history(out, history), step)
    info = {"kind": "sketchrnn", "mode": hp.mode, "classes": data.classes, "scale_factor": scale,
            "source": str(source), "synthetic": data.synthetic, "seed": seed, "step": step,
            "train_count": len(data.splits["train"]), "dropped": data.dropped, "backend": keras.backend.backend()}
    best = (saved_info or {}).get("best")
    if best and best.get("step", 0) <= step and (out / BEST_FILE).is_file():
        info["best"] = best
    if data.synthetic:
        info["note"] = SYNTHETIC_NOTE
    write_json(out / HPARAMS_FILE, hp.to_dict())
    write_json(out / RUN_FILE, info)

    if log:
        weights = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
        what = "SYNTHETIC " if data.synthetic else ""
        log(f"training a Sketch-RNN ({hp.mode}, {hp.dec_model} decoder, {weights:,} weights) on "
            f"{len(data.splits['train']):,} {what}{', '.join(data.classes)} sketches, validating on "
            f"{len(data.splits['valid']):,}; step {step} to {steps:,} in batches of {hp.batch_size}; run in {out}")
    runner = Steps(model, optimizer, hp)
    sampler = Sampler(model, hp, scale, data.classes, data.synthetic)
    started, first_step = time.perf_counter(), step
    bar = _progress_bar(step, steps, progress)
    interrupted = False
    last_valid = None

    def checkpoint():
        nonlocal last_valid
        runner.sync()
        last_valid = evaluate_sequences(runner, data.splits["valid"], scale, hp, seed)
        history["valid"]["step"].append(step)
        for k in VALID_KEYS:
            history["valid"][k].append(last_valid[k])
        cost = validation_cost(last_valid, hp)
        if "best" not in info or cost < info["best"]["valid_cost"]:
            write_checkpoint(out, model, None, step, BEST_FILE)
            info["best"] = {"step": step, "valid_cost": cost, "valid_recon": last_valid["recon"],
                            "valid_kl": last_valid["kl"]}
        write_checkpoint(out, model, optimizer, step)
        write_json(out / LOSSES_FILE, history)
        write_json(out / RUN_FILE, {**info, "step": step})
        plot_losses(history, out / "losses.png", _title(info, out), info["best"]["step"])
        save_grid(sampler.sample(16, temperature=0.5, seed=seed), out / "samples.png", cols=8,
                  label=_title(info, out) + f" - step {step}, temperature 0.5")
        rate = (step - first_step) / max(time.perf_counter() - started, 1e-9)
        if log:
            log(f"step {step}: train reconstruction {_recent(history, 'recon'):.4f} KL {_recent(history, 'kl'):.4f}"
                f" | valid reconstruction {last_valid['recon']:.4f} KL {last_valid['kl']:.4f} | {rate:.2f} steps/s")

    def inputs(step):
        rng = np.random.default_rng([seed, step, 2])
        batch = batches.batch(step)
        eps = rng.standard_normal((len(batch), hp.z_size)).astype(np.float32)
        keep = dropout_masks(rng, (len(batch), batch.shape[1] - 1, hp.dec_rnn_size), hp.recurrent_dropout)
        return batch, eps, keep, kl_weight(step, hp), batches.recon_scale(step)

    from concurrent.futures import ThreadPoolExecutor

    try:
        with _deferred_interrupt() as interrupt, ThreadPoolExecutor(1) as ahead:
            upcoming = ahead.submit(inputs, step)  # each step's inputs are made while the step before runs
            while step < steps and not interrupt.requested:
                batch, eps, keep, weight, recon_scale = upcoming.result()
                if step + 1 < steps:
                    upcoming = ahead.submit(inputs, step + 1)
                parts = runner.train(batch, eps, keep, weight, recon_scale)
                if not np.isfinite(parts["cost"]):
                    saved = history["valid"]["step"][-1] if history["valid"]["step"] else None
                    raise QuickDrawError(
                        f"training diverged at step {step}: the loss became {parts['cost']}; nothing of this step "
                        f"was saved ({f'{out} keeps step {saved}' if saved is not None else 'no checkpoint yet'}); "
                        f"train again with a lower {validate.option('hparams')} learning_rate or grad_clip")
                history["train"]["step"].append(step)
                for k, v in {**parts, "kl_weight": weight, "lr": learning_rate(step, hp)}.items():
                    if k in TRAIN_KEYS:
                        history["train"][k].append(v)
                step += 1
                bar.update(1)
                bar.set_postfix_str(f"reconstruction {parts['recon']:.3f} KL {parts['kl']:.3f}", refresh=False)
                if step % hp.save_every == 0 or step == steps:
                    checkpoint()
            if interrupt.requested:
                interrupted = True
                if not history["valid"]["step"] or history["valid"]["step"][-1] != step:
                    checkpoint()
    finally:
        bar.close()
    elapsed = time.perf_counter() - started
    return {"out": str(out), "step": step, "interrupted": interrupted, "valid": last_valid, "best": info.get("best"),
            "steps_per_s": (step - first_step) / max(elapsed, 1e-9), "dropped": data.dropped,
            "train_count": len(data.splits["train"]), "synthetic": data.synthetic}


class _deferred_interrupt:
    """Within this block the first Ctrl-C only sets ``requested`` (the step in flight finishes and a
    checkpoint is written); a second one interrupts at once. Outside the main thread it does nothing."""

    def __enter__(self):
        import signal
        import threading

        self.requested = False
        self._previous = None
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        import signal

        if self.requested:
            signal.signal(signal.SIGINT, self._previous)
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc):
        import signal

        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


def _recent(history, key, window: int = 20) -> float:
    values = history["train"][key][-window:]
    return float(np.mean(values)) if values else float("nan")


def _title(info: dict, out: Path) -> str:
    title = f"Sketch-RNN {out.resolve().name}: {', '.join(info['classes'])}"
    return f"{title} - {SYNTHETIC_NOTE}" if info.get("synthetic") else title


def _progress_bar(step: int, steps: int, enabled: bool):
    import sys

    from tqdm import tqdm

    return tqdm(total=steps, initial=step, desc="train-rnn", unit=" steps",
                disable=not (enabled and sys.stderr.isatty()))


def _trim_history(history: dict, step: int) -> dict:
    """Drop entries logged after the checkpoint's ``step`` (the run continues from there)."""
    trimmed = {}
    for part, limit in (("train", step - 1), ("valid", step)):
        cols = history[part]
        keep = [i for i, s in enumerate(cols["step"]) if s <= limit]
        trimmed[part] = {k: [v[i] for i in keep] for k, v in cols.items()}
    return trimmed


