"""The CRAFT text detector: keras-ocr's model with the ``craft_mlt_25k`` weights, run fast.

Owns weight conversion (PyTorch ``.pth`` to a cached Keras ``.h5``, once), the resize
and padding of frames to a few bucketed shapes, the network on its runtime (``runtimes``:
TensorFlow or OpenVINO), and the passes over a frame: one, or a coarse one to find text
(``text_finder``'s small network by default, or CRAFT itself on a coarse copy) and fine
ones to box it (``coarse_to_fine``). Box post-processing is ``craft_boxes``'s (keras-ocr's
``getBoxes`` rule, without TensorFlow). It knows nothing of recognition.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from stream_ocr.config import EngineConfig
from stream_ocr.engines.coarse_to_fine import (
    FindConfig,
    boxed_at_coarse,
    grown_regions,
    padded_regions,
    text_components,
)
from stream_ocr.engines.craft_boxes import word_boxes
from stream_ocr.engines.keras_ocr_compat import import_keras_ocr
from stream_ocr.engines.runtimes import Net, NetSpec, build_net
from stream_ocr.engines.text_finder import TextFinder
from stream_ocr.engines.torch_checkpoint import load_state_dict
from stream_ocr.engines.weight_files import CRAFT_MLT_25K, find_weights
from stream_ocr.errors import WeightsError
from stream_ocr.geometry import Region, region_area

logger = logging.getLogger(__name__)

# ImageNet statistics, as keras_ocr.detection.compute_input uses them (RGB order).
_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32) * 255
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32) * 255
# Any batch of one RGB frame, padded to ``pad_multiple``; its maps are half its size.
CRAFT_NET = NetSpec("craft", CRAFT_MLT_25K.sha256, (1, -1, -1, 3), tuple(_MEAN.tolist()), tuple(_STD.tolist()))


def _set_from_state_dict(model: Any, keras: Any, state: dict[str, np.ndarray]) -> None:
    """Copy CRAFT's PyTorch tensors into keras-ocr's layers (the mapping keras-ocr uses)."""
    layer_names = {".".join(k.split(".")[1:-1]) for k in state if not k.endswith("num_batches_tracked")}
    for name in sorted(layer_names):
        layer = model.get_layer(name)
        prefix = f"module.{name}"
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights([state[f"{prefix}.{p}"] for p in ("weight", "bias", "running_mean", "running_var")])
        elif isinstance(layer, keras.layers.Conv2D):
            layer.set_weights([state[f"{prefix}.weight"].transpose(2, 3, 1, 0), state[f"{prefix}.bias"]])
        else:
            raise WeightsError(f"unexpected layer {name} ({type(layer).__name__}) in CRAFT weights")
    missing = [
        layer.name
        for layer in model.layers
        if isinstance(layer, (keras.layers.BatchNormalization, keras.layers.Conv2D)) and layer.name not in layer_names
    ]
    if missing:
        raise WeightsError(f"CRAFT weights lack layers {missing[:5]}")


def cached_craft_weights(config: EngineConfig) -> Path:
    """Path of the converted Keras weights, converting from ``.pth`` on first use."""
    cached = Path(config.cache_dir) / f"craft_mlt_25k-{CRAFT_MLT_25K.sha256[:12]}.h5"
    if cached.is_file():
        return cached
    source = find_weights(CRAFT_MLT_25K, config.weights_dir)
    keras_ocr = import_keras_ocr()
    keras = keras_ocr.detection.keras
    logger.info("converting %s to Keras weights in %s (once)", source, cached)
    model = keras_ocr.detection.build_keras_model(weights_path=None, backbone_name="vgg")
    _set_from_state_dict(model, keras, load_state_dict(source))
    cached.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so that a crash or a second process never sees half a file.
    fd, tmp = tempfile.mkstemp(suffix=".h5", dir=cached.parent)
    os.close(fd)
    try:
        model.save_weights(tmp)
        os.replace(tmp, cached)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return cached


def build_craft_keras_model(config: EngineConfig) -> Any:
    """keras-ocr's CRAFT model with the ``craft_mlt_25k`` weights loaded."""
    keras_ocr = import_keras_ocr()
    path = cached_craft_weights(config)
    model = keras_ocr.detection.build_keras_model(weights_path=None, backbone_name="vgg")
    try:
        model.load_weights(str(path))
    except (OSError, ValueError) as e:
        raise WeightsError(f"cached CRAFT weights {path} are unreadable ({e}); delete the file to convert again") from e
    return model


def detection_scale(height: int, width: int, config: EngineConfig) -> float:
    """The factor the detector sees the frame at: down to ``detect_max_side``, up only if asked."""
    scale = config.detect_max_side / max(height, width)
    if scale > 1 and not config.detect_upscale:
        return 1.0
    return scale


# With CRAFT as its own finder, two passes only for frames seen at this many times
# ``detect_coarse_side`` or more: the coarse copy then holds at most half the full pass's
# pixels. Below it (960x540 video at a 768 px coarse side) one pass was faster on the
# samples (benchmarks/video.py).
COARSE_GAIN = 2**0.5
# With the text finder (a tenth of CRAFT's cost), two passes for frames seen at this many
# times ``detect_coarse_side`` or more.
FINDER_GAIN = 1.0


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


class CraftDetector:
    """Frame in (RGB uint8), word boxes out in the frame's pixels."""

    def __init__(
        self, score_maps: Net, config: EngineConfig, model: Any = None, finder: TextFinder | None = None
    ) -> None:
        # ``score_maps``: a padded uint8 batch in, CRAFT's region and link scores out.
        # ``model``: the Keras model, when the network runs on TensorFlow.
        # ``finder``: the coarse pass's network; None: CRAFT's own coarse pass.
        self.score_maps = score_maps
        self.model = model
        self.config = config
        self.finder = finder
        self.find = FindConfig(find_score=config.coarse_find_score)

    @classmethod
    def load(cls, config: EngineConfig) -> CraftDetector:
        score_maps, model = build_net(CRAFT_NET, lambda: build_craft_keras_model(config), config)
        finder = None
        if config.coarse_finder == "ppocr" and config.detect_coarse_side:
            finder = TextFinder.load(config.tf_intra_op_threads)
        return cls(score_maps, config, model, finder)

    def prepare(self, rgb: np.ndarray, scale: float | None = None) -> tuple[np.ndarray, float]:
        """Resize and pad one frame for the detector; return the batch of one and the scale
        (``scale`` if given: a region of a larger frame is seen at that frame's scale)."""
        h, w = rgb.shape[:2]
        if scale is None:
            scale = detection_scale(h, w, self.config)
        if scale != 1.0:
            nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
            interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
            rgb = cv2.resize(rgb, (nw, nh), interpolation=interp)
        ph = _round_up(rgb.shape[0], self.config.pad_multiple)
        pw = _round_up(rgb.shape[1], self.config.pad_multiple)
        batch = np.zeros((1, ph, pw, 3), dtype=np.uint8)
        batch[0, : rgb.shape[0], : rgb.shape[1]] = rgb
        return batch, scale

    def padded_size(self, height: int, width: int) -> tuple[int, int]:
        """The height and width of the batch ``prepare`` makes of a whole frame of this size."""
        scale = detection_scale(height, width, self.config)
        if scale != 1.0:
            height, width = max(1, round(height * scale)), max(1, round(width * scale))
        return _round_up(height, self.config.pad_multiple), _round_up(width, self.config.pad_multiple)

    def detect(
        self, rgb: np.ndarray, timings: dict[str, float] | None = None, scale: float | None = None
    ) -> list[np.ndarray]:
        """Return word boxes (4x2 float32, clockwise from top-left) in ``rgb``'s pixels.

        ``scale``: the detector's scale (default ``detection_scale``). With
        ``detect_coarse_side``, text is found on a coarser copy first, and boxed at
        ``scale`` only where it was found (``coarse_to_fine``)."""
        spent: dict[str, float] = {}
        h, w = rgb.shape[:2]
        full = detection_scale(h, w, self.config) if scale is None else scale
        coarse = self.coarse_scale(full, h, w)
        regions = [(0, 0, w, h)]
        boxes: list[np.ndarray] = []
        if coarse is not None:
            maps = None
            if self.finder is not None:
                components = self.finder.find(rgb, coarse, spent)
            else:
                maps = self._maps(rgb, coarse, spent, "detect_coarse")
                components = text_components(maps[0, ..., 0], 2.0 / coarse, rgb.shape, self.find)
            regions = grown_regions(padded_regions(components, rgb.shape, self.find), self.find.step / full, rgb.shape)
            if region_area(regions) > self.config.coarse_max_share * h * w:
                regions = [(0, 0, w, h)]
            elif maps is not None and self.config.coarse_box_height:
                regions, boxes = self._box_big_text(maps, coarse, rgb.shape, regions, components)
        for x0, y0, x1, y1 in regions:
            part = rgb if (x1 - x0, y1 - y0) == (w, h) else np.ascontiguousarray(rgb[y0:y1, x0:x1])
            maps = self._maps(part, full, spent, "detect_model")
            boxes += [b + np.array([x0, y0], dtype=np.float32) for b in self._boxes(maps, full, part.shape)]
        spent.setdefault("detect_model", 0.0)  # none: the coarse pass found no text
        if timings is not None:  # added to: a frame's regions are detected one by one
            for key, ms in spent.items():
                timings[key] = timings.get(key, 0.0) + ms
        return boxes

    def _box_big_text(
        self, maps: np.ndarray, coarse: float, shape: tuple[int, ...], regions: list[Region], components: list[Region]
    ) -> tuple[list[Region], list[np.ndarray]]:
        """Split ``regions`` into those still to box at the full scale and the boxes of the
        others, taken from the coarse pass's maps (``coarse_to_fine.boxed_at_coarse``)."""
        coarse_boxes = self._boxes(maps, coarse, shape)
        left, boxes = [], []
        for region in regions:
            found = boxed_at_coarse(region, components, coarse_boxes, self.config.coarse_box_height)
            if found is None:
                left.append(region)
            else:
                boxes += found
        return left, boxes

    def coarse_scale(self, full: float, h: int, w: int) -> float | None:
        """The coarse pass's scale, or None when a frame is read in one pass: the mode is
        off, or the frame is seen at under ``FINDER_GAIN`` (with the text finder) or
        ``COARSE_GAIN`` (with CRAFT's own coarse pass: its copy would hold more than half
        the full pass's pixels) times ``detect_coarse_side``, so that what the second pass
        costs, its regions and the shapes it meets, outweighs what it saves."""
        side = self.config.detect_coarse_side
        gain = FINDER_GAIN if self.finder is not None else COARSE_GAIN
        if not side or max(h, w) * full < gain * side:
            return None
        return side / max(h, w)

    def _maps(self, rgb: np.ndarray, scale: float, spent: dict[str, float], key: str) -> np.ndarray:
        """CRAFT's score maps of ``rgb`` seen at ``scale``; adds the milliseconds to ``spent``."""
        t0 = time.perf_counter()
        batch, _ = self.prepare(rgb, scale)
        t1 = time.perf_counter()
        maps = self.score_maps(batch)
        t2 = time.perf_counter()
        spent["detect_prepare"] = spent.get("detect_prepare", 0.0) + (t1 - t0) * 1000
        spent[key] = spent.get(key, 0.0) + (t2 - t1) * 1000
        return maps

    def _boxes(self, maps: np.ndarray, scale: float, shape: tuple[int, ...]) -> list[np.ndarray]:
        """Word boxes from score maps of an image of ``shape`` seen at ``scale``, in its pixels."""
        boxes = word_boxes(
            maps[0],
            detection_threshold=self.config.detection_threshold,
            text_threshold=self.config.text_threshold,
            link_threshold=self.config.link_threshold,
            size_threshold=10,
        )
        h, w = shape[:2]
        out = []
        for box in boxes:
            box = np.asarray(box, dtype=np.float32) / scale
            box[:, 0] = box[:, 0].clip(0, w)
            box[:, 1] = box[:, 1].clip(0, h)
            out.append(box)
        return out
