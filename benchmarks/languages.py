"""Score the language samples' subtitles per language, as ``stream-ocr video --subtitles --lang`` writes them.

For ``samples/bilingual.mp4`` with ``--lang en,zh`` and ``samples/japanese.mp4`` with
``--lang en,ja`` (the subtitle preset: the bands found, read stacked), prints each
language's line recall (a line of that language's truth found within CER 0.2 in its
``NAME.LANG.srt``), false cues, cue CER and timing error (``stream_ocr.evaluation.video``).

    python benchmarks/languages.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stream_ocr.config import EngineConfig  # noqa: E402
from stream_ocr.engines import create_engine  # noqa: E402
from stream_ocr.evaluation.video import score_timeline, truth_lines  # noqa: E402
from stream_ocr.video.exporters import parse_srt  # noqa: E402
from stream_ocr.video.job import VideoJob, process_video, subtitle_job  # noqa: E402

RUNS = (("bilingual", "en,zh"), ("japanese", "en,ja"))


def main() -> None:
    print("| sample | --lang | language | line recall | false cues | cue CER | timing error s |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, langs in RUNS:
        engine = create_engine(EngineConfig(languages=langs))
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            process_video(ROOT / "samples" / f"{name}.mp4", out, engine, subtitle_job(VideoJob()))
            truth = json.loads((ROOT / "samples" / f"{name}.json").read_text(encoding="utf-8"))
            tracks = json.loads((out / "tracks.json").read_text())["tracks"]
            for lang in langs.split(","):
                cues = parse_srt((out / f"{name}.{lang}.srt").read_text(encoding="utf-8"))
                lines = truth_lines({"cues": [c for c in truth["cues"] if c["lang"] == lang]})
                s = score_timeline(cues, tracks, lines)
                print(
                    f"| {name} | {langs} | {lang} | {s.line_recall:.3f} | {s.false_cues} | {s.cue_cer:.3f} | "
                    f"{s.timing_error_s:.3f} |"
                )


if __name__ == "__main__":
    main()
