"""The ``stream-ocr`` console script's entry: picks the event loop before anything else loads.

Under eventlet, ``monkey_patch()`` must run before any other module is imported, so this
module imports nothing of ours until it has decided.
"""

import os
import sys


def wants_eventlet(argv: list[str]) -> bool:
    """True for ``serve`` with ``--async-mode eventlet`` (or STREAM_OCR_ASYNC_MODE=eventlet)."""
    if "serve" not in argv:
        return False
    for i, arg in enumerate(argv):
        if arg == "--async-mode" and i + 1 < len(argv):
            return argv[i + 1] == "eventlet"
        if arg.startswith("--async-mode="):
            return arg.split("=", 1)[1] == "eventlet"
    return os.environ.get("STREAM_OCR_ASYNC_MODE") == "eventlet"


# OpenCV's own cap on the pixels of an image it decodes (its default is 2^30): a backstop
# behind the header checks in stream_ocr.images, set before OpenCV is first imported.
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
