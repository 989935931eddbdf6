"""Benchmark the default engine's two networks on other runtimes, side by side in one run.

The same CRAFT detector and english_g2 recognizer, with the weights the engine ships,
run on TensorFlow (the float32 reference, and the engine's own path: bfloat16 where the
CPU has it), OpenVINO (float32, bfloat16 where the CPU has it; and INT8 from NNCF post-training
quantization with ``--int8``, calibrated on ICDAR 2015 *training* photos only), ONNX
Runtime (converted with tf2onnx) and TensorFlow Lite (XNNPACK). Each prints its median
time over ``--repeat`` runs after one warm-up, and its largest difference from
TensorFlow's output. CRAFT runs on one training photo at the engine's detection size
(1280x720, padded to 1280x768); the recognizer on a batch of 16 crops 256 px wide.

    pip install openvino tf2onnx onnx nncf
    python benchmarks/runtimes.py [--int8] [--repeat 3]

State the CPU flags with the figures: the same code runs several times slower on a CPU
with AVX2 only than on one with AVX-512 BF16.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from stream_ocr.config import EngineConfig  # noqa: E402
from stream_ocr.engines.craft import _MEAN, _STD, build_craft_keras_model  # noqa: E402
from stream_ocr.engines.english_g2 import EnglishG2Recognizer  # noqa: E402
from stream_ocr.engines.keras_ocr_compat import import_tensorflow  # noqa: E402

TRAIN = ROOT.parent / "shared" / "eval" / "icdar2015-train" / "images"


def cpu_flags() -> str:
    flags = set(Path("/proc/cpuinfo").read_text().split()) if Path("/proc/cpuinfo").exists() else set()
    wanted = ("avx2", "avx512f", "avx512_bf16", "avx512_vnni", "avx_vnni", "amx_bf16")
    return " ".join(f for f in wanted if f in flags) or "unknown"


def timed(fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray, repeat: int) -> tuple[float, np.ndarray]:
    out = fn(x)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(x)
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1000, np.asarray(out)


def craft_input(n: int) -> np.ndarray:
    rgb = cv2.cvtColor(cv2.imread(str(TRAIN / f"img_{n}.jpg")), cv2.COLOR_BGR2RGB)
    batch = np.zeros((1, 768, 1280, 3), np.float32)
    batch[0, :720] = cv2.resize(rgb, (1280, 720))
    return (batch - _MEAN) / _STD


def recognizer_input() -> np.ndarray:
    rng = np.random.default_rng(0)
    gray = cv2.cvtColor(cv2.imread(str(TRAIN / "img_7.jpg")), cv2.COLOR_BGR2GRAY)
    crops = [gray[y : y + 64, x : x + 256] for y, x in zip(rng.integers(0, 650, 16), rng.integers(0, 1020, 16))]
    return (np.stack(crops)[..., None].astype(np.float32) / 127.5 - 1.0).astype(np.float32)


def runtimes(model, tf, x: np.ndarray, folder: Path, int8: bool, threads: int, calibration) -> dict:
    """name -> a function of one input batch, for ``model`` on every runtime that is installed."""
    shape = [1 if x.shape[0] == 1 else -1, -1, -1, x.shape[3]]
    dims = [None if d == -1 else d for d in shape]
    reference = tf.function(lambda t: model(t, training=False), input_signature=[tf.TensorSpec(dims, tf.float32)])
    # The reference, in float32; then the engine's own TensorFlow path, which lets oneDNN
    # compute in bfloat16 where the CPU has it (EngineConfig.cpu_bfloat16). The option
    # applies to graphs optimised after it is set, so each function runs once in its turn.
    tf.config.optimizer.set_experimental_options({"auto_mixed_precision_onednn_bfloat16": False})
    reference(x)
    engine_path = tf.function(lambda t: model(t, training=False), input_signature=[tf.TensorSpec(dims, tf.float32)])
    tf.config.optimizer.set_experimental_options({"auto_mixed_precision_onednn_bfloat16": True})
    engine_path(x)
    tf.config.optimizer.set_experimental_options({"auto_mixed_precision_onednn_bfloat16": False})
    out = {
        "tensorflow": lambda a: reference(a).numpy(),
        "tensorflow-engine": lambda a: engine_path(a).numpy(),
    }
    try:
        import openvino as ov

        core = ov.Core()
        converted = ov.convert_model(model, input=[shape])
        options = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": threads}
        # OpenVINO's CPU plugin computes in bf16 by itself where the CPU has it: name the
        # precision, so that fp32 is fp32 on every machine.
        fp32 = dict(options, INFERENCE_PRECISION_HINT="f32")
        out["openvino-fp32"] = core.compile_model(converted, "CPU", fp32)
        if "BF16" in [c.upper() for c in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")]:
            out["openvino-bf16"] = core.compile_model(converted, "CPU", dict(options, INFERENCE_PRECISION_HINT="bf16"))
        if int8:
            import nncf

            quantized = nncf.quantize(converted, nncf.Dataset(calibration()), subset_size=8)
            out["openvino-int8"] = core.compile_model(quantized, "CPU", fp32)
    except ImportError as e:
        print(f"openvino: not installed ({e})")
    try:
        import onnxruntime as ort
        import tf2onnx

        path = folder / f"{model.name}.onnx"
        spec = (tf.TensorSpec(dims, tf.float32, name="x"),)
        tf2onnx.convert.from_keras(model, input_signature=spec, opset=17, output_path=str(path))
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        out["onnxruntime-fp32"] = lambda a: session.run(None, {name: a})[0]
    except ImportError as e:
        print(f"onnxruntime/tf2onnx: not installed ({e})")
    concrete = tf.function(lambda t: model(t, training=False)).get_concrete_function(tf.TensorSpec(x.shape, tf.float32))
    lite = tf.lite.TFLiteConverter.from_concrete_functions([concrete], model).convert()
    interpreter = tf.lite.Interpreter(model_content=lite, num_threads=threads)
    interpreter.allocate_tensors()
    tensor_in = interpreter.get_input_details()[0]["index"]
    tensor_out = interpreter.get_output_details()[0]["index"]

    def run_lite(a: np.ndarray) -> np.ndarray:
        interpreter.set_tensor(tensor_in, a)
        interpreter.invoke()
        return interpreter.get_tensor(tensor_out)

    out["tflite-xnnpack-fp32"] = run_lite
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--int8", action="store_true", help="also OpenVINO INT8 (NNCF, 8 training photos)")
    args = parser.parse_args()
    tf = import_tensorflow()
    print(f"CPU flags: {cpu_flags()}; {os.cpu_count()} cores; threads {args.threads}")
    config = EngineConfig(warmup=False)
    networks = [
        (
            "craft 1x768x1280",
            build_craft_keras_model(config),
            craft_input(5),
            lambda: [craft_input(n) for n in range(1, 1001, 125)],
        ),
        ("english_g2 16x64x256", EnglishG2Recognizer.load(config).model, recognizer_input(), None),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for label, model, x, calibration in networks:
            fns = runtimes(model, tf, x, Path(tmp), args.int8 and calibration is not None, args.threads, calibration)
            reference = None
            for name, fn in fns.items():
                run = fn if callable(fn) and not hasattr(fn, "create_infer_request") else (lambda a, c=fn: c(a)[0])
                ms, out = timed(run, x, args.repeat)
                reference = out if reference is None else reference
                diff = float(np.abs(out - reference).max())
                print(f"{label:24s} {name:22s} median {ms:9.0f} ms   max |diff| vs tensorflow {diff:.2e}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
