"""Where the default engine's two networks run: TensorFlow, or OpenVINO converted from the same weights.

Owns the choice of runtime (``EngineConfig.runtime``), and turning a network into one
callable: a uint8 batch in, the network's output as a numpy array out, with the
network's input normalisation inside.

* ``tensorflow``: the Keras model in a ``tf.function``; the reference path, and the path
  on a GPU.
* ``openvino``: the same Keras model converted to OpenVINO's IR once (``convert``), kept
  in the cache folder under the checksum of the weights it came from, with the IR's
  own checksums beside it. New weights (a retrained recognizer) have a new checksum, so
  they are converted on first use; ``tools/export_engine.py`` runs the same conversion
  ahead of time and checks it against TensorFlow.
* ``auto`` (the default): OpenVINO where it is installed and TensorFlow finds no GPU.
  On a machine with no GPU driver, TensorFlow is not even imported: the networks run on
  OpenVINO, CRAFT's boxes come from ``craft_boxes``, and the process is about 590 MB
  smaller. It is imported only to convert a network, once.

On the CPU both compute in bfloat16 where the CPU has it (``EngineConfig.cpu_bfloat16``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np

from stream_ocr.config import EngineConfig
from stream_ocr.engines.keras_ocr_compat import import_tensorflow, log_cpu_only
from stream_ocr.engines.weight_files import sha256sum
from stream_ocr.errors import BadInputError, WeightsError

logger = logging.getLogger(__name__)

# Part of every converted network's key: bump it when ``convert`` changes what it writes.
CONVERSION_VERSION = "1"

Net = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class NetSpec:
    """One network as the runtimes see it: its name, the checksum of the weights it is
    built from, its input's shape (-1 where it varies) and the normalisation of its
    uint8 input, ``(x - mean) / scale`` per channel."""

    name: str
    weights_digest: str
    input_shape: tuple[int, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]


def import_openvino() -> Any:
    """``openvino``, with its telemetry kept out: importing openvino starts its model
    converter's telemetry, which (unless a consent file in the home folder says no) forks
    a process to send a usage event to Google Analytics. This program contacts no other
    address, and a fork of an eventlet server is a second server on the same port. With
    ``openvino_telemetry`` unimportable, the converter falls back to its own stub."""
    if "openvino" not in sys.modules:
        sys.modules.setdefault("openvino_telemetry", None)  # type: ignore[arg-type]
    import openvino

    return openvino


# Where a GPU's driver shows itself (NVIDIA's on Linux, and WSL's); without one of these,
# TensorFlow finds no GPU, and is not imported to ask (importing it costs about 590 MB).
GPU_DEVICE_PATHS = ("/proc/driver/nvidia", "/dev/nvidia0", "/dev/nvidiactl", "/dev/dxg")


def gpu_driver_present(paths: tuple[str, ...] = GPU_DEVICE_PATHS) -> bool:
    return any(os.path.exists(path) for path in paths)


def resolve_runtime(config: EngineConfig) -> str:
    """The runtime ``config`` asks for, with ``auto`` decided on this machine."""
    if config.runtime != "auto":
        if config.runtime == "openvino" and find_spec("openvino") is None:
            raise BadInputError("the openvino runtime is not installed: pip install openvino")
        return config.runtime
    if find_spec("openvino") is None:
        return "tensorflow"
    if not gpu_driver_present():
        log_cpu_only()
        return "openvino"
    if import_tensorflow().config.list_physical_devices("GPU"):
        return "tensorflow"
    return "openvino"


def tensorflow_net(model: Any, spec: NetSpec) -> Net:
    """``model`` in one ``tf.function`` traced once for every shape (the dimensions that
    vary are left unknown, so new frame sizes never retrace)."""
    tf = import_tensorflow()
    mean = tf.constant(np.asarray(spec.mean, np.float32))
    scale = tf.constant(np.asarray(spec.scale, np.float32))
    dims = [None if d < 0 else d for d in spec.input_shape]

    @tf.function(input_signature=[tf.TensorSpec(dims, tf.uint8)])
    def run(batch: Any) -> Any:
        return model((tf.cast(batch, tf.float32) - mean) / scale, training=False)

    return lambda batch: run(batch).numpy()


def net_key(spec: NetSpec) -> str:
    """The name of a converted network's folder: it changes with the weights, the
    conversion and OpenVINO's version."""
    ov = import_openvino()
    text = json.dumps([spec.name, spec.weights_digest, spec.input_shape, spec.mean, spec.scale, CONVERSION_VERSION])
    digest = hashlib.sha256(f"{text} {ov.get_version()}".encode()).hexdigest()
    return f"{spec.name}-{digest[:16]}"


def convert(model: Any, spec: NetSpec, folder: Path) -> Path:
    """Convert the Keras ``model`` to OpenVINO's IR in ``folder``/``net_key(spec)``, with
    uint8 input and its normalisation inside; return that folder. Written to a temporary
    folder and renamed, so that a crash or a second process never sees half of it."""
    ov = import_openvino()
    target = folder / net_key(spec)
    converted = ov.convert_model(model, input=[list(spec.input_shape)])
    ppp = ov.preprocess.PrePostProcessor(converted)
    ppp.input().tensor().set_element_type(ov.Type.u8).set_layout(ov.Layout("NHWC"))
    ppp.input().model().set_layout(ov.Layout("NHWC"))
    ppp.input().preprocess().convert_element_type(ov.Type.f32).mean(list(spec.mean)).scale(list(spec.scale))
    converted = ppp.build()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=folder))
    try:
        # Weights stay float32, so that the IR computes what TensorFlow computes.
        ov.save_model(converted, tmp / "model.xml", compress_to_fp16=False)
        files = {name: sha256sum(tmp / name) for name in ("model.xml", "model.bin")}
        manifest = {"network": spec.name, "weights_sha256": spec.weights_digest, "openvino": ov.get_version()}
        (tmp / "manifest.json").write_text(json.dumps(dict(manifest, files=files), indent=1) + "\n")
        if target.exists() and not intact(target):  # a damaged copy; an intact one is another process's
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.replace(tmp, target)
        except OSError:  # another process renamed its copy first
            if not intact(target):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def intact(folder: Path) -> bool:
    """Whether ``folder`` holds a converted network whose files match its manifest."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        return all(sha256sum(folder / name) == digest for name, digest in manifest["files"].items())
    except (OSError, ValueError, KeyError, TypeError, WeightsError):
        return False


class OpenVINONet:
    """A converted network compiled for the CPU: ``net(batch)`` runs it on one uint8 batch.
    Not thread-safe: the engine runs one frame at a time."""

    def __init__(self, folder: Path, config: EngineConfig) -> None:
        ov = import_openvino()
        core = ov.Core()
        options: dict[str, Any] = {
            "PERFORMANCE_HINT": "LATENCY",
            # The server's own threads share these cores: OpenVINO must not pin its own.
            "ENABLE_CPU_PINNING": False,
        }
        if config.tf_intra_op_threads:
            options["INFERENCE_NUM_THREADS"] = config.tf_intra_op_threads
        if not config.cpu_bfloat16:
            options["INFERENCE_PRECISION_HINT"] = "f32"
        self.folder = folder
        self.compiled = core.compile_model(core.read_model(folder / "model.xml"), "CPU", options)
        self.precision = str(self.compiled.get_property("INFERENCE_PRECISION_HINT"))
        self._request = self.compiled.create_infer_request()

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        self._request.infer({0: batch})
        return self._request.get_output_tensor(0).data.copy()


def openvino_net(spec: NetSpec, build_keras_model: Callable[[], Any], config: EngineConfig) -> OpenVINONet:
    """``spec``'s network on OpenVINO: converted from ``build_keras_model()`` on first use
    (or when its cached copy fails its checksums), then loaded from the cache."""
    folder = Path(config.cache_dir) / "openvino"
    target = folder / net_key(spec)
    if not intact(target):
        logger.info("converting %s to OpenVINO in %s (once for these weights)", spec.name, target)
        target = convert(build_keras_model(), spec, folder)
    return OpenVINONet(target, config)


def build_net(spec: NetSpec, build_keras_model: Callable[[], Any], config: EngineConfig) -> tuple[Net, Any]:
    """``spec``'s network on the runtime ``config`` chooses, and its Keras model (None on
    OpenVINO, which needs it only to convert)."""
    if resolve_runtime(config) == "openvino":
        return openvino_net(spec, build_keras_model, config), None
    model = build_keras_model()
    return tensorflow_net(model, spec), model
