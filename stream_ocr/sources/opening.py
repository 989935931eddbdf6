"""Where frames come from: a webcam by index, an RTSP or HTTP(S) URL, or a video file.

Owns naming and opening sources (``NAME=URI``) and the OpenCV capture behind them, with
timeouts so a dead network camera is noticed. It does not loop, pace or retry: that is
``sources/capture.py``. Browser cameras are not opened here; their frames arrive over Socket.IO.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import cv2

from stream_ocr.errors import BadInputError, SourceUnavailableError
from stream_ocr.live.sinks import is_public

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
NETWORK_SCHEMES = ("rtsp", "rtsps", "rtmp", "http", "https")


@dataclass(frozen=True)
class SourceSpec:
    """A configured source. ``loop`` replays a file from the start when it ends."""

    name: str
    uri: str
    loop: bool = False

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise BadInputError(f"stream name {self.name!r} must be 1-40 letters, digits, '.', '_' or '-'")
        if not is_public(self.name):
            raise BadInputError(f"stream name {self.name!r}: names starting with 'cam-' are the browser cameras'")
        if not self.uri:
            raise BadInputError(f"stream {self.name!r} has no URI")
        if self.kind == "url":
            parsed = urlparse(self.uri)
            try:
                parsed.port  # noqa: B018  (raises on a port out of range or not a number)
            except ValueError as e:
                raise BadInputError(f"stream {self.name!r}: bad URL {self.describe_unchecked()!r}: {e}") from e
            if not parsed.hostname:
                raise BadInputError(f"stream {self.name!r}: the URL names no host")

    @property
    def kind(self) -> str:
        """``webcam``, ``url`` or ``file``."""
        if self.uri.isdigit():
            return "webcam"
        if urlparse(self.uri).scheme.lower() in NETWORK_SCHEMES:
            return "url"
        return "file"

    @property
    def is_live(self) -> bool:
        return self.kind != "file"

    @classmethod
    def parse(cls, text: str, loop: bool = False) -> SourceSpec:
        """Parse ``NAME=URI`` (URI: a webcam index, an rtsp/http(s) URL, or a file path)."""
        name, sep, uri = text.partition("=")
        if not sep:
            raise BadInputError(f"a source is NAME=URI (for example lobby=rtsp://cam/stream), got {text!r}")
        return cls(name.strip(), uri.strip(), loop)

    def describe_unchecked(self) -> str:
        """The URI with any credentials cut out, without parsing its port."""
        return re.sub(r"//[^/@]*@", "//", self.uri)

    def describe(self) -> str:
        """The URI without credentials, safe to show to browser clients."""
        if self.kind == "url":
            parsed = urlparse(self.uri)
            host = parsed.hostname or ""
            port = f":{parsed.port}" if parsed.port else ""
            return f"{parsed.scheme}://{host}{port}{parsed.path}"
        if self.kind == "file":
            return Path(self.uri).name
        return f"webcam {self.uri}"


def open_capture(spec: SourceSpec, open_timeout_s: float = 10.0, read_timeout_s: float = 5.0) -> cv2.VideoCapture:
    """Open the source with OpenCV, or raise SourceUnavailableError saying why."""
    if spec.kind == "webcam":
        capture = cv2.VideoCapture(int(spec.uri))
    elif spec.kind == "url":
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
            int(open_timeout_s * 1000),
            cv2.CAP_PROP_READ_TIMEOUT_MSEC,
            int(read_timeout_s * 1000),
        ]
        capture = cv2.VideoCapture(spec.uri, cv2.CAP_FFMPEG, params)
    else:
        path = Path(spec.uri)
        if not path.is_file():
            raise SourceUnavailableError(f"video file not found: {path}")
        if path.stat().st_size == 0:
            raise SourceUnavailableError(f"video file is empty (0 bytes): {path}")
        capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        capture.release()
        what = {"webcam": "webcam", "url": "stream", "file": "video file"}[spec.kind]
        raise SourceUnavailableError(
            f"cannot open {what} {spec.describe()}: not reachable, or not a video OpenCV can decode"
        )
    return capture


def frame_rate(capture: cv2.VideoCapture, default: float = 25.0) -> float:
    """The source's frame rate, or ``default`` when it does not say (or says nonsense)."""
    fps = capture.get(cv2.CAP_PROP_FPS)
    return fps if 1.0 <= fps <= 240.0 else default
