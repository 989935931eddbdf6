"""``python -m stream_ocr``: the same as the ``stream-ocr`` command."""

import sys

from stream_ocr.launcher import main

sys.exit(main())
