"""Benchmark the watchlist's cost per frame: the issue's 120 fuzzy-regex rules, with and without the frame budget.

120 rules ``(?:quarterly budget report number NNN){e<=3}`` (the most errors a rule may now
allow), one backtracking rule ``(a|aa|aaa)+$`` and one word rule, checked against 10 lines
of 100 characters per frame for 20 frames, once with no budget (every check runs, each
with its own 50 ms limit, as before) and once with ``alerts.watcher.FRAME_BUDGET_S``.
Prints the median and largest time per frame, the checks skipped and the rules disabled.

    python benchmarks/watchlist.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.runtimes import cpu_flags  # noqa: E402
from stream_ocr.alerts.rules import WatchRule  # noqa: E402
from stream_ocr.alerts.watcher import FRAME_BUDGET_S, Watcher  # noqa: E402
from stream_ocr.types import Line  # noqa: E402


def main() -> int:
    rules = [
        WatchRule(f"r{i}", f"(?:quarterly budget report number {i:03d}){{e<=3}}", is_regex=True) for i in range(120)
    ]
    rules += [WatchRule("evil", r"(a|aa|aaa)+$", is_regex=True), WatchRule("target", "SALES UP")]
    box = ((0, 0), (100, 0), (100, 20), (0, 20))
    text = "THE QUARTERLY REPORT {} SHOWS SALES UP IN EVERY REGION " + "a" * 40 + "!"
    lines = tuple(Line(box, text.format(i), 0.9, i) for i in range(10))
    print(f"CPU flags: {cpu_flags()}")
    print("| budget | median ms per frame | largest ms | checks skipped | rules disabled |")
    print("|---|---|---|---|---|")
    for label, budget in (("none (before)", float("inf")), (f"{FRAME_BUDGET_S * 1000:.0f} ms (now)", FRAME_BUDGET_S)):
        watcher = Watcher(list(rules), lambda *a: None)
        watcher.frame_budget_s = budget
        costs = []
        for t in range(20):
            started = time.perf_counter()
            watcher.check("deck", lines, float(t), lambda tid: None)
            costs.append((time.perf_counter() - started) * 1000)
        costs.sort()
        print(f"| {label} | {costs[10]:.1f} | {costs[-1]:.1f} | {watcher.skipped} | {', '.join(watcher.disabled)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
