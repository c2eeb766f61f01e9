"""``qd evaluate`` of sketch-rnn-js models equals Magenta's Lr as @magenta/sketch computes it (issue 24).

The fixtures were made by ``tools/sketchrnn_js/reference_lr.js`` (Magenta's JavaScript, by hand):
the official bird model on the mirror's ``monkey.npz`` test split, and a tiny decoder-only run of qd's
exported to ``.gen.json`` (``tests/fixtures/eye_tiny_decoder.gen.json``) on ``eye.npz``'s test split.
"""
import json
from pathlib import Path

import pytest

from cli.main import main

pytest.importorskip("keras")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MODELS = (Path(__file__).resolve().parents[2] / ".." / "shared" / "quickdraw-models" / "sketchRNN" /
          "large_models").resolve()


def _evaluate(capsys, model, data) -> dict:
    assert main(["evaluate", str(model), str(data)]) == 0
    out = capsys.readouterr().out
    return json.loads(out[out.index("{"):])


@pytest.mark.parametrize("model, data, fixture", [
    (MODELS / "bird.gen.json", "sketchrnn/monkey.npz", "sketchrnn_js_lr_bird_monkey.json"),
    (FIXTURES / "eye_tiny_decoder.gen.json", "sketchrnn/eye.npz", "sketchrnn_js_lr_eye_tiny.json"),
])
def test_evaluate_of_a_gen_json_model_on_an_npz_is_magentas_lr(capsys, mirror, model, data, fixture):
    """Lr, its offset and pen terms, within 2e-3 of the JS reference; same sketches kept and dropped;
    the offsets divided by the model's own scale_factor, and the output says so."""
    if not model.exists():
        pytest.skip(f"{model} is absent")
    reference = json.loads((FIXTURES / fixture).read_text())
    metrics = _evaluate(capsys, model, mirror / data)
    assert metrics["sketches"] == reference["sketches"]
    assert metrics["dropped_too_long"] == reference["dropped_too_long"]
    assert metrics["scale"]["offsets_divided_by"] == pytest.approx(reference["scale_factor"], rel=1e-6)
    assert metrics["scale"]["which"] == "the model's own"
    for key in ("recon", "offset", "pen"):
        assert abs(metrics[key] - reference[key]) < 2e-3, (key, metrics[key], reference[key])
