"""The homework notebook (examples/homework.ipynb) runs top to bottom on the offline mirror, as CI runs it."""
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MODELS = (REPO / ".." / "shared" / "quickdraw-models").resolve()


def test_the_homework_notebook_runs_top_to_bottom(mirror, tmp_path):
    nbclient = pytest.importorskip("nbclient", reason="nbclient (the test extra) is absent")
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("anywidget", reason="anywidget (qd[notebook]) is absent")
    shutil.copy(REPO / "examples" / "homework.ipynb", tmp_path)
    nb = nbformat.read(tmp_path / "homework.ipynb", as_version=4)
    env = {"QD_HOMEWORK_CI": "1", "QD_MIRROR": str(mirror), "QD_MODEL_MIRROR": str(MODELS),
           "QD_CACHE": str(tmp_path / "cache"), "PYTHONPATH": str(REPO), "MPLBACKEND": "agg"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    outputs = {i: "".join(o.get("text", "") for o in cell.get("outputs", []))
               for i, cell in enumerate(nb.cells) if cell.cell_type == "code"}
    text = "\n".join(outputs.values())
    assert "real Quick, Draw! drawings" in text and "['eye', 'mouth', 'monkey']" in text
    assert "validation stops improving after epoch" in text and "test accuracy" in text
    images = [o for cell in nb.cells for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) >= 4  # the dataset, the curves, the confusion matrix, the completions
    widgets = [o for cell in nb.cells for o in cell.get("outputs", [])
               if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(widgets) == 2  # the guessing pad and the completion pad
    guesses = [t for t in outputs.values() if t.startswith("[(")]
    assert guesses and any(name in guesses[0] for name in ("eye", "monkey", "mouth"))
    assert (tmp_path / "runs" / "homework-cnn" / "model.keras").is_file()
