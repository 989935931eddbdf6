"""Photos read with this tree's recogniser and another's, at several confidence cut-offs, on training photos.

For choosing and checking the recogniser's confidence cut-off (``EngineConfig.min_confidence``)
after a retraining: every 10th ICDAR 2015 *training* photo (the 100 numbered N0, which
``tools/finetune_recognizer.py`` holds out), read by the default engine with no cut-off,
then scored (word recall, precision, F1, CER) keeping the words at or above each cut-off.
``--baseline TREE`` runs the same with the weights another checkout ships, in its own
process, side by side. The validation photos are not used.

    python benchmarks/recognizer_photos.py [--baseline ../old-checkout] [--cutoffs 0.3 0.4 0.5 0.6 0.7]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT.parent / "shared" / "eval" / "icdar2015-train"


def run(weights: Path | None, cutoffs: list[float]) -> list[dict]:
    sys.path.insert(0, str(ROOT))
    from stream_ocr.engines import english_g2
    from stream_ocr.engines.weight_files import sha256sum

    if weights is not None:  # another tree's shipped weights, in this tree's engine
        digest = sha256sum(weights)
        english_g2.SHIPPED_WEIGHTS, english_g2.SHIPPED_SHA256 = weights, digest
        english_g2.set_shipped_weights.__defaults__ = (weights, digest)
    from stream_ocr.config import EngineConfig
    from stream_ocr.engines import create_engine
    from stream_ocr.engines.base import read_lines
    from stream_ocr.evaluation.images import EMPTY_SCORES, read_icdar_gt, score_words
    from stream_ocr.sources.images import read_image

    engine = create_engine(EngineConfig(min_confidence=0.0))
    totals = dict.fromkeys(cutoffs, EMPTY_SCORES)
    for n in range(10, 1001, 10):
        words = list(read_lines(engine, read_image(TRAIN / "images" / f"img_{n}.jpg")).detections)
        truth = read_icdar_gt(TRAIN / "gt" / f"gt_img_{n}.txt")
        for cut in cutoffs:
            kept = [w for w in words if w.confidence is None or w.confidence >= cut]
            totals[cut] = totals[cut] + score_words(kept, truth)
    return [{"cutoff": cut, **totals[cut].summary()} for cut in cutoffs]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=Path, help="another checkout: its shipped recogniser weights")
    parser.add_argument("--cutoffs", type=float, nargs="+", default=[0.3, 0.4, 0.5, 0.6, 0.7])
    parser.add_argument("--weights", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run(args.weights, args.cutoffs)))
        return 0
    variants = [("this tree", None)]
    if args.baseline:
        variants.insert(0, ("baseline", args.baseline.resolve() / "stream_ocr/engines/weights/english_g2_video.npz"))
    print("| recogniser | cut-off | recall | precision | F1 | CER |")
    print("|---|---|---|---|---|---|")
    for name, weights in variants:
        command = [sys.executable, __file__, "--one", "--cutoffs", *map(str, args.cutoffs)]
        if weights is not None:
            command += ["--weights", str(weights)]
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        for row in json.loads(out.stdout.strip().splitlines()[-1]):
            print(
                f"| {name} | {row['cutoff']} | {row['recall']} | {row['precision']} | {row['f1']} | {row['cer']} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
