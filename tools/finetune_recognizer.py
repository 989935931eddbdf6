"""Train the english_g2 Keras recognizer on video's kinds of text and on ICDAR 2015 word crops.

Data, mixed in each batch:
* synthetic crops rendered while training (``tools/synth_crops.py``: subtitles with
  outlines and shadows, screen text, display type, digits and timecodes, punctuation
  inside words; blur, JPEG, perspective, glare), never saved;
* with ``--line-share``, whole subtitle lines cut as ``engines/line_reads.py`` cuts them
  (the detector's box, often without the leading dash or lone "I" or the closing marks,
  widened at both ends), their text real films' lines with ``--subs`` (*Primer* and
  *Downfall* only; never the report film's, nor *Rushmore*), in fonts other than the report
  film's;
* the legible words of ``../shared/eval/icdar2015-train/`` (never the validation photos),
  cut with the engine's own ``crop_box``, with light augmentation.

Held out: the training photos whose number ends in 0, 500 synthetic crops of another
seed and, with ``--line-share``, 300 made-up lines of that seed. Training: CTC loss, Adam
with a cosine-decayed rate, batch norm frozen, seeded. It starts from the weights the
engine runs now, saves a checkpoint every ``--eval-every`` steps (``--resume`` goes on
from it) and keeps the weights with the best mean of the held-out accuracies.
``tools/weights/english_g2_finetuned.npz`` is the run of 2026-12-07 (BENCHMARKS.md,
"The recogniser retrained on whole subtitle lines"): 1,500 steps from the engine's
recogniser of then (itself 90% a run on words, 10% EasyOCR's release), on 2 cores
without BF16 in about an hour:

    python tools/finetune_recognizer.py --out tools/weights/english_g2_finetuned.npz \
        --steps 1500 --eval-every 250 --line-share 0.3 --subs PATH/TO/subtitle-starter-code

Then choose the blend with ``tools/blend_recognizer.py``, write the engine's weights with
``tools/convert_recognizer.py --write`` (no pickle is read at run time), and convert the
engine with ``tools/export_engine.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from synth_crops import Renderer, read_subtitle_lines  # noqa: E402

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
from stream_ocr.evaluation.images import read_icdar_gt  # noqa: E402
from stream_ocr.sources.images import read_image  # noqa: E402

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
    """Exact word accuracy of ``model`` on (crop, text) items."""
    probs_of = EnglishG2Recognizer.on_tensorflow(model).class_probs
    right = 0
    for batch, widths, texts in batches(items, 32, np.random.default_rng(0), train=False):
        probs = probs_of(batch)
        for row, (w, text) in enumerate(zip(widths, texts)):
            steps = max(1, min(probs.shape[1], w // 4))
            right += decode(probs[row, :steps])[0] == text
    return right / max(1, len(items))


def icdar_backgrounds(numbers: list[int]) -> list[np.ndarray]:
    """Training photos, shrunk, as backgrounds for synthetic text."""
    return [cv2.resize(read_image(TRAIN / "images" / f"img_{n}.jpg"), (320, 180)) for n in numbers]


def mixed_batches(
    real, renderer: Renderer, batch_size: int, synthetic_share: float, line_share: float, rng: np.random.Generator
):
    """Endless batches: each pool of 32 batches holds ``synthetic_share`` synthetic crops, of
    which ``line_share`` of the pool are whole subtitle lines."""
    pool_size = batch_size * 32
    while True:
        n_synth = int(round(pool_size * synthetic_share))
        n_lines = min(n_synth, int(round(pool_size * line_share)))
        pool = [renderer.line_sample() for _ in range(n_lines)]
        pool += [renderer.sample(float(rng.uniform(0.0, 0.15))) for _ in range(n_synth - n_lines)]
        picks = rng.integers(0, len(real), pool_size - n_synth)
        pool += [real[i] for i in picks]
        yield from batches(pool, batch_size, rng, train=True)


def train_step_fn(model, optimizer, tf):
    # Every dimension that varies is left unknown, so the step is traced once.
    signature = [
        tf.TensorSpec([None, HEIGHT, None, 1], tf.uint8),
        tf.TensorSpec([None, None], tf.int32),
        tf.TensorSpec([None], tf.int32),
        tf.TensorSpec([None], tf.int32),
    ]

    @tf.function(input_signature=signature)
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

    return train_step


def encode(batch, widths, texts):
    """The batch's rows whose labels fit CTC (two steps a character), with dense labels."""
    labels = [[INDEX[c] for c in t if c in INDEX] for t in texts]
    steps = [max(1, w // 4) for w in widths]
    keep = [i for i in range(len(texts)) if labels[i] and len(labels[i]) * 2 + 1 <= steps[i]]
    if not keep:
        return None
    dense = np.zeros((len(keep), max(len(labels[i]) for i in keep)), np.int32)
    for row, i in enumerate(keep):
        dense[row, : len(labels[i])] = labels[i]
    return batch[keep], dense, [len(labels[i]) for i in keep], [steps[i] for i in keep]


def save(path: Path, weights: list[np.ndarray], meta: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, *weights)
    tmp.replace(path)
    path.with_suffix(".json").write_text(json.dumps(meta, indent=1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--synthetic-share", type=float, default=0.6)
    parser.add_argument("--line-share", type=float, default=0.0, help="share of whole subtitle lines in a batch")
    parser.add_argument("--subs", type=Path, help="a checkout of dmclough/subtitle-starter-code (real lines)")
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--resume", action="store_true", help="go on from --out's checkpoint")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    tf = import_tensorflow()
    tf.keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    recognizer = EnglishG2Recognizer.load(EngineConfig(runtime="tensorflow"))
    model = recognizer.model
    for layer in model.layers:
        if "bn" in layer.name:
            layer.trainable = False
    checkpoint = args.out.with_suffix(".checkpoint.npz")
    state = {"step": 0, "best": -1.0, "history": []}
    if args.resume and checkpoint.is_file():
        with np.load(checkpoint) as archive:
            model.set_weights([archive[f"arr_{i}"] for i in range(len(archive.files))])
        state = json.loads(checkpoint.with_suffix(".json").read_text())
        print(f"resumed at step {state['step']}", flush=True)
    held_numbers = [n for n in range(1, 1001) if n % 10 == 0]
    train_numbers = [n for n in range(1, 1001) if n % 10 != 0]
    held_real = word_crops(False, rng, held_numbers)
    held_renderer = Renderer(seed=999, backgrounds=icdar_backgrounds(held_numbers))
    held_synth = [held_renderer.sample(MARGINS[0]) for _ in range(500)]
    # Held-out lines are made-up ones (seed 999): the real lines are all trained on.
    held_lines = [held_renderer.line_sample() for _ in range(300)] if args.line_share else []
    real = word_crops(True, rng, train_numbers)
    renderer = Renderer(
        seed=args.seed + state["step"],
        backgrounds=icdar_backgrounds(train_numbers[::3]),
        subtitle_lines=read_subtitle_lines(args.subs),
    )
    print(
        f"held-out crops: {len(held_real)} real, {len(held_synth)} synthetic, {len(held_lines)} lines; "
        f"{len(real)} real to train",
        flush=True,
    )

    def evaluate(step: int) -> float:
        real_acc, synth_acc = accuracy(model, held_real, tf), accuracy(model, held_synth, tf)
        scores = [real_acc, synth_acc]
        entry = {"step": step, "real": round(real_acc, 4), "synthetic": round(synth_acc, 4)}
        if held_lines:
            entry["lines"] = round(accuracy(model, held_lines, tf), 4)
            scores.append(entry["lines"])
        state["history"].append(entry)
        print(f"step {step}: held-out exact accuracy {entry}", flush=True)
        return sum(scores) / len(scores)

    if state["step"] == 0:
        state["best"] = evaluate(0)
        save(args.out, model.get_weights(), state)
    schedule = tf.keras.optimizers.schedules.CosineDecay(args.lr, args.steps, alpha=0.1)
    optimizer = tf.keras.optimizers.Adam(lambda: schedule(state["step"]))
    train_step = train_step_fn(model, optimizer, tf)
    started, losses = time.monotonic(), []
    stream = mixed_batches(real, renderer, args.batch_size, args.synthetic_share, args.line_share, rng)
    while state["step"] < args.steps:
        encoded = encode(*next(stream))
        if encoded is None:
            continue
        images, dense, label_length, logit_length = encoded
        loss = train_step(
            tf.constant(images),
            tf.constant(dense),
            tf.constant(label_length, tf.int32),
            tf.constant(logit_length, tf.int32),
        )
        if math.isfinite(float(loss)):
            losses.append(float(loss))
        state["step"] += 1
        if state["step"] % args.eval_every == 0 or state["step"] == args.steps:
            print(f"step {state['step']}: loss {np.mean(losses):.3f}, {time.monotonic() - started:.0f} s", flush=True)
            losses = []
            score = evaluate(state["step"])
            if score > state["best"]:
                state["best"] = score
                save(args.out, model.get_weights(), state)
            save(checkpoint, model.get_weights(), state)
    print(f"best held-out mean word accuracy {state['best']:.4f}; weights in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
