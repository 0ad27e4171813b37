#!/usr/bin/python3
"""Self-test of tools/gguf_ref.py and tools/ref_forward.py. Exit code 0 = all pass.

    /usr/bin/python3 tools/test_ref.py [-v]

Checks:
  * stories260K (real model, expected values from testdata/PROVENANCE.md):
    top-5 logits at position 0, 40 greedy ids, the "Zoo" continuation.
  * KV-cache incremental decoding == full forward.
  * vectorized dequantizers == plain per-element loops (written from ggml's
    scalar reference) on random blocks, for every supported block type.
  * GGUF writer -> reader round trip: every metadata type, nested arrays,
    v2 and v3, custom alignment, quantized tensors.
  * NeoX path: stories260K with Q/K rows un-permuted and arch=qwen2 (and no
    output.weight) gives the same logits as the llama original.
  * biases: attn_v.bias b == attn_output.bias Wo b (softmax rows sum to 1).
  * qwen3: q/k norm makes the output invariant to scaling Wq, Wk.
  * a per-token loop reference (written separately below) == forward() on
    random qwen3 / llama models with GQA, key_length override, partial rope,
    llama3 frequency factors and linear rope scaling.
  * perplexity() == brute-force sum over single-position evaluations.
"""

import math
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gguf_ref as G  # noqa: E402
import ref_forward as R  # noqa: E402

ROOT = os.path.dirname(HERE)
TESTDATA = os.environ.get("IMPETUS_TESTDATA", "/work/shared/testdata")
STORIES = os.path.join(TESTDATA, "models/stories260K/stories260K.gguf")
VERBOSE = "-v" in sys.argv
FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what)
    elif VERBOSE:
        print("ok:  ", what)


# ---------------------------------------------------------------- stories260K

TOP5 = [(403, 17.0235), (385, 15.4062), (410, 13.1083), (317, 12.7692), (407, 12.4181)]
GREEDY40 = [int(t) for t in (
    "403 407 261 378 432 383 286 261 376 298 315 421 395 317 426 338 401 396 267 337 "
    "410 408 419 292 411 322 265 282 295 433 426 385 328 432 358 394 261 370 432 352").split()]
ZOO = ("Zoo was a little girl named Lily. She loved to play outside in the park. One day, she saw "
       "a big, red ball. She wanted to play with it, but she didn't want to play with")


def test_stories(m):
    logits = R.forward(m, [1])
    check(logits.shape == (1, 512), "stories logits shape (1, 512)")
    top = np.argsort(-logits[0], kind="stable")[:5]
    check([int(t) for t in top] == [t for t, _ in TOP5], "stories top-5 ids %s" % top.tolist())
    err = max(abs(logits[0, t] - v) for t, v in TOP5)
    check(err < 1e-3, "stories top-5 logits within 1e-3 (max err %.2e)" % err)
    gen = R.generate_greedy(m, [1], 40)
    check(gen == GREEDY40, "stories greedy 40 ids from [1]")
    # llama2.c run.c with steps=60 generates at positions 3..59: 57 tokens
    zoo = R.generate_greedy(m, [1, 410, 469, 347], 57)
    text = R.decode(m, [410, 469, 347] + zoo).strip()
    check(text.startswith(ZOO), "stories 'Zoo' continuation: %r" % text[:60])
    check(np.array_equal(m.w["output.weight"], m.w["token_embd.weight"]),
          "stories output.weight is a copy of token_embd.weight")


def test_kv_cache(m):
    ids = [1] + GREEDY40[:20]
    full = R.forward(m, ids)
    cache = R.KVCache(m.hp.n_layer)
    parts = [R.forward(m, ids[:7], cache), R.forward(m, ids[7:8], cache), R.forward(m, ids[8:], cache)]
    err = np.abs(np.concatenate(parts) - full).max()
    check(err < 1e-10, "KV-cache incremental == full forward (err %.1e)" % err)


# ---------------------------------------------------------------- dequantizers
# Plain loops over single blocks, following ggml's scalar reference code.

def h16(b, o):
    return np.float32(np.frombuffer(bytes(b[o:o + 2]), "<f2")[0])


def loop_q4_0(b):
    d = h16(b, 0)
    y = [0.0] * 32
    for j in range(16):
        y[j] = np.float32((b[2 + j] & 15) - 8) * d
        y[j + 16] = np.float32((b[2 + j] >> 4) - 8) * d
    return y


def loop_q4_1(b):
    d, m = h16(b, 0), h16(b, 2)
    y = [0.0] * 32
    for j in range(16):
        y[j] = np.float32(b[4 + j] & 15) * d + m
        y[j + 16] = np.float32(b[4 + j] >> 4) * d + m
    return y


def loop_q5(b, has_min):
    d = h16(b, 0)
    m = h16(b, 2) if has_min else np.float32(0)
    o = 4 if has_min else 2
    qh = int.from_bytes(bytes(b[o:o + 4]), "little")
    y = [0.0] * 32
    for j in range(16):
        xh0 = ((qh >> j) << 4) & 0x10
        xh1 = (qh >> (j + 12)) & 0x10
        x0 = ((b[o + 4 + j] & 15) | xh0) - (0 if has_min else 16)
        x1 = ((b[o + 4 + j] >> 4) | xh1) - (0 if has_min else 16)
        y[j] = np.float32(x0) * d + m
        y[j + 16] = np.float32(x1) * d + m
    return y


def loop_q8_0(b):
    d = h16(b, 0)
    return [np.float32(np.int8(np.uint8(b[2 + j]))) * d for j in range(32)]


def loop_q2_k(b):
    d, dmin = h16(b, 80), h16(b, 82)
    y, is_, q = [], 0, 16
    for _ in range(2):
        shift = 0
        for _ in range(4):
            for half in range(2):
                sc = b[is_]
                is_ += 1
                dl, ml = d * np.float32(sc & 15), dmin * np.float32(sc >> 4)
                for l in range(16):
                    y.append(dl * np.float32((b[q + l + 16 * half] >> shift) & 3) - ml)
            shift += 2
        q += 32
    return y


def loop_q3_k(b):
    d = h16(b, 108)
    aux = [int.from_bytes(bytes(b[96 + 4 * i:100 + 4 * i]), "little") for i in range(3)] + [0]
    tmp, k1, k2 = aux[2], 0x03030303, 0x0F0F0F0F
    aux[2] = ((aux[0] >> 4) & k2) | (((tmp >> 4) & k1) << 4)
    aux[3] = ((aux[1] >> 4) & k2) | (((tmp >> 6) & k1) << 4)
    aux[0] = (aux[0] & k2) | (((tmp >> 0) & k1) << 4)
    aux[1] = (aux[1] & k2) | (((tmp >> 2) & k1) << 4)
    scales = np.frombuffer(b"".join(a.to_bytes(4, "little") for a in aux), np.int8)
    y, is_, q, m = [], 0, 32, 1
    for _ in range(2):
        shift = 0
        for _ in range(4):
            for half in range(2):
                dl = d * np.float32(int(scales[is_]) - 32)
                is_ += 1
                for l in range(16):
                    i = l + 16 * half
                    v = ((b[q + i] >> shift) & 3) - (0 if (b[i] & m) else 4)
                    y.append(dl * np.float32(v))
            shift += 2
            m <<= 1
        q += 32
    return y


def scale_min_k4(j, q):
    if j < 4:
        return q[j] & 63, q[j + 4] & 63
    return (q[j + 4] & 15) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4)


def loop_qk(b, five):
    d, dmin = h16(b, 0), h16(b, 2)
    sc = b[4:16]
    ql = 48 if five else 16
    y, is_, u1, u2 = [], 0, 1, 2
    for _ in range(4):
        s, m = scale_min_k4(is_, sc)
        d1, m1 = d * np.float32(s), dmin * np.float32(m)
        s, m = scale_min_k4(is_ + 1, sc)
        d2, m2 = d * np.float32(s), dmin * np.float32(m)
        for l in range(32):
            hb = (16 if b[16 + l] & u1 else 0) if five else 0
            y.append(d1 * np.float32((b[ql + l] & 15) + hb) - m1)
        for l in range(32):
            hb = (16 if b[16 + l] & u2 else 0) if five else 0
            y.append(d2 * np.float32((b[ql + l] >> 4) + hb) - m2)
        ql += 32
        is_ += 2
        u1 <<= 2
        u2 <<= 2
    return y


def loop_q6_k(b):
    d = h16(b, 208)
    sc = np.frombuffer(bytes(b[192:208]), np.int8)
    y = [0.0] * 256
    for n in range(2):
        ql, qh, s, o = 64 * n, 128 + 32 * n, 8 * n, 128 * n
        for l in range(32):
            is_ = l // 16
            q1 = ((b[ql + l] & 15) | (((b[qh + l] >> 0) & 3) << 4)) - 32
            q2 = ((b[ql + l + 32] & 15) | (((b[qh + l] >> 2) & 3) << 4)) - 32
            q3 = ((b[ql + l] >> 4) | (((b[qh + l] >> 4) & 3) << 4)) - 32
            q4 = ((b[ql + l + 32] >> 4) | (((b[qh + l] >> 6) & 3) << 4)) - 32
            y[o + l] = d * np.float32(sc[s + is_]) * np.float32(q1)
            y[o + l + 32] = d * np.float32(sc[s + is_ + 2]) * np.float32(q2)
            y[o + l + 64] = d * np.float32(sc[s + is_ + 4]) * np.float32(q3)
            y[o + l + 96] = d * np.float32(sc[s + is_ + 6]) * np.float32(q4)
    return y


def loop_q8_k(b):
    d = np.frombuffer(bytes(b[0:4]), "<f4")[0]
    return [d * np.float32(np.int8(np.uint8(b[4 + j]))) for j in range(256)]


LOOPS = {
    "Q4_0": (loop_q4_0, [0]), "Q4_1": (loop_q4_1, [0, 2]),
    "Q5_0": (lambda b: loop_q5(b, False), [0]), "Q5_1": (lambda b: loop_q5(b, True), [0, 2]),
    "Q8_0": (loop_q8_0, [0]), "Q2_K": (loop_q2_k, [80, 82]), "Q3_K": (loop_q3_k, [108]),
    "Q4_K": (lambda b: loop_qk(b, False), [0, 2]), "Q5_K": (lambda b: loop_qk(b, True), [0, 2]),
    "Q6_K": (loop_q6_k, [208]), "Q8_K": (loop_q8_k, []),
}


def random_blocks(rng, type_name, n_blocks, half_offsets):
    _, blk, size = G.GGML_TYPES[G.GGML_TYPE_IDS[type_name]]
    raw = rng.integers(0, 256, size=(n_blocks, size), dtype=np.uint8)
    for o in half_offsets:  # finite fp16 scales
        raw[:, o:o + 2] = rng.normal(0, 0.05, size=(n_blocks, 1)).astype("<f2").view(np.uint8)
    if type_name == "Q8_K":
        raw[:, 0:4] = rng.normal(0, 0.05, size=(n_blocks, 1)).astype("<f4").view(np.uint8)
    return raw, blk


def test_dequant():
    rng = np.random.default_rng(1234)
    for name, (loop, halves) in LOOPS.items():
        raw, blk = random_blocks(rng, name, 6, halves)
        got = G.dequantize(raw.reshape(-1), name, 6 * blk)
        want = np.concatenate([np.asarray(loop(raw[i]), dtype=np.float32) for i in range(6)])
        check(got.dtype == np.float32 and np.array_equal(got, want),
              "dequant %s vectorized == loop (max diff %.3g)" % (name, np.abs(got - want).max()))
    x = rng.normal(size=64).astype(np.float32)
    check(np.array_equal(G.dequantize(x.astype("<f2").view(np.uint8), "F16", 64), x.astype(np.float16).astype(np.float32)),
          "dequant F16")
    bf = (x.view(np.uint32) >> 16).astype("<u2")
    check(np.array_equal(G.dequantize(bf.view(np.uint8), "BF16", 64), (bf.astype(np.uint32) << 16).view(np.float32)),
          "dequant BF16")
    q = np.zeros((1, 18), np.uint8)
    q[0, 0:2] = np.array([0.5], "<f2").view(np.uint8)
    q[0, 2] = 0x1F  # element 0 -> (15-8)*0.5, element 16 -> (1-8)*0.5
    y = G.dequantize(q.reshape(-1), "Q4_0", 32)
    check(y[0] == 3.5 and y[16] == -3.5 and y[1] == -4.0, "dequant Q4_0 hand-made block")


# ---------------------------------------------------------------- GGUF round trip

def test_roundtrip(tmp):
    rng = np.random.default_rng(7)
    meta = [
        ("general.architecture", "llama"), ("general.alignment", G.T_UINT32, 64),
        ("t.u8", G.T_UINT8, 200), ("t.i8", G.T_INT8, -5), ("t.u16", G.T_UINT16, 65535),
        ("t.i16", G.T_INT16, -300), ("t.u32", G.T_UINT32, 4000000000), ("t.i32", G.T_INT32, -7),
        ("t.f32", G.T_FLOAT32, 0.25), ("t.bool", G.T_BOOL, True), ("t.str", "héllo ▁x"),
        ("t.u64", G.T_UINT64, 2**63 + 5), ("t.i64", G.T_INT64, -2**40), ("t.f64", G.T_FLOAT64, 1e-300),
        ("t.arr_f32", (G.T_ARRAY, G.T_FLOAT32), [1.5, -2.0]), ("t.arr_str", ["a", "", "ccc"]),
        ("t.arr_bool", (G.T_ARRAY, G.T_BOOL), [True, False]),
        ("t.nested", (G.T_ARRAY, (G.T_ARRAY, G.T_INT32)), [[1, 2], [], [3]]),
        ("t.empty", (G.T_ARRAY, G.T_UINT8), []),
    ]
    f32 = rng.normal(size=(3, 32)).astype(np.float32)
    q_raw, _ = random_blocks(rng, "Q6_K", 2, [208])
    k_raw, _ = random_blocks(rng, "Q4_K", 2, [0, 2])
    for version in (2, 3):
        path = os.path.join(tmp, "rt%d.gguf" % version)
        G.write_gguf(path, meta, [("a", f32), ("q", "Q6_K", [256, 2], q_raw.tobytes()),
                                  ("k", "Q4_K", [512], k_raw.tobytes())], version=version)
        g = G.GGUFFile(path)
        md = g.metadata
        ok = (g.version == version and g.alignment == 64 and g.data_offset % 64 == 0
              and md["t.u8"] == 200 and md["t.i8"] == -5 and md["t.u16"] == 65535 and md["t.i16"] == -300
              and md["t.u32"] == 4000000000 and md["t.i32"] == -7 and md["t.f32"] == 0.25
              and md["t.bool"] is True and md["t.str"] == "héllo ▁x" and md["t.u64"] == 2**63 + 5
              and md["t.i64"] == -2**40 and md["t.f64"] == 1e-300
              and md["t.arr_f32"].tolist() == [1.5, -2.0] and md["t.arr_str"] == ["a", "", "ccc"]
              and md["t.arr_bool"].tolist() == [True, False] and [a.tolist() for a in md["t.nested"]] == [[1, 2], [], [3]]
              and md["t.empty"].size == 0 and g.metadata_types["t.nested"] == (G.T_ARRAY, G.T_ARRAY))
        check(ok, "GGUF v%d metadata round trip (all value types)" % version)
        ok = (np.array_equal(g.tensor("a"), f32) and g.tensors["a"].ne == [32, 3]
              and all(t.abs_offset % 64 == 0 for t in g.tensors.values())
              and g.tensor("q").shape == (2, 256)
              and np.array_equal(g.tensor("q").reshape(-1), G.dequantize(q_raw.reshape(-1), "Q6_K", 512))
              and np.array_equal(g.raw("k"), k_raw.reshape(-1)))
        check(ok, "GGUF v%d tensors round trip (F32, Q6_K, Q4_K, alignment 64)" % version)
    bad = os.path.join(tmp, "bad.gguf")
    with open(path, "rb") as f:
        data = f.read()
    for what, blob in (("bad magic", b"GGUX" + data[4:]), ("version 1", data[:4] + b"\1\0\0\0" + data[8:]),
                       ("truncated", data[:200])):
        with open(bad, "wb") as f:
            f.write(blob)
        try:
            G.GGUFFile(bad)
            check(False, "reader rejects " + what)
        except G.GGUFError:
            check(True, "reader rejects " + what)


# ---------------------------------------------------------------- architecture checks

def stories_tensors(m):
    return {k: v.astype(np.float32) for k, v in m.w.items()}


def write_model(path, arch, hp, tensors, extra_meta=()):
    meta = [("general.architecture", arch), ("%s.embedding_length" % arch, G.T_UINT32, hp["n_embd"]),
            ("%s.block_count" % arch, G.T_UINT32, hp["n_layer"]),
            ("%s.feed_forward_length" % arch, G.T_UINT32, hp["n_ff"]),
            ("%s.attention.head_count" % arch, G.T_UINT32, hp["n_head"]),
            ("%s.attention.head_count_kv" % arch, G.T_UINT32, hp["n_head_kv"]),
            ("%s.attention.layer_norm_rms_epsilon" % arch, G.T_FLOAT32, 1e-5),
            ("tokenizer.ggml.bos_token_id", G.T_UINT32, 1)] + list(extra_meta)
    G.write_gguf(path, meta, sorted(tensors.items()))
    return R.load_model(path)


def unpermute(w, n_head):
    """Undo llama.cpp's convert permute: stored row 2i+h of a head -> row h*hd/2+i."""
    n_out, n_in = w.shape
    hd = n_out // n_head
    return w.reshape(n_head, hd // 2, 2, n_in).swapaxes(1, 2).reshape(n_out, n_in)


def test_arch_equivalences(m, tmp):
    hp = dict(n_embd=64, n_layer=5, n_ff=172, n_head=8, n_head_kv=4)
    t = stories_tensors(m)
    del t["output.weight"]
    for i in range(5):
        t["blk.%d.attn_q.weight" % i] = unpermute(t["blk.%d.attn_q.weight" % i], 8)
        t["blk.%d.attn_k.weight" % i] = unpermute(t["blk.%d.attn_k.weight" % i], 4)
    q2 = write_model(os.path.join(tmp, "q2.gguf"), "qwen2", hp, t)
    ids = [1] + GREEDY40[:15]
    ref = R.forward(m, ids)
    err = np.abs(R.forward(q2, ids) - ref).max()
    check(err < 1e-9, "qwen2 NeoX + un-permuted weights + tied output == llama (err %.1e)" % err)

    rng = np.random.default_rng(3)
    tb = dict(t)
    tb2 = dict(t)
    for i in range(5):
        b = rng.normal(size=32).astype(np.float32)
        tb["blk.%d.attn_v.bias" % i] = b
        wo = t["blk.%d.attn_output.weight" % i].astype(np.float64)
        rep = np.repeat(b.astype(np.float64).reshape(4, 8), 2, axis=0).reshape(-1)  # kv head per q head
        tb2["blk.%d.attn_output.bias" % i] = (wo @ rep).astype(np.float32)
    mv = write_model(os.path.join(tmp, "qb.gguf"), "qwen2", hp, tb)
    mo = write_model(os.path.join(tmp, "qo.gguf"), "qwen2", hp, tb2)
    a, b = R.forward(mv, ids), R.forward(mo, ids)
    check(np.abs(a - b).max() < 1e-4 and np.abs(a - ref).max() > 1e-2,
          "attn_v.bias b == attn_output.bias Wo*b (err %.1e)" % np.abs(a - b).max())

    t3 = dict(t)
    for i in range(5):
        t3["blk.%d.attn_q_norm.weight" % i] = rng.uniform(0.5, 1.5, 8).astype(np.float32)
        t3["blk.%d.attn_k_norm.weight" % i] = rng.uniform(0.5, 1.5, 8).astype(np.float32)
    m3 = write_model(os.path.join(tmp, "q3.gguf"), "qwen3", hp, t3)
    t3s = dict(t3)
    for i in range(5):
        t3s["blk.%d.attn_q.weight" % i] = t3["blk.%d.attn_q.weight" % i] * 3.0
        t3s["blk.%d.attn_k.weight" % i] = t3["blk.%d.attn_k.weight" % i] * 0.5
    m3s = write_model(os.path.join(tmp, "q3s.gguf"), "qwen3", hp, t3s)
    a, b = R.forward(m3, ids), R.forward(m3s, ids)
    # not exact: eps inside the RMSNorm breaks scale invariance at the 1e-5 level
    check(np.abs(a - b).max() < 1e-4 and np.abs(a - ref).max() > 1e-2,
          "qwen3 q/k norm: invariant to scaling Wq, Wk (err %.1e)" % np.abs(a - b).max())


# ---------------------------------------------------------------- loop reference

def loop_forward(m, ids):
    """Token-at-a-time reference with explicit loops over heads and pairs."""
    hp = m.hp
    n_vocab = m.n_vocab
    keys = [[] for _ in range(hp.n_layer)]
    vals = [[] for _ in range(hp.n_layer)]
    out = np.zeros((len(ids), n_vocab))

    def norm(v, w):
        return v / math.sqrt(sum(float(a) * a for a in v) / len(v) + hp.eps) * w

    def lin(il, name, v):
        w = m.layer(il, name + ".weight")
        b = m.layer(il, name + ".bias", required=False)
        y = np.array([float(np.dot(w[r], v)) for r in range(w.shape[0])])
        return y if b is None else y + b

    neox = hp.arch in ("qwen2", "qwen3")  # decided here, not taken from Hparams

    def rot(head, p):
        head = head.copy()
        for i in range(hp.n_rot // 2):
            th = p * hp.freq_scale * hp.rope_base ** (-2.0 * i / hp.n_rot)
            if m.freq_factors is not None:
                th /= m.freq_factors[i]
            a, b = (i, i + hp.n_rot // 2) if neox else (2 * i, 2 * i + 1)
            x0, x1 = head[a], head[b]
            head[a] = x0 * math.cos(th) - x1 * math.sin(th)
            head[b] = x0 * math.sin(th) + x1 * math.cos(th)
        return head

    for p, tok in enumerate(ids):
        x = m.w["token_embd.weight"][tok].astype(np.float64)
        for il in range(hp.n_layer):
            nkv, dk, dv = hp.n_head_kv[il], hp.head_dim_k, hp.head_dim_v
            h = norm(x, m.layer(il, "attn_norm.weight"))
            q, k, v = lin(il, "attn_q", h), lin(il, "attn_k", h), lin(il, "attn_v", h)
            qn = m.layer(il, "attn_q_norm.weight", required=False)
            kn = m.layer(il, "attn_k_norm.weight", required=False)
            qh = [q[j * dk:(j + 1) * dk] for j in range(hp.n_head)]
            kh = [k[j * dk:(j + 1) * dk] for j in range(nkv)]
            if qn is not None:
                qh = [norm(a, qn) for a in qh]
                kh = [norm(a, kn) for a in kh]
            keys[il].append([rot(a, p) for a in kh])
            vals[il].append([v[j * dv:(j + 1) * dv] for j in range(nkv)])
            att = []
            for j in range(hp.n_head):
                kvh = j // (hp.n_head // nkv)
                qr = rot(qh[j], p)
                s = np.array([float(np.dot(qr, keys[il][t][kvh])) / math.sqrt(dk) for t in range(p + 1)])
                e = np.exp(s - s.max())
                e /= e.sum()
                att.append(sum(e[t] * vals[il][t][kvh] for t in range(p + 1)))
            x = x + lin(il, "attn_output", np.concatenate(att))
            h = norm(x, m.layer(il, "ffn_norm.weight"))
            g, u = lin(il, "ffn_gate", h), lin(il, "ffn_up", h)
            x = x + lin(il, "ffn_down", g / (1 + np.exp(-g)) * u)
        x = norm(x, m.w["output_norm.weight"])
        out[p] = m.w["output.weight"] @ x
    return out


def random_model(tmp, name, arch, rng, extra_meta=(), head_dim=12, n_rot=None, with_freqs=False):
    n_embd, n_head, n_kv, n_ff, n_vocab, n_layer = 32, 4, 2, 40, 50, 2
    hp = dict(n_embd=n_embd, n_layer=n_layer, n_ff=n_ff, n_head=n_head, n_head_kv=n_kv)
    meta = [("%s.attention.key_length" % arch, G.T_UINT32, head_dim),
            ("%s.attention.value_length" % arch, G.T_UINT32, head_dim),
            ("%s.rope.freq_base" % arch, G.T_FLOAT32, 1000.0)] + list(extra_meta)
    if n_rot:
        meta.append(("%s.rope.dimension_count" % arch, G.T_UINT32, n_rot))

    def w(*shape):
        return (rng.normal(size=shape) / math.sqrt(shape[-1])).astype(np.float32)

    t = {"token_embd.weight": w(n_vocab, n_embd), "output_norm.weight": rng.uniform(0.5, 1.5, n_embd).astype(np.float32),
         "output.weight": w(n_vocab, n_embd)}
    for i in range(n_layer):
        p = "blk.%d." % i
        t.update({p + "attn_norm.weight": rng.uniform(0.5, 1.5, n_embd).astype(np.float32),
                  p + "ffn_norm.weight": rng.uniform(0.5, 1.5, n_embd).astype(np.float32),
                  p + "attn_q.weight": w(n_head * head_dim, n_embd) * 3, p + "attn_k.weight": w(n_kv * head_dim, n_embd) * 3,
                  p + "attn_v.weight": w(n_kv * head_dim, n_embd), p + "attn_output.weight": w(n_embd, n_head * head_dim),
                  p + "ffn_gate.weight": w(n_ff, n_embd), p + "ffn_up.weight": w(n_ff, n_embd),
                  p + "ffn_down.weight": w(n_embd, n_ff)})
        if arch == "qwen3":
            t[p + "attn_q_norm.weight"] = rng.uniform(0.5, 1.5, head_dim).astype(np.float32)
            t[p + "attn_k_norm.weight"] = rng.uniform(0.5, 1.5, head_dim).astype(np.float32)
        if arch == "qwen2":
            for nm, rows in (("attn_q", n_head * head_dim), ("attn_k", n_kv * head_dim), ("attn_v", n_kv * head_dim)):
                t[p + nm + ".bias"] = rng.normal(size=rows).astype(np.float32)
    if with_freqs:
        t["rope_freqs.weight"] = rng.uniform(1.0, 8.0, (n_rot or head_dim) // 2).astype(np.float32)
    return write_model(os.path.join(tmp, name + ".gguf"), arch, hp, t, meta)


def test_loop_reference(tmp):
    rng = np.random.default_rng(11)
    ids = [1, 7, 3, 49, 0, 12, 12, 30, 5]
    l3 = [("llama.rope.scaling.type", "llama3"), ("llama.rope.scaling.factor", G.T_FLOAT32, 8.0),
          ("llama.rope.scaling.original_context_length", G.T_UINT32, 64)]
    cases = [
        ("qwen3", "qwen3", {}),
        ("qwen2", "qwen2", dict(n_rot=8)),
        ("llama_partial_rope_freqs", "llama", dict(n_rot=8, with_freqs=True)),
        ("llama_linear", "llama", dict(extra_meta=[("llama.rope.scaling.type", "linear"),
                                                   ("llama.rope.scaling.factor", G.T_FLOAT32, 4.0)])),
        ("llama_llama3", "llama", dict(extra_meta=l3)),
    ]
    for name, arch, kw in cases:
        m = random_model(tmp, name, arch, rng, **kw)
        a, b = R.forward(m, ids), loop_forward(m, ids)
        err = np.abs(a - b).max()
        check(err < 1e-9, "%s: forward() == loop reference (err %.1e)" % (name, err))
    m = R.load_model(os.path.join(tmp, "llama_llama3.gguf"))
    ff = m.freq_factors
    check(ff is not None and ff[0] == 1.0 and 1.0 < ff[1] < ff[2] < 8.0 and ff[-1] == 8.0
          and m.hp.freq_scale == 1.0, "llama3 scaling: factors from metadata %s" % m.freq_factors)
    m = R.load_model(os.path.join(tmp, "llama_linear.gguf"))
    check(m.hp.freq_scale == 0.25, "linear scaling: freq_scale = 1/factor")


# ---------------------------------------------------------------- perplexity

def test_perplexity(m, tmp):
    rng = np.random.default_rng(5)
    toks = [1] + R.generate_greedy(m, [1], 45) + [int(t) for t in rng.integers(3, 512, size=24)]
    n_ctx = 16
    r = R.perplexity(m, toks, n_ctx)
    nll, cnt = 0.0, 0
    for c in range(len(toks) // n_ctx):
        chunk = toks[c * n_ctx:(c + 1) * n_ctx]
        inp = [1] + chunk[1:]
        for j in range(n_ctx // 2, n_ctx - 1):
            lg = R.forward(m, inp[:j + 1])[-1]
            lse = lg.max() + math.log(np.exp(lg - lg.max()).sum())
            nll += lse - lg[chunk[j + 1]]
            cnt += 1
    ok = r["n_chunks"] == 4 and r["n_scored"] == cnt == 4 * 7 and abs(r["ppl"] / math.exp(nll / cnt) - 1) < 1e-12
    check(ok, "perplexity == brute force (ppl %.6f vs %.6f, %d scored)" % (r["ppl"], math.exp(nll / cnt), cnt))
    ids_file = os.path.join(tmp, "ids.txt")
    with open(ids_file, "w") as f:
        f.write(" ".join(map(str, toks)))
    out = subprocess.run([sys.executable, os.path.join(HERE, "ref_forward.py"), m.path, "--perplexity",
                          "--ctx", str(n_ctx), "--tokens-file", ids_file], capture_output=True, text=True)
    import json
    js = json.loads(out.stdout) if out.returncode == 0 else {}
    check(abs(js.get("ppl", 0) / r["ppl"] - 1) < 1e-12 and len(js.get("nll_per_chunk", [])) == 4,
          "perplexity CLI JSON")


def test_vocab_files():
    """Real llama.cpp vocab-only GGUFs (metadata values from testdata/PROVENANCE.md)."""
    expect = {"llama-spm": (32000, 1, 2), "gpt-2": (50257, 50256, 50256), "deepseek-llm": (102400, 100000, 100001),
              "falcon": (65024, 11, 11)}
    for name, (n, bos, eos) in expect.items():
        path = os.path.join(TESTDATA, "vocab/ggml-vocab-%s.gguf" % name)
        if not os.path.exists(path):
            check(False, "vocab file present: " + path)
            continue
        g = G.GGUFFile(path)
        md = g.metadata
        ok = (len(md["tokenizer.ggml.tokens"]) == n and md["tokenizer.ggml.bos_token_id"] == bos
              and md["tokenizer.ggml.eos_token_id"] == eos and len(g.tensors) == 0 and g.version == 3)
        check(ok, "vocab %s: %d tokens, bos %d, eos %d" % (name, n, bos, eos))


def main():
    with tempfile.TemporaryDirectory(prefix="numpyref_") as tmp:
        test_dequant()
        test_roundtrip(tmp)
        test_loop_reference(tmp)
        test_vocab_files()
        if os.path.exists(STORIES):
            m = R.load_model(STORIES)
            test_stories(m)
            test_kv_cache(m)
            test_arch_equivalences(m, tmp)
            test_perplexity(m, tmp)
        else:
            check(False, "stories260K.gguf present at " + STORIES)
    print("%s: %d failure(s)" % ("FAILED" if FAILURES else "PASSED", len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
