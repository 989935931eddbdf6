"""keras-ocr on Keras 2 beside TensorFlow: imports that work, and errors that say what to do."""

import subprocess
import sys

import pytest

# Each test imports TensorFlow and keras-ocr in a fresh interpreter: seconds apiece.
pytestmark = pytest.mark.slow


def test_keras_ocr_imports_and_runs_on_keras_2():
    # In a fresh interpreter, as a user would: no environment variable set beforehand.
    code = (
        "import os; os.environ.pop('TF_USE_LEGACY_KERAS', None)\n"
        "from stream_ocr.engines.keras_ocr_compat import import_keras_ocr\n"
        "k = import_keras_ocr()\n"
        "import tensorflow as tf, numpy as np\n"
        "print(k.__version__, k.detection.keras.layers.Dense.__module__, np.__version__.split('.')[0])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    version, keras_module, numpy_major = out.stdout.split()
    assert version == "0.9.3"
    assert keras_module.startswith("tf_keras")
    assert int(numpy_major) >= 2


def test_imgaug_placeholder_explains_itself():
    from stream_ocr.engines.keras_ocr_compat import import_keras_ocr

    import_keras_ocr()
    import imgaug

    if not getattr(imgaug, "__stream_ocr_placeholder__", False):
        pytest.skip("the real imgaug is importable here (NumPy 1.x)")
    with pytest.raises(ImportError, match="training"):
        imgaug.augmenters.Sequential([])


def test_late_tensorflow_import_with_keras_3_is_a_clear_error():
    code = (
        "import os; os.environ.pop('TF_USE_LEGACY_KERAS', None)\n"
        "import tensorflow\n"
        "from stream_ocr.engines.keras_ocr_compat import import_keras_ocr\n"
        "try:\n    import_keras_ocr()\nexcept Exception as e:\n    print(type(e).__name__, e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert "EngineUnavailableError" in out.stdout and "TF_USE_LEGACY_KERAS=1" in out.stdout
