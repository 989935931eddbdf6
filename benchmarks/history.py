"""Benchmark the track history: inserts, fuzzy search on a million tracks, and the live cost.

Side by side, in one run, on SQLite (a file in a temporary folder) and PostgreSQL
(Debian's, started here on 127.0.0.1, as tests/pgserver.py does):
  * insert throughput: tracks per second through ``TrackStore.add`` in batches of 200,
    as the history writer sends them (trigram rows on SQLite, pg_trgm's index on PostgreSQL);
  * search latency, p50 and p95, over 200 stored texts searched with one letter wrong,
    on ``--rows`` stored tracks (default 1,000,000; filled in bulk beyond the timed
    inserts), and how often the text searched for is in the top 20, and first (short
    words and plates are often ambiguous among a million made-up texts);
  * retention: a chunk of deletions as the writer makes them, against half the table
    deleted in one transaction; on SQLite the bytes a track takes in the file;
  * the live pipeline's reads per second on ``samples/slides.mp4`` (looped), with the
    history and a watchlist rule on and off, in alternating rounds (``--live-s`` each).

Texts are made up: one to five words from a 5,000-word vocabulary of letter strings, and
licence-plate-like codes, so that trigrams are spread as in real footage.

    python benchmarks/history.py [--rows 1000000] [--live-s 60] [--skip-live] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BOX = ((0.0, 0.0), (120.0, 0.0), (120.0, 30.0), (0.0, 30.0))


def vocabulary(rng: random.Random, n: int = 5000) -> list[str]:
    words = set()
    while len(words) < n:
        words.add("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 10))))
    return sorted(words)


def make_text(rng: random.Random, vocab: list[str]) -> str:
    if rng.random() < 0.15:
        return f"{rng.choice(string.ascii_uppercase)}{rng.choice(string.ascii_uppercase)} {rng.randint(100, 999)}"
    return " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 5))).capitalize()


def misspell(rng: random.Random, text: str) -> str:
    i = rng.randrange(len(text))
    return text[:i] + rng.choice(string.ascii_lowercase) + text[i + 1 :]


def rows(rng, vocab, n, start):
    from stream_ocr.history.store import TrackRow

    return [
        TrackRow(f"cam{rng.randint(1, 100)}", make_text(rng, vocab), start + i, start + i + 3, 0.9, BOX)
        for i in range(n)
    ]


def bulk_fill(store, rng, vocab, total: int) -> float:
    """Fill to ``total`` tracks in large transactions (a fast path for the benchmark only)."""
    import sqlalchemy as sa

    from stream_ocr.history.schema import track_grams, tracks
    from stream_ocr.history.store import trigrams

    started = time.perf_counter()
    with store.engine.connect() as conn:
        next_id = (conn.execute(sa.select(sa.func.max(tracks.c.id))).scalar() or 0) + 1
    while store.count() < total:
        chunk = min(50_000, total - store.count())
        batch = rows(rng, vocab, chunk, 1_790_000_000.0 + next_id)
        values = [{**r.values(), "id": next_id + i} for i, r in enumerate(batch)]
        with store.engine.begin() as conn:
            conn.execute(tracks.insert(), values)
            if not store.postgres:
                conn.execute(
                    track_grams.insert(),
                    [{"gram": g, "track_id": v["id"]} for v in values for g in trigrams(v["text_key"])],
                )
        next_id += chunk
        print(f"    {store.count():,} tracks ({time.perf_counter() - started:.0f} s)", flush=True)
    if store.postgres:
        with store.engine.begin() as conn:
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('tracks', 'id'), (SELECT max(id) FROM tracks))"))
            conn.execute(sa.text("ANALYZE tracks"))
    else:
        with store.engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))
    return time.perf_counter() - started


def bench_retention(store, url: str) -> dict:
    """Retention on the filled table: five chunks as the writer deletes them, then half the
    table in one transaction (what a month expiring at once cost before the chunks).
    On SQLite also the file's bytes per track (text, box and trigrams; no crop)."""
    from stream_ocr.history.writer import PRUNE_CHUNK

    out = {"rows_before_retention": store.count()}
    if url.startswith("sqlite:///"):
        out["bytes_per_track"] = Path(url[len("sqlite:///") :]).stat().st_size / store.count()
    chunks = []
    for _ in range(5):
        t0 = time.perf_counter()
        assert store.prune(keep=store.count() - PRUNE_CHUNK, most=PRUNE_CHUNK) == PRUNE_CHUNK
        chunks.append(1000 * (time.perf_counter() - t0))
    half = store.count() // 2
    t0 = time.perf_counter()
    gone = store.prune(keep=half)
    out.update(chunk_ms=statistics.median(chunks), whole_s=time.perf_counter() - t0, whole_rows=gone)
    print(
        f"    retention: chunks of {PRUNE_CHUNK} {[round(c) for c in chunks]} ms; {gone:,} at once {out['whole_s']:.1f} s"
    )
    return out


def bench_store(name: str, url: str, total: int, rng: random.Random, vocab: list[str]) -> dict:
    from stream_ocr.history.store import TrackStore

    store = TrackStore(url)
    timed = rows(rng, vocab, 20_000, 1_780_000_000.0)
    started = time.perf_counter()
    for i in range(0, len(timed), 200):
        store.add(timed[i : i + 200])
    insert_s = time.perf_counter() - started
    print(f"  {name}: {len(timed):,} tracks inserted in {insert_s:.1f} s", flush=True)
    fill_s = bulk_fill(store, rng, vocab, total)
    sample = rng.sample(timed, 200)
    truths_of = [t.text for t in sample]
    queries = [misspell(rng, text) for text in truths_of]
    store.search(queries[0])  # warm the cache and the pool
    latencies, found, first = [], 0, 0
    for query, truth in zip(queries, truths_of, strict=True):
        t0 = time.perf_counter()
        hits = store.search(query, limit=20)
        latencies.append(1000 * (time.perf_counter() - t0))
        found += any(h.text == truth for h in hits)
        first += bool(hits) and hits[0].text == truth
    latencies.sort()
    rows_searched = store.count()
    retention = bench_retention(store, url)
    return {
        **retention,
        "backend": name,
        "insert_tracks_per_s": len(timed) / insert_s,
        "rows": rows_searched,
        "fill_s": fill_s,
        "search_p50_ms": statistics.median(latencies),
        "search_p95_ms": latencies[int(0.95 * len(latencies)) - 1],
        "true_in_top20": found / len(queries),
        "true_first": first / len(queries),
    }


def bench_live(seconds: float, rounds: int = 2) -> list[tuple[str, float, float]]:
    """Reads per second and latency p50 of the live pipeline on the slides, history on and
    off, alternating. Change detection is off, so that every frame taken is read and the
    rate is the engine's, not the slides' (a slide every 4 s)."""
    from stream_ocr.config import HistoryConfig, ServerConfig, WatchConfig
    from stream_ocr.engines import create_engine
    from stream_ocr.live.hub import HubConfig
    from stream_ocr.server import create_app
    from stream_ocr.sources.opening import SourceSpec
    from stream_ocr.step.change import ChangeConfig

    engine = create_engine()
    out = []
    for r in range(rounds):
        for label in ("off", "on"):
            folder = Path(tempfile.mkdtemp(prefix="bench-live-"))
            config = ServerConfig(jobs_dir=folder / "jobs")
            if label == "on":
                config = ServerConfig(
                    jobs_dir=folder / "jobs",
                    history=HistoryConfig(f"sqlite:///{folder / 'h.db'}"),
                    watch=WatchConfig(("budget=BUDGET",)),
                )
            app = create_app(
                config,
                engine,
                [SourceSpec("deck", str(ROOT / "samples" / "slides.mp4"), loop=True)],
                HubConfig(change=ChangeConfig(enabled=False)),
            )
            app.start()
            time.sleep(10)  # warm-up: the first frames of a new size are slow
            before = sum(m["inferred"] for m in app.hub.metrics())
            time.sleep(seconds)
            (snapshot,) = app.hub.metrics()
            reads = snapshot["inferred"] - before
            latency = snapshot["latency_p50_ms"]
            written = app.recorder.writer.written if app.recorder.writer is not None else 0
            app.stop()
            out.append((label, reads / seconds, latency))
            print(
                f"  live round {r + 1}, history {label}: {reads / seconds:.3f} reads/s, latency p50 {latency:.0f} ms "
                f"({written} rows written)",
                flush=True,
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--live-s", type=float, default=60.0)
    parser.add_argument("--skip-live", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    rng = random.Random(7)
    vocab = vocabulary(rng)
    results = []
    folder = Path(tempfile.mkdtemp(prefix="bench-history-"))
    results.append(bench_store("sqlite", f"sqlite:///{folder / 'h.db'}", args.rows, rng, vocab))
    if not args.skip_postgres:
        from tests.pgserver import PostgresServer

        pg = PostgresServer()
        pg.start()
        try:
            results.append(bench_store("postgresql", pg.new_database("bench"), args.rows, rng, vocab))
        finally:
            pg.close()
    print()
    print(
        "| back end | inserts (tracks/s, batches of 200) | stored tracks | search p50 (ms) | search p95 (ms) "
        "| misspelled text in the top 20 | ... first |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['backend']} | {r['insert_tracks_per_s']:,.0f} | {r['rows']:,} | {r['search_p50_ms']:.1f} "
            f"| {r['search_p95_ms']:.1f} | {100 * r['true_in_top20']:.0f}% | {100 * r['true_first']:.0f}% |"
        )
    print()
    print(
        "| back end | stored tracks | retention: one chunk of 2,000 (ms, median of 5) | half the table in one transaction |"
    )
    print("|---|---|---|---|")
    for r in results:
        print(
            f"| {r['backend']} | {r['rows']:,} | {r['chunk_ms']:.0f} | {r['whole_rows']:,} tracks in {r['whole_s']:.1f} s |"
        )
    for r in results:
        if "bytes_per_track" in r:
            print(f"{r['backend']}: {r['bytes_per_track']:,.0f} bytes per track in the file, without crops")
    if not args.skip_live:
        live = bench_live(args.live_s)
        print()
        for label in ("off", "on"):
            rates = [rate for lab, rate, _ in live if lab == label]
            latencies = [ms for lab, _, ms in live if lab == label]
            print(
                f"live with the history {label}: {statistics.mean(rates):.3f} reads/s "
                f"(rounds: {', '.join(f'{x:.3f}' for x in rates)}), latency p50 "
                f"{', '.join(f'{x:.0f}' for x in latencies)} ms"
            )


if __name__ == "__main__":
    main()
