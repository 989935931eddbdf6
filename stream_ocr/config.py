"""Configuration: frozen dataclasses, validated once, passed down.

Environment variables are read here and in the entry points only, never deep
in the code. Every default runs out of the box.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from stream_ocr.errors import BadInputError


def default_cache_dir() -> Path:
    """Where converted weights are cached: $STREAM_OCR_CACHE_DIR, else $XDG_CACHE_HOME/stream-ocr."""
    explicit = os.environ.get("STREAM_OCR_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "stream-ocr"


def default_data_dir() -> Path:
    """Where ``serve`` keeps its history: $STREAM_OCR_DATA_DIR, else $XDG_DATA_HOME/stream-ocr."""
    explicit = os.environ.get("STREAM_OCR_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "stream-ocr"


# Where the keras-ocr engine's networks can run (``engines/runtimes.py``).
RUNTIMES = ("auto", "tensorflow", "openvino")
# What finds text on the detector's coarse pass (``engines/craft.py``).
COARSE_FINDERS = ("ppocr", "craft")


@dataclass(frozen=True)
class ImageLimits:
    """Limits on still images, against oversized uploads and decompression bombs."""

    max_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 40_000_000

    def __post_init__(self) -> None:
        if self.max_bytes <= 0 or self.max_pixels <= 0:
            raise BadInputError("image limits must be positive")


@dataclass(frozen=True)
class EngineConfig:
    """How to build an OCR engine.

    The keras-ocr fields: the detector sees the frame scaled so that its longest side
    is at most ``detect_max_side`` (never upscaled unless ``detect_upscale``), padded
    up to a multiple of ``pad_multiple`` so that few distinct shapes reach TensorFlow.
    """

    name: str = "keras-ocr"
    # keras-ocr engine
    recognizer: str = "english_g2"
    # english_g2's weights: "video", trained on synthetic video text and the ICDAR 2015
    # training photos' words (tools/finetune_recognizer.py), or "easyocr", EasyOCR's release.
    recognizer_weights: str = "video"
    detect_max_side: int = 1280
    detect_upscale: bool = False
    # Two passes (``engines/coarse_to_fine.py``): text is found on the frame seen with its
    # longest side at this (0: one pass at ``detect_max_side``), where CRAFT's region score
    # passes ``coarse_find_score``, and boxed at ``detect_max_side`` there only; when those
    # regions cover more than ``coarse_max_share`` of the frame, the whole frame is boxed.
    detect_coarse_side: int = 768
    # What finds text on the coarse pass: "ppocr", PP-OCR's small text detector from the
    # rapidocr wheel (``engines/text_finder.py``; a tenth of CRAFT's cost, and it finds as
    # much), or "craft", CRAFT itself, where ``coarse_find_score`` is the region score that
    # counts as text and ``coarse_box_height`` applies.
    coarse_finder: str = "ppocr"
    coarse_find_score: float = 0.2
    coarse_max_share: float = 0.5
    # With the "craft" finder, regions whose every word the coarse pass boxed at least this
    # many frame pixels high keep the coarse boxes and skip the full-scale pass (0: every
    # region is boxed again).
    # 28 on 100 ICDAR 2015 training photos: 4.8% fewer detector pixels, F1 0.546 against
    # 0.544 (tools/tune_coarse.py --box-heights; BENCHMARKS.md).
    coarse_box_height: int = 28
    pad_multiple: int = 64
    detection_threshold: float = 0.7
    text_threshold: float = 0.4
    link_threshold: float = 0.4
    # Reads below this confidence are dropped: mostly noise. On ICDAR 2015 *training* photos
    # 0.4 and 0.5 tie within noise (F1 0.493 and 0.504 on 50 photos, tools/tune_engine.py);
    # 0.5 drops short words such as a subtitle's "I'm" (0.48), so 0.4 (BENCHMARKS.md).
    min_confidence: float = 0.4
    auto_rotate: bool = True
    # Run TensorFlow graphs in bfloat16 where the CPU has native support (oneDNN's
    # auto mixed precision); CPUs without it, and GPUs, are unaffected.
    cpu_bfloat16: bool = True
    # Where the keras-ocr engine's networks run (``engines/runtimes.py``): "openvino"
    # (converted once from the same weights), "tensorflow" (the reference, and the GPU
    # path), or "auto": OpenVINO where it is installed and TensorFlow finds no GPU.
    runtime: str = "auto"
    recognizer_batch_size: int = 32
    allow_download: bool = False
    warmup: bool = True
    # 0 lets TensorFlow choose. One inter-op thread by default: oneDNN kernels keep the
    # memory they build for each input shape per thread that ran them, so every extra
    # thread holds another copy. On this project's 2-core benchmark machine one thread
    # costs up to 3% of a frame's time, and the recognizer stops growing on shapes it
    # has met (benchmarks/thread_memory.py).
    tf_intra_op_threads: int = 0
    tf_inter_op_threads: int = 1
    # rapidocr engine
    onnx_intra_op_threads: int = 1
    # where weights come from and go
    weights_dir: Path | None = None
    cache_dir: Path = field(default_factory=default_cache_dir)

    def __post_init__(self) -> None:
        if self.detect_max_side < 64:
            raise BadInputError("detect_max_side must be at least 64")
        if self.detect_coarse_side and self.detect_coarse_side < 64:
            raise BadInputError("detect_coarse_side must be 0 (off) or at least 64")
        if not 0.0 < self.coarse_find_score < 1.0 or not 0.0 < self.coarse_max_share <= 1.0:
            raise BadInputError("coarse_find_score must be in (0, 1) and coarse_max_share in (0, 1]")
        if self.pad_multiple < 32 or self.pad_multiple % 32:
            raise BadInputError("pad_multiple must be a positive multiple of 32")
        if self.coarse_finder not in COARSE_FINDERS:
            raise BadInputError(f"coarse_finder is {' or '.join(COARSE_FINDERS)}, got {self.coarse_finder!r}")
        if self.recognizer_weights not in ("video", "easyocr"):
            raise BadInputError(f"recognizer weights are video or easyocr, got {self.recognizer_weights!r}")
        if self.runtime not in RUNTIMES:
            raise BadInputError(f"runtime is auto, tensorflow or openvino, got {self.runtime!r}")
        if self.recognizer_batch_size < 1:
            raise BadInputError("recognizer_batch_size must be at least 1")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise BadInputError("min_confidence must be in [0, 1]")
        if self.tf_intra_op_threads < 0 or self.tf_inter_op_threads < 0:
            raise BadInputError("thread counts must be >= 0 (0 lets TensorFlow choose)")
        if self.onnx_intra_op_threads < 1:
            raise BadInputError("onnx_intra_op_threads must be at least 1")


ENGINE_LANES = ("live", "api", "video")


@dataclass(frozen=True)
class ShareConfig:
    """How the one engine is shared: each lane's weight (its share of engine time while
    others wait; see ``sharing.py``), and the bounds of the still-image lane."""

    weights: dict[str, float] = field(default_factory=lambda: {"live": 2.0, "api": 1.0, "video": 1.0})
    # Still-image requests waiting for the engine at once; one more is told to come back.
    api_max_waiting: int = 4
    # How long a still-image request may wait for its turn.
    api_timeout_s: float = 30.0
    # How long the engine waits for a one-thread lane (a live stream's worker, a video job)
    # to come back for the turn it is owed, between its reads.
    return_window_s: float = 0.05

    def __post_init__(self) -> None:
        if set(self.weights) != set(ENGINE_LANES) or any(w <= 0 for w in self.weights.values()):
            raise BadInputError(f"engine shares need a positive weight for each of {', '.join(ENGINE_LANES)}")
        if self.api_max_waiting < 1 or self.api_timeout_s <= 0:
            raise BadInputError("api_max_waiting must be >= 1 and api_timeout_s > 0")


ASYNC_MODES = ("threading", "eventlet")


@dataclass(frozen=True)
class HistoryConfig:
    """The track history (README, History): where finished tracks are stored, and for how long."""

    # ``sqlite:///PATH`` or ``postgresql://USER@HOST:PORT/DB``; None: no history.
    db_url: str | None = None
    # Tracks last seen longer ago than this, or beyond the newest ``retain_rows``, are
    # deleted (checked once a minute). None: kept.
    retain_days: float | None = None
    retain_rows: int | None = None

    def __post_init__(self) -> None:
        if self.retain_days is not None and self.retain_days <= 0:
            raise BadInputError("--retain-days must be > 0")
        if self.retain_rows is not None and self.retain_rows < 1:
            raise BadInputError("--retain-rows must be >= 1")
        if self.db_url is None and (self.retain_days is not None or self.retain_rows is not None):
            raise BadInputError("--retain-days and --retain-rows need --db")


@dataclass(frozen=True)
class WatchConfig:
    """Watchlists (README, Watchlists and alerts): rules, and the webhooks that alerts go to."""

    # ``NAME=WORDS``, ``NAME=WORDS~N`` or ``NAME=/REGEX/`` (``alerts.rules.parse_cli_rule``).
    rules: tuple[str, ...] = ()
    rules_file: Path | None = None
    webhooks: tuple[str, ...] = ()
    # The HMAC-SHA256 key of the webhooks' signature header.
    webhook_secret: str | None = None
    # What ``POST``/``DELETE /api/watchlist`` need as ``Authorization: Bearer TOKEN``;
    # None: only clients on this machine (loopback) may change the watchlist.
    admin_token: str | None = None

    def __post_init__(self) -> None:
        for url in self.webhooks:
            if not url.startswith(("http://", "https://")):
                raise BadInputError(f"--webhook takes an http:// or https:// URL, got {url!r}")
        if self.admin_token is not None and len(self.admin_token) < 16:
            raise BadInputError("--admin-token must be at least 16 characters")
        if self.webhooks and not self.webhook_secret:
            raise BadInputError(
                "--webhook needs a signing secret: --webhook-secret or the STREAM_OCR_WEBHOOK_SECRET variable"
            )


@dataclass(frozen=True)
class ServerConfig:
    """The web server: where it listens, what it serves, and its limits."""

    host: str = "127.0.0.1"
    port: int = 5000
    # Measured faster and steadier for this CPU-bound server: see README "Event loop".
    async_mode: str = "threading"
    max_request_bytes: int = 25 * 1024 * 1024
    image_limits: ImageLimits = field(default_factory=ImageLimits)
    web_dir: Path | None = None
    metrics_interval_s: float = 1.0
    # Uploaded videos: the largest accepted, and where jobs keep their files (default: a
    # temporary folder removed at exit).
    max_video_bytes: int = 500 * 1024 * 1024
    jobs_dir: Path | None = None
    # An uploaded video declared longer than this is refused before it is read (frames over
    # ``image_limits.max_pixels`` too); one that declares no length is read up to it.
    max_video_seconds: float = 4 * 3600
    shares: ShareConfig = field(default_factory=ShareConfig)
    # Per client address (flask-limiter's syntax): still-image requests, and video uploads.
    api_rate_limit: str = "120/minute"
    upload_rate_limit: str = "30/hour"
    # Socket.IO connections open at once from one client address.
    max_connections_per_address: int = 20
    # Host names served besides IP literals and localhost (server.security; "*": any).
    allowed_hosts: tuple[str, ...] = ()
    # /healthz answers 503 when the inference thread has spent this long on one frame.
    inference_stall_s: float = 120.0
    # Threading mode: gunicorn's threaded worker serves, with this many threads (one per
    # open connection) and at most this many connections accepted at once; Werkzeug's
    # development server only when ``dev_server`` is set.
    dev_server: bool = False
    server_threads: int = 64
    server_max_connections: int = 1000
    # Scaling out (README "Scaling out"): Socket.IO events between web processes through
    # this Redis URL, and the streams' stages on the Ray cluster at ``ray_address``
    # (``auto``: a local Ray instance) with this many engine actors, each with this share.
    message_queue: str | None = None
    ray_address: str | None = None
    engine_actors: int = 1
    engine_actor_cpus: float = 1.0
    engine_actor_gpus: float = 0.0
    # The track history (searched by /api/search) and the watchlist's rules and webhooks.
    history: HistoryConfig = field(default_factory=HistoryConfig)
    watch: WatchConfig = field(default_factory=WatchConfig)

    def __post_init__(self) -> None:
        if self.ray_address is not None and not self.message_queue:
            raise BadInputError(
                "--ray needs --message-queue redis://HOST:PORT/0: stream actors send their events there"
            )
        if self.ray_address is not None and self.async_mode != "threading":
            raise BadInputError("--ray runs in the threading mode only (Ray's calls would block eventlet's loop)")
        if self.message_queue is not None and not self.message_queue.startswith(("redis://", "rediss://")):
            raise BadInputError(f"--message-queue takes a redis:// URL, got {self.message_queue!r}")
        if self.ray_address is not None and (self.history.db_url or self.watch.rules or self.watch.rules_file):
            raise BadInputError("--db and watchlists are not available with --ray in this version")
        if self.engine_actors < 0:
            raise BadInputError("--engine-actors must be >= 0")
        if self.async_mode not in ASYNC_MODES:
            raise BadInputError(f"async mode must be one of {', '.join(ASYNC_MODES)}, got {self.async_mode!r}")
        if not 0 <= self.port <= 65535:
            raise BadInputError(f"port must be 0-65535, got {self.port}")
        if self.server_threads < 1 or self.server_max_connections < self.server_threads:
            raise BadInputError("--server-threads must be >= 1 and --max-server-connections at least as many")
