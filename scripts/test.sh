#!/usr/bin/env bash
# Set up everything the tests need on a fresh Debian machine, then run them.
# Usage: bash scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: Chromium for the browser tests, GStreamer's RTSP server (run by
# Debian's own python3, which has the GObject bindings) for the RTSP test, ffmpeg,
# redis-server for the scale-out tests, postgresql for the history tests and mosquitto for
# the MQTT tests (each started by the tests on a loopback port), DejaVu and Liberation for
# the subtitle frames the line-read tests draw, Noto CJK for the Chinese ones.
DEB_PACKAGES=(chromium chromium-driver ffmpeg python3-gi gstreamer1.0-rtsp gir1.2-gst-rtsp-server-1.0
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good redis-server postgresql fonts-dejavu-core
  fonts-liberation mosquitto fonts-noto-cjk)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  need=()
  for pkg in "${DEB_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
  done
  if [ ${#need[@]} -gt 0 ]; then
    echo "== apt-get install ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi

echo "== pip install -e .[test]"
python -m pip install -q -e '.[test]'

echo "== ruff"
python -m ruff check stream_ocr tests benchmarks tools samples
python -m ruff format --check stream_ocr tests benchmarks tools samples

echo "== docs (mkdocs build --strict: a broken link fails)"
NO_MKDOCS_2_WARNING=1 python -m mkdocs build --strict --quiet --site-dir "$(mktemp -d)"

echo "== pytest"
python -m pytest "$@"
