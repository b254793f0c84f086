"""Torch-free reader for PyTorch .pth state dicts (legacy and zip formats).

load(path) -> dict name -> numpy array (float tensors as float32 or the
stored dtype), with torch's shape/stride/offset reproduced via as_strided.
Only what state_dict files need: storages, _rebuild_tensor_v2, OrderedDict.
"""

import collections
import io
import pickle
import struct
import zipfile

import numpy as np

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C

_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class _StorageType:
    def __init__(self, name):
        self.dtype = np.dtype(_DTYPES[name])


class _Storage:
    """Placeholder filled with a flat numpy array once the data is read."""

    def __init__(self, dtype):
        self.dtype = dtype
        self.array = None


class _Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset = storage, offset
        self.size, self.stride = tuple(size), tuple(stride)

    def numpy(self):
        flat = self.storage.array
        item = flat.itemsize
        view = np.lib.stride_tricks.as_strided(
            flat[self.offset:],
            shape=self.size,
            strides=tuple(s * item for s in self.stride),
        )
        return np.array(view)  # own the memory, contiguous


def _rebuild_tensor_v2(storage, offset, size, stride, *_ignored):
    return _Tensor(storage, offset, size, stride)


def _rebuild_parameter(data, *_ignored):
    return data


class _Unpickler(pickle.Unpickler):
    def __init__(self, f, storages):
        super().__init__(f, encoding="latin1")
        self.storages = storages

    def find_class(self, module, name):
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch._utils" and name == "_rebuild_parameter":
            return _rebuild_parameter
        if module == "torch" and name in _DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"unsupported global {module}.{name}")

    def persistent_load(self, pid):
        kind, stype, key, _location, _numel = pid[:5]
        assert kind == "storage", pid
        if key not in self.storages:
            self.storages[key] = _Storage(stype.dtype)
        return self.storages[key]


def _finish(obj):
    return {k: v.numpy() for k, v in obj.items() if isinstance(v, _Tensor)}


def _load_legacy(f):
    def plain():
        return pickle.Unpickler(f, encoding="latin1").load()

    if plain() != LEGACY_MAGIC:
        raise ValueError("not a legacy torch file (bad magic)")
    if plain() != 1001:
        raise ValueError("unsupported legacy protocol version")
    sys_info = plain()
    if not sys_info.get("little_endian", True):
        raise ValueError("big-endian files unsupported")
    storages = {}
    obj = _Unpickler(f, storages).load()
    for key in plain():
        st = storages[key]
        (numel,) = struct.unpack("<q", f.read(8))
        raw = f.read(numel * st.dtype.itemsize)
        st.array = np.frombuffer(raw, dtype=st.dtype.newbyteorder("<"))
    return _finish(obj)


def _load_zip(path):
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        pkl = next(n for n in names if n.endswith("/data.pkl") or n == "data.pkl")
        prefix = pkl[: -len("data.pkl")]
        storages = {}
        obj = _Unpickler(io.BytesIO(z.read(pkl)), storages).load()
        for key, st in storages.items():
            raw = z.read(f"{prefix}data/{key}")
            st.array = np.frombuffer(raw, dtype=st.dtype.newbyteorder("<"))
    return _finish(obj)


def load(path):
    """Return the state dict at `path` as {name: numpy array}."""
    if zipfile.is_zipfile(path):
        return _load_zip(path)
    with open(path, "rb") as f:
        return _load_legacy(f)
