"""Sketch-RNN model pieces: mixture loss and gradient against numpy, the LayerNorm-LSTM cell, KL, config."""
import math

import keras
import numpy as np
import pytest
from keras import ops

from quickdraw.errors import QuickDrawError
from quickdraw.formats.strokes import pad_batch
from sketchrnn.cells import BidirectionalLSTM, LayerNormLSTMCell
from sketchrnn.config import HParams
from sketchrnn.model import build_model, loss_terms, losses

M = 4
HP = HParams(mode="decoder", num_mixture=M, max_seq_len=9)


def _numpy_recon(head, strokes, training):
    """Magenta's Lr written out directly: densities in probability space, 1e-6 inside the log."""
    head = head.astype(np.float64)
    target = strokes[:, 1:].astype(np.float64)
    pen_logits = head[..., :3]
    pi, mu1, mu2, s1, s2, corr = np.split(head[..., 3:], 6, axis=-1)
    pi = np.exp(pi - pi.max(-1, keepdims=True))
    pi /= pi.sum(-1, keepdims=True)
    s1, s2, rho = np.exp(s1), np.exp(s2), np.tanh(corr)
    x1, x2 = target[..., :1], target[..., 1:2]
    z = ((x1 - mu1) / s1) ** 2 + ((x2 - mu2) / s2) ** 2 - 2 * rho * (x1 - mu1) * (x2 - mu2) / (s1 * s2)
    dens = np.exp(-z / (2 * (1 - rho ** 2))) / (2 * np.pi * s1 * s2 * np.sqrt(1 - rho ** 2))
    fs = 1.0 - target[..., 4]
    offset = -np.log((pi * dens).sum(-1) + 1e-6) * fs
    logp = pen_logits - pen_logits.max(-1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(-1, keepdims=True))
    pen = -(target[..., 2:] * logp).sum(-1)
    first_end = np.diff(np.c_[np.zeros(len(fs)), 1 - fs], axis=1) > 0
    pen = pen * (fs + first_end) if training else pen * fs
    return (offset.sum() + pen.sum()) / (len(strokes) * HP.max_seq_len)


def _random_case(seed=0):
    rng = np.random.default_rng(seed)
    seqs = []
    for n in (7, 3, 5):
        s = np.zeros((n, 3), np.float32)
        s[:, :2] = rng.normal(0, 1, (n, 2))
        s[[1, n - 1], 2] = 1
        seqs.append(s)
    strokes = pad_batch(seqs, 1.0, 8)
    head = rng.normal(0, 0.7, (3, 8, 3 + 6 * M)).astype(np.float32)
    return strokes, head


def _autodiff(fn, x):
    """Value and gradient of scalar ``fn`` at ``x`` with the active Keras backend."""
    if keras.backend.backend() == "jax":
        import jax

        value, grad = jax.value_and_grad(fn)(x)
        return float(value), np.asarray(grad)
    import tensorflow as tf

    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = fn(x)
    return float(value), tape.gradient(value, x).numpy()


@pytest.mark.parametrize("training", [True, False])
def test_mixture_loss_and_gradient_match_numpy(training):
    strokes, head = _random_case()
    value, grad = _autodiff(lambda h: losses({"head": h}, strokes, HP, training=training)["recon"], head)
    assert value == pytest.approx(_numpy_recon(head, strokes, training), rel=1e-5)
    numeric = np.zeros(head.shape)
    h64 = head.astype(np.float64)
    step = 1e-5
    for idx in np.ndindex(head.shape):
        up, down = h64.copy(), h64.copy()
        up[idx] += step
        down[idx] -= step
        numeric[idx] = (_numpy_recon(up, strokes, training) - _numpy_recon(down, strokes, training)) / (2 * step)
    np.testing.assert_allclose(grad, numeric, atol=2e-6, rtol=2e-3)
    # padding rows carry no offset gradient, and in evaluation no gradient at all
    padded = strokes[:, 1:, 4] > 0.5
    assert np.abs(grad[..., 3:][padded]).max() == 0
    if not training:
        assert np.abs(grad[padded]).max() == 0


def test_pen_loss_counts_the_end_row_only_while_training_and_ignores_padding():
    strokes, head = _random_case(1)
    train = losses({"head": head}, strokes, HP, training=True)
    evaluate = losses({"head": head}, strokes, HP, training=False)
    assert float(train["offset"]) == pytest.approx(float(evaluate["offset"]))
    assert float(train["pen"]) > float(evaluate["pen"]) > 0
    assert float(train["recon"]) == pytest.approx(float(train["offset"]) + float(train["pen"]), rel=1e-6)
    # more padding changes nothing, and groups of a batch add up to the batch
    longer = np.concatenate([strokes, np.tile([[[0, 0, 0, 0, 1]]], (3, 4, 1))], axis=1).astype(np.float32)
    more = np.concatenate([head, head[:, :4]], axis=1)
    assert float(losses({"head": more}, longer, HP)["recon"]) == pytest.approx(float(train["recon"]), rel=1e-6)
    parts = [loss_terms({"head": head[i:i + 1]}, strokes[i:i + 1], HP, batch_size=3)["recon"] for i in range(3)]
    assert sum(float(p) for p in parts) == pytest.approx(float(train["recon"]), rel=1e-5)


def test_mixture_loss_is_finite_for_extreme_correlations_and_tiny_sigmas():
    strokes, head = _random_case(2)
    head[..., 3 + 5 * M:] = 40.0      # rho = tanh(40) == 1 in float32
    head[..., 3 + 3 * M:3 + 5 * M] = -12.0
    value, grad = _autodiff(lambda h: losses({"head": h}, strokes, HP)["recon"], head)
    assert math.isfinite(value) and np.isfinite(grad).all()


def test_kl_is_raw_then_floored_and_weighted():
    hp = HParams(enc_rnn_size=8, dec_rnn_size=8, z_size=4, num_mixture=2, max_seq_len=9)
    strokes, _ = _random_case()
    head = np.zeros((3, 8, 3 + 6 * 2), np.float32)
    mu = np.full((3, 4), 0.1, np.float32)
    presig = np.zeros((3, 4), np.float32)
    parts = losses({"head": head, "mu": mu, "presig": presig}, strokes, hp, kl_weight=0.5)
    assert float(parts["kl"]) == pytest.approx(0.5 * 0.01, rel=1e-5)   # -0.5 * mean(1 + 0 - 0.01 - 1)
    assert float(parts["kl_cost"]) == pytest.approx(0.2)
    assert float(parts["cost"]) == pytest.approx(float(parts["recon"]) + 0.5 * 0.2, rel=1e-5)


def test_layer_norm_lstm_sequence_matches_steps_and_mask_drops_the_candidate():
    keras.utils.set_random_seed(3)
    cell = LayerNormLSTMCell(6)
    cell.build((None, 4))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 4)).astype(np.float32)
    masks = (rng.random((2, 5, 6)) > 0.3).astype(np.float32)
    zeros = np.zeros((2, 6), np.float32)
    for m in (None, masks):
        hs, (h_end, c_end) = cell.sequence(x, zeros, zeros, m)
        h = c = zeros
        for t in range(5):
            h, c = cell.step(cell.project(x[:, t]), h, c, None if m is None else m[:, t])
            np.testing.assert_allclose(np.asarray(hs[:, t]), np.asarray(h), atol=1e-6)
        np.testing.assert_allclose(np.asarray(c_end), np.asarray(c), atol=1e-6)
    out, (h1, c1) = cell(x[:, 0], [zeros, zeros])
    np.testing.assert_allclose(np.asarray(out), np.asarray(cell.sequence(x[:, :1], zeros, zeros)[0][:, 0]), atol=1e-6)
    # with the candidate masked out, c only decays through the forget gate
    c0 = rng.normal(size=(2, 6)).astype(np.float32)
    _, c1 = cell.step(cell.project(x[:, 0]), zeros, c0, np.zeros((2, 6), np.float32))
    assert np.all(np.abs(np.asarray(c1)) < np.abs(c0))
    assert np.all(np.sign(np.asarray(c1)) == np.sign(c0))


def _numpy_lstm(x, kernel, recurrent, bias, units):
    h = c = np.zeros(units)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    for row in x:
        i, f, g, o = np.split(row @ kernel + h @ recurrent + bias, 4)
        c = c * sig(f + 1.0) + sig(i) * np.tanh(g)
        h = sig(o) * np.tanh(c)
    return h


def test_bidirectional_encoder_matches_two_numpy_lstms_over_each_real_sequence():
    keras.utils.set_random_seed(4)
    enc = BidirectionalLSTM(5)
    enc.build((None, None, 3))
    enc.bias.assign(np.random.default_rng(1).normal(size=(2, 20)).astype(np.float32))
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 7, 3)).astype(np.float32)
    lengths = [7, 2, 4]
    mask = np.arange(7)[None] < np.array(lengths)[:, None]
    x[~mask] = 99.0  # padding must not leak in
    out = np.asarray(enc(x, mask))
    k, r, b = (np.asarray(v, np.float64) for v in (enc.kernel, enc.recurrent_kernel, enc.bias))
    for s, n in enumerate(lengths):
        fw = _numpy_lstm(x[s, :n], k[0], r[0], b[0], 5)
        bw = _numpy_lstm(x[s, :n][::-1], k[1], r[1], b[1], 5)
        np.testing.assert_allclose(out[s], np.r_[fw, bw], atol=1e-5)


def test_model_outputs_and_padding_invariance():
    hp = HParams(enc_rnn_size=8, dec_rnn_size=16, z_size=4, num_mixture=3)
    keras.utils.set_random_seed(0)
    model = build_model(hp)
    rng = np.random.default_rng(1)
    seqs = [np.c_[rng.normal(0, 5, (n, 2)), np.eye(1, n, n - 1)[0]].astype(np.float32) for n in (6, 9)]
    short = pad_batch(seqs, 5.0)
    long = pad_batch(seqs, 5.0, 20)
    eps = rng.normal(size=(2, 4)).astype(np.float32)
    a = model(short, eps=eps)
    b = model(long, eps=eps)
    assert tuple(a["head"].shape) == (2, 9, 3 + 6 * 3) and tuple(a["mu"].shape) == (2, 4)
    np.testing.assert_allclose(np.asarray(a["mu"]), np.asarray(b["mu"]), atol=1e-5)
    np.testing.assert_allclose(np.asarray(a["head"]), np.asarray(b["head"])[:, :9], atol=1e-5)
    la = losses(a, short, hp, training=False)
    lb = losses(b, long, hp, training=False)
    assert float(la["recon"]) == pytest.approx(float(lb["recon"]), rel=1e-5)


def test_hparams_parse_and_refuse_unknown_names():
    hp = HParams().override("dec_rnn_size=256, num_mixture=10,learning_rate=3e-4,mode=decoder")
    assert (hp.dec_rnn_size, hp.num_mixture, hp.learning_rate, hp.conditional) == (256, 10, 3e-4, False)
    assert HParams.from_dict(hp.to_dict()) == hp
    with pytest.raises(QuickDrawError, match="unknown hparam dec_size; valid ones: mode, max_seq_len"):
        HParams().override("dec_size=3")
    with pytest.raises(QuickDrawError, match="is not a valid int"):
        HParams().override("z_size=big")
    with pytest.raises(QuickDrawError, match="not name=value"):
        HParams().override("z_size")
    with pytest.raises(QuickDrawError, match="mode 'gan'"):
        HParams().override("mode=gan")


def test_defaults_are_magentas():
    hp = HParams()
    assert (hp.enc_rnn_size, hp.dec_rnn_size, hp.z_size, hp.num_mixture, hp.max_seq_len, hp.batch_size) == \
        (256, 512, 128, 20, 250, 100)
    assert (hp.kl_tolerance, hp.kl_weight, hp.kl_weight_start, hp.kl_decay_rate) == (0.2, 0.5, 0.01, 0.99995)
    assert (hp.learning_rate, hp.min_learning_rate, hp.decay_rate, hp.grad_clip) == (1e-3, 1e-5, 0.9999, 1.0)
    assert (hp.recurrent_dropout, hp.random_scale_factor, hp.augment_stroke_prob) == (0.1, 0.15, 0.1)
    assert ops.convert_to_numpy(ops.ones(1))[0] == 1


def test_sampling_follows_the_mixture_and_temperature():
    from sketchrnn.sample import draw

    m = 2
    head = np.zeros((20000, 3 + 6 * m), np.float32)
    head[:, :3] = [0.0, np.log(3.0), -30.0]             # pen: p2 three times as likely as p1, never p3
    head[:, 3:3 + m] = [5.0, -5.0]                      # component 0 almost always
    head[:, 3 + m] = 1.0                                # mu_x
    head[:, 3 + 2 * m] = -2.0                           # mu_y
    head[:, 3 + 3 * m] = np.log(0.5)                    # sigma_x
    head[:, 3 + 4 * m] = np.log(0.25)                   # sigma_y
    head[:, 3 + 5 * m] = np.arctanh(0.6)                # rho
    for tau in (1.0, 0.25):
        rows = draw(head, m, tau, np.random.default_rng(0))
        assert np.all(rows[:, 2:].sum(axis=1) == 1) and rows[:, 4].sum() == 0
        assert np.mean(rows[:, 0]) == pytest.approx(1.0, abs=0.02)
        assert np.mean(rows[:, 1]) == pytest.approx(-2.0, abs=0.02)
        assert np.std(rows[:, 0]) == pytest.approx(0.5 * np.sqrt(tau), rel=0.05)
        assert np.std(rows[:, 1]) == pytest.approx(0.25 * np.sqrt(tau), rel=0.05)
        assert np.corrcoef(rows[:, 0], rows[:, 1])[0, 1] == pytest.approx(0.6, abs=0.03)
        p2 = rows[:, 3].mean()
        expected = 3 ** (1 / tau) / (1 + 3 ** (1 / tau))  # logits divided by tau
        assert p2 == pytest.approx(expected, abs=0.02)
    same = draw(head[:5], m, 0.5, np.random.default_rng(7))
    np.testing.assert_array_equal(same, draw(head[:5], m, 0.5, np.random.default_rng(7)))


def test_slerp_keeps_the_ends_and_the_norm_of_equal_vectors():
    from sketchrnn.sample import slerp

    a = np.array([1.0, 0.0, 0.0])
    b = np.array([0.0, 1.0, 0.0])
    np.testing.assert_allclose(slerp(a, b, 0.0), a, atol=1e-12)
    np.testing.assert_allclose(slerp(a, b, 1.0), b, atol=1e-12)
    mid = slerp(a, b, 0.5)
    assert np.linalg.norm(mid) == pytest.approx(1.0)
    np.testing.assert_allclose(mid, [np.sqrt(0.5), np.sqrt(0.5), 0], atol=1e-12)
    np.testing.assert_allclose(slerp(a, 2 * a, 0.5), 1.5 * a)
