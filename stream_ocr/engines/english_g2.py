"""EasyOCR's English "generation 2" recognizer, ported to Keras, with keras-ocr's interface.

Owns the architecture (a VGG-style feature extractor on 64-pixel-high grey crops, two
bidirectional LSTMs each followed by a Linear, a Linear over 97 classes), loading its
weights (the shipped NumPy archive, or EasyOCR's ``english_g2.pth`` without PyTorch), cropping boxes, batching crops, and greedy
CTC decoding. ``recognize_from_boxes`` makes it a drop-in recognizer for
``keras_ocr.pipeline.Pipeline``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from stream_ocr.config import EngineConfig
from stream_ocr.engines.keras_ocr_compat import import_keras_ocr
from stream_ocr.engines.runtimes import Net, NetSpec, build_net, tensorflow_net
from stream_ocr.engines.torch_checkpoint import load_state_dict
from stream_ocr.engines.weight_files import ENGLISH_G2, find_weights, sha256sum
from stream_ocr.errors import WeightsError

# EasyOCR's character list for english_g2; class 0 is the CTC blank.
CHARACTERS = "0123456789!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ €ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
NUM_CLASSES = len(CHARACTERS) + 1
HEIGHT = 64
# Batches hold a power-of-two number of crops and are padded to one of these widths, so
# that TensorFlow sees few shapes: oneDNN keeps about 2 MB for each input shape it has run,
# so a long run that kept meeting new shapes would keep growing. Above 128 the widths
# step by at most 1.5x; the padding this adds costs little, as recognition is a small
# part of a frame's time.
WIDTH_BUCKETS = (64, 128, 192, 256, 384, 512, 768, 1024, 1536)
MAX_WIDTH = WIDTH_BUCKETS[-1]
# At most this many columns (batch x width) in one batch: the runtime keeps buffers as
# large as the largest batch it has run, so without a cap a long film's RSS grew each time
# a rarer, larger batch came (up to 32 whole lines 1536 px wide: +848 MB in
# benchmarks/shapes_memory.py). The engine runs one batch this large at load
# (``reserve``), so that its memory is taken at the start.
MAX_BATCH_COLUMNS = 4096
# Each box is read with these margins (times its height) and the more confident read kept.
MARGINS = (0.05, 0.1)
# A read this confident is kept without trying other margins or orientations.
CONFIDENT = 0.8


# The weights the engine runs by default ("video"): EasyOCR's release blended with
# english_g2 trained on synthetic video text and the ICDAR 2015 training photos' words.
# ``tools/convert_recognizer.py`` writes them from the release's .pth and the training's
# output, once per retraining, so the engine reads a plain NumPy archive here and no
# pickle: every layer's weights, in model.get_weights() order.
SHIPPED_WEIGHTS = Path(__file__).resolve().parent / "weights" / "english_g2_video.npz"
SHIPPED_SHA256 = "a64867733f7d74c401a23ee7919210023be25858de07af50a63a34477d251203"


def recognizer_net(weights_digest: str) -> NetSpec:
    """The network as the runtimes see it: batches of grey crops 64 px high, in [-1, 1]."""
    return NetSpec("english_g2", weights_digest, (-1, HEIGHT, -1, 1), (127.5,), (127.5,))


def weights_digest(config: EngineConfig) -> str:
    """The checksum of the weights the recognizer runs with ``config``."""
    return SHIPPED_SHA256 if config.recognizer_weights == "video" else ENGLISH_G2.sha256


def set_shipped_weights(model: Any, path: Path = SHIPPED_WEIGHTS, sha256: str = SHIPPED_SHA256) -> None:
    """Give ``model`` the weights ``tools/convert_recognizer.py`` wrote (no pickle is read)."""
    if not path.is_file():
        raise WeightsError(f"the recognizer weights are missing at {path}; reinstall stream-ocr")
    if sha256sum(path) != sha256:
        raise WeightsError(f"{path} is not the file this version of stream-ocr ships (sha256 differs)")
    model.set_weights(_archive_weights(model, path))


def _archive_weights(model: Any, path: Path) -> list[np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        weights = [archive[f"arr_{i}"] for i in range(len(archive.files))]
    if [w.shape for w in weights] != [w.shape for w in model.get_weights()]:
        raise WeightsError(f"{path} does not fit the english_g2 architecture")
    return weights


def keras_model_from(path: Path) -> Any:
    """The english_g2 network in Keras with EasyOCR's weights at ``path`` (a .pth: its
    pickle is read, by ``torch_checkpoint``'s restricted unpickler)."""
    keras = import_keras_ocr().detection.keras
    model = build_model(keras)
    load_weights(model, load_state_dict(path))
    return model


def load_finetuned(model: Any, path: Path, sha256: str, blend: float) -> None:
    """Blend trained weights (a NumPy archive of ``model.get_weights()``) into ``model``'s own:
    ``blend`` 1 replaces them, 0 keeps them (``tools/convert_recognizer.py``,
    ``tools/blend_recognizer.py``). An empty ``sha256`` checks none."""
    if not path.is_file():
        raise WeightsError(f"the fine-tuned recognizer weights are missing at {path}")
    if sha256 and sha256sum(path) != sha256:
        raise WeightsError(f"{path} is not the file expected (sha256 differs)")
    if not 0.0 <= blend <= 1.0:
        raise WeightsError(f"a blend of weights is between 0 and 1, got {blend}")
    tuned = _archive_weights(model, path)
    model.set_weights([(1 - blend) * own + blend * t for own, t in zip(model.get_weights(), tuned)])


@dataclass(frozen=True)
class Read:
    """One box's reading: the box turned so that it starts at the text's top-left."""

    box: np.ndarray
    text: str
    confidence: float | None


def build_model(keras: Any) -> Any:
    """The english_g2 network in Keras: (batch, 64, width, 1) in [-1, 1] -> class scores."""
    layers = keras.layers
    x = inputs = keras.Input((HEIGHT, None, 1), name="crop")

    def conv(x: Any, filters: int, index: int, kernel: int = 3, bias: bool = True, padding: str = "same") -> Any:
        return layers.Conv2D(filters, kernel, padding=padding, use_bias=bias, name=f"conv{index}")(x)

    x = layers.ReLU()(conv(x, 32, 0))
    x = layers.MaxPooling2D(2)(x)
    x = layers.ReLU()(conv(x, 64, 3))
    x = layers.MaxPooling2D(2)(x)
    x = layers.ReLU()(conv(x, 128, 6))
    x = layers.ReLU()(conv(x, 128, 8))
    x = layers.MaxPooling2D((2, 1))(x)
    x = conv(x, 256, 11, bias=False)
    x = layers.ReLU()(layers.BatchNormalization(epsilon=1e-5, name="bn12")(x))
    x = conv(x, 256, 14, bias=False)
    x = layers.ReLU()(layers.BatchNormalization(epsilon=1e-5, name="bn15")(x))
    x = layers.MaxPooling2D((2, 1))(x)
    x = layers.ReLU()(conv(x, 256, 18, kernel=2, padding="valid"))
    # EasyOCR averages the feature map over its height: (batch, width', 256).
    x = layers.Lambda(lambda t: keras.backend.mean(t, axis=1), name="height_mean")(x)
    for i in range(2):
        x = layers.Bidirectional(layers.LSTM(256, return_sequences=True), name=f"bilstm{i}")(x)
        x = layers.Dense(256, name=f"linear{i}")(x)
    x = layers.Dense(NUM_CLASSES, name="prediction")(x)
    return keras.Model(inputs, layers.Softmax(name="probs")(x), name="english_g2")


def load_weights(model: Any, state: dict[str, np.ndarray]) -> None:
    """Copy english_g2's PyTorch state dict into ``build_model``'s layers."""
    state = {k.removeprefix("module."): v for k, v in state.items()}
    try:
        fe = "FeatureExtraction.ConvNet"
        for i in (0, 3, 6, 8, 18):
            model.get_layer(f"conv{i}").set_weights(
                [state[f"{fe}.{i}.weight"].transpose(2, 3, 1, 0), state[f"{fe}.{i}.bias"]]
            )
        for i in (11, 14):
            model.get_layer(f"conv{i}").set_weights([state[f"{fe}.{i}.weight"].transpose(2, 3, 1, 0)])
        for i in (12, 15):
            model.get_layer(f"bn{i}").set_weights(
                [state[f"{fe}.{i}.{p}"] for p in ("weight", "bias", "running_mean", "running_var")]
            )
        for i in range(2):
            rnn = f"SequenceModeling.{i}.rnn"
            weights = []
            for direction in ("", "_reverse"):
                # PyTorch and Keras share the gate order (input, forget, cell, output);
                # PyTorch has two biases where Keras has one.
                weights += [
                    state[f"{rnn}.weight_ih_l0{direction}"].T,
                    state[f"{rnn}.weight_hh_l0{direction}"].T,
                    state[f"{rnn}.bias_ih_l0{direction}"] + state[f"{rnn}.bias_hh_l0{direction}"],
                ]
            model.get_layer(f"bilstm{i}").set_weights(weights)
            lin = f"SequenceModeling.{i}.linear"
            model.get_layer(f"linear{i}").set_weights([state[f"{lin}.weight"].T, state[f"{lin}.bias"]])
        model.get_layer("prediction").set_weights([state["Prediction.weight"].T, state["Prediction.bias"]])
    except (KeyError, ValueError) as e:
        raise WeightsError(f"english_g2 weights do not fit the architecture: {e}") from e


def warp_box(
    image: np.ndarray, box: np.ndarray, margin: float, height: int, min_width: int, max_width: int
) -> np.ndarray:
    """A 4-point box (clockwise from the text's top-left) warped out of ``image``, grown by
    ``margin`` times its height on every side, ``height`` pixels high and as wide as its
    proportions say, within ``min_width`` and ``max_width``. Both recognisers crop so."""
    box = np.asarray(box, dtype=np.float32)
    tl, tr, br, bl = box
    h = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr), 1.0)
    along = (tr - tl) / max(float(np.linalg.norm(tr - tl)), 1e-6)
    down = (bl - tl) / max(float(np.linalg.norm(bl - tl)), 1e-6)
    pad = margin * h
    box = np.array(
        [tl - (along + down) * pad, tr + (along - down) * pad, br + (along + down) * pad, bl + (down - along) * pad],
        dtype=np.float32,
    )
    w = max(np.linalg.norm(box[1] - box[0]), np.linalg.norm(box[2] - box[3]), 1.0)
    h = max(np.linalg.norm(box[3] - box[0]), np.linalg.norm(box[2] - box[1]), 1.0)
    out_w = int(min(max_width, max(min_width, round(height * w / h))))
    dst = np.array([[0, 0], [out_w, 0], [out_w, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(box, dst)
    return cv2.warpPerspective(image, matrix, (out_w, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def crop_box(gray: np.ndarray, box: np.ndarray, margin: float = 0.05) -> np.ndarray:
    """Warp a 4-point box (clockwise from the text's top-left) out of a grey image.

    The box grows by ``margin`` times its height on every side, the crop is 64 pixels
    high, and its contrast is stretched (5th to 95th percentile), which helps on dim
    and washed-out photos.
    """
    crop = warp_box(gray, box, margin, HEIGHT, HEIGHT // 4, MAX_WIDTH)
    lo, hi = np.percentile(crop, (5, 95))
    if hi - lo >= 10:
        crop = cv2.convertScaleAbs(crop, alpha=255.0 / (hi - lo), beta=-lo * 255.0 / (hi - lo))
    return crop


def bucket(value: int, buckets: tuple[int, ...]) -> int:
    """The smallest bucket that holds ``value`` (the largest, if none does)."""
    for size in buckets:
        if value <= size:
            return size
    return buckets[-1]


def chunk_sizes(count: int, batch_size: int) -> list[int]:
    """Split ``count`` crops into batches of ``batch_size`` or a power of two below it.

    13 crops with batch size 32 go as 8 + 4 + 1: few distinct shapes, and no blank rows
    computed for nothing.
    """
    allowed = [batch_size]
    size = 1
    while size < batch_size:
        allowed.append(size)
        size *= 2
    sizes = []
    while count:
        size = max(a for a in allowed if a <= count)
        sizes.append(size)
        count -= size
    return sizes


def elongation(box: np.ndarray) -> float:
    """Length of the box's second edge over its first: > 1 for a tall box, < 1 for a wide one."""
    tl, tr, _, bl = np.asarray(box, dtype=np.float32)
    return float(np.linalg.norm(bl - tl)) / max(float(np.linalg.norm(tr - tl)), 1e-6)


def orientation_choices(boxes: list[np.ndarray]) -> list[tuple[int, ...]]:
    """For each box, the quarter turns worth trying: (0, 2) for wide text, (1, 3) for tall.

    Nearly square boxes (short words) follow the majority of the clearly elongated ones,
    so that the short words of a page turned sideways are turned with it.
    """
    ratios = [elongation(b) for b in boxes]
    tall = sum(r > 1.5 for r in ratios)
    wide = sum(r < 1 / 1.5 for r in ratios)
    square_choice = (1, 3) if tall > wide else (0, 2)
    return [(1, 3) if r > 1.5 else (0, 2) if r < 1 / 1.5 else square_choice for r in ratios]


def turned(box: np.ndarray, quarter_turns: int) -> np.ndarray:
    """The same box with its points rolled, so that the crop comes out turned by 90 degree steps."""
    return np.roll(np.asarray(box, dtype=np.float32), -quarter_turns, axis=0)


# Letters whose capital is the small letter drawn larger: in a crop, their case is a guess.
SAME_SHAPE = frozenset("cosuvwxzCOSUVWXZ")


def even_case(text: str) -> str:
    """Each word's same-shape letters (``SAME_SHAPE``: c, o, s, v, w, x, z and u) in the case
    of its other letters: "oCr" is "ocr" and "cOFFEE" is "COFFEE". A word's first letter is
    made a capital this way but never made small ("Coffee" stays), and a word whose other
    letters mix cases ("iPhone", "McDonald") is left as read."""
    words = []
    for word in text.split(" "):
        letters = [c for c in word if c.isalpha() and c.isascii()]
        tell = [c for c in letters[1:] if c not in SAME_SHAPE]
        if not tell or (any(c.isupper() for c in tell) and any(c.islower() for c in tell)):
            words.append(word)
            continue
        upper = tell[0].isupper()
        if upper and len(tell) < 2:
            words.append(word)  # one capital after the first letter says little ("oK")
            continue
        out, first = [], True
        for c in word:
            if c in SAME_SHAPE and c.isascii():
                if first:
                    c = c.upper() if upper else c
                else:
                    c = c.upper() if upper else c.lower()
            if c.isalpha():
                first = False
            out.append(c)
        words.append("".join(out))
    return " ".join(words)


def decode(probs: np.ndarray) -> tuple[str, float]:
    """Greedy CTC decoding of one crop's (time, class) probabilities, in even case
    (``even_case``).

    The confidence is EasyOCR's: the product of the kept characters' probabilities,
    raised to 2/sqrt(n).
    """
    best = probs.argmax(axis=1)
    best_p = probs.max(axis=1)
    chars = []
    previous = 0
    for index in best:
        if index != 0 and index != previous:
            chars.append(CHARACTERS[index - 1])
        previous = index
    kept = best_p[best != 0]
    if kept.size == 0:
        return "", 0.0
    confidence = float(np.prod(kept.astype(np.float64)) ** (2.0 / np.sqrt(kept.size)))
    return even_case("".join(chars)), min(1.0, confidence)


def decode_spans(probs: np.ndarray) -> tuple[str, list[float], list[tuple[int, int]]]:
    """Greedy CTC decoding that keeps where each character was read: the text (in even
    case), each character's probability, and the first and last time step it held. A time
    step is 4 pixels of the 64-pixel-high crop."""
    best = probs.argmax(axis=1)
    best_p = probs.max(axis=1)
    chars: list[str] = []
    conf: list[float] = []
    spans: list[tuple[int, int]] = []
    previous = 0
    for t, index in enumerate(best):
        if index != 0 and index == previous:
            spans[-1] = (spans[-1][0], t)
            conf[-1] = max(conf[-1], float(best_p[t]))
        elif index != 0:
            chars.append(CHARACTERS[index - 1])
            conf.append(float(best_p[t]))
            spans.append((t, t))
        previous = index
    return even_case("".join(chars)), conf, spans


def confidence_of(probabilities: list[float]) -> float:
    """EasyOCR's confidence of a read: the product of its characters' probabilities,
    raised to 2/sqrt(n)."""
    if not probabilities:
        return 0.0
    value = float(np.prod(np.asarray(probabilities, dtype=np.float64)) ** (2.0 / np.sqrt(len(probabilities))))
    return min(1.0, value)


def _reads_better(reads: list[tuple[str, float]], than: list[tuple[str, float]]) -> bool:
    """Whether one orientation's reads beat another's: more confident in total, and on most boxes.

    Both are needed. This recognizer reads upright words upside down with fair confidence,
    so one box that reads well only upside down (a glyph of another script, a symbol)
    could tip a total alone; a page really turned over reads better on most of its boxes.
    """
    wins = sum(a[1] > b[1] for a, b in zip(reads, than))
    losses = sum(a[1] < b[1] for a, b in zip(reads, than))
    return sum(r[1] for r in reads) > sum(r[1] for r in than) and wins > losses


class EnglishG2Recognizer:
    """Recognize text in boxes. Thread-compatible: callers serialize (the engine does)."""

    def __init__(self, class_probs: Net, batch_size: int = 32, model: Any = None) -> None:
        # ``class_probs``: a uint8 batch of grey crops in, each time step's class scores out.
        # ``model``: the Keras model, when the network runs on TensorFlow.
        self.class_probs = class_probs
        self.model = model
        self.batch_size = batch_size

    @classmethod
    def load(cls, config: EngineConfig) -> EnglishG2Recognizer:
        """The shipped weights (``SHIPPED_WEIGHTS``), or EasyOCR's release, on the runtime
        ``config`` chooses."""
        if config.recognizer_weights == "video":
            if not SHIPPED_WEIGHTS.is_file():
                raise WeightsError(f"the recognizer weights are missing at {SHIPPED_WEIGHTS}; reinstall stream-ocr")

            def keras_model() -> Any:
                model = build_model(import_keras_ocr().detection.keras)
                set_shipped_weights(model)
                return model
        else:
            release = find_weights(ENGLISH_G2, config.weights_dir)

            def keras_model() -> Any:
                return keras_model_from(release)

        class_probs, model = build_net(recognizer_net(weights_digest(config)), keras_model, config)
        return cls(class_probs, config.recognizer_batch_size, model)

    @classmethod
    def from_path(cls, path: Path, batch_size: int = 32) -> EnglishG2Recognizer:
        """EasyOCR's weights at ``path``, on TensorFlow."""
        return cls.on_tensorflow(keras_model_from(path), batch_size)

    @classmethod
    def on_tensorflow(cls, model: Any, batch_size: int = 32) -> EnglishG2Recognizer:
        """A recognizer running the Keras ``model`` (being trained, or blended) on TensorFlow."""
        return cls(tensorflow_net(model, recognizer_net("")), batch_size, model)

    def recognize_crops(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Read grey crops of height 64 (any widths); returns (text, confidence) per crop."""
        return [decode(probs) for probs in self.class_scores(crops)]

    def _batches(self, order: list[int], widths: list[int]) -> list[tuple[list[int], int]]:
        """``order``'s crops (sorted by ``widths``) in batches of a power-of-two size, each
        with its bucketed width, none over ``MAX_BATCH_COLUMNS`` columns."""
        out = []
        start = 0
        for size in chunk_sizes(len(order), self.batch_size):
            chunk, chunk_widths = order[start : start + size], widths[start : start + size]
            start += size
            width = bucket(max(chunk_widths), WIDTH_BUCKETS)
            most = max(1, MAX_BATCH_COLUMNS // width)
            if size <= most:
                out.append((chunk, width))
                continue
            at = 0
            for part in chunk_sizes(size, 1 << (most.bit_length() - 1)):
                out.append((chunk[at : at + part], bucket(max(chunk_widths[at : at + part]), WIDTH_BUCKETS)))
                at += part
        return out

    def reserve(self) -> None:
        """Run the largest batch the engine will ever run (``MAX_BATCH_COLUMNS``), so that the
        runtime's buffers are as large now as they will get."""
        self.class_probs(np.zeros((min(self.batch_size, MAX_BATCH_COLUMNS // 128), HEIGHT, 128, 1), np.uint8))

    def class_scores(self, crops: list[np.ndarray]) -> list[np.ndarray]:
        """Each grey crop's (time step, class) probabilities, over its own width only."""
        out: list[np.ndarray] = [np.zeros((1, NUM_CLASSES), np.float32)] * len(crops)
        # Similar widths go together, so that little of each batch is padding.
        order = sorted(range(len(crops)), key=lambda i: crops[i].shape[1])
        for chunk, width in self._batches(order, [crops[i].shape[1] for i in order]):
            batch = np.empty((len(chunk), HEIGHT, width, 1), dtype=np.uint8)
            for row, i in enumerate(chunk):
                crop = crops[i]
                batch[row, :, : crop.shape[1], 0] = crop
                # EasyOCR pads by repeating the last column, as the model was trained.
                batch[row, :, crop.shape[1] :, 0] = crop[:, -1:]
            probs = self.class_probs(batch)
            for row, i in enumerate(chunk):
                # Time steps past the crop's own width only saw padding.
                steps = max(1, min(probs.shape[1], crops[i].shape[1] // 4))
                out[i] = np.asarray(probs[row, :steps])
        return out

    def recognize_boxes(
        self,
        gray: np.ndarray,
        boxes: list[np.ndarray],
        timings: dict[str, float] | None = None,
        auto_rotate: bool = True,
    ) -> list[Read]:
        """Read each box of a grey frame.

        With ``auto_rotate``, the frame's text orientation is chosen by confidence: wide
        boxes are read upright and upside down, tall boxes turned left and right, and the
        orientation that reads better over the whole frame wins (a page held upside down
        or sideways). Each box read with less than ``CONFIDENT`` confidence is read again
        with a wider margin and the more confident read kept, before orientations are
        compared. Boxes come back with their points starting at the text's top-left.
        """
        t0 = time.perf_counter()
        groups: dict[tuple[int, ...], list[int]] = {}
        all_choices = orientation_choices(boxes) if auto_rotate else [(0,)] * len(boxes)
        for i, choices in enumerate(all_choices):
            groups.setdefault(choices, []).append(i)
        turns: dict[int, int] = {}
        best: dict[int, tuple[str, float]] = {}
        for choices, members in groups.items():
            chosen, chosen_reads = None, None
            for k in choices:
                group = [boxes[i] for i in members]
                if chosen_reads is None:
                    chosen, chosen_reads = k, self.read_turned(gray, group, k)
                    if np.mean([r[1] for r in chosen_reads]) >= CONFIDENT:
                        break  # Reads well as it is: no need to try the other way round.
                    continue
                # The other way round gets its second, wider crops only if its tight ones
                # already read better: upright words read upside down are mostly unsure, and
                # those retries were a fifth of the recognizer's time on photos.
                tight = self.recognize_crops([crop_box(gray, turned(b, k), MARGINS[0]) for b in group])
                if not _reads_better(tight, chosen_reads):
                    continue
                reads = self.read_turned(gray, group, k, tight)
                # Ties go to the first choice, the upright reading.
                if _reads_better(reads, chosen_reads):
                    chosen, chosen_reads = k, reads
            for i, read in zip(members, chosen_reads):
                turns[i], best[i] = chosen, read
        reads = [Read(turned(boxes[i], turns[i]), *best[i]) for i in range(len(boxes))]
        if timings is not None:
            timings["recognize"] = timings.get("recognize", 0.0) + (time.perf_counter() - t0) * 1000
        return reads

    def read_turned(
        self,
        gray: np.ndarray,
        boxes: list[np.ndarray],
        quarter_turns: int,
        tight: list[tuple[str, float]] | None = None,
    ) -> list[tuple[str, float]]:
        """Read boxes turned by ``quarter_turns``; each unsure read is tried again with a wider margin.

        Orientations are compared on these best reads, so that a tight crop of upright text
        does not lose to a confident misreading of the same text upside down. ``tight``: the
        tight crops' reads, when they were already made.
        """
        if tight is None:
            tight = self.recognize_crops([crop_box(gray, turned(b, quarter_turns), MARGINS[0]) for b in boxes])
        reads = list(tight)
        unsure = [i for i, read in enumerate(reads) if read[1] < CONFIDENT]
        wider = self.recognize_crops([crop_box(gray, turned(boxes[i], quarter_turns), MARGINS[1]) for i in unsure])
        for i, read in zip(unsure, wider):
            reads[i] = max(reads[i], read, key=lambda r: r[1])
        return reads

    def recognize_from_boxes(self, images: list[np.ndarray], box_groups: list[Any], **kwargs: Any) -> list[list[str]]:
        """keras-ocr's recognizer interface: RGB images and their box groups in, texts out."""
        if len(images) != len(box_groups):
            raise ValueError("recognize_from_boxes needs one box group per image")
        out = []
        for image, boxes in zip(images, box_groups):
            image = np.asarray(image)
            gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
            out.append([read.text for read in self.recognize_boxes(gray, list(boxes), auto_rotate=False)])
        return out
