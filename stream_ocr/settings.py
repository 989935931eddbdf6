"""Settings: the command line, a config file and the environment, filling the config dataclasses.

A field of a config dataclass (``config.py``, ``video.job.VideoJob``) is a *setting* when it
is declared with ``setting(...)``: its help, and where needed its flag, choices and a
parser for text. From that one declaration:

* ``add_settings(parser, Config)`` adds its ``--flag`` options, nested configs' included
  (a field's flag is its name, ``retain_days`` -> ``--retain-days``, unless it names
  another; a boolean that is on by default has a ``--no-...`` flag that turns it off);
* ``gather(args, Config, ..., file=..., environ=...)`` collects what was given for them,
  highest first: the command line, ``STREAM_OCR_<FLAG>`` environment variables
  (``STREAM_OCR_RETAIN_DAYS=7``), and the ``--config`` JSON file, whose keys are the
  flags' names (``{"engine": "rapidocr", "retain-days": 7}``);
* ``fill(Config, given)`` builds the dataclass from that. What was not given keeps the
  field's default, or its ``command_default`` (what the command line uses where the
  library's default differs: ``serve`` keeps a history in the data folder).

Values are converted here and checked in one place: the dataclass's own ``__post_init__``.
"""

from __future__ import annotations

import argparse
import json
import os
import typing
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from pathlib import Path
from types import NoneType, UnionType
from typing import Any

from stream_ocr.errors import BadInputError

ENV_PREFIX = "STREAM_OCR_"


def setting(
    default: Any = MISSING,
    *,
    help: str,
    flag: str | None = None,
    choices: tuple[str, ...] | None = None,
    metavar: str | None = None,
    parse: Callable[[str], Any] | None = None,
    split: str | None = None,
    default_factory: Callable[[], Any] | None = None,
    command_default: Callable[[], Any] | None = None,
) -> Any:
    """A dataclass field that the command line, the environment and a config file can set.

    ``parse`` turns text into the value (default: by the field's type); ``split`` cuts each
    text of a tuple setting into several items."""
    metadata = {
        "setting": {
            "help": help,
            "flag": flag,
            "choices": choices,
            "metavar": metavar,
            "parse": parse,
            "split": split,
            "command_default": command_default,
        }
    }
    if default_factory is not None:
        return field(default_factory=default_factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Setting:
    """One setting as read from its field: where it goes, how it is named and converted."""

    name: str
    key: str  # the flag without its dashes: "retain-days"
    kind: type  # bool, int, float, str, Path or tuple (of str)
    help: str
    default: Any
    choices: tuple[str, ...] | None
    metavar: str | None
    parse: Callable[[str], Any] | None
    split: str | None
    command_default: Callable[[], Any] | None

    @property
    def flag(self) -> str:
        return "--" + self.key

    @property
    def dest(self) -> str:
        return self.key.replace("-", "_")

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.dest.upper()

    @property
    def inverted(self) -> bool:
        """A boolean on by default, set by a ``--no-...`` flag that turns it off."""
        return self.kind is bool and self.default is True

    def checked(self, value: Any) -> Any:
        """``value``, if it is one of the setting's choices (the command line's argparse checks
        its own; this checks the environment's and the file's)."""
        if self.choices is not None and value not in self.choices:
            raise BadInputError(f"{self.key} is one of {', '.join(self.choices)}, got {value!r}")
        return value

    def from_text(self, text: str) -> Any:
        """The value of one text (a flag's argument, an environment variable)."""
        if self.parse is not None:
            return self.parse(text)
        if self.kind is bool:
            lowered = text.strip().lower()
            if lowered not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                raise ValueError(f"{self.key} is true or false, got {text!r}")
            on = lowered in ("1", "true", "yes", "on")
            return not on if self.inverted else on
        if self.kind is tuple:
            parts = text.split(self.split) if self.split else [text]
            return tuple(p.strip() for p in parts if p.strip())
        if self.kind is Path:
            return Path(text).expanduser()
        return self.kind(text)

    def from_json(self, value: Any, where: str) -> Any:
        """The value of one config-file entry, whose JSON type must fit."""
        if value is None:
            if self.default is None:  # an optional setting: null is its "none"
                return None
            raise BadInputError(f"{where}: {self.key} cannot be null")
        if self.parse is not None:
            if not isinstance(value, str):
                raise BadInputError(f"{where}: {self.key} is a string, got {value!r}")
            return self.parse(value)
        if self.kind is bool:
            if not isinstance(value, bool):
                raise BadInputError(f"{where}: {self.key} is true or false, got {value!r}")
            return not value if self.inverted else value
        if self.kind is tuple:
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise BadInputError(f"{where}: {self.key} is a list of strings, got {value!r}")
            return tuple(p for item in items for p in self.from_text(item))
        if self.kind in (int, float) and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise BadInputError(f"{where}: {self.key} is a number, got {value!r}")
        if self.kind is int and not float(value).is_integer():
            raise BadInputError(f"{where}: {self.key} is a whole number, got {value!r}")
        if self.kind in (str, Path) and not isinstance(value, str):
            raise BadInputError(f"{where}: {self.key} is a string, got {value!r}")
        return Path(value).expanduser() if self.kind is Path else self.kind(value)


def _kind(annotation: Any) -> type:
    """The base type of a field's annotation: ``float | None`` -> float, ``tuple[str, ...]`` -> tuple."""
    args = typing.get_args(annotation)
    if isinstance(annotation, UnionType) or typing.get_origin(annotation) is typing.Union:
        (inner,) = [a for a in args if a is not NoneType]
        return _kind(inner)
    origin = typing.get_origin(annotation)
    if origin is tuple:
        return tuple
    return annotation


def _default(f: Any) -> Any:
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return None


def settings_of(cls: type) -> list[Setting]:
    """The settings declared on ``cls`` itself (not its nested configs)."""
    hints = typing.get_type_hints(cls)
    out = []
    for f in fields(cls):
        meta = f.metadata.get("setting")
        if meta is None:
            continue
        key = (meta["flag"] or f"--{f.name.replace('_', '-')}").removeprefix("--")
        out.append(
            Setting(
                name=f.name,
                key=key,
                kind=_kind(hints[f.name]),
                help=meta["help"],
                default=_default(f),
                choices=meta["choices"],
                metavar=meta["metavar"],
                parse=meta["parse"],
                split=meta["split"],
                command_default=meta["command_default"],
            )
        )
    return out


def nested_configs(cls: type) -> dict[str, type]:
    """``cls``'s fields that are config dataclasses themselves, by field name."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in fields(cls) if is_dataclass(hints[f.name])}


def all_settings(cls: type) -> list[Setting]:
    """``cls``'s settings and its nested configs', depth first."""
    out = settings_of(cls)
    for inner in nested_configs(cls).values():
        out += all_settings(inner)
    return out


def _shown_default(s: Setting) -> str:
    value = s.command_default() if s.command_default is not None else s.default
    if s.kind is bool or value is None or value == ():
        return ""
    return f" (default {value:,})" if isinstance(value, int) and value >= 10_000 else f" (default {value})"


def _argparse_type(s: Setting) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return s.from_text(text)
        except BadInputError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    convert.__name__ = "number" if s.kind in (int, float) else s.kind.__name__
    return convert


def add_settings(parser: argparse.ArgumentParser | Any, cls: type, skip: tuple[str, ...] = ()) -> None:
    """Add ``cls``'s settings, nested ones included, to ``parser`` (or an argument group).

    Nothing is given a default here: an option left out is absent from the parsed
    arguments, so that the environment and the config file can still set it."""
    for s in all_settings(cls):
        if s.key in skip:
            continue
        help_text = s.help + _shown_default(s) + f"; ${s.env}"
        if s.kind is bool:
            parser.add_argument(
                s.flag,
                dest=s.dest,
                action="store_const",
                const=not s.inverted,
                default=argparse.SUPPRESS,
                help=help_text,
            )
        elif s.kind is tuple and s.parse is None:
            parser.add_argument(
                s.flag,
                dest=s.dest,
                action="append",
                default=argparse.SUPPRESS,
                metavar=s.metavar,
                help=help_text + " (repeatable)",
            )
        else:
            parser.add_argument(
                s.flag,
                dest=s.dest,
                type=_argparse_type(s),
                choices=s.choices,
                default=argparse.SUPPRESS,
                metavar=s.metavar,
                help=help_text,
            )


def read_config_file(path: Path | None) -> dict[str, Any]:
    """A ``--config`` file's JSON object, keys with ``_`` taken as ``-``; {} for none."""
    if path is None:
        return {}
    try:
        data = json.loads(Path(path).read_text())
    except OSError as e:
        raise BadInputError(f"cannot read the config file {path}: {e.strerror or e}") from None
    except ValueError as e:
        raise BadInputError(f"the config file {path} is not JSON: {e}") from None
    if not isinstance(data, dict):
        raise BadInputError(f"the config file {path} holds a JSON object of settings, got {type(data).__name__}")
    return _keys_as_flags(data)


def _keys_as_flags(file: Mapping[str, Any]) -> dict[str, Any]:
    """A file's keys as the flags are named: ``retain_days`` is ``retain-days``."""
    return {str(k).replace("_", "-"): v for k, v in file.items()}


def check_file_keys(
    file: Mapping[str, Any], classes: tuple[type, ...], others: tuple[str, ...], file_name: str
) -> None:
    """Refuse a config file's key that is no setting of ``classes`` nor one of ``others``
    (which the command reads itself), naming the known ones: a typo is not ignored."""
    known = {s.key for cls in classes for s in all_settings(cls)} | set(others)
    unknown = sorted(set(_keys_as_flags(file)) - known)
    if unknown:
        raise BadInputError(f"{file_name}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")


def gather(
    args: argparse.Namespace,
    classes: tuple[type, ...],
    file: Mapping[str, Any] | None = None,
    file_name: str = "the config file",
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """What was given for the settings of ``classes``, by key: from ``args`` over the
    environment over ``file``, each converted to its field's type."""
    environ = os.environ if environ is None else environ
    file = _keys_as_flags(file or {})
    given: dict[str, Any] = {}
    for s in (s for cls in classes for s in all_settings(cls)):
        if hasattr(args, s.dest):
            value = getattr(args, s.dest)
            if s.kind is tuple and s.parse is None:  # each repeat of the flag, split
                value = tuple(p for text in value for p in s.from_text(text))
            given[s.key] = value
        elif s.env in environ:
            try:
                given[s.key] = s.checked(s.from_text(environ[s.env]))
            except (ValueError, BadInputError) as e:
                raise BadInputError(f"${s.env}: {e}") from None
        elif s.key in file:
            try:
                given[s.key] = s.checked(s.from_json(file[s.key], file_name))
            except ValueError as e:
                raise BadInputError(f"{file_name}: {s.key}: {e}") from None
    return given


def fill(cls: type, given: Mapping[str, Any]) -> Any:
    """``cls`` built from ``given`` (``gather``'s result), nested configs too; checked by
    its own ``__post_init__``."""
    values: dict[str, Any] = {}
    for s in settings_of(cls):
        if s.key in given:
            values[s.name] = given[s.key]
        elif s.command_default is not None:
            values[s.name] = s.command_default()
    for name, inner in nested_configs(cls).items():
        if any(s.key in given or s.command_default is not None for s in all_settings(inner)):
            values[name] = fill(inner, given)
    return cls(**values)
