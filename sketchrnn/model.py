"""Sketch-RNN (Ha & Eck 2017): bidirectional LSTM encoder, LSTM decoder (LayerNorm or plain), mixture head, losses.

Everything is ``keras.ops`` and Keras layers, so it runs on the TensorFlow and JAX backends.
Batches are stroke-5 arrays (B, T + 1, 5) whose row 0 is the start token (0, 0, 1, 0, 0) and whose
padding rows are (0, 0, 0, 0, 1), offsets already divided by the scale factor
(``quickdraw.formats.strokes.pad_batch``).

>>> model = build_model(HParams(enc_rnn_size=32, dec_rnn_size=64, z_size=8, num_mixture=3))  # doctest: +SKIP
>>> out = model(batch, eps=np.random.randn(len(batch), 8), training=True)  # doctest: +SKIP
>>> parts = losses(out, batch, model.hp, kl_weight=0.01)  # doctest: +SKIP
"""
from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from .cells import DECODER_CELLS, BidirectionalLSTM
from .config import HParams

LOG_EPSILON = math.log(1e-6)  # Magenta's epsilon inside -log(p + 1e-6)
LOG_2PI = math.log(2 * math.pi)
LOG_FLOOR = -20.0


class SketchRNN(keras.Model):
    """The Sketch-RNN VAE (``hp.mode == "vae"``) or its decoder alone (``"decoder"``).

    ``call(strokes, eps=None, keep=None, training=False)`` returns a dict: "head" (B, T, 3 + 6M) raw
    mixture outputs, and for the VAE "mu" and "presig" (B, z). ``eps`` (B, z) is the standard normal
    noise of the reparametrisation (None: z = mu); ``keep`` (B, T, dec_rnn_size) holds the recurrent
    dropout masks of each step, already divided by the keep probability (None: no dropout). Randomness comes in
    as inputs so that a seed fixes every bit and the JAX backend needs no random state.
    """

    def __init__(self, hp: HParams, **kwargs):
        super().__init__(name="sketch_rnn", **kwargs)
        self.hp = hp
        small = keras.initializers.RandomNormal(stddev=0.001)
        if hp.conditional:
            self.encoder = BidirectionalLSTM(hp.enc_rnn_size, name="encoder")
            self.to_mu = keras.layers.Dense(hp.z_size, kernel_initializer=small, name="mu")
            self.to_presig = keras.layers.Dense(hp.z_size, kernel_initializer=small, name="presig")
            self.to_state = keras.layers.Dense(2 * hp.dec_rnn_size, activation="tanh",
                                               kernel_initializer=small, name="initial_state")
        self.cell = DECODER_CELLS[hp.dec_model](hp.dec_rnn_size, name="decoder")
        self.head = keras.layers.Dense(3 + 6 * hp.num_mixture, name="mixture")

    def build(self, input_shape=None):
        hp = self.hp
        if hp.conditional:
            self.encoder.build((None, None, 5))
            self.to_mu.build((None, 2 * hp.enc_rnn_size))
            self.to_presig.build((None, 2 * hp.enc_rnn_size))
            self.to_state.build((None, hp.z_size))
        self.cell.build((None, 5 + (hp.z_size if hp.conditional else 0)))
        self.head.build((None, hp.dec_rnn_size))
        self.built = True

    def encode(self, strokes):
        """Return (mu, presig) of q(z | sketch) for stroke-5 ``strokes`` (B, T + 1, 5) with start token."""
        points = strokes[:, 1:]
        mask = points[..., 4] < 0.5
        hidden = self.encoder(points, mask)
        return self.to_mu(hidden), self.to_presig(hidden)

    def initial_state(self, z=None, batch_size=None):
        """Return the decoder's first (h, c): tanh(W z + b) split in two, or zeros without z."""
        if z is None:
            zeros = ops.zeros((batch_size, self.hp.dec_rnn_size))
            return zeros, zeros
        hc = self.to_state(z)
        return hc[:, :self.hp.dec_rnn_size], hc[:, self.hp.dec_rnn_size:]

    def decoder_inputs(self, points, z=None):
        """Return the decoder's input rows ``[point; z]`` for points (B, T, 5) (just points without z)."""
        if z is None:
            return points
        tiled = ops.repeat(ops.expand_dims(z, 1), ops.shape(points)[1], axis=1)
        return ops.concatenate([points, ops.cast(tiled, points.dtype)], axis=-1)

    def decode(self, points, z, state, keep=None):
        """Teacher-force the decoder over points (B, T, 5) from ``state``; return (head (B, T, 3 + 6M), state).

        ``keep`` (B, T, units): per-step dropout masks of the candidate, or None.
        """
        hs, state = self.cell.sequence(self.decoder_inputs(points, z), state[0], state[1], keep)
        return self.head(hs), state

    def decoder_step(self, point, z, state):
        """Advance the decoder one step on ``point`` (B, 5); return (head (B, 3 + 6M), new state)."""
        inputs = point if z is None else ops.concatenate([point, ops.cast(z, point.dtype)], axis=-1)
        h, c = self.cell.step(self.cell.project(inputs), state[0], state[1])
        return self.head(h), (h, c)

    def call(self, strokes, eps=None, keep=None, training=False):
        strokes = ops.convert_to_tensor(strokes, "float32")
        out = {}
        z = None
        if self.hp.conditional:
            mu, presig = self.encode(strokes)
            z = mu if eps is None else mu + ops.exp(presig / 2) * ops.convert_to_tensor(eps, "float32")
            out["mu"], out["presig"] = mu, presig
        state = self.initial_state(z, ops.shape(strokes)[0])
        if keep is not None:
            keep = ops.convert_to_tensor(keep, "float32")
        out["head"], _ = self.decode(strokes[:, :-1], z, state, keep)
        return out


def build_model(hp: HParams) -> SketchRNN:
    """Create a Sketch-RNN for ``hp`` with its weights built (seed them with ``keras.utils.set_random_seed``)."""
    model = SketchRNN(hp)
    model.build()
    return model


def compiled(model: keras.Model, fn):
    """Return ``fn`` compiled for the Keras backend, reading ``model``'s current weights at each call.

    TensorFlow: a ``tf.function``; JAX: ``jax.jit`` with the weights passed in (so updates made
    after compiling are seen); other backends: ``fn`` itself, run eagerly.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, reduce_retracing=True, autograph=False)
    if backend == "jax":
        import jax

        def pure(values, *args):
            with keras.StatelessScope(state_mapping=list(zip(model.variables, values))):
                return fn(*args)

        jitted = jax.jit(pure)
        return lambda *args: jitted([v.value for v in model.variables], *args)
    return fn


def split_head(head, num_mixture: int):
    """Split raw head outputs (..., 3 + 6M) into a dict of mixture parameters.

    Keys: "pen_logits" (..., 3), "log_pi" (log-softmax weights), "mu_x", "mu_y", "log_sigma_x",
    "log_sigma_y", "corr" (rho = tanh(corr)), each (..., M), in Magenta's column order.
    """
    m = num_mixture
    pi, mu_x, mu_y, sx, sy, corr = (head[..., 3 + k * m:3 + (k + 1) * m] for k in range(6))
    return {"pen_logits": head[..., :3], "log_pi": ops.log_softmax(pi, axis=-1), "mu_x": mu_x,
            "mu_y": mu_y, "log_sigma_x": sx, "log_sigma_y": sy, "corr": corr}


def _log_one_minus_rho2(corr):
    # 1 - tanh(c)^2 = sech(c)^2, computed without cancellation for large |c|
    a = ops.abs(corr)
    return 2.0 * (math.log(2.0) - a - ops.softplus(-2.0 * a))


def offset_nll(params, dx, dy):
    """Return -log(sum_k pi_k N(dx, dy | k) + 1e-6) per point; ``dx``, ``dy`` shaped like the batch.

    Computed in log space. sigma and 1 - rho^2 are floored at exp(-20), far below anything float32
    data can resolve, so that no overflow turns the loss or its gradient into NaN.
    """
    dx, dy = ops.expand_dims(dx, -1), ops.expand_dims(dy, -1)
    log_sx = ops.maximum(params["log_sigma_x"], LOG_FLOOR)
    log_sy = ops.maximum(params["log_sigma_y"], LOG_FLOOR)
    zx = (dx - params["mu_x"]) * ops.exp(-log_sx)
    zy = (dy - params["mu_y"]) * ops.exp(-log_sy)
    rho = ops.tanh(params["corr"])
    log_1mr2 = ops.maximum(_log_one_minus_rho2(params["corr"]), LOG_FLOOR)
    quad = (ops.square(zx) + ops.square(zy) - 2.0 * rho * zx * zy) * ops.exp(-log_1mr2)
    log_n = -LOG_2PI - log_sx - log_sy - 0.5 * log_1mr2 - 0.5 * quad
    log_p = ops.logsumexp(params["log_pi"] + log_n, axis=-1)
    return -ops.logaddexp(log_p, LOG_EPSILON)


def pen_cross_entropy(params, pen):
    """Return the softmax cross-entropy of the pen-state logits against one-hot ``pen`` (..., 3)."""
    return -ops.sum(pen * ops.log_softmax(params["pen_logits"], axis=-1), axis=-1)


def loss_terms(outputs, strokes, hp: HParams, training=True, batch_size=None):
    """Return Magenta's loss terms of a batch (or of one group of it) as a dict of scalars.

    "offset" and "pen" are sums divided by (``batch_size`` x max_seq_len), ``batch_size`` being the
    whole batch's size when ``strokes`` is one group of it (default: its own), and "recon" = offset +
    pen is Magenta's Lr. Offsets count on real points only. Pen states count on real points in
    evaluation (``training=False``) and, while training, also on the end-of-sketch row after them;
    Magenta also trains them on the padding rows up to max_seq_len, which only teach the model to
    stay ended, so leaving them out makes the loss independent of how a batch is padded.
    "kl" is the raw KL divergence: a sum over sketches of the mean over z dims, / ``batch_size``.
    Terms of the groups of a batch add up to the terms of the whole batch.
    """
    strokes = ops.convert_to_tensor(strokes, "float32")
    target = strokes[:, 1:]
    real = 1.0 - target[..., 4]
    batch = ops.cast(ops.shape(strokes)[0] if batch_size is None else batch_size, "float32")
    params = split_head(outputs["head"], hp.num_mixture)
    denom = batch * hp.max_seq_len
    offset = ops.sum(offset_nll(params, target[..., 0], target[..., 1]) * real) / denom
    if training:
        ended_before = ops.concatenate([ops.zeros_like(real[:, :1]), 1.0 - real[:, :-1]], axis=1)
        counted = 1.0 - ended_before
    else:
        counted = real
    pen = ops.sum(pen_cross_entropy(params, target[..., 2:]) * counted) / denom
    if hp.conditional:
        mu, presig = outputs["mu"], outputs["presig"]
        kl = -0.5 * ops.sum(ops.mean(1.0 + presig - ops.square(mu) - ops.exp(presig), axis=-1)) / batch
    else:
        kl = ops.zeros(())
    return {"recon": offset + pen, "offset": offset, "pen": pen, "kl": kl}


def with_cost(terms: dict, hp: HParams, kl_weight=0.0, recon_scale=1.0) -> dict:
    """Add "kl_cost" = max(kl, kl_tolerance) and "cost" = recon_scale * recon + kl_weight * kl_cost
    (what training minimises; ``recon_scale`` weighs batches of length-sorted training, see TrainBatches)."""
    kl_cost = ops.maximum(terms["kl"], hp.kl_tolerance) if hp.conditional else terms["kl"]
    return {**terms, "kl_cost": kl_cost, "cost": recon_scale * terms["recon"] + kl_weight * kl_cost}


def losses(outputs, strokes, hp: HParams, kl_weight=0.0, training=True):
    """Return ``loss_terms`` of a whole batch with its "kl_cost" and "cost" (see ``with_cost``)."""
    return with_cost(loss_terms(outputs, strokes, hp, training), hp, kl_weight)


def numpy_params(head: np.ndarray, num_mixture: int) -> dict:
    """Numpy mixture parameters from one step's head outputs (B, 3 + 6M): pi, mu, sigma, rho, pen probs."""
    head = np.asarray(head, dtype=np.float64)
    m = num_mixture
    pi, mu_x, mu_y, sx, sy, corr = (head[:, 3 + k * m:3 + (k + 1) * m] for k in range(6))
    return {"pen_logits": head[:, :3], "pi_logits": pi, "mu_x": mu_x, "mu_y": mu_y,
            "sigma_x": np.exp(sx), "sigma_y": np.exp(sy), "rho": np.tanh(corr)}
