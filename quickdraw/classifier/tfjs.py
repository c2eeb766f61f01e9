"""A classifier as a TensorFlow.js layers model: ``model.json`` and one weight shard, written by qd itself.

TensorFlow's own converter (the ``tensorflowjs`` package, 4.22) cannot be installed beside TensorFlow
2.21 and mis-reads Keras 3 ``.keras`` files, so qd writes the documented layers-model format itself:
``model.json`` holds ``format: "layers-model"``, a Keras-2-style ``modelTopology`` (a Sequential of
the layers TF.js knows) and a ``weightsManifest`` naming each weight (``layer/kernel``, its shape,
float32); ``group1-shard1of1.bin`` holds the weights one after another, little-endian float32.
Layers that do nothing at inference (dropout, the training-only augmentation) are left out; qd's
float32 softmax becomes a softmax activation. The input is float32 0-255 (TF.js layers take no uint8).

>>> write_layers_model(model, "web/cnn", {"classes": ["cat", "dog"]})  # doctest: +SKIP
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import QuickDrawError

WEIGHTS_FILE = "group1-shard1of1.bin"
PASSED_AT_INFERENCE = ("Dropout", "RandomAffine", "SpatialDropout2D", "GaussianNoise")


def layers_topology(model) -> tuple[list[dict], list[tuple[str, np.ndarray]]]:
    """The TF.js layer configs of a qd classifier (a chain of layers) and its weights [(name, array)]."""
    configs, weights = [], []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer" or kind in PASSED_AT_INFERENCE:
            continue
        config = _config(layer, kind)
        if not configs:
            config["config"]["batch_input_shape"] = [None, *[int(d) for d in model.input_shape[1:]]]
        configs.append(config)
        for variable in layer.weights:
            short = variable.path.rsplit("/", 1)[-1]
            weights.append((f"{config['config']['name']}/{short}", np.asarray(variable, np.float32)))
    return configs, weights


def _config(layer, kind: str) -> dict:
    base = {"name": layer.name, "trainable": True, "dtype": "float32"}
    c = layer.get_config()
    if kind == "Rescaling":
        return _layer("Rescaling", base, scale=float(c["scale"]), offset=float(c["offset"]))
    if kind == "Conv2D":
        return _layer("Conv2D", base, filters=c["filters"], kernel_size=list(c["kernel_size"]),
                      strides=list(c["strides"]), padding=c["padding"], data_format="channels_last",
                      dilation_rate=list(c["dilation_rate"]), activation=_activation(c["activation"]),
                      use_bias=c["use_bias"])
    if kind == "BatchNormalization":
        return _layer("BatchNormalization", base, axis=-1, momentum=c["momentum"], epsilon=c["epsilon"],
                      center=c["center"], scale=c["scale"])
    if kind == "ReLU":
        if c.get("max_value") is not None or c.get("negative_slope") or c.get("threshold"):
            raise QuickDrawError(f"layer {layer.name}: a ReLU with limits has no TF.js counterpart here")
        return _layer("Activation", base, activation="relu")
    if kind == "Activation":
        return _layer("Activation", base, activation=_activation(c["activation"]))
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        return _layer(kind, base, pool_size=list(c["pool_size"]), strides=list(c["strides"] or c["pool_size"]),
                      padding=c["padding"], data_format="channels_last")
    if kind == "Flatten":
        return _layer("Flatten", base, data_format="channels_last")
    if kind == "Dense":
        return _layer("Dense", base, units=c["units"], activation=_activation(c["activation"]),
                      use_bias=c["use_bias"])
    if kind == "ClassSoftmax":
        return _layer("Activation", base, activation="softmax")
    raise QuickDrawError(f"the TF.js export does not know Keras layer {layer.name!r} ({kind})")


def _layer(class_name: str, base: dict, **config) -> dict:
    return {"class_name": class_name, "config": {**base, **config}}


def _activation(value) -> str:
    name = value if isinstance(value, str) else getattr(value, "__name__", str(value))
    if name not in ("linear", "relu", "softmax", "sigmoid", "tanh"):
        raise QuickDrawError(f"the TF.js export does not know activation {name!r}")
    return name


def write_layers_model(model, folder, metadata: dict) -> list[Path]:
    """Write ``model`` as a TF.js layers model into ``folder`` (which exists): model.json and the weights.

    ``metadata`` (class names, the input contract) goes into model.json's ``userDefinedMetadata``,
    which ``tf.loadLayersModel`` keeps (``model.getUserDefinedMetadata()``). Returns the two paths.
    """
    import keras

    folder = Path(folder)
    configs, weights = layers_topology(model)
    topology = {"class_name": "Sequential", "config": {"name": model.name, "layers": configs},
                "keras_version": f"qd export of keras {keras.__version__}", "backend": "tensorflow"}
    manifest = [{"paths": [WEIGHTS_FILE],
                 "weights": [{"name": name, "shape": list(array.shape), "dtype": "float32"} for name, array in weights]}]
    document = {"format": "layers-model", "generatedBy": f"keras {keras.__version__}",
                "convertedBy": "qd export-model (the TF.js layers-model format, written by qd)",
                "modelTopology": topology, "weightsManifest": manifest, "userDefinedMetadata": metadata}
    data = b"".join(np.ascontiguousarray(array, "<f4").tobytes() for _, array in weights)
    (folder / WEIGHTS_FILE).write_bytes(data)
    (folder / "model.json").write_text(json.dumps(document, indent=1) + "\n", "utf-8")
    return [folder / "model.json", folder / WEIGHTS_FILE]
