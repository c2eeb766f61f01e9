"""Google's pretrained Sketch-RNN models (the ``.gen.json`` files of sketch-rnn-js and ml5): read, fetch, export.

A ``.gen.json`` file is a JSON list ``[info, shapes, weights]``: ``info`` holds ``name``,
``max_seq_len`` and ``scale_factor``; ``shapes`` are ``[[H, 123], [123], [5, 4H], [H, 4H], [4H]]``
(the mixture head's kernel and bias, then a plain LSTM's input kernel, recurrent kernel and bias);
``weights`` one base64 string per shape of little-endian int16, value = 10 x int16 / 32767. The
models are decoder-only, with 20 mixtures, and run as sketch-rnn-js runs them: TensorFlow's basic
LSTM cell from a zero state, offsets divided by ``scale_factor``.

Models come from the public bucket ``https://storage.googleapis.com/quickdraw-models/`` (or
``--model-mirror`` / ``$QD_MODEL_MIRROR``) through qd's one downloader into the user cache.

>>> run = load_name("bird")  # doctest: +SKIP
>>> run.hp.dec_rnn_size, run.info["max_seq_len"]  # doctest: +SKIP
(512, 129)
"""
from __future__ import annotations

import base64
import binascii
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from quickdraw.categories import key, lookup
from quickdraw.core import validate
from quickdraw.errors import QuickDrawError

from .config import HParams
from .runs import Run

DEFAULT_MODEL_MIRROR = "https://storage.googleapis.com/quickdraw-models/"
MODEL_DIR = "sketchRNN/large_models/"
SUFFIX = ".gen.json"
ENV = "QD_MODEL_MIRROR"
OPTION = "--model-mirror"
NUM_MIXTURE = 20  # sketch-rnn-js reads exactly 20 mixtures
HEAD = 3 + 6 * NUM_MIXTURE
MAX_UNITS = validate.MAX_UNITS  # far above the official 512: refuse larger declared shapes before allocating
WEIGHT_RANGE = 10.0  # int16 value v stands for 10 * v / 32767
INFO_MODE, INFO_VERSION = 2, 6  # what the official decoder-only files declare
FRAME = 255  # the dataset's frame, in which qd takes and gives drawings


@lru_cache(maxsize=1)
def names() -> tuple[str, ...]:
    """The 114 model names the sketch-rnn demos offer (underscores for spaces: ``palm_tree``)."""
    text = resources.files("sketchrnn").joinpath("model_names.txt").read_text("utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def resolve(name: str) -> str:
    """The official spelling of a model name, looked up as forgivingly as categories (``Palm-Tree``)."""
    return lookup(name, {key(n): n for n in names()}, "pretrained Sketch-RNN model",
                  "`qd models` lists the 114 names")


def url_for(name: str, model_mirror: str | None = None) -> str:
    """The URL of model ``name`` in ``model_mirror`` (default ``$QD_MODEL_MIRROR``, else the public bucket)."""
    from quickdraw.fetch.remote import resolve_mirror

    return resolve_mirror(model_mirror, env=ENV, default=DEFAULT_MODEL_MIRROR, option=OPTION) + \
        MODEL_DIR + resolve(name) + SUFFIX


def cached_path(name: str, model_mirror: str | None = None, cache_dir=None) -> Path:
    """Where the cache keeps model ``name`` of that mirror (whether or not it is there yet)."""
    from quickdraw.fetch import cache, remote

    base = remote.resolve_mirror(model_mirror, env=ENV, default=DEFAULT_MODEL_MIRROR, option=OPTION)
    return cache.path_for(base + MODEL_DIR + resolve(name) + SUFFIX, base, cache_dir)


def fetch(name: str, model_mirror: str | None = None, cache_dir=None, quiet: bool = True) -> Path:
    """Return the cached ``.gen.json`` of model ``name``, downloading (and checking) it first if needed."""
    from quickdraw.core import progress
    from quickdraw.fetch import cache, remote

    name = resolve(name)
    mirror = remote.open_mirror(model_mirror, env=ENV, default=DEFAULT_MODEL_MIRROR, option=OPTION)
    url = mirror.base + MODEL_DIR + name + SUFFIX
    with progress.bar(f"model {name}", quiet=quiet) as bar:
        return cache.cached_copy(mirror, url, check=lambda path: _first_bytes(path, url),
                                 full_check=lambda path: read(path, source=url), cache_dir=cache_dir, bar=bar)


def _first_bytes(path, url: str) -> None:
    """A cheap check of a fetched or cached model file: JSON list, not a web page."""
    with open(path, "rb") as f:
        head = f.read(64).lstrip()
    if head[:1] == b"<":
        raise QuickDrawError(f"{url} is an HTML page, not a sketch-rnn model (a login page? check the network "
                             f"or {OPTION})")
    if head[:1] != b"[":
        raise QuickDrawError(f"{url} is not a sketch-rnn model file (it does not start with a JSON list)")


def read(path, source: str | None = None) -> tuple[dict, list[np.ndarray]]:
    """Read and check a ``.gen.json`` file; return (info, [head kernel, head bias, kernel, recurrent, bias]).

    Everything is checked before anything large is allocated: the JSON layout, the shapes (a
    decoder-only model with 20 mixtures, at most 4096 units) and each weight string's length.
    Raises QuickDrawError naming ``source`` (default: the path) with what is wrong.
    """
    where = source or str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise QuickDrawError(f"cannot read {where} ({err.strerror or err})") from None
    if raw.lstrip()[:1] == b"<":
        raise QuickDrawError(f"{where} is an HTML page, not a sketch-rnn model (a login page? check the network "
                             f"or {OPTION})")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise QuickDrawError(f"{where} is not a sketch-rnn model file: not JSON ({err}); it may be "
                             "truncated") from None
    if not (isinstance(data, list) and len(data) == 3 and isinstance(data[0], dict)
            and isinstance(data[1], list) and isinstance(data[2], list)):
        raise QuickDrawError(f"{where} is not a sketch-rnn model file (expected [info, shapes, weights])")
    info, shapes, weights = data
    units = _units(shapes, where)
    expected = [[units, HEAD], [HEAD], [5, 4 * units], [units, 4 * units], [4 * units]]
    if [list(s) for s in shapes] != expected:
        raise QuickDrawError(f"{where} holds shapes {shapes}; qd reads decoder-only sketch-rnn-js models "
                             f"({NUM_MIXTURE} mixtures), shaped {expected}")
    if len(weights) != len(shapes) or not all(isinstance(w, str) for w in weights):
        raise QuickDrawError(f"{where} has {len(weights)} weight strings for {len(shapes)} shapes")
    try:
        if not isinstance(info.get("max_seq_len"), int):
            raise QuickDrawError(f"info max_seq_len must be a whole number, not {validate.shown(info.get('max_seq_len'))}")
        validate.integer("info max_seq_len", info["max_seq_len"], 1, validate.MAX_SEQ_LEN)
        validate.real("info scale_factor", info.get("scale_factor"), above=0, high=1e6)
    except QuickDrawError as err:
        raise QuickDrawError(f"{where}: {err}") from None
    arrays = []
    for text, shape in zip(weights, shapes):
        n = int(np.prod(shape))
        if len(text) != 4 * ((2 * n + 2) // 3):
            raise QuickDrawError(f"{where}: a weight string holds {len(text)} base64 characters; "
                                 f"shape {shape} needs {4 * ((2 * n + 2) // 3)}")
        try:
            values = np.frombuffer(base64.b64decode(text, validate=True), dtype="<i2")
        except (binascii.Error, ValueError) as err:
            raise QuickDrawError(f"{where}: a weight string is not base64 ({err})") from None
        arrays.append((values.astype(np.float32) * np.float32(WEIGHT_RANGE / 32767)).reshape(shape))
    return info, arrays


def _units(shapes, where: str) -> int:
    ok = (len(shapes) == 5 and all(isinstance(s, list) and s and all(isinstance(d, int) and not isinstance(d, bool)
                                                                      and d > 0 for d in s) for s in shapes))
    if not ok or len(shapes[0]) != 2:
        raise QuickDrawError(f"{where} declares shapes {str(shapes)[:80]}; expected five lists of positive sizes "
                             "(a decoder-only sketch-rnn-js model)")
    units = shapes[0][0]
    if units > MAX_UNITS:
        raise QuickDrawError(f"{where} declares {units} LSTM units, more than qd accepts ({MAX_UNITS}); "
                             "refused before allocating")
    return units


def load_file(path, *, name: str | None = None, source: str | None = None) -> Run:
    """Load a ``.gen.json`` file into a Keras decoder-only Sketch-RNN (plain LSTM); return it as a ``Run``.

    ``info["classes"]`` is the model's category, ``info["temperature_rule"]`` "sketch-rnn-js":
    samplers adjust temperature as the JS code does. ``info["scale_factor"]`` is the file's own;
    ``sketchrnn.models.load`` maps the dataset's frame onto it (``info["in_frame"]`` is True for
    files qd exported, which draw in the frame already).
    """
    from .model import build_model

    info, (head_kernel, head_bias, kernel, recurrent, bias) = read(path, source)
    word = name or str(info.get("name") or Path(path).name.removesuffix(SUFFIX))
    hp = HParams(mode="decoder", dec_model="lstm", dec_rnn_size=int(head_kernel.shape[0]),
                 num_mixture=NUM_MIXTURE, max_seq_len=int(info["max_seq_len"]), recurrent_dropout=0.0)
    model = build_model(hp)
    for variable, value in ((model.cell.kernel, kernel), (model.cell.recurrent_kernel, recurrent),
                            (model.cell.bias, bias), (model.head.kernel, head_kernel), (model.head.bias, head_bias)):
        variable.assign(value)
    model_scale = float(info["scale_factor"])
    details = {"kind": "sketchrnn", "mode": "decoder", "classes": [word.replace("_", " ")],
               "scale_factor": model_scale, "model_scale_factor": model_scale, "max_seq_len": int(info["max_seq_len"]),
               "pretrained": word, "source": source or str(path), "synthetic": False, "weights_step": None,
               "temperature_rule": "sketch-rnn-js", "in_frame": info.get("frame") == FRAME}
    return Run(model, hp, details, Path(path))


def load_name(name: str, model_mirror: str | None = None, cache_dir=None, quiet: bool = True) -> Run:
    """Fetch (or take from the cache) the official model ``name`` and load it (see ``load_file``)."""
    name = resolve(name)
    path = fetch(name, model_mirror, cache_dir, quiet=quiet)
    try:
        return load_file(path, name=name, source=url_for(name, model_mirror))
    except QuickDrawError as err:
        path.unlink(missing_ok=True)  # a damaged cache entry: the next run fetches it again
        raise QuickDrawError(f"{err} (removed from the cache; run again to fetch it anew)") from None


def export(run: Run, out, *, force: bool = False) -> Path:
    """Write a decoder-only ``dec_model=lstm`` run with 20 mixtures as a sketch-rnn-js ``.gen.json`` file.

    Weights are quantised to int16 as the official files are (beyond +-10 they are clipped); the
    info record names the run's category, its ``max_seq_len`` and scale factor, and says
    ``"frame": 255`` (the model draws in the dataset's frame; sketch-rnn-js ignores the field).
    An existing ``out`` is replaced only with ``force``; a failed write leaves nothing behind (no
    temporary file, no folder made for it).
    """
    from quickdraw.core.atomic import refuse_existing, write_files_atomic

    out = refuse_existing(out, force, replaceable=lambda path: path.is_file())
    hp = run.hp
    if hp.conditional or hp.dec_model != "lstm" or hp.num_mixture != NUM_MIXTURE:
        raise QuickDrawError(
            f"the sketch-rnn-js format holds decoder-only models with a plain LSTM and {NUM_MIXTURE} mixtures; "
            f"this run is mode={hp.mode}, dec_model={hp.dec_model}, num_mixture={hp.num_mixture} (train one with "
            f"--mode decoder --hparams dec_model=lstm,num_mixture={NUM_MIXTURE})")
    model = run.model
    arrays = [np.asarray(v) for v in (model.head.kernel, model.head.bias, model.cell.kernel,
                                       model.cell.recurrent_kernel, model.cell.bias)]
    words = run.info.get("classes") or ["sketch"]
    info = {"mode": INFO_MODE, "version": INFO_VERSION, "max_seq_len": int(hp.max_seq_len),
            "name": "_".join(str(words[0]).split()), "scale_factor": float(run.scale), "frame": FRAME}
    weights = [base64.b64encode(quantise(a).astype("<i2").tobytes()).decode("ascii") for a in arrays]
    text = json.dumps([info, [list(a.shape) for a in arrays], weights])
    write_files_atomic({out: lambda tmp: tmp.write_text(text, "utf-8")}, replace=force)
    return out


def quantise(values: np.ndarray) -> np.ndarray:
    """Weights as the int16 of the format: round(v x 32767 / 10), clipped to the int16 range."""
    return np.clip(np.rint(np.asarray(values, np.float64) * 32767 / WEIGHT_RANGE), -32767, 32767).astype(np.int16)
