"""An independent numpy forward pass of a pretrained Sketch-RNN decoder-only model (``.gen.json``).

Written from the file-format description alone (``../shared/quickdraw-models/README.md``) and the
behaviour of Magenta's JavaScript implementation (``@magenta/sketch``), so that it can check the
project's own implementation; it deliberately imports nothing from the ``quickdraw``, ``sketchrnn``
or ``cli`` packages.

File format: a JSON list ``[info, shapes, weights]``:

* ``info``: ``{"mode": 2, "version": 6, "name": ..., "max_seq_len": ..., "scale_factor": ...}``;
* ``shapes``: ``[[H, 123], [123], [5, 4H], [H, 4H], [4H]]``: output kernel and bias, then the
  LSTM's input kernel, recurrent kernel and bias;
* ``weights``: one base64 string per shape holding little-endian int16 values, each standing for
  ``10 * int16 / 32767``, in row-major (C) order.

Model: TensorFlow's basic LSTM cell (gate order i, j, f, o; forget bias 1.0; no layer norm), zero
initial state, the start input ``[0, 0, 1, 0, 0]``, then stroke-5 rows ``[dx, dy, p1, p2, p3]``
with ``dx, dy`` in *model units* (dataset offsets divided by ``scale_factor``; the JS ``update()``
takes screen pixels and divides them by ``scale_factor / 2``). After each step the output layer
maps ``h`` to 3 pen logits and 20 mixtures x 6 parameters (pi, mu1, mu2, sigma1, sigma2, corr).

Everything is computed in float64 (the JS code runs in float32; the two agree to ~1e-6).
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np

NMIXTURE = 20
FORGET_BIAS = 1.0
MAX_WEIGHT = 10.0
START_TOKEN = (0.0, 0.0, 1.0, 0.0, 0.0)
PARAM_NAMES = ("pi", "mu1", "mu2", "sigma1", "sigma2", "corr", "pen")


def decode_weights(b64: str, shape) -> np.ndarray:
    """Decode one base64 weight string: little-endian int16, value = 10 * int16 / 32767, reshaped (C order)."""
    raw = np.frombuffer(base64.b64decode(b64), dtype="<i2")
    n = int(np.prod(shape))
    if raw.size != n:
        raise ValueError(f"weight string holds {raw.size} values, shape {list(shape)} needs {n}")
    return (MAX_WEIGHT * raw.astype(np.float64) / 32767.0).reshape(shape)


def load_gen_json(path) -> dict:
    """Read a ``.gen.json`` file into a dict of float64 arrays and its info.

    Returns ``{"info", "num_units", "output_kernel" (H, 123), "output_bias" (123,),
    "lstm_kernel_x" (5, 4H), "lstm_kernel_h" (H, 4H), "lstm_bias" (4H,)}``.
    """
    info, shapes, weights = json.loads(Path(path).read_text())
    if len(shapes) != 5 or len(weights) != 5:
        raise ValueError(f"{path}: expected 5 weight arrays (decoder-only model), found {len(shapes)}")
    arrays = [decode_weights(w, s) for w, s in zip(weights, shapes)]
    h = shapes[0][0]
    expected = [[h, 3 + 6 * NMIXTURE], [3 + 6 * NMIXTURE], [5, 4 * h], [h, 4 * h], [4 * h]]
    if [list(s) for s in shapes] != expected:
        raise ValueError(f"{path}: shapes {shapes}, expected {expected}")
    return {
        "info": info,
        "num_units": h,
        "output_kernel": arrays[0],
        "output_bias": arrays[1],
        "lstm_kernel_x": arrays[2],
        "lstm_kernel_h": arrays[3],
        "lstm_bias": arrays[4],
    }


def zero_state(model: dict) -> tuple[np.ndarray, np.ndarray]:
    """The initial LSTM state ``(h, c)``: both zero vectors of length H."""
    n = model["num_units"]
    return np.zeros(n), np.zeros(n)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, written via tanh so large |x| cannot overflow."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - np.max(x))
    return e / e.sum()


def lstm_step(model: dict, x, h: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One basic LSTM step (TensorFlow ``BasicLSTMCell``): returns the new ``(h, c)``.

    ``z = x @ W_x + h @ W_h + b`` split into four H-blocks i, j, f, o;
    ``c' = c * sigmoid(f + 1.0) + sigmoid(i) * tanh(j)``, ``h' = tanh(c') * sigmoid(o)``.
    ``x`` is one stroke-5 row in model units.
    """
    x = np.asarray(x, dtype=np.float64)
    z = x @ model["lstm_kernel_x"] + h @ model["lstm_kernel_h"] + model["lstm_bias"]
    i, j, f, o = np.split(z, 4)
    c_new = c * _sigmoid(f + FORGET_BIAS) + _sigmoid(i) * np.tanh(j)
    h_new = np.tanh(c_new) * _sigmoid(o)
    return h_new, c_new


def mixture_params(model: dict, h: np.ndarray, temperature: float = 1.0,
                   softmax_temperature: float | None = None) -> dict:
    """The output distribution for hidden state ``h``, adjusted for temperature as JS ``getPDF`` does.

    ``y = h @ W_out + b_out`` is split into 3 pen logits, then six blocks of 20: pi logits, mu1,
    mu2, log sigma1, log sigma2, raw corr. With ``T = temperature`` and the "discrete" temperature
    ``D = 0.5 + 0.5 * T`` (or ``softmax_temperature`` when given, as in JS):
    ``pi = softmax(pi_logits / D)``, ``pen = softmax(pen_logits / D)``,
    ``sigma = exp(log_sigma) * sqrt(T)``, ``mu`` unchanged, ``corr = tanh(raw_corr)``.
    (This differs from the Python sketch-rnn sampler, which divides log-probabilities by T itself.)
    Returns a dict of float64 arrays keyed by :data:`PARAM_NAMES`.
    """
    y = h @ model["output_kernel"] + model["output_bias"]
    pen_logits, rest = y[:3], y[3:]
    pi_logits, mu1, mu2, log_s1, log_s2, raw_corr = np.split(rest, 6)
    discrete = 0.5 + 0.5 * temperature if softmax_temperature is None else softmax_temperature
    sqrt_t = np.sqrt(temperature)
    return {
        "pi": _softmax(pi_logits / discrete),
        "mu1": mu1,
        "mu2": mu2,
        "sigma1": np.exp(log_s1) * sqrt_t,
        "sigma2": np.exp(log_s2) * sqrt_t,
        "corr": np.tanh(raw_corr),
        "pen": _softmax(pen_logits / discrete),
    }


def run(model: dict, inputs_stroke5_model_units, temperatures=(1.0,)) -> dict:
    """Feed stroke-5 rows (model units, start token included if wanted) one by one from the zero state.

    After each row, records the mixture parameters at every temperature in ``temperatures``.
    Returns ``{"h": (N, H), "c": (N, H), "params": {T: {name: (N, k) array}}}`` where row ``n``
    holds the state and parameters after feeding input row ``n``.
    """
    h, c = zero_state(model)
    hs, cs = [], []
    params = {float(t): {k: [] for k in PARAM_NAMES} for t in temperatures}
    for row in np.asarray(inputs_stroke5_model_units, dtype=np.float64):
        h, c = lstm_step(model, row, h, c)
        hs.append(h)
        cs.append(c)
        for t in params:
            for k, v in mixture_params(model, h, t).items():
                params[t][k].append(v)
    return {
        "h": np.array(hs),
        "c": np.array(cs),
        "params": {t: {k: np.array(v) for k, v in d.items()} for t, d in params.items()},
    }
