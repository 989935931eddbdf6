"""Choose the detector's two-pass settings (``EngineConfig.coarse_finder`` and
``detect_coarse_side``, the score that counts as text on the coarse pass, the padding and
the share of the frame past which the whole frame is boxed) on the ICDAR 2015 *training*
photos; ``--validate`` only reports.

Each setting runs the whole default engine (detector, recognizer, cut-off, lines) on the
same photos, one after another in this process, and prints end-to-end recall, precision,
F1, detection recall and CER, with what the detector cost: the pixels CRAFT was given per
photo (padded, summed over passes; the same on every machine; the text finder's are not
counted) and the median milliseconds of the finder and CRAFT together (this machine's;
state its CPU flags with them). The first row is always
the one-pass detector at ``detect_max_side``, for comparison in the same run (unless
``--no-one-pass``).

    python tools/tune_coarse.py [--every 20] [--first N] [--finders ppocr craft] [--sides 640 800] [--find 0.2 0.3]
        [--pad 1 2] [--max-share 0.5 1] [--box-heights 0 32] [--steps 64 128]
    python tools/tune_coarse.py --validate --sides 640 --find 0.2
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.detector_scales import cpu_flags  # noqa: E402
from stream_ocr.config import COARSE_FINDERS, EngineConfig  # noqa: E402
from stream_ocr.engines import create_engine  # noqa: E402
from stream_ocr.engines.base import read_lines  # noqa: E402
from stream_ocr.engines.coarse_to_fine import FindConfig  # noqa: E402
from stream_ocr.engines.text_finder import FIND_SCORE, TextFinder  # noqa: E402
from stream_ocr.evaluation.images import EMPTY_SCORES, read_icdar_gt, score_words  # noqa: E402
from stream_ocr.sources.images import read_image  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"


class PixelCount:
    """Wraps the detector's model call to count the pixels it is given."""

    def __init__(self, detector) -> None:
        self.score_maps = detector.score_maps
        self.pixels = 0
        detector.score_maps = self

    def __call__(self, batch):
        self.pixels += int(batch.shape[1] * batch.shape[2])
        return self.score_maps(batch)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--every", type=int, default=20, help="training photos: every N-th of the 1,000")
    parser.add_argument("--first", type=int, help="training photos: start at this one (default: the N-th)")
    parser.add_argument(
        "--finders",
        nargs="+",
        choices=COARSE_FINDERS,
        default=[EngineConfig.coarse_finder],
        help="what finds text on the coarse pass; --find is its score that counts as text",
    )
    parser.add_argument("--validate", action="store_true", help="score the 100 validation photos instead")
    parser.add_argument("--sides", type=int, nargs="+", default=[640, 800])
    parser.add_argument("--find", type=float, nargs="+", help="default: each finder's own")
    parser.add_argument("--pad", type=float, nargs="+", default=[FindConfig.pad])
    parser.add_argument("--max-share", type=float, nargs="+", default=[EngineConfig.coarse_max_share])
    parser.add_argument(
        "--box-heights",
        type=int,
        nargs="+",
        default=[EngineConfig.coarse_box_height],
        help="coarse_box_height values: regions whose coarse boxes are all this tall skip the full pass",
    )
    parser.add_argument(
        "--steps",
        type=int,
        nargs="+",
        default=[FindConfig.step],
        help="FindConfig.step values: each fine-pass region is grown to a multiple of this many pixels",
    )
    parser.add_argument("--no-one-pass", action="store_true", help="leave out the one-pass row")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.validate:
        folder, numbers = EVAL / "icdar2015", range(1, 101)
    else:
        folder, numbers = EVAL / "icdar2015-train", range(args.first or args.every, 1001, args.every)
    images = [folder / "images" / f"img_{n}.jpg" for n in numbers]
    truths = [read_icdar_gt(folder / "gt" / f"gt_{p.stem}.txt") for p in images]
    frames = [read_image(p) for p in images]
    engine = create_engine(EngineConfig())
    finder = engine.detector.finder or TextFinder.load()
    counter = PixelCount(engine.detector)
    base = engine.detector.config
    settings = [] if args.no_one_pass else [("", 0, 0.0, 0.0, 0.0, 0, FindConfig.step)]
    finds = args.find or [0.0]
    settings += itertools.product(
        args.finders, args.sides, finds, args.pad, args.max_share, args.box_heights, args.steps
    )
    print(f"# {folder.name}, {len(images)} photos; CPU flags: {' '.join(cpu_flags())}", flush=True)
    print(
        "| finder | coarse side | find score | pad | max share | box height | step | recall | precision | F1 "
        "| detection recall | CER | CRAFT Mpx/photo | detector ms (median) | engine ms (median) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for name, side, find, pad, share, box_height, step in settings:
        engine.detector.config = replace(
            base,
            coarse_finder=name or base.coarse_finder,
            detect_coarse_side=side,
            coarse_max_share=share or 1.0,
            coarse_box_height=box_height,
        )
        engine.detector.finder = finder if name == "ppocr" else None
        if name == "ppocr":
            finder.find_config = FindConfig(find_score=find or FIND_SCORE)
        engine.detector.find = FindConfig(
            find_score=(find if name == "craft" else 0.0) or base.coarse_find_score, pad=pad, step=step
        )
        total, pixels, detect_ms, engine_ms = EMPTY_SCORES, [], [], []
        for frame, truth in zip(frames, truths):
            counter.pixels = 0
            t0 = time.perf_counter()
            result = read_lines(engine, frame)
            engine_ms.append((time.perf_counter() - t0) * 1000)
            pixels.append(counter.pixels)
            detect_ms.append(result.timings_ms.get("detect_model", 0.0) + result.timings_ms.get("detect_coarse", 0.0))
            total = total + score_words(result.detections, truth)
        row = {
            "set": folder.name,
            "photos": len(images),
            "finder": name or "one pass",
            "coarse_side": side,
            "find_score": find,
            "pad": pad,
            "max_share": share,
            "box_height": box_height,
            "step": step,
            **total.summary(),
            "detector_mpx": round(statistics.mean(pixels) / 1e6, 3),
            "detector_ms": round(statistics.median(detect_ms)),
            "engine_ms": round(statistics.median(engine_ms)),
        }
        rows.append(row)
        print(
            f"| {name or 'one pass'} | {side or ''} | {find or ''} | {pad or ''} | {share or ''} | {box_height or ''} | {step} | "
            f"{row['recall']} | {row['precision']} | "
            f"{row['f1']} | {row['detection_recall']} | {row['cer']} | {row['detector_mpx']} | "
            f"{row['detector_ms']} | {row['engine_ms']} |",
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
