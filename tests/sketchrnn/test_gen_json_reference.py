"""The numpy reference forward pass (tests/gen_json_reference.py) against Magenta's own JS code.

``tests/fixtures/sketchrnn_js_bird.json`` was made by ``tools/sketchrnn_js/make_fixture.js`` with
``@magenta/sketch`` (see tests/fixtures/README.md): the mixture parameters its ``getPDF()``
returns after each ``update()`` of a fixed 40-step input, at temperatures 1.0 and 0.5. The model
itself is read from the read-only models folder ``../shared/quickdraw-models`` (never copied into
the repository); the tests skip when that folder is absent.
"""
import base64
import json
from pathlib import Path

import numpy as np
import pytest

from tests import gen_json_reference as ref

TOL = 1e-4
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sketchrnn_js_bird.json"
MODELS = (Path(__file__).resolve().parents[2] / ".." / "shared" / "quickdraw-models"
          / "sketchRNN" / "large_models").resolve()


@pytest.fixture(scope="module")
def fixture() -> dict:
    return json.loads(FIXTURE.read_text())


@pytest.fixture(scope="module")
def model(fixture) -> dict:
    path = MODELS / fixture["model_file"]
    if not path.exists():
        pytest.skip(f"pretrained model {path} not found (the read-only models folder ../shared/quickdraw-models "
                    "is not present on this machine)")
    return ref.load_gen_json(path)


@pytest.fixture(scope="module")
def result(model, fixture) -> dict:
    return ref.run(model, fixture["inputs_model_units"], temperatures=fixture["temperatures"])


def _max_diff(actual: np.ndarray, expected: np.ndarray) -> tuple[float, tuple]:
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    d = np.abs(actual - expected)
    where = np.unravel_index(int(np.argmax(d)), d.shape)
    return float(d[where]), tuple(int(i) for i in where)


def test_decode_weights_int16_little_endian():
    raw = np.array([32767, -32767, 0, 1, -32768, 3277], dtype="<i2").tobytes()
    got = ref.decode_weights(base64.b64encode(raw).decode(), [2, 3])
    want = 10.0 * np.array([[32767, -32767, 0], [1, -32768, 3277]]) / 32767.0
    np.testing.assert_array_equal(got, want)
    assert got[0, 0] == 10.0 and got[0, 1] == -10.0
    with pytest.raises(ValueError):
        ref.decode_weights(base64.b64encode(raw).decode(), [7])


def test_fixture_inputs_are_documented_units(fixture):
    inputs = np.array(fixture["inputs_model_units"])
    pixels = np.array(fixture["inputs_pixels"])
    assert fixture["steps"] == len(inputs) == len(pixels) == 40
    assert list(inputs[0]) == list(ref.START_TOKEN)
    # JS update() divides pixel offsets by scale_factor / pixel_factor (pixel_factor 2).
    assert fixture["pixel_factor"] == 2
    assert fixture["js_scale_factor"] == pytest.approx(fixture["scale_factor"] / 2, abs=1e-12)
    np.testing.assert_allclose(pixels[:, :2] / fixture["js_scale_factor"], inputs[:, :2], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(pixels[:, 2:], inputs[:, 2:])
    assert np.all(inputs[:, 2:].sum(axis=1) == 1)
    assert inputs[:, 3].sum() >= 2 and inputs[-1, 4] == 1  # pen-ups, and the end of the sketch


def test_model_info_matches_fixture(model, fixture):
    assert model["info"] == fixture["model_info"]
    assert model["num_units"] == 512


@pytest.mark.parametrize("temperature", ["1.0", "0.5"])
@pytest.mark.parametrize("name", ref.PARAM_NAMES)
def test_mixture_params_match_js(result, fixture, temperature, name):
    expected = np.array(fixture["outputs"][temperature][name])
    actual = result["params"][float(temperature)][name]
    assert expected.shape == (40, 3 if name == "pen" else ref.NMIXTURE)
    diff, (step, k) = _max_diff(actual, expected)
    assert diff <= TOL, (f"{name} at T={temperature}: step {step} index {k}: numpy {float(actual[step, k])!r} "
                         f"vs JS {float(expected[step, k])!r} (|diff| {diff:.3g} > {TOL})")


def test_lstm_state_matches_js(result, fixture):
    diff, where = _max_diff(result["h"][:, :8], np.array(fixture["h_first8_per_step"]))
    assert diff <= TOL, f"h (first 8 units) differs at step/unit {where} by {diff:.3g}"
    final = fixture["final_state"]
    for key, got in (("h_first16", result["h"][-1, :16]), ("c_first16", result["c"][-1, :16])):
        diff, where = _max_diff(got, np.array(final[key]))
        assert diff <= TOL, f"final {key} differs at unit {where} by {diff:.3g}"


def test_pdfs_are_distributions(result):
    for params in result["params"].values():
        np.testing.assert_allclose(params["pi"].sum(axis=1), 1.0, atol=1e-12)
        np.testing.assert_allclose(params["pen"].sum(axis=1), 1.0, atol=1e-12)
        assert np.all(params["sigma1"] > 0) and np.all(params["sigma2"] > 0)
        assert np.all(np.abs(params["corr"]) < 1)


def test_temperature_as_js_getpdf(fixture):
    """T changes pi and pen through D = 0.5 + 0.5 T and sigma by sqrt(T); mu and corr not at all."""
    hot, cold = fixture["outputs"]["1.0"], fixture["outputs"]["0.5"]
    for name in ("mu1", "mu2", "corr"):
        np.testing.assert_array_equal(np.array(hot[name]), np.array(cold[name]))
    for name in ("sigma1", "sigma2"):
        np.testing.assert_allclose(np.array(cold[name]), np.array(hot[name]) * np.sqrt(0.5), rtol=1e-6)
    # softmax(l / 0.75) from softmax(l): p ** (1 / 0.75), renormalised.
    for name in ("pi", "pen"):
        p = np.array(hot[name], dtype=np.float64) ** (1 / 0.75)
        p /= p.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(np.array(cold[name]), p, atol=1e-5)


def test_wrong_variants_are_caught(model, fixture):
    """The comparison has teeth: plausible mistakes miss the JS numbers by far more than the tolerance."""
    inputs = fixture["inputs_model_units"]
    js = fixture["outputs"]

    # Python sketch-rnn's own temperature rule for pi (softmax(log pi / T)) instead of JS's D = 0.5 + 0.5 T.
    pi = ref.run(model, inputs, temperatures=[1.0])["params"][1.0]["pi"]
    pi_python_rule = pi ** (1 / 0.5) / np.sum(pi ** (1 / 0.5), axis=1, keepdims=True)
    assert _max_diff(pi_python_rule, np.array(js["0.5"]["pi"]))[0] > 100 * TOL

    # Inputs in pixels (forgetting update()'s division) rather than model units.
    pixels = np.array(fixture["inputs_pixels"])
    out = ref.run(model, pixels, temperatures=[1.0])["params"][1.0]
    assert _max_diff(out["mu1"], np.array(js["1.0"]["mu1"]))[0] > 100 * TOL

    # No forget bias.
    saved = ref.FORGET_BIAS
    try:
        ref.FORGET_BIAS = 0.0
        out = ref.run(model, inputs, temperatures=[1.0])["params"][1.0]
    finally:
        ref.FORGET_BIAS = saved
    assert _max_diff(out["mu1"], np.array(js["1.0"]["mu1"]))[0] > 100 * TOL
