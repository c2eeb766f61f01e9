"""Draw with a trained Sketch-RNN: sampling, reconstruction, interpolation and completion.

All sketches going in and out are stroke-3 arrays (n, 3) or stroke-5 rows in dataset units (the
0-255 frame of the simplified data); the run's scale factor is applied inside.

Completion, step by step (what ``qd complete`` and the drawing window use)::

    sampler = Sampler.from_run(load_run("runs/cat"))
    z = sampler.random_z(4, seed=1)                  # or sampler.encode([partial] * 4), or None
    state = sampler.prime(partial, z)                # teacher-force the decoder over the user's points
    for rows in sampler.stream(state, temperature=0.4, seed=1):
        ...                                          # rows: (4, 5) stroke-5, one new point per candidate

``Sampler.complete(strokes, n, temperature, seed)`` wraps those three calls for a drawing given as
absolute strokes ``[[xs], [ys]]``.

>>> sketches = sketchrnn.models.sampler("runs/eye").sample(16, temperature=0.5, seed=0)  # doctest: +SKIP
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from quickdraw.core import validate
from quickdraw.errors import QuickDrawError
from quickdraw.formats.strokes import START_TOKEN, from_stroke5, pad_batch, to_stroke3

from .config import HParams
from .model import compiled, numpy_params

END_ROW = np.array([0, 0, 0, 0, 1], dtype=np.float32)
TEMPERATURE_RULES = ("magenta", "sketch-rnn-js")
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#17becf", "#e377c2", "#8c564b", "#bcbd22"]


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
    """A Sketch-RNN ready to draw: model, hyperparameters and the training set's scale factor.

    ``temperature_rule`` says how temperature reshapes the next point's distribution: "magenta"
    (Magenta's Python sampler, qd's own runs) or "sketch-rnn-js" (the official pretrained models,
    adjusted as the JS demos do); see ``mixture``.
    """

    def __init__(self, model, hp: HParams, scale: float, classes=(), synthetic: bool = False,
                 temperature_rule: str = "magenta", name: str = ""):
        self.model, self.hp, self.scale = model, hp, float(scale)
        self.classes, self.synthetic = list(classes), bool(synthetic)
        if temperature_rule not in TEMPERATURE_RULES:
            raise QuickDrawError(f"unknown temperature rule {temperature_rule!r}")
        self.temperature_rule = temperature_rule
        self.name = name
        self._encode = compiled(model, lambda strokes: model.encode(strokes)[0])
        self._initial = compiled(model, lambda z: model.initial_state(z))
        self._decode = compiled(model, lambda points, z, h, c: model.decode(points, z, (h, c)))
        self._step = compiled(model, lambda point, z, h, c: model.decoder_step(point, z, (h, c)))

    @classmethod
    def from_run(cls, run) -> "Sampler":
        """The Sampler of a loaded ``Run`` (a run folder or an official model)."""
        info = run.info
        return cls(run.model, run.hp, run.scale, info.get("classes", ()), info.get("synthetic", False),
                   info.get("temperature_rule", "magenta"), info.get("pretrained") or run.path.name)

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
            raise QuickDrawError(f"{self.name or 'this model'} is a decoder-only model: it has no encoder or latent "
                                 "space to reconstruct, interpolate or encode with (qd's own --mode vae runs have one)")
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
        ``temperature``; the Gaussians' spread is scaled by sqrt(temperature). A temperature outside
        0.01-10 is refused here, before the first point (``check_temperature``).
        """
        return self._stream(state, check_temperature(temperature), seed, max_steps)

    def _stream(self, state: DecoderState, temperature: float, seed: int, max_steps: int | None):
        rng = np.random.default_rng([seed, 4])
        limit = self.hp.max_seq_len - state.length
        if max_steps is not None:
            limit = min(limit, max_steps)
        for _ in range(max(limit, 0)):
            rows = draw(state.head, self.hp.num_mixture, temperature, rng, self.temperature_rule)
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
        temperature = check_temperature(temperature)
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


def check_temperature(temperature: float) -> float:
    """``temperature`` as a float, or a QuickDrawError unless it is a finite number from 0.01 to 10
    (``quickdraw.core.validate.temperature``): infinity or NaN would sample no drawing at all."""
    return validate.temperature(temperature)


def mixture(head, num_mixture: int, temperature: float = 1.0, rule: str = "magenta") -> dict:
    """The next point's distribution from raw head outputs (n, 3 + 6M), reshaped by ``temperature``.

    Returns probabilities "pi" (n, M) and "pen" (n, 3), "mu_x", "mu_y", "sigma_x", "sigma_y", "rho"
    (n, M). Both rules scale the Gaussians' spread by sqrt(T); "magenta" divides the mixture and pen
    logits by T, "sketch-rnn-js" by 0.5 + 0.5 T (its getPDF).
    """
    p = numpy_params(head, num_mixture)
    discrete = temperature if rule == "magenta" else 0.5 + 0.5 * temperature
    spread = math.sqrt(temperature)
    return {"pi": _softmax(p["pi_logits"] / discrete), "pen": _softmax(p["pen_logits"] / discrete),
            "mu_x": p["mu_x"], "mu_y": p["mu_y"], "sigma_x": p["sigma_x"] * spread,
            "sigma_y": p["sigma_y"] * spread, "rho": p["rho"]}


def draw(head, num_mixture: int, temperature: float, rng: np.random.Generator, rule: str = "magenta") -> np.ndarray:
    """Sample one stroke-5 row (normalised offsets) per row of raw head outputs (n, 3 + 6M)."""
    p = mixture(head, num_mixture, temperature, rule)
    n = len(head)
    rows = np.arange(n)
    pen = _pick(p["pen"], rng)
    k = _pick(p["pi"], rng)
    mu_x, mu_y, rho = p["mu_x"][rows, k], p["mu_y"][rows, k], p["rho"][rows, k]
    sx, sy = p["sigma_x"][rows, k], p["sigma_y"][rows, k]
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


class Growth:
    """Turns completer steps into absolute strokes per candidate, starting at ``origin``.

    >>> g = Growth((10, 10), n=1)
    >>> g.add([[5, 0, 1, 0, 0]]), g.add([[5, 0, 0, 1, 0]]), g.add([[0, 0, 0, 0, 1]])
    ([(0, True)], [(0, False)], [])
    >>> g.completions[0][0].tolist(), g.finished.tolist()
    ([[15.0, 20.0], [10.0, 10.0]], [True])
    """

    def __init__(self, origin, n: int):
        self.n = n
        self.pen = np.tile(np.asarray(origin, dtype=np.float64), (n, 1))
        self.completions: list[list[np.ndarray]] = [[] for _ in range(n)]
        self.finished = np.zeros(n, dtype=bool)
        self._new_stroke = np.ones(n, dtype=bool)

    def add(self, rows) -> list[tuple[int, bool]]:
        """Apply one step of (n, 5) rows; return (candidate, started a new stroke) for each point added."""
        added = []
        for i, (dx, dy, _, p2, p3) in enumerate(np.asarray(rows, dtype=np.float64)[: self.n]):
            if self.finished[i]:
                continue
            if p3 > 0.5:
                self.finished[i] = True
                continue
            self.pen[i] += (dx, dy)
            point = self.pen[i][:, None].copy()
            strokes = self.completions[i]
            if self._new_stroke[i]:
                strokes.append(point)
            else:
                strokes[-1] = np.concatenate([strokes[-1], point], axis=1)
            added.append((i, bool(self._new_stroke[i])))
            self._new_stroke[i] = p2 > 0.5
        return added
