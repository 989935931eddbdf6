"""Fine-tune the english_g2 Keras recognizer on word crops from the ICDAR 2015 training photos.

Data: the legible words of ``../shared/eval/icdar2015-train/`` (never the validation
photos), cut out with the engine's own ``crop_box`` at the engine's margin, grey, 64 px
high. Photos whose number ends in 0 are held out to choose the epoch; the rest train.
Training: CTC loss on the network's log-probabilities, Adam, batch norm frozen (its
running statistics kept), light augmentation (margin, contrast, blur, noise), seeded.
Runs on 2 CPU cores in well under an hour.

    python tools/finetune_recognizer.py --out stream_ocr/engines/weights/english_g2_icdar15.npz

Prints word accuracy on the held-out crops before training and after each epoch, and
keeps the best epoch's weights (a NumPy archive of the Keras layers' weights).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from stream_ocr.config import EngineConfig  # noqa: E402
from stream_ocr.engines.english_g2 import (  # noqa: E402
    CHARACTERS,
    HEIGHT,
    MARGINS,
    WIDTH_BUCKETS,
    EnglishG2Recognizer,
    bucket,
    crop_box,
    decode,
)
from stream_ocr.engines.keras_ocr_compat import import_tensorflow  # noqa: E402
from stream_ocr.evaluation import read_icdar_gt  # noqa: E402
from stream_ocr.images import read_image  # noqa: E402

TRAIN = ROOT.parent / "shared" / "eval" / "icdar2015-train"
INDEX = {c: i + 1 for i, c in enumerate(CHARACTERS)}  # 0 is the CTC blank


def word_crops(margin_jitter: bool, rng: np.random.Generator, numbers: list[int]) -> list[tuple[np.ndarray, str]]:
    out = []
    for n in numbers:
        gray = cv2.cvtColor(read_image(TRAIN / "images" / f"img_{n}.jpg"), cv2.COLOR_BGR2GRAY)
        for box in read_icdar_gt(TRAIN / "gt" / f"gt_img_{n}.txt"):
            text = box.text.strip()
            if not box.legible or not text or any(c not in INDEX for c in text):
                continue
            margin = float(rng.uniform(0.0, 0.15)) if margin_jitter else MARGINS[0]
            crop = crop_box(gray, box.points, margin)
            if crop.shape[1] < 8:
                continue
            out.append((crop, text))
    return out


def augment(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = crop.astype(np.float32)
    out = (out - 128) * rng.uniform(0.6, 1.2) + 128 + rng.uniform(-30, 30)
    if rng.random() < 0.3:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.5, 1.2))
    if rng.random() < 0.3:
        out = out + rng.normal(0, rng.uniform(2, 8), out.shape)
    if rng.random() < 0.3:  # squeeze or stretch along the text
        w = max(16, int(out.shape[1] * rng.uniform(0.8, 1.2)))
        out = cv2.resize(out, (w, HEIGHT))
    return np.clip(out, 0, 255).astype(np.uint8)


def batches(items, batch_size: int, rng: np.random.Generator, train: bool):
    """Batches of similar widths, padded as the engine pads (repeating the last column)."""
    order = sorted(range(len(items)), key=lambda i: items[i][0].shape[1] + (rng.uniform(0, 40) if train else 0))
    groups = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if train:
        rng.shuffle(groups)
    for group in groups:
        crops = [augment(items[i][0], rng) if train else items[i][0] for i in group]
        width = bucket(max(c.shape[1] for c in crops), WIDTH_BUCKETS)
        batch = np.empty((len(group), HEIGHT, width, 1), np.uint8)
        for row, c in enumerate(crops):
            c = c[:, :width]
            batch[row, :, : c.shape[1], 0] = c
            batch[row, :, c.shape[1] :, 0] = c[:, -1:]
        yield batch, [min(c.shape[1], width) for c in crops], [items[i][1] for i in group]


def accuracy(model, items, tf) -> float:
    right = 0
    for batch, widths, texts in batches(items, 32, np.random.default_rng(0), train=False):
        probs = model(tf.cast(batch, tf.float32) / 127.5 - 1.0, training=False).numpy()
        for row, (w, text) in enumerate(zip(widths, texts)):
            steps = max(1, min(probs.shape[1], w // 4))
            right += decode(probs[row, :steps])[0] == text
    return right / max(1, len(items))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    tf = import_tensorflow()
    tf.keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    recognizer = EnglishG2Recognizer.load(EngineConfig())
    model = recognizer.model
    for layer in model.layers:
        if "bn" in layer.name:
            layer.trainable = False
    held_numbers = [n for n in range(1, 1001) if n % 10 == 0]
    train_numbers = [n for n in range(1, 1001) if n % 10 != 0]
    held = word_crops(False, rng, held_numbers)
    print(f"held-out crops: {len(held)}", flush=True)
    best = accuracy(model, held, tf)
    print(f"epoch 0 (the released weights): held-out word accuracy {best:.4f}", flush=True)
    best_weights = [w.copy() for w in model.get_weights()]
    optimizer = tf.keras.optimizers.Adam(args.lr)

    @tf.function(reduce_retracing=True)
    def train_step(images, labels, label_length, logit_length):
        with tf.GradientTape() as tape:
            probs = model(tf.cast(images, tf.float32) / 127.5 - 1.0, training=False)
            logits = tf.math.log(probs + 1e-8)
            loss = tf.nn.ctc_loss(labels, logits, label_length, logit_length, logits_time_major=False, blank_index=0)
            loss = tf.reduce_mean(loss)
        grads = tape.gradient(loss, model.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 5.0)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    for epoch in range(1, args.epochs + 1):
        train = word_crops(True, rng, train_numbers)  # new margins every epoch
        started, losses = time.monotonic(), []
        for batch, widths, texts in batches(train, args.batch_size, rng, train=True):
            labels = [[INDEX[c] for c in t] for t in texts]
            steps = [max(1, w // 4) for w in widths]
            keep = [i for i in range(len(texts)) if len(labels[i]) * 2 + 1 <= steps[i]]
            if not keep:
                continue
            dense = np.zeros((len(keep), max(len(labels[i]) for i in keep)), np.int32)
            for row, i in enumerate(keep):
                dense[row, : len(labels[i])] = labels[i]
            loss = train_step(
                tf.constant(batch[keep]),
                tf.constant(dense),
                tf.constant([len(labels[i]) for i in keep], tf.int32),
                tf.constant([steps[i] for i in keep], tf.int32),
            )
            losses.append(float(loss))
        score = accuracy(model, held, tf)
        print(
            f"epoch {epoch}: loss {np.mean(losses):.3f}, held-out word accuracy {score:.4f}, "
            f"{time.monotonic() - started:.0f} s",
            flush=True,
        )
        if score > best:
            best, best_weights = score, [w.copy() for w in model.get_weights()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, *best_weights)
    print(f"best held-out word accuracy {best:.4f}; weights in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
