"""Open a GGUF file quickly: parse the header once, memory-map the tensor data, dequantize on demand.

``gguf.GGUFReader`` builds a numpy view for every field part (about 100k of them for a 49k vocabulary) and
takes ~3.6 s to open SmolLM2-135M. The header format is small, so we parse it ourselves with ``struct``
(strings) and ``np.frombuffer`` (numeric arrays) and only lean on ``gguf`` for the quantization tables and
``gguf.quants.dequantize``, which is correct and vectorized.

Layout (little-endian, version 2 and 3)::

    "GGUF" u32 version | u64 n_tensors | u64 n_kv | n_kv x (key, u32 type, value)
    n_tensors x (name, u32 n_dims, n_dims x u64 dim (innermost first), u32 ggml_type, u64 offset)
    padding to ``general.alignment`` | tensor data (offsets relative to here)
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType
from gguf.quants import dequantize

_MAGIC = b"GGUF"
_DEFAULT_ALIGNMENT = 32

# GGUF value type id -> (struct format, numpy dtype) for fixed-size scalars.
_SCALARS: dict[int, tuple[str, str]] = {
    0: ("<B", "<u1"),
    1: ("<b", "<i1"),
    2: ("<H", "<u2"),
    3: ("<h", "<i2"),
    4: ("<I", "<u4"),
    5: ("<i", "<i4"),
    6: ("<f", "<f4"),
    7: ("<?", "<u1"),  # bool
    10: ("<Q", "<u8"),
    11: ("<q", "<i8"),
    12: ("<d", "<f8"),
}
_STRING, _ARRAY, _BOOL = 8, 9, 7

T = TypeVar("T")


class GGUFError(ValueError):
    """The file is not a GGUF file we can read, or a field has the wrong type."""


@dataclass(frozen=True)
class TensorInfo:
    """Where one tensor lives in the file.

    Attributes:
        name: GGUF tensor name, e.g. ``blk.0.attn_q.weight``.
        shape: numpy (row-major) shape, i.e. GGUF's dims reversed: ``[576, 49152]`` in the file is ``(49152, 576)``.
        qtype: ggml storage type (F32, Q4_1, ...).
        offset: absolute byte offset of the data in the file.
        nbytes: size of the stored data in bytes.
    """

    name: str
    shape: tuple[int, ...]
    qtype: GGMLQuantizationType
    offset: int
    nbytes: int


class _Cursor:
    """Sequential little-endian reader over a buffer."""

    def __init__(self, buf: mmap.mmap) -> None:
        self.buf = buf
        self.pos = 0

    def scalar(self, fmt: str) -> Any:
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        n = self.scalar("<Q")
        raw = self.buf[self.pos : self.pos + n]
        self.pos += n
        return raw.decode("utf-8", errors="surrogateescape")

    def value(self, vtype: int) -> Any:
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            etype, count = self.scalar("<I"), self.scalar("<Q")
            if etype in _SCALARS:
                # Numeric arrays (token types, scores) in one vectorized read.
                dtype = np.dtype(_SCALARS[etype][1])
                arr = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos).copy()
                self.pos += count * dtype.itemsize
                return arr.astype(bool).tolist() if etype == _BOOL else arr.tolist()
            return [self.value(etype) for _ in range(count)]
        if vtype in _SCALARS:
            v = self.scalar(_SCALARS[vtype][0])
            return bool(v) if vtype == _BOOL else v
        raise GGUFError(f"unknown GGUF value type {vtype} at byte {self.pos}")


class GGUFFile:
    """A GGUF file opened for reading: metadata parsed once, tensors dequantized on demand.

    Example:
        >>> f = GGUFFile("SmolLM2-135M-Instruct.Q4_1.gguf")  # doctest: +SKIP
        >>> f.get_str("general.architecture")  # doctest: +SKIP
        'llama'
        >>> f.load("token_embd.weight").shape  # doctest: +SKIP
        (49152, 576)

    Args:
        path: the ``.gguf`` file.

    Raises:
        GGUFError: bad magic, unsupported version or a malformed header.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        with open(self.path, "rb") as fh:
            self._mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        cur = _Cursor(self._mm)
        if self._mm[:4] != _MAGIC:
            raise GGUFError(f"{self.path}: not a GGUF file (magic {self._mm[:4]!r})")
        cur.pos = 4
        self.version: int = cur.scalar("<I")
        if self.version not in (2, 3):
            raise GGUFError(f"{self.path}: GGUF version {self.version} not supported (need 2 or 3)")
        n_tensors, n_kv = cur.scalar("<Q"), cur.scalar("<Q")
        self.metadata: dict[str, Any] = {}
        for _ in range(n_kv):
            key = cur.string()
            self.metadata[key] = cur.value(cur.scalar("<I"))
        raw_infos = []
        for _ in range(n_tensors):
            name = cur.string()
            n_dims = cur.scalar("<I")
            dims = [cur.scalar("<Q") for _ in range(n_dims)]
            raw_infos.append((name, dims, cur.scalar("<I"), cur.scalar("<Q")))
        align = int(self.metadata.get("general.alignment", _DEFAULT_ALIGNMENT))
        data_start = -(-cur.pos // align) * align
        self.tensors: dict[str, TensorInfo] = {}
        for name, dims, qtype_id, offset in raw_infos:
            qtype = GGMLQuantizationType(qtype_id)
            block, type_size = GGML_QUANT_SIZES[qtype]
            n_elements = int(np.prod(dims)) if dims else 1
            nbytes = n_elements // block * type_size
            self.tensors[name] = TensorInfo(name, tuple(reversed(dims)), qtype, data_start + offset, nbytes)

    # --- metadata -----------------------------------------------------------------------------------

    @property
    def architecture(self) -> str:
        """``general.architecture`` (``llama``, ``qwen2``, ``qwen3``, ...)."""
        return self.get_str("general.architecture")

    def get(self, key: str, default: Any = None) -> Any:
        """The raw metadata value of ``key``, or ``default`` when absent."""
        return self.metadata.get(key, default)

    def _typed(self, key: str, types: type | tuple[type, ...], default: Any) -> Any:
        if key not in self.metadata:
            if default is _REQUIRED:
                raise GGUFError(f"{self.path.name}: missing metadata field {key!r}")
            return default
        value = self.metadata[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in _as_tuple(types)):
            raise GGUFError(f"{self.path.name}: field {key!r} is {type(value).__name__}, expected {types}")
        return value

    def get_int(self, key: str, default: Any = ...) -> int:
        """An integer field; raises ``GGUFError`` if absent (without ``default``) or not an integer."""
        return int(self._typed(key, int, _REQUIRED if default is ... else default))

    def get_float(self, key: str, default: Any = ...) -> float:
        """A float field (integers are accepted and converted)."""
        return float(self._typed(key, (int, float), _REQUIRED if default is ... else default))

    def get_str(self, key: str, default: Any = ...) -> str:
        """A string field."""
        return str(self._typed(key, str, _REQUIRED if default is ... else default))

    def get_bool(self, key: str, default: Any = ...) -> bool:
        """A boolean field."""
        return bool(self._typed(key, bool, _REQUIRED if default is ... else default))

    def get_list(self, key: str, default: Any = ...) -> list[Any]:
        """An array field as a Python list."""
        return list(self._typed(key, list, _REQUIRED if default is ... else default))

    # --- tensors ------------------------------------------------------------------------------------

    def raw(self, name: str) -> np.ndarray:
        """The stored bytes of tensor ``name`` as a read-only ``uint8`` view of the mapped file."""
        info = self._info(name)
        return np.frombuffer(self._mm, dtype=np.uint8, count=info.nbytes, offset=info.offset)

    def load(self, name: str) -> np.ndarray:
        """Dequantize tensor ``name`` to a new float32 array of shape ``TensorInfo.shape`` (numpy order).

        Raises:
            KeyError: no tensor of that name.
            NotImplementedError: ``gguf.quants`` cannot dequantize its type.
        """
        info = self._info(name)
        rows = int(np.prod(info.shape[:-1])) if len(info.shape) > 1 else 1
        data = self.raw(name).reshape(rows, -1)  # (rows, bytes per row): the layout gguf.quants expects
        out = dequantize(data, info.qtype)
        return np.array(out, dtype=np.float32, copy=True).reshape(info.shape)

    def _info(self, name: str) -> TensorInfo:
        try:
            return self.tensors[name]
        except KeyError:
            raise KeyError(f"{self.path.name}: no tensor {name!r}") from None

    def close(self) -> None:
        """Release the memory map (arrays returned by ``load`` stay valid; ``raw`` views do not)."""
        self._mm.close()

    def __enter__(self) -> GGUFFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_REQUIRED = object()


def _as_tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)
