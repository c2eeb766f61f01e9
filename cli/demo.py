"""The offline tour behind ``qd demo``: build a small dataset, train both models, write what they do.

By default the drawings are qd's SYNTHETIC doodles (no network, not Quick, Draw! data); with
``real=True`` they come from the bucket or a mirror. Everything lands in one folder, listed with a
line per file in its ``README.txt``.

>>> files = run_demo("demo/")  # doctest: +SKIP
>>> files[0]  # doctest: +SKIP
('cnn_curves.png', 'CNN learning curves: ...')
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from quickdraw.errors import QuickDrawError
from quickdraw.formats.strokes import from_stroke3

SYNTHETIC_CLASSES = ("circle", "triangle", "star", "house", "fish", "sun")
REAL_CLASSES = ("eye", "mouth", "monkey")
SYNTHETIC_COUNT, REAL_COUNT = 500, 800  # drawings per class (the mirror holds 800 monkeys)
RNN_CLASS = {False: "house", True: "eye"}
CNN_EPOCHS, CNN_BATCH = 3, 32  # small batches: enough steps for batch-norm statistics to settle
RNN_STEPS = 1500
# Decoder-only: the demo samples and completes, never encodes. A VAE trained this briefly still anneals its KL
# weight, so codes drawn from the prior fall where its decoder never was and many samples end at once.
RNN_MODE = "decoder"
RNN_HPARAMS = ("enc_rnn_size=96,dec_rnn_size=192,z_size=32,num_mixture=10,max_seq_len=120,"
               "batch_size=48,save_every=500")
COMPLETIONS = 6


def run_demo(out, *, real: bool = False, mirror=None, log=print) -> list[tuple[str, str]]:
    """Build a dataset, train the CNN and a small Sketch-RNN on it, write the tour into ``out``.

    Returns (file name, what it is) for each file written; ``log`` receives one line per stage.
    """
    from quickdraw.builder.subset import build

    out = Path(out)
    if out.exists() and any(out.iterdir()) and not (out / "README.txt").is_file():
        raise QuickDrawError(f"{out} exists and is not a qd demo folder; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    what = "real Quick, Draw! drawings" if real else "SYNTHETIC doodles (not Quick, Draw! data)"
    classes = REAL_CLASSES if real else SYNTHETIC_CLASSES
    count = REAL_COUNT if real else SYNTHETIC_COUNT
    log(f"1/4 building a dataset of {count} {what} per class: {', '.join(classes)}")
    dataset = build(list(classes), count, out / "dataset", synthetic=not real, mirror=mirror, seed=0,
                    force=True, quiet=True)
    log(f"2/4 training the CNN classifier on whole drawings and their first strokes ({CNN_EPOCHS} epochs)")
    cnn = _train_cnn(dataset, out / "cnn")
    rnn_class = RNN_CLASS[real]
    log(f"3/4 training a small Sketch-RNN on the {rnn_class} drawings ({RNN_STEPS} steps, a few minutes)")
    rnn = _train_rnn(dataset, rnn_class, out / "rnn")
    log("4/4 classifying a test drawing and completing another")
    files = [("dataset/", f"the dataset folder qd built: {count} {what} per class"),
             ("cnn/", "the CNN training run (model.keras, metrics.json, confusion.png)"),
             ("rnn/", "the Sketch-RNN training run (best.npz, checkpoint.npz, losses.json, samples.png)")]
    shutil.copyfile(cnn / "curves.png", out / "cnn_curves.png")
    accuracy = json.loads((cnn / "metrics.json").read_text())["accuracy"]
    files.append(("cnn_curves.png", f"CNN learning curves (loss and accuracy per epoch); test accuracy {accuracy:.1%}"))
    shutil.copyfile(rnn / "losses.png", out / "rnn_losses.png")
    files.append(("rnn_losses.png", "Sketch-RNN learning curves (reconstruction and KL losses per step)"))
    files.append(("classified.png", _classify_example(dataset, cnn, out / "classified.png")))
    files.extend(_complete_example(dataset, rnn_class, rnn, out))
    files.append(("samples.png", f"16 {rnn_class} sketches the Sketch-RNN drew from scratch (temperature 0.5)"))
    shutil.copyfile(rnn / "samples.png", out / "samples.png")
    note = "" if real else "\nEvery drawing here is SYNTHETIC: procedurally generated doodles, not Quick, Draw! data.\n"
    listing = "".join(f"{name:16} {about}\n" for name, about in files)
    (out / "README.txt").write_text(f"qd demo: {what}{note}\n{listing}", encoding="utf-8")
    return files


def _train_cnn(dataset: Path, rundir: Path) -> Path:
    from quickdraw.classifier import train

    # --partial: it also learns drawings' first strokes, so that `qd play demo/cnn` guesses before the end.
    train(dataset, rundir, force=True, verbose=0, epochs=CNN_EPOCHS, batch_size=CNN_BATCH, seed=0, partial=True)
    return rundir


def _train_rnn(dataset: Path, category: str, rundir: Path) -> Path:
    from sketchrnn.train import train

    if rundir.exists():
        shutil.rmtree(rundir)
    train(dataset, rundir, categories=[category], mode=RNN_MODE, steps=RNN_STEPS, hparams=RNN_HPARAMS, seed=0,
          progress=False)
    return rundir


def _classify_example(dataset: Path, cnn: Path, path: Path) -> str:
    """Classify the first test drawing of the dataset's last class; plot it beside the guesses."""
    from quickdraw.builder.folder import open_dataset
    from quickdraw.classifier import Classifier

    folder = open_dataset(dataset)
    labels = folder.labels("test")
    index = int(np.flatnonzero(labels == len(folder.classes) - 1)[0])
    strokes = from_stroke3(folder.strokes3("test")[index])
    guesses = Classifier(cnn).top(strokes, 3)
    truth = folder.classes[labels[index]]
    _plot_guesses(strokes, guesses, truth, folder.synthetic, path)
    best, p = guesses[0]
    return f"a test drawing of a {truth} and the CNN's three guesses (first: {best} {p:.0%})"


def _plot_guesses(strokes, guesses, truth: str, synthetic: bool, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.4))
    FigureCanvasAgg(fig)
    drawing_ax, bars_ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.2]})
    for s in strokes:
        drawing_ax.plot(s[0], s[1], color="black", lw=2, solid_capstyle="round")
    drawing_ax.set_xlim(0, 255)
    drawing_ax.set_ylim(255, 0)
    drawing_ax.set_aspect("equal")
    drawing_ax.set_xticks([])
    drawing_ax.set_yticks([])
    drawing_ax.set_xlabel(f"a test {truth}")
    names = [name for name, _ in guesses][::-1]
    bars_ax.barh(names, [p for _, p in guesses][::-1], color="#1f77b4")
    bars_ax.set_xlim(0, 1)
    bars_ax.set_xlabel("CNN probability")
    fig.suptitle("qd demo: what the CNN sees" + (" (SYNTHETIC doodle)" if synthetic else ""), fontsize=10)
    fig.tight_layout()
    tmp = path.with_name(path.name + ".part")
    fig.savefig(tmp, format="png", dpi=100)
    tmp.replace(path)


def _complete_example(dataset: Path, category: str, rnn: Path, out: Path) -> list[tuple[str, str]]:
    """Keep the first half of the strokes of a test drawing of ``category`` and let the Sketch-RNN finish it."""
    from quickdraw.builder.folder import open_dataset
    from sketchrnn.complete import complete_file

    folder = open_dataset(dataset)
    labels = folder.labels("test")
    index = int(np.flatnonzero(labels == folder.classes.index(category))[0])
    strokes = from_stroke3(folder.strokes3("test")[index])
    keep = max(1, len(strokes) // 2)
    partial = out / "partial.json"
    partial.write_text(json.dumps([np.asarray(s).tolist() for s in strokes[:keep]]), encoding="utf-8")
    complete_file(rnn, partial, n=COMPLETIONS, temperature=0.3, seed=0, out=out / "completion.png")
    return [("partial.json", f"the first {keep} of {len(strokes)} strokes of a test {category}, as strokes JSON"),
            ("completion.png", f"those strokes (black) and {COMPLETIONS} Sketch-RNN completions (coloured)")]
