"""Convert the default engine's networks to OpenVINO, and check the conversion against TensorFlow.

Run it after every retraining (``tools/finetune_recognizer.py``, then
``tools/blend_recognizer.py`` and the new checksum in ``engines/english_g2.py``). The
engine converts by itself on first use (``engines/runtimes.py``: the IR is kept in the
cache folder under the checksum of the weights it came from, with its own checksums
beside it); this script does the same ahead of time, so that the first start of a
server does not pay for it, and then checks the result:

* each network's largest output difference from TensorFlow on the same input, in
  float32 (``cpu_bfloat16`` off on both sides, so the figure is the conversion's own);
* the words both runtimes read, with the engine's defaults, on the bundled samples and
  (if ``../shared`` is beside the checkout) a few ICDAR 2015 *training* photos.

    python tools/export_engine.py [--force] [--photos 10] [--cache-dir DIR]

It exits with 1 if a network differs by more than ``--tolerance`` in float32.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from stream_ocr.config import EngineConfig  # noqa: E402
from stream_ocr.engines import create_engine  # noqa: E402
from stream_ocr.engines.base import read_lines  # noqa: E402
from stream_ocr.engines.runtimes import intact, net_key  # noqa: E402
from stream_ocr.sources.images import read_image  # noqa: E402

TRAIN = ROOT.parent / "shared" / "eval" / "icdar2015-train" / "images"
SAMPLES = ROOT / "samples"


def words(engine, frame) -> list[str]:
    return sorted(d.text for d in read_lines(engine, frame).detections)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache-dir", type=Path, default=EngineConfig().cache_dir)
    parser.add_argument("--force", action="store_true", help="convert again even if the cached copy is intact")
    parser.add_argument("--photos", type=int, default=10, help="training photos for the word check")
    parser.add_argument("--tolerance", type=float, default=1e-3, help="largest float32 difference allowed")
    args = parser.parse_args()
    config = EngineConfig(cache_dir=args.cache_dir, warmup=False)
    from stream_ocr.engines.craft import CRAFT_NET
    from stream_ocr.engines.english_g2 import recognizer_net, weights_digest

    recognizer_spec = recognizer_net(weights_digest(config))
    if args.force:
        for spec in (CRAFT_NET, recognizer_spec):
            shutil.rmtree(args.cache_dir / "openvino" / net_key(spec), ignore_errors=True)
    started = time.perf_counter()
    fp32 = replace(config, cpu_bfloat16=False)
    converted = create_engine(replace(fp32, runtime="openvino"))
    print(f"converted (or found intact) in {time.perf_counter() - started:.1f} s:")
    for spec in (CRAFT_NET, recognizer_spec):
        folder = args.cache_dir / "openvino" / net_key(spec)
        sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in sorted(folder.glob("model.*")))
        print(f"  {spec.name}: {folder} ({sizes}; checksums {'ok' if intact(folder) else 'BAD'})")
    reference = create_engine(replace(fp32, runtime="tensorflow"))

    rng = np.random.default_rng(0)
    frame = cv2.cvtColor(read_image(SAMPLES / "coffee_sign.jpg"), cv2.COLOR_BGR2RGB)
    batch, _ = reference.detector.prepare(frame)
    crops = rng.integers(0, 255, (4, 64, 256, 1), dtype=np.uint8)
    worst = 0.0
    for name, ours, theirs, x in (
        ("craft", converted.detector.score_maps, reference.detector.score_maps, batch),
        ("english_g2", converted.recognizer.class_probs, reference.recognizer.class_probs, crops),
    ):
        diff = float(np.abs(ours(x) - theirs(x)).max())
        worst = max(worst, diff)
        print(f"  {name}: largest difference from TensorFlow in float32 {diff:.2e} (input {x.shape})")

    # The words, with the engine's defaults (bfloat16 where the CPU has it) on both sides.
    openvino_engine = create_engine(replace(config, runtime="openvino"))
    tensorflow_engine = create_engine(replace(config, runtime="tensorflow"))
    frames = [(p.name, read_image(p)) for p in sorted(SAMPLES.glob("*.jpg"))]
    if TRAIN.is_dir():
        frames += [(f"img_{n}.jpg", read_image(TRAIN / f"img_{n}.jpg")) for n in range(7, 1001, 100)[: args.photos]]
    same = 0
    for name, frame in frames:
        a, b = words(openvino_engine, frame), words(tensorflow_engine, frame)
        same += a == b
        if a != b:
            print(f"  {name}: openvino {a} / tensorflow {b}")
    print(f"same words on {same} of {len(frames)} images")
    return 0 if worst <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
