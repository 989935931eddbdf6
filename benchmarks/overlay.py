"""Benchmark the overlay's precision at cuts: of the labels a viewer sees, how many belong to the frame shown.

Serves a two-scene video (a blue wall with "QUARTERLY REPORT", a hard cut to a red wall
with "FRESH COFFEE", and a cut back when it loops; ``tests/server/test_browser.py``) with the
default engine, and opens one page per overlay setting in one headless Chromium, side by
side in one run:

- ``sync + follow`` (the page's defaults): frames held back by the OCR latency, and a
  label dropped when the server's box follower lost its box (a cut);
- ``sync only``: frames held back, labels drawn where they were read until the next result;
- ``neither``: the newest frame with the newest result.

Each page is sampled in turn (the colour of the frame on its canvas, and the labels its
``aria-label`` says are drawn), and the script prints, per setting, the samples showing a
label, those whose labels are all of the scene shown, and the precision.

    python benchmarks/overlay.py [--seconds 180]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.runtimes import cpu_flags  # noqa: E402
from tests.server.test_browser import OverlayWatch, launch, two_scene_video  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402

SETTINGS = {"sync + follow": (True, True), "sync only": (True, False), "neither": (False, False)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="how long to watch (default 180)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "cuts.avi"
        two_scene_video(video)
        proc = ServerProcess("--source", f"cuts={video}", "--loop")
        try:
            proc.wait_ready()
            with sync_playwright() as playwright:
                browser = launch(playwright)
                watches = {}
                for name, (sync, follow) in SETTINGS.items():
                    page = browser.new_page(bypass_csp=True, viewport={"width": 1280, "height": 800})
                    page.goto(proc.url + "/")
                    page.wait_for_function("document.getElementById('status').dataset.status === 'live'")
                    page.set_checked("#sync", sync)
                    page.set_checked("#follow", follow)
                    watches[name] = OverlayWatch(page)
                deadline = time.monotonic() + args.seconds
                while time.monotonic() < deadline:
                    for watch in watches.values():
                        watch.sample()
                    time.sleep(0.05)
                browser.close()
        finally:
            proc.stop()
    print(f"CPU flags: {cpu_flags()}; watched {args.seconds:.0f} s")
    print(
        "| overlay setting | samples with a label | all of the scene shown | of the other scene | precision | cuts seen |"
    )
    print("|---|---|---|---|---|---|")
    for name, watch in watches.items():
        right, wrong = sum(watch.right.values()), len(watch.wrong)
        shown = right + wrong
        precision = f"{right / shown:.3f}" if shown else "-"
        print(f"| {name} | {shown} | {right} | {wrong} | {precision} | {max(0, len(watch.scenes) - 1)} |")


if __name__ == "__main__":
    main()
