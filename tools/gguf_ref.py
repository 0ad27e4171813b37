#!/usr/bin/python3
"""Independent GGUF v2/v3 reader (and a small writer) in pure Python + numpy.

This is the ground truth the C++ tests compare against, so it is written from
the format description only (header, typed key/value metadata, tensor infos,
aligned data section) and ggml's block layouts for the quantized types.

Usage as a library:
    g = GGUFFile("model.gguf")
    g.metadata["llama.block_count"]      # python int / float / bool / str,
                                          # numeric arrays as numpy arrays,
                                          # string / nested arrays as lists
    g.tensors["token_embd.weight"]       # TensorInfo (ggml ne order, type, offset)
    g.tensor("token_embd.weight")        # float32 numpy array, shape = reversed(ne)
    g.raw("blk.0.attn_q.weight")         # the stored bytes as a uint8 array

Usage as a script:
    /usr/bin/python3 tools/gguf_ref.py MODEL.gguf [--tensor NAME [--out x.npy]]

Every multi-byte value is little-endian. Big-endian GGUF files are rejected.
"""

import math
import mmap
import struct
import sys

import numpy as np

GGUF_MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
QK_K = 256

# GGUF metadata value types.
T_UINT8, T_INT8, T_UINT16, T_INT16, T_UINT32, T_INT32, T_FLOAT32, T_BOOL, \
    T_STRING, T_ARRAY, T_UINT64, T_INT64, T_FLOAT64 = range(13)

_SCALAR_FMT = {
    T_UINT8: "<u1", T_INT8: "<i1", T_UINT16: "<u2", T_INT16: "<i2",
    T_UINT32: "<u4", T_INT32: "<i4", T_FLOAT32: "<f4", T_BOOL: "<u1",
    T_UINT64: "<u8", T_INT64: "<i8", T_FLOAT64: "<f8",
}
VALUE_TYPE_NAMES = {
    T_UINT8: "UINT8", T_INT8: "INT8", T_UINT16: "UINT16", T_INT16: "INT16",
    T_UINT32: "UINT32", T_INT32: "INT32", T_FLOAT32: "FLOAT32", T_BOOL: "BOOL",
    T_STRING: "STRING", T_ARRAY: "ARRAY", T_UINT64: "UINT64", T_INT64: "INT64",
    T_FLOAT64: "FLOAT64",
}

# ggml tensor types: id -> (name, elements per block, bytes per block).
GGML_TYPES = {
    0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20),
    6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 36),
    10: ("Q2_K", QK_K, 84), 11: ("Q3_K", QK_K, 110), 12: ("Q4_K", QK_K, 144),
    13: ("Q5_K", QK_K, 176), 14: ("Q6_K", QK_K, 210), 15: ("Q8_K", QK_K, 292),
    16: ("IQ2_XXS", QK_K, 66), 17: ("IQ2_XS", QK_K, 74), 18: ("IQ3_XXS", QK_K, 98),
    19: ("IQ1_S", QK_K, 50), 20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", QK_K, 110),
    22: ("IQ2_S", QK_K, 82), 23: ("IQ4_XS", QK_K, 136), 24: ("I8", 1, 1),
    25: ("I16", 1, 2), 26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8),
    29: ("IQ1_M", QK_K, 56), 30: ("BF16", 1, 2), 34: ("TQ1_0", QK_K, 54),
    35: ("TQ2_0", QK_K, 66),
}
GGML_TYPE_IDS = {v[0]: k for k, v in GGML_TYPES.items()}


class GGUFError(ValueError):
    """Raised for malformed or unsupported GGUF input."""


# --------------------------------------------------------------------------
# Dequantization. Each function takes the raw bytes of whole blocks as a
# (n_blocks, bytes_per_block) uint8 array and returns (n_blocks, block_elems)
# float32, doing the arithmetic in float32 in the same order as ggml's scalar
# reference so results are normally bit-identical.
# --------------------------------------------------------------------------

def _f16(b, lo):
    """Column of fp16 values stored at byte offset lo of each block -> (n,1) f32."""
    return np.ascontiguousarray(b[:, lo:lo + 2]).view("<f2").astype(np.float32)


def _f32(b, lo):
    return np.ascontiguousarray(b[:, lo:lo + 4]).view("<f4").astype(np.float32)


def _nibbles(qs):
    """(n, 16) packed bytes -> (n, 32): low nibbles first, then high nibbles."""
    return np.concatenate([qs & 0x0F, qs >> 4], axis=1)


def _bits32(b, lo):
    """uint32 at byte offset lo -> (n, 32) array of its bits, bit e in column e."""
    qh = np.ascontiguousarray(b[:, lo:lo + 4]).view("<u4")  # (n, 1)
    return ((qh >> np.arange(32, dtype=np.uint32)) & 1).astype(np.uint8)


def _dq_q4_0(b):
    d = _f16(b, 0)
    q = _nibbles(b[:, 2:18]).astype(np.int8) - np.int8(8)
    return q.astype(np.float32) * d


def _dq_q4_1(b):
    d, m = _f16(b, 0), _f16(b, 2)
    q = _nibbles(b[:, 4:20]).astype(np.float32)
    return q * d + m


def _dq_q5_0(b):
    d = _f16(b, 0)
    q = (_nibbles(b[:, 6:22]) | (_bits32(b, 2) << 4)).astype(np.int8) - np.int8(16)
    return q.astype(np.float32) * d


def _dq_q5_1(b):
    d, m = _f16(b, 0), _f16(b, 2)
    q = (_nibbles(b[:, 8:24]) | (_bits32(b, 4) << 4)).astype(np.float32)
    return q * d + m


def _dq_q8_0(b):
    d = _f16(b, 0)
    return b[:, 2:34].view(np.int8).astype(np.float32) * d


def _dq_q8_1(b):
    d = _f16(b, 0)  # b[:, 2:4] holds d * sum(qs), unused for dequantization
    return b[:, 4:36].view(np.int8).astype(np.float32) * d


_E = np.arange(QK_K)  # element index inside a super-block


def _dq_q2_k(b):
    # layout: scales[16], qs[64], d (f16), dmin (f16)
    d, dmin = _f16(b, 80), _f16(b, 82)
    sc = b[:, 0:16]
    h, j, k, l = _E // 128, (_E // 32) % 4, (_E // 16) % 2, _E % 16
    q = (b[:, 16 + 32 * h + 16 * k + l] >> (2 * j)) & 3          # (n, 256)
    s = sc[:, _E // 16]
    dl = d * (s & 0xF).astype(np.float32)
    ml = dmin * (s >> 4).astype(np.float32)
    return dl * q.astype(np.float32) - ml


def _q3_k_scales(sb):
    """12 packed bytes -> 16 signed 6-bit scales (minus 32), as int8."""
    s = np.arange(16)
    low = (sb[:, s % 8] >> (4 * (s // 8))) & 0xF
    high = (sb[:, 8 + s % 4] >> (2 * (s // 4))) & 3
    return (low | (high << 4)).astype(np.int8) - np.int8(32)


def _dq_q3_k(b):
    # layout: hmask[32], qs[64], scales[12], d (f16)
    d = _f16(b, 108)
    scales = _q3_k_scales(b[:, 96:108])
    h, j, k, l = _E // 128, (_E // 32) % 4, (_E // 16) % 2, _E % 16
    q = ((b[:, 32 + 32 * h + 16 * k + l] >> (2 * j)) & 3).astype(np.int8)
    hbit = (b[:, 16 * k + l] >> (4 * h + j)) & 1
    q = q - np.where(hbit == 0, np.int8(4), np.int8(0)).astype(np.int8)
    dl = d * scales[:, _E // 16].astype(np.float32)
    return dl * q.astype(np.float32)


def _k4_scale_min(sb):
    """12 packed bytes -> (scales, mins), each (n, 8) uint8 with 6-bit values."""
    sc = np.empty((sb.shape[0], 8), np.uint8)
    mn = np.empty((sb.shape[0], 8), np.uint8)
    sc[:, :4] = sb[:, 0:4] & 63
    mn[:, :4] = sb[:, 4:8] & 63
    sc[:, 4:] = (sb[:, 8:12] & 0xF) | ((sb[:, 0:4] >> 6) << 4)
    mn[:, 4:] = (sb[:, 8:12] >> 4) | ((sb[:, 4:8] >> 6) << 4)
    return sc, mn


def _dq_q4_k(b):
    # layout: d (f16), dmin (f16), scales[12], qs[128]
    d, dmin = _f16(b, 0), _f16(b, 2)
    sc, mn = _k4_scale_min(b[:, 4:16])
    c, t, l = _E // 64, (_E // 32) % 2, _E % 32
    q = (b[:, 16 + 32 * c + l] >> (4 * t)) & 0xF
    sub = _E // 32
    d1 = d * sc[:, sub].astype(np.float32)
    m1 = dmin * mn[:, sub].astype(np.float32)
    return d1 * q.astype(np.float32) - m1


def _dq_q5_k(b):
    # layout: d (f16), dmin (f16), scales[12], qh[32], qs[128]
    d, dmin = _f16(b, 0), _f16(b, 2)
    sc, mn = _k4_scale_min(b[:, 4:16])
    c, t, l = _E // 64, (_E // 32) % 2, _E % 32
    sub = _E // 32
    q = (b[:, 48 + 32 * c + l] >> (4 * t)) & 0xF
    q = q + ((b[:, 16 + l] >> sub) & 1) * 16
    d1 = d * sc[:, sub].astype(np.float32)
    m1 = dmin * mn[:, sub].astype(np.float32)
    return d1 * q.astype(np.float32) - m1


def _dq_q6_k(b):
    # layout: ql[128], qh[64], scales[16] (int8), d (f16)
    d = _f16(b, 208)
    sc = b[:, 192:208].view(np.int8)
    h, g, l = _E // 128, (_E // 32) % 4, _E % 32
    lo = (b[:, 64 * h + 32 * (g % 2) + l] >> (4 * (g // 2))) & 0xF
    hi = (b[:, 128 + 32 * h + l] >> (2 * g)) & 3
    q = (lo | (hi << 4)).astype(np.int8) - np.int8(32)
    ds = d * sc[:, _E // 16].astype(np.float32)
    return ds * q.astype(np.float32)


def _dq_q8_k(b):
    # layout: d (f32), qs[256] (int8), bsums[16] (int16, unused here)
    d = _f32(b, 0)
    return d * b[:, 4:260].view(np.int8).astype(np.float32)


_DEQUANT = {
    "Q4_0": _dq_q4_0, "Q4_1": _dq_q4_1, "Q5_0": _dq_q5_0, "Q5_1": _dq_q5_1,
    "Q8_0": _dq_q8_0, "Q8_1": _dq_q8_1, "Q2_K": _dq_q2_k, "Q3_K": _dq_q3_k,
    "Q4_K": _dq_q4_k, "Q5_K": _dq_q5_k, "Q6_K": _dq_q6_k, "Q8_K": _dq_q8_k,
}
_PLAIN = {"F32": "<f4", "F64": "<f8", "I8": "<i1", "I16": "<i2", "I32": "<i4", "I64": "<i8"}


def dequantize(raw, type_name, n_elements):
    """Raw bytes (uint8 array or bytes) of a ggml type -> flat float32 array."""
    raw = np.frombuffer(raw, np.uint8) if isinstance(raw, (bytes, bytearray)) else raw
    if type_name == "F16":
        return raw.view("<f2").astype(np.float32)
    if type_name == "BF16":
        return (raw.view("<u2").astype(np.uint32) << 16).view(np.float32)
    if type_name in _PLAIN:
        return raw.view(_PLAIN[type_name]).astype(np.float32)
    if type_name not in _DEQUANT:
        raise NotImplementedError("dequantization of %s is not implemented" % type_name)
    _, blk, size = GGML_TYPES[GGML_TYPE_IDS[type_name]]
    if n_elements % blk or raw.size != n_elements // blk * size:
        raise GGUFError("%s: %d bytes do not hold %d elements" % (type_name, raw.size, n_elements))
    out = _DEQUANT[type_name](raw.reshape(-1, size))
    return np.ascontiguousarray(out, dtype=np.float32).reshape(-1)


# --------------------------------------------------------------------------
# Reader
# --------------------------------------------------------------------------

class TensorInfo:
    """One tensor's description. ne is in ggml order (ne[0] is the fastest axis)."""

    def __init__(self, name, ne, type_id, offset):
        if type_id not in GGML_TYPES:
            raise GGUFError("tensor %s: unknown ggml type %d" % (name, type_id))
        self.name = name
        self.ne = list(ne)
        self.type_id = type_id
        self.type_name, self.block_elems, self.block_bytes = GGML_TYPES[type_id]
        self.offset = offset            # relative to the start of the data section
        self.abs_offset = None          # filled in by the reader
        self.n_elements = math.prod(self.ne)  # exact (no int64 overflow); 1 for 0 dims
        if self.ne and self.ne[0] % self.block_elems:
            raise GGUFError("tensor %s: ne[0]=%d not a multiple of the %s block size %d"
                            % (name, self.ne[0], self.type_name, self.block_elems))
        self.n_bytes = self.n_elements // self.block_elems * self.block_bytes

    @property
    def shape(self):
        """numpy (row-major) shape: reversed ggml ne."""
        return tuple(reversed(self.ne))

    def __repr__(self):
        return "TensorInfo(%s, ne=%s, %s, offset=%d)" % (self.name, self.ne, self.type_name, self.offset)


class _Cursor:
    def __init__(self, buf):
        self.buf, self.pos = buf, 0

    def take(self, n):
        if n < 0 or self.pos + n > len(self.buf):
            raise GGUFError("truncated file: need %d bytes at offset %d" % (n, self.pos))
        p = self.pos
        self.pos += n
        return p

    def scalar(self, fmt):
        size = struct.calcsize(fmt)
        return struct.unpack_from(fmt, self.buf, self.take(size))[0]

    def string(self):
        n = self.scalar("<Q")
        p = self.take(n)
        b = bytes(self.buf[p:p + n])
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError:
            return b  # keep invalid UTF-8 losslessly as bytes


class GGUFFile:
    """Parsed GGUF file. Tensor data is read lazily through a memory map."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self._mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        self.metadata = {}
        self.metadata_types = {}  # key -> type id, or (T_ARRAY, element type id)
        self.tensors = {}         # name -> TensorInfo, in file order
        self._parse()

    def _parse(self):
        c = _Cursor(self._mm)
        if bytes(self._mm[:4]) != GGUF_MAGIC:
            raise GGUFError("not a GGUF file (bad magic)")
        c.take(4)
        self.version = c.scalar("<I")
        if self.version not in (2, 3):
            raise GGUFError("unsupported GGUF version %d (need 2 or 3)" % self.version)
        n_tensors, n_kv = c.scalar("<Q"), c.scalar("<Q")
        for _ in range(n_kv):
            key = c.string()
            vtype = c.scalar("<I")
            if key in self.metadata:
                raise GGUFError("duplicate metadata key %r" % key)
            self.metadata[key], self.metadata_types[key] = self._value(c, vtype)
        for _ in range(n_tensors):
            name = c.string()
            n_dims = c.scalar("<I")
            if n_dims > 4:
                raise GGUFError("tensor %s: %d dims (max 4)" % (name, n_dims))
            ne = [c.scalar("<Q") for _ in range(n_dims)]
            info = TensorInfo(name, ne, c.scalar("<I"), c.scalar("<Q"))
            if name in self.tensors:
                raise GGUFError("duplicate tensor %r" % name)
            self.tensors[name] = info
        self.alignment = int(self.metadata.get("general.alignment", DEFAULT_ALIGNMENT))
        if self.alignment <= 0 or self.alignment & (self.alignment - 1):
            raise GGUFError("general.alignment %d is not a power of two" % self.alignment)
        self.data_offset = (c.pos + self.alignment - 1) // self.alignment * self.alignment
        for t in self.tensors.values():
            if t.offset % self.alignment:
                raise GGUFError("tensor %s: offset %d not aligned" % (t.name, t.offset))
            t.abs_offset = self.data_offset + t.offset
            if t.abs_offset + t.n_bytes > len(self._mm):
                raise GGUFError("tensor %s: data past end of file" % t.name)

    def _value(self, c, vtype):
        if vtype in _SCALAR_FMT:
            v = np.frombuffer(self._mm, _SCALAR_FMT[vtype], 1, c.take(np.dtype(_SCALAR_FMT[vtype]).itemsize))[0]
            return (bool(v) if vtype == T_BOOL else v.item()), vtype
        if vtype == T_STRING:
            return c.string(), vtype
        if vtype == T_ARRAY:
            etype, n = c.scalar("<I"), c.scalar("<Q")
            if etype in _SCALAR_FMT:
                dt = np.dtype(_SCALAR_FMT[etype])
                arr = np.frombuffer(self._mm, dt, n, c.take(n * dt.itemsize)).copy()
                return (arr.astype(bool) if etype == T_BOOL else arr), (T_ARRAY, etype)
            if etype in (T_STRING, T_ARRAY):
                return [self._value(c, etype)[0] for _ in range(n)], (T_ARRAY, etype)
            raise GGUFError("unknown array element type %d" % etype)
        raise GGUFError("unknown metadata value type %d" % vtype)

    def raw(self, name):
        """The stored bytes of one tensor, as a read-only uint8 array."""
        t = self.tensors[name]
        return np.frombuffer(self._mm, np.uint8, t.n_bytes, t.abs_offset)

    def tensor(self, name):
        """Dequantized float32 array with numpy shape reversed(ne)."""
        t = self.tensors[name]
        return dequantize(self.raw(name), t.type_name, t.n_elements).reshape(t.shape)

    def get(self, key, default=None):
        return self.metadata.get(key, default)


# --------------------------------------------------------------------------
# Writer (for building synthetic test models)
# --------------------------------------------------------------------------

def _pack_value(vtype, value):
    if vtype in _SCALAR_FMT:
        return np.array(value, dtype=_SCALAR_FMT[vtype]).tobytes()
    if vtype == T_STRING:
        b = value if isinstance(value, bytes) else value.encode("utf-8")
        return struct.pack("<Q", len(b)) + b
    raise GGUFError("cannot pack value type %r directly" % (vtype,))


def _pack_typed(vtype, value):
    if isinstance(vtype, tuple):  # (T_ARRAY, element type); nested: (T_ARRAY, (T_ARRAY, t))
        etype = vtype[1]
        head = struct.pack("<IQ", etype[0] if isinstance(etype, tuple) else etype, len(value))
        if etype in _SCALAR_FMT:
            return head + np.asarray(value, dtype=_SCALAR_FMT[etype]).tobytes()
        return head + b"".join(_pack_typed(etype, v) for v in value)
    return _pack_value(vtype, value)


def _infer_type(value):
    if isinstance(value, bool):
        return T_BOOL
    if isinstance(value, int):
        return T_INT32 if -2**31 <= value < 2**31 else T_INT64
    if isinstance(value, float):
        return T_FLOAT32
    if isinstance(value, (str, bytes)):
        return T_STRING
    if isinstance(value, (list, tuple, np.ndarray)):
        if len(value) == 0:
            return (T_ARRAY, T_INT32)
        return (T_ARRAY, _infer_type(value[0] if not isinstance(value, np.ndarray) else value.flat[0].item()))
    raise GGUFError("cannot infer GGUF type of %r" % (value,))


def write_gguf(path, metadata, tensors, alignment=None, version=3):
    """Write a GGUF file.

    metadata: list of (key, value) or (key, type, value); type is a T_* id or
              (T_ARRAY, element type). Without a type it is inferred
              (bool, int -> INT32, float -> FLOAT32, str, list).
    tensors:  list of (name, array) for F32 data (numpy shape = reversed ne),
              or (name, type_name, ne, raw_bytes) for any stored type.
    """
    kv_blob, align = [], alignment or DEFAULT_ALIGNMENT
    for item in metadata:
        key, vtype, value = item if len(item) == 3 else (item[0], _infer_type(item[1]), item[1])
        if key == "general.alignment":
            align = int(value)
        top = T_ARRAY if isinstance(vtype, tuple) else vtype
        kv_blob.append(_pack_value(T_STRING, key) + struct.pack("<I", top) + _pack_typed(vtype, value))
    infos, datas, off = [], [], 0
    for t in tensors:
        if len(t) == 2:
            name, arr = t
            arr = np.ascontiguousarray(arr, dtype="<f4")
            tname, ne, data = "F32", list(reversed(arr.shape)), arr.tobytes()
        else:
            name, tname, ne, data = t
            data = bytes(data)
        off = (off + align - 1) // align * align
        infos.append(_pack_value(T_STRING, name) + struct.pack("<I", len(ne))
                     + struct.pack("<%dQ" % len(ne), *ne) + struct.pack("<IQ", GGML_TYPE_IDS[tname], off))
        datas.append((off, data))
        off += len(data)
    head = GGUF_MAGIC + struct.pack("<IQQ", version, len(tensors), len(kv_blob)) + b"".join(kv_blob) + b"".join(infos)
    data_start = (len(head) + align - 1) // align * align
    with open(path, "wb") as f:
        f.write(head + b"\0" * (data_start - len(head)))
        pos = 0
        for o, d in datas:
            f.write(b"\0" * (o - pos) + d)
            pos = o + len(d)


# --------------------------------------------------------------------------

def _summary(value):
    if isinstance(value, np.ndarray):
        return "array[%d] of %s %s" % (value.size, value.dtype, value[:8].tolist())
    if isinstance(value, list):
        return "array[%d] %r" % (len(value), value[:8])
    return repr(value)


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description="Dump a GGUF file (independent numpy reader).")
    ap.add_argument("model")
    ap.add_argument("--tensor", help="print / save one dequantized tensor")
    ap.add_argument("--out", help="save --tensor to this .npy file")
    a = ap.parse_args(argv)
    g = GGUFFile(a.model)
    if a.tensor:
        x = g.tensor(a.tensor)
        if a.out:
            np.save(a.out, x)
        print("%s %s shape=%s sum=%.9g" % (a.tensor, g.tensors[a.tensor].type_name, x.shape, float(x.astype(np.float64).sum())))
        return 0
    print("GGUF v%d, %d kv, %d tensors, alignment %d, data at %d"
          % (g.version, len(g.metadata), len(g.tensors), g.alignment, g.data_offset))
    for k, v in g.metadata.items():
        t = g.metadata_types[k]
        tn = ("ARRAY(%s)" % VALUE_TYPE_NAMES[t[1]]) if isinstance(t, tuple) else VALUE_TYPE_NAMES[t]
        print("  %-45s %-16s %s" % (k, tn, _summary(v)))
    for t in g.tensors.values():
        print("  %-32s %-6s ne=%s offset=%d" % (t.name, t.type_name, t.ne, t.offset))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
