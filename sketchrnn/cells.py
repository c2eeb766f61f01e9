"""The layer-normalised LSTM cell of Sketch-RNN's decoder (Ba et al. 2016), in ``keras.ops`` only.

>>> cell = LayerNormLSTMCell(8)
>>> h, (h, c) = cell(keras.ops.zeros((2, 3)), [keras.ops.zeros((2, 8))] * 2)  # doctest: +SKIP

For speed over whole sequences, project all inputs at once with ``project`` and run the recurrence
with ``scan``; only ``h @ recurrent_kernel`` and the element-wise work stay inside the loop.
"""
from __future__ import annotations

import keras
from keras import ops

EPSILON = 1e-3


def _normalize(x, gamma, beta):
    mean = ops.mean(x, axis=-1, keepdims=True)
    var = ops.mean(ops.square(x - mean), axis=-1, keepdims=True)
    return (x - mean) * ops.rsqrt(var + EPSILON) * gamma + beta


class LayerNormLSTMCell(keras.layers.Layer):
    """LSTM cell with layer normalisation on each gate block (i, j, f, o) and on the cell state.

    Gates carry no bias (the norms' betas play that part); the forget gate adds ``forget_bias``.
    ``candidate_mask`` (B, units), when given, multiplies the candidate ``tanh(j)``: recurrent
    dropout without memory loss (Semeniuta et al. 2016), one mask per sequence.
    """

    def __init__(self, units: int, forget_bias: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.forget_bias = forget_bias
        self.state_size = [units, units]
        self.output_size = units

    def build(self, input_shape):
        u = self.units
        self.kernel = self.add_weight((input_shape[-1], 4 * u), initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight((u, 4 * u), initializer="orthogonal", name="recurrent_kernel")
        self.gate_gamma = self.add_weight((4, u), initializer="ones", name="gate_gamma")
        self.gate_beta = self.add_weight((4, u), initializer="zeros", name="gate_beta")
        self.cell_gamma = self.add_weight((u,), initializer="ones", name="cell_gamma")
        self.cell_beta = self.add_weight((u,), initializer="zeros", name="cell_beta")

    def project(self, inputs):
        """Return ``inputs @ kernel`` (any leading shape): the input half of the gate pre-activations."""
        return ops.matmul(inputs, self.kernel)

    def step(self, projected, h, c, candidate_mask=None):
        """Advance one step from ``project(x_t)`` and the state (h, c); return the new (h, c)."""
        gates = projected + ops.matmul(h, self.recurrent_kernel)
        gates = ops.reshape(gates, (-1, 4, self.units))
        gates = _normalize(gates, self.gate_gamma, self.gate_beta)
        i, j, f, o = gates[:, 0], gates[:, 1], gates[:, 2], gates[:, 3]
        g = ops.tanh(j)
        if candidate_mask is not None:
            g = g * candidate_mask
        c = c * ops.sigmoid(f + self.forget_bias) + ops.sigmoid(i) * g
        h = ops.tanh(_normalize(c, self.cell_gamma, self.cell_beta)) * ops.sigmoid(o)
        return h, c

    def scan(self, projected, h, c, candidate_mask=None):
        """Run over time-major ``projected`` (T, B, 4 * units) from (h, c); return (hs (T, B, units), (h, c))."""

        def body(carry, p):
            new = self.step(p, carry[0], carry[1], candidate_mask)
            return new, new

        (h, c), (hs, _) = ops.scan(body, (h, c), projected)
        return hs, (h, c)

    def call(self, inputs, states, candidate_mask=None):
        """Keras RNN-cell interface: ``(x_t, [h, c]) -> (h, [h, c])``."""
        h, c = self.step(self.project(inputs), states[0], states[1], candidate_mask)
        return h, [h, c]

    def get_config(self):
        return {**super().get_config(), "units": self.units, "forget_bias": self.forget_bias}
