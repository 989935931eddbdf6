"""Check the Keras port of english_g2 against EasyOCR's own PyTorch model, numerically.

A developer's check, not a test: it needs PyTorch and EasyOCR, which are not runtime
dependencies. Run it in a separate environment:

    python -m venv --system-site-packages /tmp/torchenv
    /tmp/torchenv/bin/pip install torch==2.13.0 && /tmp/torchenv/bin/pip install --no-deps easyocr==1.7.2
    /tmp/torchenv/bin/python tools/check_english_g2_port.py IMAGE [IMAGE ...]

It crops the detector's boxes from the images, runs both models on the same crops and
prints the largest difference in class probabilities and whether the decoded texts agree.
"""

from __future__ import annotations

import sys
import types

import cv2
import numpy as np


def main(paths: list[str]) -> int:
    # EasyOCR's modules import torchvision for its CRAFT backbone only; the recognizer
    # does not use it, and PyPI's torchvision does not load beside the CPU torch build.
    sys.modules.setdefault("torchvision", types.SimpleNamespace(models=None))
    import importlib.util

    import torch

    # Load easyocr.model.vgg_model without running easyocr/__init__.py, which needs torchvision.
    root = importlib.util.find_spec("easyocr").submodule_search_locations[0]
    for name, folder in (("easyocr", root), ("easyocr.model", f"{root}/model")):
        package = types.ModuleType(name)
        package.__path__ = [folder]
        sys.modules[name] = package
    from easyocr.model.vgg_model import Model

    from stream_ocr.config import EngineConfig
    from stream_ocr.engines import english_g2
    from stream_ocr.engines.craft import CraftDetector
    from stream_ocr.engines.weight_files import ENGLISH_G2, find_weights
    from stream_ocr.sources.images import read_image

    path = find_weights(ENGLISH_G2)
    reference = Model(input_channel=1, output_channel=256, hidden_size=256, num_class=english_g2.NUM_CLASSES)
    state = torch.load(path, map_location="cpu", weights_only=True)
    reference.load_state_dict({k.removeprefix("module."): v for k, v in state.items()})
    reference.eval()
    ported = english_g2.EnglishG2Recognizer.from_path(path)
    detector = CraftDetector.load(EngineConfig())

    worst = 0.0
    agree = total = 0
    for image_path in paths:
        frame = read_image(image_path)
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        for box in detector.detect(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))[:10]:
            crop = english_g2.crop_box(gray, box)
            x = crop[np.newaxis, :, :, np.newaxis]
            ours = ported.class_probs(x)[0]
            with torch.no_grad():
                tensor = torch.from_numpy(x.transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1.0)
                theirs = torch.softmax(reference(tensor, None), dim=2).numpy()[0]
            diff = float(np.abs(ours - theirs).max())
            worst = max(worst, diff)
            text_ours, _ = english_g2.decode(ours)
            text_theirs, _ = english_g2.decode(theirs)
            total += 1
            agree += text_ours == text_theirs
            print(f"{image_path}: {text_theirs!r:24} {text_ours!r:24} max |dp| = {diff:.2e}")
    print(f"{total} crops, texts agree on {agree}, largest probability difference {worst:.2e}")
    return 0 if total and agree == total and worst < 1e-3 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
