"""Sketch-RNN hyperparameters: one typed record with Magenta's defaults, parsed from ``k=v,...``.

>>> hp = HParams().override("dec_rnn_size=256,num_mixture=10")
>>> hp.dec_rnn_size, hp.num_mixture, hp.z_size
(256, 10, 128)
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, fields

from quickdraw.core import validate
from quickdraw.errors import QuickDrawError

MODES = ("vae", "decoder")
# Every number's range, checked whenever HParams are made (--hparams, hparams.json, a .gen.json file).
SIZES = {"max_seq_len": (1, validate.MAX_SEQ_LEN), "enc_rnn_size": (1, validate.MAX_UNITS),
         "dec_rnn_size": (1, validate.MAX_UNITS), "z_size": (1, 1024), "num_mixture": (1, 100),
         "batch_size": (1, 10_000), "save_every": (1, 10 ** 9), "length_buckets": (1, 1000)}
RATES = {"recurrent_dropout": {"low": 0, "below": 1}, "learning_rate": {"low": 0, "high": 1},
         "min_learning_rate": {"low": 0, "high": 1}, "decay_rate": {"above": 0, "high": 1},
         "kl_weight": {"low": 0, "high": 1000}, "kl_weight_start": {"low": 0, "high": 1},
         "kl_decay_rate": {"above": 0, "high": 1}, "kl_tolerance": {"low": 0, "high": 1000},
         "grad_clip": {"above": 0, "high": 1e6}, "random_scale_factor": {"low": 0, "below": 1},
         "augment_stroke_prob": {"low": 0, "high": 1}}
DECODER_MODELS = ("layer_norm", "lstm")  # Magenta's dec_model names


@dataclass(frozen=True)
class HParams:
    """Everything that shapes a Sketch-RNN and its training (defaults from Ha & Eck 2017 / Magenta)."""

    mode: str = "vae"                  # "vae" (encoder + decoder) or "decoder" (unconditional)
    max_seq_len: int = 250             # longer sketches are dropped; Lr divides by this (Nmax)
    enc_rnn_size: int = 256            # per direction of the bidirectional LSTM encoder
    dec_rnn_size: int = 512            # decoder units
    dec_model: str = "layer_norm"      # decoder cell: "layer_norm" (LayerNorm-LSTM) or "lstm" (plain, as sketch-rnn-js)
    z_size: int = 128
    num_mixture: int = 20              # bivariate Gaussians in the offset mixture
    recurrent_dropout: float = 0.1     # on the decoder's candidate, while training
    batch_size: int = 100
    learning_rate: float = 1e-3
    min_learning_rate: float = 1e-5
    decay_rate: float = 0.9999         # lr_t = (lr - min_lr) * decay_rate^t + min_lr
    kl_weight: float = 0.5
    kl_weight_start: float = 0.01
    kl_decay_rate: float = 0.99995     # w_t = kl_weight * (1 - (1 - kl_weight_start) * kl_decay_rate^t)
    kl_tolerance: float = 0.2          # the KL term is floored here
    grad_clip: float = 1.0             # by value
    random_scale_factor: float = 0.15  # augmentation: x and y each scaled by U(1 - f, 1 + f)
    augment_stroke_prob: float = 0.1   # augmentation: drop points inside straight runs
    save_every: int = 100              # checkpoint, validate and refresh plots every this many steps
    length_buckets: int = 1            # batches per length-sorted run of each epoch's order; 1: Magenta's
                                       # random batches. More pads less (faster steps) but learns less per step

    def __post_init__(self):
        if self.mode not in MODES:
            raise QuickDrawError(f"mode {validate.shown(self.mode)} is not one of {', '.join(MODES)}")
        if self.dec_model not in DECODER_MODELS:
            raise QuickDrawError(f"dec_model {validate.shown(self.dec_model)} is not one of {', '.join(DECODER_MODELS)}")
        for name, (low, high) in SIZES.items():  # bounded before anything is allocated
            validate.integer(f"hparam {name}", getattr(self, name), low, high)
        for name, bounds in RATES.items():
            validate.real(f"hparam {name}", getattr(self, name), **bounds)
        if self.min_learning_rate > self.learning_rate:
            raise QuickDrawError(f"hparam min_learning_rate ({self.min_learning_rate:g}) must not exceed "
                                 f"learning_rate ({self.learning_rate:g})")

    @property
    def conditional(self) -> bool:
        """True for the VAE (encoder + decoder), False for the decoder-only model."""
        return self.mode == "vae"

    def override(self, text: str) -> "HParams":
        """Return a copy with ``"name=value,name=value"`` applied; unknown names list the valid ones."""
        changes = {}
        for item in (p.strip() for p in (text or "").split(",")):
            if not item:
                continue
            name, sep, value = item.partition("=")
            name = name.strip()
            if not sep:
                raise QuickDrawError(f"--hparams item {item!r} is not name=value")
            changes[name] = _parse_value(name, value.strip())
        return self.replace(**changes)

    def replace(self, **changes) -> "HParams":
        """Return a copy with the given fields changed (values are checked and converted)."""
        valid = {f.name: f for f in fields(self)}
        unknown = sorted(set(changes) - set(valid))
        if unknown:
            raise QuickDrawError(f"unknown hparam {', '.join(unknown)}; valid ones: {', '.join(valid)}")
        return dataclasses.replace(self, **{k: _coerce(k, v) for k, v in changes.items()})

    def to_dict(self) -> dict:
        """The hyperparameters as a plain dict (what ``hparams.json`` holds)."""
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        """The hyperparameters as indented JSON text."""
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_dict(cls, values: dict) -> "HParams":
        """Build from a dict such as a saved ``hparams.json``; unknown names are an error."""
        return cls().replace(**values)


def _types() -> dict:
    return {f.name: type(f.default) for f in fields(HParams)}


def _parse_value(name: str, text: str):
    kind = _types().get(name)
    if kind is None:
        raise QuickDrawError(f"unknown hparam {name}; valid ones: {', '.join(_types())}")
    if kind is str:
        return text
    try:
        return kind(float(text)) if kind is int and float(text).is_integer() else kind(text)
    except ValueError:
        raise QuickDrawError(f"hparam {name}={text!r} is not a valid {kind.__name__}")


def _coerce(name: str, value):
    kind = _types()[name]
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise QuickDrawError(f"hparam {name}={value!r} is not a valid {kind.__name__}")
    return value
