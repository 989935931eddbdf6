"""Read PyTorch ``.pth`` checkpoints into NumPy arrays without PyTorch.

Owns the file format only: both the zip format (PyTorch >= 1.6) and the older
"legacy" stream format. It must never import torch, and its unpickler admits
nothing but the few classes a plain state dict is made of, so a hostile file
cannot run code.
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from stream_ocr.errors import WeightsError

_STORAGE_DTYPES: dict[str, np.dtype] = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}

# The first object of a legacy-format file.
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


@dataclass(frozen=True)
class _StorageType:
    dtype: np.dtype


@dataclass
class _Storage:
    """A flat buffer; ``data`` is filled in once its bytes have been read."""

    dtype: np.dtype
    numel: int
    data: np.ndarray | None = None


@dataclass(frozen=True)
class _PendingTensor:
    storage: _Storage
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]

    def to_numpy(self) -> np.ndarray:
        if self.storage.data is None:
            raise WeightsError("checkpoint is incomplete: a tensor's storage was never read")
        flat = self.storage.data
        itemsize = flat.dtype.itemsize
        needed = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride)) + 1
        if any(n == 0 for n in self.size):
            return np.zeros(self.size, dtype=flat.dtype)
        if needed > flat.size:
            raise WeightsError("checkpoint is corrupt: a tensor reaches past its storage")
        view = np.lib.stride_tricks.as_strided(
            flat[self.offset :],
            shape=self.size,
            strides=tuple(s * itemsize for s in self.stride),
        )
        return np.array(view)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, hooks=None, metadata=None):
    return _PendingTensor(storage, int(storage_offset), tuple(size), tuple(stride))


def _rebuild_parameter(data, requires_grad=False, hooks=None):
    return data


_ALLOWED: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}
_ALLOWED.update({("torch", name): _StorageType(dtype) for name, dtype in _STORAGE_DTYPES.items()})


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file: BinaryIO, storages: dict[str, _Storage], read_storage=None):
        super().__init__(file)
        self._storages = storages
        self._read_storage = read_storage

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise WeightsError(
                f"checkpoint refers to {module}.{name}, which a plain weights file never needs; refusing to load it"
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        if not isinstance(pid, tuple) or not pid or pid[0] != "storage":
            raise WeightsError(f"checkpoint has an unsupported persistent id {pid!r:.60}")
        storage_type, key, _location, numel = pid[1:5]
        if not isinstance(storage_type, _StorageType):
            raise WeightsError("checkpoint names an unknown storage type")
        key = str(key)
        if key not in self._storages:
            storage = _Storage(storage_type.dtype, int(numel))
            if self._read_storage is not None:
                storage.data = self._read_storage(key, storage)
            self._storages[key] = storage
        return self._storages[key]


def _materialize(obj: Any) -> Any:
    if isinstance(obj, _PendingTensor):
        return obj.to_numpy()
    if isinstance(obj, dict):
        return collections.OrderedDict((k, _materialize(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_materialize(v) for v in obj)
    return obj


def _load_zip(path: Path) -> Any:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pkl = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
        if not pkl:
            raise WeightsError(f"{path} is a zip file but holds no data.pkl: not a PyTorch checkpoint")
        prefix = pkl[0][: -len("data.pkl")]

        def read_storage(key: str, storage: _Storage) -> np.ndarray:
            raw = archive.read(f"{prefix}data/{key}")
            data = np.frombuffer(raw, dtype=storage.dtype)
            if data.size < storage.numel:
                raise WeightsError(f"{path}: storage {key} is truncated")
            return data

        with archive.open(pkl[0]) as f:
            obj = _RestrictedUnpickler(io.BytesIO(f.read()), {}, read_storage).load()
    return _materialize(obj)


def _load_legacy(path: Path) -> Any:
    with open(path, "rb") as f:
        plain = _RestrictedUnpickler(f, {})
        if plain.load() != _LEGACY_MAGIC:
            raise WeightsError(f"{path} is not a PyTorch checkpoint")
        plain.load()  # protocol version
        plain.load()  # sys info
        storages: dict[str, _Storage] = {}
        obj = _RestrictedUnpickler(f, storages).load()
        keys = _RestrictedUnpickler(f, {}).load()
        for key in keys:
            storage = storages[str(key)]
            (numel,) = struct.unpack("<q", f.read(8))
            nbytes = numel * storage.dtype.itemsize
            raw = f.read(nbytes)
            if len(raw) != nbytes:
                raise WeightsError(f"{path} is truncated")
            storage.data = np.frombuffer(raw, dtype=storage.dtype)
    return _materialize(obj)


def load_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """Load a PyTorch state dict as ``{name: ndarray}``."""
    path = Path(path)
    try:
        if zipfile.is_zipfile(path):
            obj = _load_zip(path)
        else:
            obj = _load_legacy(path)
    except WeightsError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, KeyError, struct.error) as e:
        raise WeightsError(f"{path} is not a readable PyTorch checkpoint: {e}") from e
    if not isinstance(obj, dict):
        raise WeightsError(f"{path} does not hold a state dict")
    return obj
