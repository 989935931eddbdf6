"""Opening the history database: the URL checked, the driver chosen, the schema migrated.

``--db sqlite:///PATH`` (the folder is created) or ``--db postgresql://USER@HOST:PORT/DB``
(psycopg 3, from the ``postgres`` extra). Alembic brings the schema to its newest
revision on every open, so an older database is upgraded in place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from stream_ocr import realthreads
from stream_ocr.errors import BadInputError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def engine_url(url: str) -> str:
    """``url`` with the driver this project uses; a clear error for anything else."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        if not path.name:
            raise BadInputError(f"--db sqlite:///PATH needs a file name, got {url!r}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise BadInputError(
                f"cannot make the history's folder {path.parent}: {e.strerror} (give --data-dir, --db or --no-history)"
            ) from None
        return url
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg://"):
        if url.startswith(prefix):
            try:
                import psycopg  # noqa: F401
            except ImportError:
                raise BadInputError("--db postgresql://... needs psycopg: pip install 'stream-ocr[postgres]'") from None
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise BadInputError(f"--db takes sqlite:///PATH or postgresql://USER@HOST:PORT/DB, got {url!r}")


def migrate(engine: sa.Engine) -> None:
    """Bring the schema to Alembic's head (a new database gets every table)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Write-ahead logging: searches read while the writer writes, and a commit costs one
    append (synchronous NORMAL: a power cut may lose the last batches, never the file)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class OneThreadAtATime:
    """An engine that lets one OS thread at a time into SQLAlchemy: the engine under eventlet.

    Monkey-patching makes SQLAlchemy's own locks green, its connection pool's among them.
    The threads that use the history are OS threads (the writer, the webhook sender, and
    eventlet's tpool, where requests run their queries), and a green lock that two OS threads
    contend for loses its waiter (eventlet issue 432): eight searches at once hung every
    later request. A real lock, held for the whole of each ``begin``/``connect`` block, means
    SQLAlchemy's locks are never contended. Reentrant: a block may open another.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._lock = realthreads.threading.RLock()

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        with self._lock, self._engine.begin() as conn:
            yield conn

    @contextmanager
    def connect(self) -> Iterator[sa.Connection]:
        with self._lock, self._engine.connect() as conn:
            yield conn

    def dispose(self) -> None:
        with self._lock:
            self._engine.dispose()

    def __getattr__(self, name: str):
        return getattr(self._engine, name)  # the dialect, the URL: no pool involved


def open_database(url: str) -> sa.Engine:
    """A connection pool on ``url``, migrated; fails at once if the database cannot be reached."""
    engine = sa.create_engine(engine_url(url), pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    try:
        migrate(engine)
    except sa.exc.OperationalError as e:
        raise BadInputError(f"cannot open the history database {safe_url(url)}: {e.orig}") from None
    if realthreads.locks_are_green():
        return OneThreadAtATime(engine)  # type: ignore[return-value]  (the same begin/connect)
    return engine


def safe_url(url: str) -> str:
    """``url`` without its password, for logs and errors."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001  (a URL too broken to parse is shown as its scheme)
        return url.split(":", 1)[0] + "://..."
