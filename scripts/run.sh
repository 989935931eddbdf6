#!/usr/bin/env bash
# Install stream-ocr and serve the page with the bundled sample video as a live stream.
# Then open http://127.0.0.1:5000/ (set HOST=0.0.0.0 to reach it from other machines).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q -e .
exec stream-ocr serve --source sample=samples/signs.mp4 --loop --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
