"""The ``stream-ocr`` console script's entry: picks the event loop before anything else loads.

Under eventlet, ``monkey_patch()`` must run before any other module is imported, so this
module imports nothing of ours until it has decided.
"""

import json
import os
import sys


def wants_eventlet(argv: list[str]) -> bool:
    """True for ``serve`` under eventlet: ``--async-mode eventlet``, else
    STREAM_OCR_ASYNC_MODE=eventlet, else ``"async-mode": "eventlet"`` in the ``--config``
    file (the precedence of ``stream_ocr.settings``)."""
    if "serve" not in argv:
        return False
    config = None
    for i, arg in enumerate(argv):
        value = argv[i + 1] if i + 1 < len(argv) else ""
        if arg == "--async-mode":
            return value == "eventlet"
        if arg.startswith("--async-mode="):
            return arg.split("=", 1)[1] == "eventlet"
        if arg == "--config":
            config = value
        elif arg.startswith("--config="):
            config = arg.split("=", 1)[1]
    if "STREAM_OCR_ASYNC_MODE" in os.environ:
        return os.environ["STREAM_OCR_ASYNC_MODE"] == "eventlet"
    if config:
        try:
            with open(config) as f:
                data = json.load(f)
        except (OSError, ValueError):
            return False  # the command line says what is wrong with it
        if isinstance(data, dict):
            return data.get("async-mode", data.get("async_mode")) == "eventlet"
    return False


# OpenCV's own cap on the pixels of an image it decodes (its default is 2^30): a backstop
# behind the header checks in stream_ocr.sources.images, set before OpenCV is first imported.
OPENCV_MAX_IMAGE_PIXELS = str(1 << 28)


def main() -> int:
    os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", OPENCV_MAX_IMAGE_PIXELS)
    if wants_eventlet(sys.argv[1:]):
        import eventlet

        eventlet.monkey_patch()
    from stream_ocr.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
