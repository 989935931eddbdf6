#!/usr/bin/env bash
# Install stream-ocr and read the bundled sample photo.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q -e .
stream-ocr image samples/coffee_sign.jpg
