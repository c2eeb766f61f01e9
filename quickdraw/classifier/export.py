"""Take a classifier run elsewhere: SavedModel, LiteRT (.tflite), ONNX and TF.js, each with its classes and input contract.

Keras writes the first three (``model.export``: ``tf_saved_model``, ``litert``, and ``onnx`` through
tf2onnx); the TF.js layers model is written by ``tfjs.py``, since TensorFlow's converter cannot be
installed beside this TensorFlow. Every export carries the class names (a labels file, one name a
line, in output order) and the input contract (``contract``: how strokes become the bitmap the model
was trained on) as a short README and, where the format has room for it, inside the model file
(ONNX metadata, TF.js ``userDefinedMetadata``):

====================  ============================  =========================================
format                ``--out``                     also written
====================  ============================  =========================================
``saved_model``       a folder                      labels.txt, qd-model.json, README.md inside
``litert``            ``NAME.tflite``               ``NAME.tflite.labels.txt``, ``NAME.tflite.README.md``
``onnx``              ``NAME.onnx``                 ``NAME.onnx.labels.txt``, ``NAME.onnx.README.md``
``tfjs``              a folder                      model.json, the weights, labels.txt, qd-model.json, README.md
====================  ============================  =========================================

>>> export_model("runs/cnn1", "cnn.onnx", "onnx")  # doctest: +SKIP
[PosixPath('cnn.onnx'), PosixPath('cnn.onnx.labels.txt'), PosixPath('cnn.onnx.README.md')]
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np

from ..core.atomic import check_writable, refuse_existing, write_files_atomic, write_folder_atomic
from ..errors import QuickDrawError

FORMATS = ("saved_model", "litert", "onnx", "tfjs")
SUFFIXES = {"litert": ".tflite", "onnx": ".onnx"}  # file formats; the others write folders
CONTRACT_FILE = "qd-model.json"
LABELS_FILE = "labels.txt"
README_FILE = "README.md"
WHERE_JSON = {  # where each format keeps the contract as JSON
    "saved_model": f"The same contract, as JSON, is in `{CONTRACT_FILE}` beside this README.",
    "tfjs": f"The same contract, as JSON, is in `{CONTRACT_FILE}` and in model.json's `userDefinedMetadata`.",
    "onnx": "The same contract, as JSON, is in the model's metadata (`qd.contract`; the classes in `qd.classes`).",
    "litert": "The classes are in the labels file beside the model, one a line, in output order.",
}
NEEDS = {"onnx": ("tf2onnx", "onnx")}  # the modules a format needs beyond TensorFlow and Keras


def outputs(out, fmt: str) -> list[Path]:
    """The paths an export to ``out`` in format ``fmt`` writes at its top level (the folder, or the file and its
    companions)."""
    out = Path(out)
    if fmt not in SUFFIXES:
        return [out]
    return [out, out.with_name(out.name + ".labels.txt"), out.with_name(out.name + ".README.md")]


def check_out(out, fmt: str, force: bool = False) -> list[Path]:
    """Refuse, before any work, an unknown format, a wrong suffix, a missing module or an ``out`` that exists
    (without ``force``; with it, a folder only when it holds an earlier export). Returns ``outputs``."""
    if fmt not in FORMATS:
        raise QuickDrawError(f"unknown --format {fmt!r} for a classifier run; choose one of {', '.join(FORMATS)}")
    out = Path(out)
    suffix = SUFFIXES.get(fmt)
    if suffix and out.suffix.lower() != suffix:
        raise QuickDrawError(f"--out {out}: a {fmt} model is a file ending in {suffix}")
    if not suffix and out.suffix.lower() in (".tflite", ".onnx", ".json", ".keras", ".zip"):
        raise QuickDrawError(f"--out {out}: the {fmt} format writes a folder; give a folder name")
    for module in NEEDS.get(fmt, ()):
        if importlib.util.find_spec(module) is None:
            raise QuickDrawError(f"the {fmt} export needs the {module} package: pip install 'qd[export]'")
    paths = outputs(out, fmt)
    for path in paths:
        refuse_existing(path, force, replaceable=_earlier_export)
    check_writable(out)
    return paths


def _earlier_export(path: Path) -> bool:
    """Whether --force may replace ``path``: a file, or a folder that is empty or holds an earlier export."""
    return not path.is_dir() or (path / CONTRACT_FILE).is_file() or not any(path.iterdir())


def contract(run: dict, model) -> dict:
    """The classifier's input contract and class names, as a JSON-ready dict (``qd-model.json``)."""
    from ..raster import render, simplify

    size = int(model.input_shape[1])
    classes = _class_names(model)
    return {
        "format": "qd classifier", "version": 1,
        "classes": classes,
        "input": {"name": "bitmap", "shape": [None, size, size, 1], "dtype": "uint8", "range": [0, 255],
                  "meaning": "white strokes (255) on black (0), made from strokes by the recipe below"},
        "output": {"shape": [None, len(classes)], "dtype": "float32",
                   "meaning": "class probabilities (softmax), in the order of classes"},
        "recipe": {
            "strokes": "a drawing is a list of strokes [[x0, x1, ...], [y0, y1, ...]], y pointing down",
            "frame": ("unless the drawing is already in the dataset's frame (integers 0-255, within "
                      "8 of 0 on both axes, reaching 247 or more), it is simplified as the dataset was: "
                      "shifted so its smallest x and y are 0, scaled uniformly so its longer side is 255, "
                      "each stroke resampled every 1 unit along its length (its last point kept), "
                      "thinned by Ramer-Douglas-Peucker with epsilon 2, rounded to integers (halves to even)"),
            "simplify": {"side": simplify.SIDE, "spacing": simplify.SPACING, "epsilon": simplify.EPSILON},
            "render": (f"the official numpy_bitmap recipe: centred in the {int(render.FRAME)}-unit frame "
                       "(shifted by (256 - max x) / 2 and (256 - max y) / 2), stroked white on black with "
                       f"round caps and joins, line width {render.LINE_DIAMETER:g}, {render.PADDING:g} units "
                       f"of padding on each side, antialiased, scaled to {size} x {size} pixels "
                       f"(scale {size} / {int(render.FRAME + 2 * render.PADDING + render.LINE_DIAMETER)})"),
            "render_constants": {"frame": render.FRAME, "line_diameter": render.LINE_DIAMETER,
                                 "padding": render.PADDING, "size": size},
            "python": f"quickdraw.classifier.seen.bitmap(strokes, {size})",
        },
        "model": {"kind": str(run.get("settings", {}).get("model", "cnn")), "name": model.name},
        "synthetic": bool(run.get("synthetic")),
    }


def _class_names(model) -> list[str]:
    from .model import class_names

    return class_names(model)


def readme(info: dict, fmt: str, name: str) -> str:
    """A short README of an export: what goes in and out, how a drawing becomes the input, how to load it."""
    size = info["input"]["shape"][1]
    classes = info["classes"]
    recipe = info["recipe"]
    dtype = "float32 (values 0-255)" if fmt == "tfjs" else "uint8"
    load = {
        "saved_model": f'`tf.saved_model.load("{name}").serve(bitmaps)` (TensorFlow; bitmaps uint8 (N, {size}, {size}, 1))',
        "litert": (f'`interpreter = ai_edge_litert.interpreter.Interpreter(model_path="{name}")` (or TensorFlow Lite '
                   "on Android/iOS/microcontrollers); set the input tensor, `invoke()`, read the output"),
        "onnx": f'`onnxruntime.InferenceSession("{name}").run(None, {{"bitmap": bitmaps}})[0]` (or onnxruntime-web)',
        "tfjs": (f'`const model = await tf.loadLayersModel("{name}/model.json")`, then '
                 f"`model.predict(tf.tensor(pixels, [N, {size}, {size}, 1]))` (@tensorflow/tfjs)"),
    }[fmt]
    synthetic = ("\n**Trained on SYNTHETIC doodles** (qd's procedural stand-ins), not Quick, Draw! data.\n"
                 if info["synthetic"] else "")
    return f"""# A Quick, Draw! classifier exported by qd ({fmt})
{synthetic}
Load it: {load}.

- Classes ({len(classes)}), in output order: {", ".join(classes)} (also in the labels file, one a line).
- Input: `bitmap`, {dtype}, shape (N, {size}, {size}, 1): {info["input"]["meaning"]}.
  Give pixel values as they are: the model divides by 255 itself.
- Output: float32 (N, {len(classes)}): {info["output"]["meaning"]}.

## From strokes to the input (the model guesses well only from bitmaps made this way)

1. Strokes: {recipe["strokes"]}.
2. The dataset's frame: {recipe["frame"]}.
3. Rendering: {recipe["render"]}.

qd does this in Python as `{recipe["python"]}`, and in JavaScript in the `contract.js` that
`qd web` puts beside its page; a parity test holds the two together. {WHERE_JSON[fmt]}
"""


def export_model(rundir, out, fmt: str = "saved_model", *, force: bool = False) -> list[Path]:
    """Export the classifier run ``rundir`` to ``out`` in format ``fmt``; return the paths written.

    ``fmt`` is one of ``FORMATS`` (see the module's table for what ``out`` is). Nothing is written
    unless the whole export succeeds; an existing ``out`` is replaced only with ``force``.

    >>> export_model("runs/cnn1", "web/cnn", "tfjs")  # doctest: +SKIP
    [PosixPath('web/cnn')]
    """
    from . import runs

    paths = check_out(out, fmt, force)
    run, model = runs.load(rundir)
    info = contract(run, model)
    size = info["input"]["shape"][1]
    model(np.zeros((1, size, size, 1), np.uint8))  # Keras exports only models that have been called
    labels = "".join(f"{c}\n" for c in info["classes"])
    if fmt in SUFFIXES:
        writer = _litert if fmt == "litert" else _onnx
        out_file, labels_file, readme_file = paths
        write_files_atomic({out_file: lambda tmp: writer(model, tmp, info),
                            labels_file: lambda tmp: tmp.write_text(labels, "utf-8"),
                            readme_file: lambda tmp: tmp.write_text(readme(info, fmt, out_file.name), "utf-8")},
                           replace=force)
        return paths

    def fill(folder: Path) -> None:
        if fmt == "saved_model":
            _quiet_export(model, folder, "tf_saved_model")
        else:
            from .tfjs import write_layers_model

            write_layers_model(model, folder, info)
        (folder / LABELS_FILE).write_text(labels, "utf-8")
        (folder / CONTRACT_FILE).write_text(json.dumps(info, indent=1) + "\n", "utf-8")
        (folder / README_FILE).write_text(readme(info, fmt, Path(out).name), "utf-8")

    return [write_folder_atomic(out, fill, replace=force)]


def _quiet_export(model, path: Path, fmt: str) -> None:
    """``model.export`` without its printout; a failure of the converter becomes a one-line QuickDrawError."""
    import contextlib
    import io

    import warnings

    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tf2onnx's numpy deprecations
            model.export(str(path), format=fmt, verbose=False)
    except OSError:
        raise
    except Exception as err:  # noqa: BLE001 - converters raise many kinds; say which step failed
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise QuickDrawError(f"the {fmt} export failed: {first[:200]}") from None


def _litert(model, path: Path, info: dict) -> None:
    _quiet_export(model, path, "litert")


def _onnx(model, path: Path, info: dict) -> None:
    """Write ONNX through Keras (tf2onnx), then put the class names and the contract into its metadata."""
    import onnx

    _quiet_export(model, path, "onnx")
    proto = onnx.load(str(path))
    for key, value in (("qd.classes", json.dumps(info["classes"])), ("qd.contract", json.dumps(info))):
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    proto.doc_string = f"Quick, Draw! classifier exported by qd: {len(info['classes'])} classes; see qd.contract"
    onnx.save(proto, str(path))
