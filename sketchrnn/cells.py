"""Sketch-RNN's recurrent layers in ``keras.ops``: the decoder cells (LayerNorm-LSTM, plain LSTM) and the encoder.

>>> cell = LayerNormLSTMCell(8)
>>> h, (h, c) = cell(keras.ops.zeros((2, 3)), [keras.ops.zeros((2, 8))] * 2)  # doctest: +SKIP

Both run whole sequences through ``keras.layers.RNN`` over inputs projected in one matmul before
the loop, so only ``h @ recurrent_kernel`` and element-wise work remain per step; the encoder runs
its two directions in one loop. Few operations per step matter on CPUs, where each costs a fixed
dispatch time whatever the batch size.
"""
from __future__ import annotations

import keras
from keras import ops

EPSILON = 1e-3


def _normalize(x, gamma, beta):
    mean = ops.mean(x, axis=-1, keepdims=True)
    centred = x - mean
    var = ops.mean(ops.square(centred), axis=-1, keepdims=True)
    return centred * ops.rsqrt(var + EPSILON) * gamma + beta


class _Step(keras.layers.Layer):
    """A weightless RNN cell running ``step(inputs, h, c) -> (h, c)`` of a layer that owns the weights."""

    def __init__(self, step, units: int, **kwargs):
        super().__init__(**kwargs)
        self.step = step
        self.state_size = [units, units]
        self.output_size = units

    def call(self, inputs, states):
        h, c = self.step(inputs, states[0], states[1])
        return h, [h, c]


class _DecoderCell(keras.layers.Layer):
    """What both decoder cells share: the whole-sequence loops, with and without dropout masks.

    A subclass builds ``kernel`` (input half of the gate pre-activations) and defines ``step``.
    """

    def __init__(self, units: int, forget_bias: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.forget_bias = forget_bias
        self.state_size = [units, units]
        self.output_size = units
        self._plain = keras.layers.RNN(_Step(self._projected_step, units), return_sequences=True,
                                       return_state=True, name="loop")
        self._masked = keras.layers.RNN(_Step(self._masked_step, units), return_sequences=True,
                                        return_state=True, name="masked_loop")

    def project(self, inputs):
        """Return ``inputs @ kernel`` (any leading shape): the input half of the gate pre-activations."""
        return ops.matmul(inputs, self.kernel)

    def _projected_step(self, projected, h, c):
        return self.step(projected, h, c)

    def _masked_step(self, joined, h, c):
        projected, mask = ops.split(joined, [4 * self.units], axis=-1)
        return self.step(projected, h, c, mask)

    def sequence(self, inputs, h, c, candidate_masks=None):
        """Run over ``inputs`` (B, T, D) from (h, c); return (hs (B, T, units), (h, c)).

        ``candidate_masks`` (B, T, units), when given, holds one dropout mask per step.
        """
        projected = self.project(inputs)
        if candidate_masks is None:
            hs, h, c = self._plain(projected, initial_state=[h, c])
        else:
            joined = ops.concatenate([projected, ops.cast(candidate_masks, projected.dtype)], axis=-1)
            hs, h, c = self._masked(joined, initial_state=[h, c])
        return hs, (h, c)

    def call(self, inputs, states, candidate_mask=None):
        """Keras RNN-cell interface: ``(x_t, [h, c]) -> (h, [h, c])``."""
        h, c = self.step(self.project(inputs), states[0], states[1], candidate_mask)
        return h, [h, c]

    def get_config(self):
        return {**super().get_config(), "units": self.units, "forget_bias": self.forget_bias}


class LayerNormLSTMCell(_DecoderCell):
    """LSTM cell with layer normalisation on each gate block (i, j, f, o) and on the cell state.

    Gates carry no bias (the norms' betas play that part); the forget gate adds ``forget_bias``.
    ``candidate_mask`` (B, units), when given, multiplies the candidate ``tanh(j)``: recurrent
    dropout without memory loss (Semeniuta et al. 2016), a fresh mask at every step as in Magenta.
    """

    def build(self, input_shape):
        u = self.units
        self.kernel = self.add_weight((input_shape[-1], 4 * u), initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight((u, 4 * u), initializer="orthogonal", name="recurrent_kernel")
        self.gate_gamma = self.add_weight((4, u), initializer="ones", name="gate_gamma")
        self.gate_beta = self.add_weight((4, u), initializer="zeros", name="gate_beta")
        self.cell_gamma = self.add_weight((u,), initializer="ones", name="cell_gamma")
        self.cell_beta = self.add_weight((u,), initializer="zeros", name="cell_beta")

    def step(self, projected, h, c, candidate_mask=None):
        """Advance one step from ``project(x_t)`` and the state (h, c); return the new (h, c)."""
        gates = projected + ops.matmul(h, self.recurrent_kernel)
        gates = _normalize(ops.reshape(gates, (-1, 4, self.units)), self.gate_gamma, self.gate_beta)
        i, j, f, o = ops.unstack(gates, 4, axis=1)
        g = ops.tanh(j)
        if candidate_mask is not None:
            g = g * candidate_mask
        c = c * ops.sigmoid(f + self.forget_bias) + ops.sigmoid(i) * g
        h = ops.tanh(_normalize(c, self.cell_gamma, self.cell_beta)) * ops.sigmoid(o)
        return h, c


class LSTMCell(_DecoderCell):
    """TensorFlow's basic LSTM cell, as sketch-rnn-js runs the official models (Magenta's ``lstm``).

    Gates i, j, f, o from ``x @ kernel + h @ recurrent_kernel + bias``; the forget gate adds
    ``forget_bias``; no normalisation. ``candidate_mask`` works as in ``LayerNormLSTMCell``.
    """

    def build(self, input_shape):
        u = self.units
        self.kernel = self.add_weight((input_shape[-1], 4 * u), initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight((u, 4 * u), initializer="orthogonal", name="recurrent_kernel")
        self.bias = self.add_weight((4 * u,), initializer="zeros", name="bias")

    def step(self, projected, h, c, candidate_mask=None):
        """Advance one step from ``project(x_t)`` and the state (h, c); return the new (h, c)."""
        gates = projected + ops.matmul(h, self.recurrent_kernel) + self.bias
        i, j, f, o = ops.split(gates, 4, axis=-1)
        g = ops.tanh(j)
        if candidate_mask is not None:
            g = g * candidate_mask
        c = c * ops.sigmoid(f + self.forget_bias) + ops.sigmoid(i) * g
        h = ops.tanh(c) * ops.sigmoid(o)
        return h, c


DECODER_CELLS = {"layer_norm": LayerNormLSTMCell, "lstm": LSTMCell}


class BidirectionalLSTM(keras.layers.Layer):
    """Forward and backward LSTMs over right-padded sequences, run as one loop; returns [h_fw; h_bw].

    ``call(inputs (B, T, D), mask (B, T))`` returns (B, 2 * units): the forward LSTM's state after
    each sequence's last real step and the backward LSTM's after its first. The backward direction
    reads each sequence reversed within its own length, so padding trails in both directions and
    one mask serves both. Gates are Magenta's: bias initialised to 0, forget gate + ``forget_bias``.
    """

    def __init__(self, units: int, forget_bias: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.forget_bias = forget_bias
        self._loop = keras.layers.RNN(_Step(self._step, 2 * units), name="loop")

    def build(self, input_shape):
        u = self.units
        self.kernel = self.add_weight((2, input_shape[-1], 4 * u), initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight((2, u, 4 * u), initializer="orthogonal", name="recurrent_kernel")
        self.bias = self.add_weight((2, 4 * u), initializer="zeros", name="bias")

    def _step(self, projected, h, c):
        u = self.units
        h2 = ops.transpose(ops.reshape(h, (-1, 2, u)), (1, 0, 2))
        recurrent = ops.transpose(ops.matmul(h2, self.recurrent_kernel), (1, 0, 2))
        gates = ops.reshape(projected, (-1, 2, 4 * u)) + recurrent
        i, f, g, o = ops.unstack(ops.reshape(gates, (-1, 2, 4, u)), 4, axis=2)
        c = ops.reshape(c, (-1, 2, u)) * ops.sigmoid(f + self.forget_bias) + ops.sigmoid(i) * ops.tanh(g)
        h = ops.sigmoid(o) * ops.tanh(c)
        return ops.reshape(h, (-1, 2 * u)), ops.reshape(c, (-1, 2 * u))

    def call(self, inputs, mask):
        mask = ops.cast(mask, "bool")
        steps = ops.shape(inputs)[1]
        lengths = ops.sum(ops.cast(mask, "int32"), axis=1, keepdims=True)
        reverse = ops.maximum(lengths - 1 - ops.expand_dims(ops.arange(steps, dtype="int32"), 0), 0)
        backward = ops.take_along_axis(inputs, ops.expand_dims(reverse, -1), axis=1)
        projected = ops.concatenate([ops.matmul(inputs, self.kernel[0]) + self.bias[0],
                                     ops.matmul(backward, self.kernel[1]) + self.bias[1]], axis=-1)
        zeros = ops.zeros((ops.shape(inputs)[0], 2 * self.units), inputs.dtype)
        return self._loop(projected, mask=mask, initial_state=[zeros, zeros])

    def get_config(self):
        return {**super().get_config(), "units": self.units, "forget_bias": self.forget_bias}
