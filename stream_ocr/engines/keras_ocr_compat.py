"""The one place that makes keras-ocr 0.9.3 import on current TensorFlow and NumPy.

Two things break it, and both are fixed here, before keras-ocr is imported:

* Keras 3 (TensorFlow >= 2.16's default) cannot build keras-ocr's models. TensorFlow
  still ships Keras 2 as the ``tf-keras`` package, selected by ``TF_USE_LEGACY_KERAS=1``
  before TensorFlow is first imported. We set it here, so users never do.
* keras-ocr imports imgaug, which is broken on NumPy 2 (``np.sctypes``, ``np.bool``,
  ``np.complex`` are gone), and opencv-python 5 needs NumPy 2. keras-ocr uses imgaug
  only to augment training data, never to detect or recognize. On NumPy 2 we register
  a placeholder ``imgaug`` module whose every use raises an ImportError that says so.

Nothing else in the package imports tensorflow or keras_ocr directly: they go through
``import_keras_ocr()``. That import is also where TensorFlow's native start-up chatter
(absl's notice, CUDA probing on a machine without a GPU, oneDNN notices) is kept from
users unless the ``stream_ocr`` logger is at DEBUG (``--verbose``): it is written by C++
straight to file descriptor 2, so it is caught there and every other line is passed on.
Our own line says which device runs the models.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from stream_ocr.errors import EngineUnavailableError

logger = logging.getLogger(__name__)

_IMGAUG_MESSAGE = (
    "imgaug does not work with NumPy 2, so stream-ocr replaced it with a placeholder. "
    "keras-ocr needs imgaug only to augment training data; detection and recognition "
    "never use it. Train keras-ocr models in an environment with numpy<2."
)


class _ImgaugPlaceholder(types.ModuleType):
    """Stands in for an imgaug (sub)module: any attribute not defined here raises."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise ImportError(f"imgaug.{name} is unavailable: {_IMGAUG_MESSAGE}")


class _Augmenter:
    """keras-ocr names ``imgaug.augmenters.meta.Augmenter`` in a type annotation."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise ImportError(_IMGAUG_MESSAGE)


def _install_imgaug_placeholder() -> None:
    root = _ImgaugPlaceholder("imgaug", _IMGAUG_MESSAGE)
    augmenters = _ImgaugPlaceholder("imgaug.augmenters", _IMGAUG_MESSAGE)
    meta = _ImgaugPlaceholder("imgaug.augmenters.meta", _IMGAUG_MESSAGE)
    meta.Augmenter = _Augmenter
    augmenters.meta = meta
    root.augmenters = augmenters
    root.__stream_ocr_placeholder__ = True
    sys.modules.update({"imgaug": root, "imgaug.augmenters": augmenters, "imgaug.augmenters.meta": meta})


def _select_legacy_keras() -> None:
    if "tensorflow" in sys.modules:
        # Too late to choose: TensorFlow picked its Keras when it was imported.
        # Fine if it picked Keras 2 (the variable was set, or an old TensorFlow).
        import tensorflow as tf

        if not tf.keras.layers.Dense.__module__.startswith("tf_keras"):
            raise EngineUnavailableError(
                "TensorFlow was imported before stream-ocr could select Keras 2 (tf-keras), "
                "which keras-ocr needs. Import stream_ocr before tensorflow, or set "
                "TF_USE_LEGACY_KERAS=1 before starting Python."
            )
        return
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    # TensorFlow's C++ start-up chatter (oneDNN, CUDA probing) is not for users; errors still show.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _prepare_imgaug() -> None:
    if "imgaug" in sys.modules:
        return
    if hasattr(np, "sctypes"):
        return  # NumPy 1.x: the real imgaug imports.
    _install_imgaug_placeholder()


# Lines TensorFlow's C++ writes at start-up that say nothing to a user: they are dropped
# unless --verbose. Anything else written meanwhile is passed on.
NATIVE_NOISE = (
    "All log messages before absl::InitializeLog",
    "cudart_stub.cc",
    "cuda_platform.cc",
    "cuda_executor.cc",
    "cuda_dnn.cc",
    "cuda_fft.cc",
    "cuda_blas.cc",
    "failed call to cuInit",
    "computation_placer.cc",
    "oneDNN custom operations are on",
    "TF_ENABLE_ONEDNN_OPTS",
    "This TensorFlow binary is optimized to use available CPU instructions",
    "rebuild TensorFlow with the appropriate compiler flags",
    "port.cc:153",
    "cpu_feature_guard.cc",
)


@contextmanager
def native_stderr_filtered(noise: tuple[str, ...] = NATIVE_NOISE) -> Iterator[None]:
    """Catch what is written to file descriptor 2 meanwhile; pass on every line but ``noise``."""
    if logging.getLogger("stream_ocr").isEnabledFor(logging.DEBUG):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            for line in caught.read().decode(errors="replace").splitlines(keepends=True):
                if not any(n in line for n in noise):
                    sys.stderr.write(line)
            sys.stderr.flush()


_device_logged = False
# One redirection of file descriptor 2 at a time: two interleaved would leave it pointing
# at the first one's file.
_native_stderr_lock = threading.RLock()


def log_device(tf: Any) -> None:
    """One line of ours, once, on the device TensorFlow will run the models on."""
    global _device_logged
    if _device_logged:
        return
    _device_logged = True
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        logger.info("GPU found: running on %s", ", ".join(g.name for g in gpus))
    else:
        logger.info("no GPU found: running on CPU")


def log_cpu_only() -> None:
    """The same line as ``log_device``'s, once, when no GPU driver is present and
    TensorFlow is not imported to ask."""
    global _device_logged
    if not _device_logged:
        _device_logged = True
        logger.info("no GPU found: running on CPU")


def import_keras_ocr() -> types.ModuleType:
    """Import and return ``keras_ocr``, having made it importable here."""
    with _native_stderr_lock, native_stderr_filtered():
        keras_ocr = _import_keras_ocr()
        log_device(sys.modules["tensorflow"])  # probing CUDA speaks too
    return keras_ocr


def _import_keras_ocr() -> types.ModuleType:
    _select_legacy_keras()
    _prepare_imgaug()
    try:
        import tf_keras  # noqa: F401  (TF_USE_LEGACY_KERAS needs it installed)
    except ImportError as e:
        raise EngineUnavailableError(
            "the tf-keras package is missing; keras-ocr needs Keras 2. Install it with: "
            "pip install 'tf-keras~=<your tensorflow version>'"
        ) from e
    try:
        import keras_ocr
    except ImportError as e:
        raise EngineUnavailableError(
            f"keras-ocr cannot be imported: {e}. Install it with: pip install keras-ocr==0.9.3"
        ) from e
    return keras_ocr


def import_tensorflow() -> types.ModuleType:
    """Import and return ``tensorflow`` with Keras 2 selected."""
    import_keras_ocr()
    import tensorflow as tf

    return tf
