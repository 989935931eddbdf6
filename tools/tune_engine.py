"""Choose the keras-ocr engine's settings on the ICDAR 2015 *training* photos.

Every setting the default engine ships with is chosen here, on a fixed subset of
``../shared/eval/icdar2015-train/`` (every 10th photo by default: 100 of 1,000), never
on the validation photos in ``../shared/eval/icdar2015/``, which ``--validate`` only
scores, for the settings given, to report how the choice carries over.

The CRAFT score maps are the costly part (seconds per photo on a CPU without AVX-512).
They are computed once per photo and detector side and kept in ``--cache``; every
combination of box thresholds then runs on the same maps, every confidence cut-off on
the same reads, and reads are memoised per photo, box and orientation, so that boxes
several thresholds agree on are read once.

    python tools/tune_engine.py [--every 10] [--sides 1280] [--json out.json]
    python tools/tune_engine.py --validate --detection 0.6 --text 0.4 --link 0.4 --cutoffs 0.4

Prints one row per setting: recall, precision, F1, detection recall, CER, and the
median seconds per photo of the detector model at that scale.
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

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from stream_ocr.config import EngineConfig  # noqa: E402
from stream_ocr.engines import create_engine  # noqa: E402
from stream_ocr.engines.craft_boxes import word_boxes  # noqa: E402
from stream_ocr.evaluation.images import EMPTY_SCORES, read_icdar_gt, score_words  # noqa: E402
from stream_ocr.sources.images import read_image  # noqa: E402
from stream_ocr.step.junk import is_junk_line, is_junk_word  # noqa: E402
from stream_ocr.step.lines import group_lines  # noqa: E402
from stream_ocr.types import Detection  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"


class MemoisedReads:
    """Wraps a recognizer's ``read_turned`` so each (photo, box, turn) is read once."""

    def __init__(self, recognizer) -> None:
        self._read_turned = recognizer.read_turned
        self.cache: dict[tuple, tuple[str, float]] = {}
        self.photo = ""
        recognizer.read_turned = self

    def __call__(self, gray, boxes, quarter_turns, tight=None):
        if tight is not None:  # the tight crops' reads were made by the caller: nothing to reuse
            return self._read_turned(gray, boxes, quarter_turns, tight)
        keys = [(self.photo, quarter_turns, np.round(b, 1).tobytes()) for b in boxes]
        todo = [i for i, k in enumerate(keys) if k not in self.cache]
        if todo:
            for i, read in zip(todo, self._read_turned(gray, [boxes[i] for i in todo], quarter_turns)):
                self.cache[keys[i]] = read
        return [self.cache[k] for k in keys]


def score_maps(engine, path: Path, side: int, cache: Path) -> tuple[np.ndarray, float, float]:
    """CRAFT's maps for one photo at one side (from the cache when there), its scale, model seconds."""
    rgb = cv2.cvtColor(read_image(path), cv2.COLOR_BGR2RGB)
    batch, scale = engine.detector.prepare(rgb)
    stored = cache / f"{path.parent.parent.name}-{path.stem}-{side}.npz"
    if stored.is_file():
        with np.load(stored) as archive:
            return archive["maps"].astype(np.float32), scale, float(archive["seconds"])
    t0 = time.perf_counter()
    maps = engine.detector.score_maps(batch)
    seconds = time.perf_counter() - t0
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(stored, maps=maps.astype(np.float16), seconds=seconds)
    return maps, scale, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--every", type=int, default=10, help="training photos: every N-th of the 1,000")
    parser.add_argument("--validate", action="store_true", help="score the 100 validation photos instead")
    parser.add_argument("--sides", type=int, nargs="+", default=[1280])
    parser.add_argument("--detection", type=float, nargs="+", default=[0.5, 0.6, 0.7])
    parser.add_argument("--text", type=float, nargs="+", default=[0.3, 0.4])
    parser.add_argument("--link", type=float, nargs="+", default=[0.3, 0.4])
    parser.add_argument("--cutoffs", type=float, nargs="+", default=[0.2, 0.3, 0.4, 0.5, 0.6])
    parser.add_argument("--recognizer-weights", nargs="+", default=[EngineConfig.recognizer_weights])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/stream-ocr-tune"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.validate:
        folder, numbers = EVAL / "icdar2015", range(1, 101)
    else:
        folder, numbers = EVAL / "icdar2015-train", range(args.every, 1001, args.every)
    images = [folder / "images" / f"img_{n}.jpg" for n in numbers]
    truths = [read_icdar_gt(folder / "gt" / f"gt_{p.stem}.txt") for p in images]
    grays = [cv2.cvtColor(read_image(p), cv2.COLOR_BGR2GRAY) for p in images]
    engine = create_engine(EngineConfig(min_confidence=0.0, recognizer_weights=args.recognizer_weights[0]))
    rows = []
    for weights in args.recognizer_weights:
        recognizer = engine.recognizer
        if weights != engine.config.recognizer_weights:
            recognizer = type(recognizer).load(replace(engine.config, recognizer_weights=weights))
        reads = MemoisedReads(recognizer)
        for side in args.sides:
            engine.detector.config = replace(engine.config, detect_max_side=side, detect_upscale=True)
            maps = [score_maps(engine, p, side, args.cache) for p in images]
            model_s = statistics.median(m[2] for m in maps)
            for det_t, text_t, link_t in itertools.product(args.detection, args.text, args.link):
                if text_t > det_t:
                    continue
                t_start = time.perf_counter()
                totals = {c: EMPTY_SCORES for c in args.cutoffs}
                for (maps_one, scale, _), path, gray, truth in zip(maps, images, grays, truths):
                    h, w = gray.shape
                    boxes = word_boxes(
                        maps_one[0],
                        detection_threshold=det_t,
                        text_threshold=text_t,
                        link_threshold=link_t,
                        size_threshold=10,
                    )
                    boxes = [(b / scale).clip(0, [w, h]).astype("float32") for b in boxes]
                    reads.photo = path.name
                    found = recognizer.recognize_boxes(gray, boxes, auto_rotate=True)
                    words = [Detection.from_array(r.box, r.text.strip(), r.confidence) for r in found if r.text.strip()]
                    for cutoff in args.cutoffs:
                        kept = [d for d in words if (d.confidence or 0) >= cutoff]
                        lines = group_lines(kept, junk_word=is_junk_word, junk_line=is_junk_line)
                        totals[cutoff] = totals[cutoff] + score_words([x for ln in lines for x in ln.words], truth)
                for cutoff, total in totals.items():
                    row = {
                        "set": folder.name,
                        "photos": len(images),
                        "weights": weights,
                        "side": side,
                        "detection": det_t,
                        "text": text_t,
                        "link": link_t,
                        "min_confidence": cutoff,
                        **{k: round(v, 4) for k, v in total.summary().items()},
                        "model_s": round(model_s, 3),
                    }
                    rows.append(row)
                    print(json.dumps(row), flush=True)
                print(f"# {weights} side {side} {det_t}/{text_t}/{link_t}: {time.perf_counter() - t_start:.0f} s")
    best = max(rows, key=lambda r: r["f1"])
    print(f"best by F1 on {folder.name}:", json.dumps(best))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
