"""Chinese and Japanese with the default engine (--lang): real models on the language samples.

``samples/bilingual.mp4`` stacks a Chinese line over the English one, each language timed
on its own, with a Chinese watermark that is no subtitle; ``samples/japanese.mp4`` has the
Japanese lines above the picture and the English below it (samples/make_languages.py).
"""

import json

import cv2
import numpy as np
import pytest

from stream_ocr.config import EngineConfig
from stream_ocr.engines import create_engine
from stream_ocr.engines.base import read_lines
from stream_ocr.errors import BadInputError
from stream_ocr.evaluation.video import cer, score_timeline, truth_lines
from stream_ocr.step.junk import JunkConfig, is_junk_word
from stream_ocr.step.lines import join_words
from stream_ocr.step.scripts import language_of, parse_languages
from stream_ocr.step.view import View
from stream_ocr.tracking.fusion import fuse, same_text
from stream_ocr.types import Detection
from stream_ocr.video.exporters import parse_srt
from stream_ocr.video.job import VideoJob, process_video, subtitle_job

from ..conftest import SAMPLES


def truth(name):
    return json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def language_truth(name, lang):
    return truth_lines({"cues": [c for c in truth(name)["cues"] if c["lang"] == lang]})


def word(text, confidence=0.99, x=0):
    return Detection.from_array([[x, 0], [x + 40, 0], [x + 40, 20], [x, 20]], text, confidence)


# -- the setting, the scripts, the junk rules: no model -------------------------------------


def test_the_languages_setting_names_what_it_reads_and_refuses_the_rest():
    assert parse_languages("en") == ("en",)
    assert parse_languages("zh, EN") == ("en", "zh")
    assert parse_languages("auto") == ("en", "zh", "ja")
    assert EngineConfig(languages="en,zh").language_list == ("en", "zh")
    with pytest.raises(BadInputError, match="fr unknown"):
        EngineConfig(languages="en,fr")
    with pytest.raises(BadInputError):
        EngineConfig(languages=",")


def test_a_text_has_the_language_of_its_script():
    assert language_of("你要牛奶吗？") == "zh"
    assert language_of("駅まで歩いて10分です。") == "ja"  # kana
    assert language_of("東京") == "zh"
    assert language_of("東京", ("ja",)) == "ja"  # Han alone, where only Japanese is read
    assert language_of("Where are my keys?") == "en"
    assert language_of("3:2") is None


def test_chinese_pieces_join_without_a_space_and_latin_words_with_one():
    assert join_words(["我的钥匙在哪里", "？"]) == "我的钥匙在哪里？"
    assert join_words(["第3集", "Episode", "3"]) == "第3集 Episode 3"
    assert join_words(["Where", "are", "my", "keys?"]) == "Where are my keys?"


def test_the_junk_rules_drop_words_of_a_language_not_read():
    english = JunkConfig(languages=("en",))
    both = JunkConfig(languages=("en", "zh"))
    chinese = JunkConfig(languages=("zh",))
    assert is_junk_word(word("你要牛奶吗"), english)
    assert not is_junk_word(word("你要牛奶吗"), both)
    assert is_junk_word(word("milk"), chinese)
    assert not is_junk_word(word("2024"), chinese)  # digits are in every language


def test_identity_and_fusion_hold_for_chinese_lines():
    # A line and its translation are two texts; a line with one character misread is one.
    assert not same_text("我的钥匙在哪里", "Where are my keys?", 0.99)
    assert not same_text("Where are my keys?", "我的钥匙在哪里", 0.99)
    assert same_text("我的钥匙在哪里", "我的钥匙在那里", 0.95)
    # Another subtitle with two of seven characters changed is another text.
    assert not same_text("我的钥匙在哪里", "我的钱包在哪里", 0.99)
    assert not same_text("你要牛奶吗", "你要咖啡吗", 0.99)
    # Fusion votes character by character: three reads, each wrong in one place.
    fused = fuse([("我的钥匙在那里", 0.9), ("我的钥匙在哪里", 0.9), ("我的钥是在哪里", 0.9), ("找的钥匙在哪里", 0.9)])
    assert fused.text == "我的钥匙在哪里"


def test_stacked_bands_read_as_one_picture_map_back_to_their_places():
    frame = np.zeros((360, 640, 3), dtype=np.uint8)
    frame[20:40] = 100
    frame[300:320] = 200
    view = View(((0, 0, 640, 100), (0, 240, 640, 360)))
    picture = view.cut(frame)
    assert picture.shape == (100 + 16 + 120, 640, 3)
    assert picture[30, 0, 0] == 100 and picture[116 + 70, 0, 0] == 200
    assert not picture[100:116].any()  # the gap
    top = word("上", x=300)  # at y 0-20 of the picture: the upper band
    low = Detection.from_array([[300, 186], [340, 186], [340, 206], [300, 206]], "low", 0.9)
    assert view.line_to_frame(top).bbox == (300, 0, 340, 20)
    assert view.line_to_frame(low).bbox == (300, 310, 340, 330)
    assert view.rect_to_frame((0, 150, 64, 200)) == (0, 274, 64, 324)
    with pytest.raises(ValueError):
        View(((0, 0, 640, 100), (10, 240, 610, 360)))


# -- real models --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def japanese_engine():
    return create_engine(EngineConfig(languages="en,ja"))


def run_subtitles(engine, name, out):
    summary = process_video(SAMPLES / f"{name}.mp4", out, engine, subtitle_job(VideoJob()))
    tracks = json.loads((out / "tracks.json").read_text())["tracks"]
    return summary, tracks


def srt(path):
    return parse_srt(path.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_bilingual_subtitles_give_each_language_its_own_file_with_every_line(chinese_engine, tmp_path):
    summary, tracks = run_subtitles(chinese_engine, "bilingual", tmp_path)
    for lang, script in (("zh", "zh"), ("en", "en")):
        cues = srt(tmp_path / f"bilingual.{lang}.srt")
        scores = score_timeline(cues, tracks, language_truth("bilingual", lang))
        assert scores.line_recall >= 0.95, (lang, scores, cues)
        assert scores.false_cues == 0, (lang, cues)
        # Each file holds its own language only.
        assert all(language_of(text) in (script, None) for _, _, text in cues), cues
    # Timed on their own: one English cue over 3.5-7.5 s, two Chinese ones.
    zh = srt(tmp_path / "bilingual.zh.srt")
    en = srt(tmp_path / "bilingual.en.srt")
    assert [c for c in zh if 3.0 <= c[0] <= 6.0 and c[0] < 7.5] and len(
        [c for c in zh if c[0] < 7.5 and c[1] > 3.5]
    ) == 2
    assert len([c for c in en if c[0] < 7.5 and c[1] > 3.5]) == 1
    # The combined file holds both, and the watermark is in none.
    combined = srt(tmp_path / "bilingual.srt")
    assert {language_of(text.split("\n")[0]) for _, _, text in combined} >= {"zh", "en"}
    watermark = truth("bilingual")["not_subtitles"][0]["text"]
    assert not any(cer(watermark, text) <= 0.5 for _, _, text in combined), combined
    # The short cue (0.8 s) of two characters is read.
    assert any(cer("好的。", text) == 0 for _, _, text in zh), zh


@pytest.mark.slow
def test_japanese_above_the_picture_and_english_below_are_both_found(japanese_engine, tmp_path):
    summary, tracks = run_subtitles(japanese_engine, "japanese", tmp_path)
    assert len(summary.bands) == 2, summary.bands
    (top, low) = summary.bands
    assert top[1] + top[3] <= 0.35 * 360 and low[1] >= 0.5 * 360
    for lang in ("ja", "en"):
        cues = srt(tmp_path / f"japanese.{lang}.srt")
        scores = score_timeline(cues, tracks, language_truth("japanese", lang))
        assert scores.line_recall >= 0.95, (lang, scores, cues)
        assert scores.false_cues == 0, (lang, cues)


@pytest.mark.slow
def test_english_only_reading_leaves_the_chinese_out(keras_engine, tmp_path):
    summary, tracks = run_subtitles(keras_engine, "bilingual", tmp_path)
    cues = srt(tmp_path / "bilingual.srt")
    assert not (tmp_path / "bilingual.zh.srt").exists()
    assert all(language_of(text) in ("en", None) for _, _, text in cues), cues
    scores = score_timeline(cues, tracks, language_truth("bilingual", "en"))
    assert scores.line_recall >= 0.95 and scores.false_cues == 0, (scores, cues)


@pytest.mark.slow
def test_the_chinese_lines_of_the_subtitle_sample_are_read(chinese_engine):
    capture = cv2.VideoCapture(str(SAMPLES / "subtitles.mp4"))
    for line in truth("subtitles")["foreign"]:
        capture.set(cv2.CAP_PROP_POS_MSEC, 500.0 * (line["start"] + line["end"]))
        ok, frame = capture.read()
        assert ok
        texts = [x.text for x in read_lines(chinese_engine, frame).lines]
        assert min(cer(line["text"], t) for t in texts) <= 0.2, (line["text"], texts)
    capture.release()


@pytest.mark.slow
def test_rapidocr_keeps_chinese_only_where_it_is_asked_for(rapid_engine):
    capture = cv2.VideoCapture(str(SAMPLES / "bilingual.mp4"))
    capture.set(cv2.CAP_PROP_POS_MSEC, 1500)
    ok, frame = capture.read()
    capture.release()
    assert ok
    english = [x.text for x in read_lines(rapid_engine, frame).lines]
    assert english and all(language_of(t) in ("en", None) for t in english), english
    both = create_engine(EngineConfig(name="rapidocr", languages="en,zh"))
    texts = [x.text for x in read_lines(both, frame).lines]
    assert min(cer("你吃饭了吗？", t) for t in texts) <= 0.2, texts
