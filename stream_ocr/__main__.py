"""``python -m stream_ocr``: the same as the ``stream-ocr`` command."""

import sys

from stream_ocr.cli import main

sys.exit(main())
