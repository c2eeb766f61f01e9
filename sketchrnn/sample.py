"""Draw with a trained Sketch-RNN: sampling, reconstruction, interpolation and completion.

All sketches going in and out are stroke-3 arrays (n, 3) or stroke-5 rows in dataset units (the
0-255 frame of the simplified data); the run's scale factor is applied inside.

Completion, step by step (what ``qd complete`` and the drawing window use)::

    sampler = Sampler.load("runs/cat")
    z = sampler.random_z(4, seed=1)                  # or sampler.encode([partial] * 4), or None
    state = sampler.prime(partial, z)                # teacher-force the decoder over the user's points
    for rows in sampler.stream(state, temperature=0.4, seed=1):
        ...                                          # rows: (4, 5) stroke-5, one new point per candidate

``Sampler.complete(strokes, n, temperature, seed)`` wraps those three calls for a drawing given as
absolute strokes ``[[xs], [ys]]``.

>>> sketches = Sampler.load("runs/eye").sample(16, temperature=0.5, seed=0)  # doctest: +SKIP
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from quickdraw.errors import QuickDrawError
from quickdraw.strokes import START_TOKEN, from_stroke3, from_stroke5, pad_batch, to_stroke3

from .config import HParams
from .model import compiled, numpy_params

END_ROW = np.array([0, 0, 0, 0, 1], dtype=np.float32)


@dataclass
class DecoderState:
    """Where the decoder stands for a batch of candidates.

    ``h``, ``c``: LSTM state (n, units); ``z``: latent codes (n, z_size) or None; ``head``: raw
    mixture outputs (n, 3 + 6M) for the next point; ``length``: points given or drawn so far;
    ``done``: which candidates have drawn their end of sketch.
    """

    h: np.ndarray
    c: np.ndarray
    z: np.ndarray | None
    head: np.ndarray
    length: int
    done: np.ndarray


class Sampler:
    """A Sketch-RNN ready to draw: model, hyperparameters and the training set's scale factor."""

    def __init__(self, model, hp: HParams, scale: float, classes=(), synthetic: bool = False):
        self.model, self.hp, self.scale = model, hp, float(scale)
        self.classes, self.synthetic = list(classes), bool(synthetic)
        self._encode = compiled(model, lambda strokes: model.encode(strokes)[0])
        self._initial = compiled(model, lambda z: model.initial_state(z))
        self._decode = compiled(model, lambda points, z, h, c: model.decode(points, z, (h, c)))
        self._step = compiled(model, lambda point, z, h, c: model.decoder_step(point, z, (h, c)))

    @classmethod
    def load(cls, rundir) -> "Sampler":
        """Load the Sampler of a ``qd train-rnn`` run folder."""
        from .train import load_run

        run = load_run(rundir)
        return cls(run.model, run.hp, run.scale, run.info.get("classes", ()), run.info.get("synthetic", False))

    @property
    def conditional(self) -> bool:
        """True when the model has an encoder and latent codes (``--mode vae``)."""
        return self.hp.conditional

    # ---------------------------------------------------------------- latent codes

    def random_z(self, n: int, seed: int) -> np.ndarray | None:
        """Return ``n`` latent codes drawn from N(0, I) (None for a decoder-only model)."""
        if not self.conditional:
            return None
        return np.random.default_rng([seed, 3]).standard_normal((n, self.hp.z_size)).astype(np.float32)

    def encode(self, sketches) -> np.ndarray:
        """Return the latent means (N, z_size) of stroke-3 ``sketches`` given in dataset units."""
        if not self.conditional:
            raise QuickDrawError("this run was trained with --mode decoder: it has no encoder or latent space; "
                                 "train with --mode vae to reconstruct or interpolate")
        for s in sketches:
            self._check_length(len(s))
        batch = pad_batch([np.asarray(s, np.float32) for s in sketches], self.scale,
                          max(len(s) for s in sketches) + 1)
        return np.asarray(self._encode(batch), dtype=np.float32)

    def _check_length(self, n: int) -> None:
        if n > self.hp.max_seq_len:
            raise QuickDrawError(f"the drawing has {n} points, more than this model's max_seq_len "
                                 f"{self.hp.max_seq_len}")

    # ---------------------------------------------------------------- decoding

    def prime(self, sketch=None, z=None, n: int | None = None) -> DecoderState:
        """Start the decoder and teacher-force it over ``sketch`` (stroke-3, dataset units; None: nothing).

        Every candidate gets the same given points; ``z`` (n, z_size) sets the number of candidates
        for a VAE, ``n`` for a decoder-only model. The returned state predicts the point after
        the last given one.
        """
        if self.conditional:
            if z is None:
                raise QuickDrawError("this model is a VAE: give latent codes z (random_z or encode)")
            z = np.asarray(z, dtype=np.float32)
            n = len(z)
            h, c = (np.asarray(v) for v in self._initial(z))
        else:
            z = None
            n = n or 1
            h = c = np.zeros((n, self.hp.dec_rnn_size), np.float32)
        given = np.zeros((0, 3), np.float32) if sketch is None else np.asarray(sketch, np.float32)
        self._check_length(len(given))
        rows = np.zeros((len(given) + 1, 5), np.float32)
        rows[0] = START_TOKEN
        if len(given):
            rows[1:] = pad_batch([given], self.scale)[0, 1:]
        points = np.repeat(rows[None], n, axis=0)
        head, (h, c) = self._decode(points, z, h, c)
        return DecoderState(np.asarray(h), np.asarray(c), z, np.asarray(head)[:, -1], len(given),
                            np.zeros(n, dtype=bool))

    def stream(self, state: DecoderState, temperature: float, seed: int,
               max_steps: int | None = None) -> Iterator[np.ndarray]:
        """Sample point after point from ``state``; yield (n, 5) stroke-5 rows in dataset units.

        Candidates that have ended yield (0, 0, 0, 0, 1) until all have ended or the sketch reaches
        ``max_seq_len`` points (or ``max_steps`` more). Mixture and pen logits are divided by
        ``temperature``; the Gaussians' spread is scaled by sqrt(temperature).
        """
        check_temperature(temperature)
        rng = np.random.default_rng([seed, 4])
        limit = self.hp.max_seq_len - state.length
        if max_steps is not None:
            limit = min(limit, max_steps)
        for _ in range(max(limit, 0)):
            rows = draw(state.head, self.hp.num_mixture, temperature, rng)
            rows[rows[:, 4] > 0.5, :2] = 0  # an end of sketch draws no point
            rows[state.done] = END_ROW
            state.done |= rows[:, 4] > 0.5
            state.length += 1
            out = rows.copy()
            out[:, :2] *= self.scale
            yield out
            if state.done.all():
                return
            head, (h, c) = self._step(rows, state.z, state.h, state.c)
            state.head, state.h, state.c = np.asarray(head), np.asarray(h), np.asarray(c)

    def sample(self, n: int, temperature: float = 0.5, seed: int = 0, z=None) -> list[np.ndarray]:
        """Draw ``n`` new sketches (stroke-3, dataset units) from latent codes ``z`` or random ones."""
        check_temperature(temperature)
        if z is None:
            z = self.random_z(n, seed)
        state = self.prime(None, z, n)
        rows = list(self.stream(state, temperature, seed))
        if not rows:
            return [np.zeros((0, 3), np.float32) for _ in range(len(state.done))]
        seq = np.stack(rows, axis=1)
        return [from_stroke5(s) for s in seq]

    def reconstruct(self, sketches, temperature: float = 0.5, seed: int = 0) -> list[np.ndarray]:
        """Encode each stroke-3 sketch and decode it again (stroke-3, dataset units)."""
        return self.sample(len(sketches), temperature, seed, z=self.encode(sketches))

    def interpolate(self, a, b, steps: int = 8, temperature: float = 0.5, seed: int = 0) -> list[np.ndarray]:
        """Decode ``steps`` codes spherically interpolated between the encodings of sketches ``a`` and ``b``."""
        if steps < 2:
            raise QuickDrawError(f"--steps must be at least 2 (both ends), not {steps}")
        za, zb = self.encode([a, b])
        z = np.stack([slerp(za, zb, t) for t in np.linspace(0, 1, steps)]).astype(np.float32)
        return self.sample(steps, temperature, seed, z=z)

    def complete(self, strokes, n: int, temperature: float, seed: int, z="random") -> Iterator[np.ndarray]:
        """Continue a drawing given as absolute strokes (2, k) in dataset units; yield (n, 5) rows per step.

        ``z``: "random" (one N(0, I) code per candidate), "encode" (the partial drawing's own code,
        shared) or an array (n, z_size); ignored by decoder-only models.
        """
        sketch = to_stroke3(strokes, dtype=np.float32)
        if not self.conditional:
            codes = None
        elif isinstance(z, str) and z == "random":
            codes = self.random_z(n, seed)
        elif isinstance(z, str) and z == "encode":
            codes = np.repeat(self.encode([sketch]), n, axis=0)
        elif isinstance(z, str):
            raise QuickDrawError(f"z must be 'random', 'encode' or an array, not {z!r}")
        else:
            codes = np.asarray(z, np.float32)
        state = self.prime(sketch, codes, n)
        return self.stream(state, temperature, seed)


def check_temperature(temperature: float) -> None:
    """Raise QuickDrawError unless ``temperature`` is a number above 0."""
    if not temperature > 0:
        raise QuickDrawError(f"temperature must be above 0, not {temperature}")


def draw(head, num_mixture: int, temperature: float, rng: np.random.Generator) -> np.ndarray:
    """Sample one stroke-5 row (normalised offsets) per row of raw head outputs (n, 3 + 6M)."""
    p = numpy_params(head, num_mixture)
    n = len(head)
    rows = np.arange(n)
    pen = _pick(_softmax(p["pen_logits"] / temperature), rng)
    k = _pick(_softmax(p["pi_logits"] / temperature), rng)
    mu_x, mu_y, rho = p["mu_x"][rows, k], p["mu_y"][rows, k], p["rho"][rows, k]
    spread = math.sqrt(temperature)
    sx, sy = p["sigma_x"][rows, k] * spread, p["sigma_y"][rows, k] * spread
    e = rng.standard_normal((n, 2))
    out = np.zeros((n, 5), dtype=np.float32)
    out[:, 0] = mu_x + sx * e[:, 0]
    out[:, 1] = mu_y + sy * (rho * e[:, 0] + np.sqrt(1 - rho ** 2) * e[:, 1])
    out[rows, 2 + pen] = 1
    return out


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _pick(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    u = rng.random((len(probs), 1))
    return np.minimum((np.cumsum(probs, axis=-1) < u).sum(axis=-1), probs.shape[-1] - 1)


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation from ``a`` (t = 0) to ``b`` (t = 1); linear when they are parallel."""
    cos = np.dot(a, b) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12)
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if omega < 1e-6:
        return (1 - t) * a + t * b
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


# ----------------------------------------------------------------------------- pictures and files

def save_grid(sketches, path, *, cols: int, titles=None, label: str = "") -> Path:
    """Write stroke-3 ``sketches`` (dataset units) as a PNG grid, ``cols`` per row, ``label`` on top."""
    from quickdraw.drawing import Drawing
    from quickdraw.plots import sketch_grid

    drawings = [Drawing(from_stroke3(s)) for s in sketches]
    titles = [""] * len(drawings) if titles is None else titles
    return sketch_grid(drawings, out=path, titles=titles, ncols=cols, label=label or None)


def to_drawing(s3, word: str = ""):
    """Return a stroke-3 sketch as a ``Drawing`` in the simplified data's frame (top-left at 0, ints 0-255)."""
    from quickdraw.drawing import Drawing

    strokes = from_stroke3(s3)
    if not strokes:
        return Drawing([], word=word, recognized=False)
    xy = np.concatenate(strokes, axis=1)
    lo = xy.min(axis=1, keepdims=True)
    size = max(float((xy.max(axis=1, keepdims=True) - lo).max()), 1e-9)
    factor = min(1.0, 255.0 / size)
    return Drawing([np.round((s - lo) * factor).astype(np.int64) for s in strokes], word=word, recognized=False)


def save_ndjson(sketches, path, word: str = "") -> Path:
    """Write stroke-3 ``sketches`` as simplified ndjson records (see ``to_drawing``)."""
    from quickdraw.formats import ndjson

    drawings = [to_drawing(s, word) for s in sketches]
    return _atomic_write(Path(path), lambda f: ndjson.write(drawings, f))


def _atomic_write(path: Path, write) -> Path:
    tmp = path.with_name(path.name + ".part")
    try:
        with open(tmp, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise QuickDrawError(f"cannot write {path}: {err.strerror or err}") from None
    return path


# ----------------------------------------------------------------------------- what the commands do

def generate(rundir, n: int = 16, temperature: float = 0.5, seed: int = 0, out="generated.png") -> str:
    """Draw ``n`` sketches from random latent codes; write a PNG grid or ndjson ``out``; return a summary."""
    check_temperature(temperature)
    if n < 1:
        raise QuickDrawError(f"--n must be at least 1, not {n}")
    out = Path(out)
    if out.suffix.lower() not in (".png", ".ndjson"):
        raise QuickDrawError(f"{out}: --out must end in .png or .ndjson")
    sampler = Sampler.load(rundir)
    sketches = sampler.sample(n, temperature, seed)
    if out.suffix.lower() == ".ndjson":
        save_ndjson(sketches, out, word=sampler.classes[0] if len(sampler.classes) == 1 else "")
    else:
        save_grid(sketches, out, cols=min(n, 8), label=_label(sampler, rundir, f"{n} samples, temperature "
                                                                            f"{temperature:g}, seed {seed}"))
    note = " (model trained on SYNTHETIC doodles)" if sampler.synthetic else ""
    return f"wrote {n} generated sketches to {out}{note}"


def reconstruct(rundir, source, n: int = 8, temperature: float = 0.5, seed: int = 0, out="reconstruct.png") -> str:
    """Encode the first ``n`` test sketches of SOURCE and decode them; write inputs over reconstructions."""
    check_temperature(temperature)
    from .data import load_source

    if n < 1:
        raise QuickDrawError(f"--n must be at least 1, not {n}")
    sampler = Sampler.load(rundir)
    data = load_source(source, None, sampler.hp.max_seq_len, splits=("test",))
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
                out="interpolate.png") -> str:
    """Decode ``steps`` latent codes on the great circle from sketch ``a`` to sketch ``b``; write a strip."""
    check_temperature(temperature)
    first, last = read_sketch(a), read_sketch(b)
    sampler = Sampler.load(rundir)
    path = sampler.interpolate(first, last, steps, temperature, seed)
    titles = ["A"] + [f"{t:.2f}" for t in np.linspace(0, 1, steps)] + ["B"]
    save_grid([first, *path, last], out, cols=steps + 2, titles=titles,
              label=_label(sampler, rundir, f"spherical interpolation A -> B, temperature {temperature:g}"))
    return f"wrote {steps} interpolated sketches between {a} and {b} to {out}"


def read_sketch(spec) -> np.ndarray:
    """Read one sketch as stroke-3 from ``PATH`` or ``PATH:N``.

    PATH is a sketchrnn ``.npz`` or a dataset folder (N-th sketch of the test split) or a drawing
    file that ``qd complete`` reads (.ndjson line N, stroke-3 .npy, strokes .json).
    """
    from .data import load_source

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
        sketches = load_source(path, None, max_seq_len=10 ** 9, splits=("test",)).splits["test"]
        if index >= len(sketches):
            raise QuickDrawError(f"{path} has {len(sketches)} test sketches; there is no number {index}")
        return np.asarray(sketches[index], np.float32)
    from .complete import read_partial

    return to_stroke3(read_partial(path, index=index), dtype=np.float32)


def _label(sampler: Sampler, rundir, what: str, synthetic_input: bool = False) -> str:
    label = f"Sketch-RNN {Path(rundir).name} ({', '.join(sampler.classes)}): {what}"
    if sampler.synthetic or synthetic_input:
        label += " - SYNTHETIC doodles, not Quick, Draw! data"
    return label
