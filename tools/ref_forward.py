#!/usr/bin/python3
"""Reference forward pass (numpy, float64) for GGUF models of the llama, qwen2
and qwen3 architectures, following ggml / llama.cpp semantics on the stored
weights. It is the ground truth for the C++ golden tests.

Library:
    m = load_model("model.gguf")                 # Model
    logits = forward(m, [1, 403, 407])           # (n_tokens, n_vocab) float64
    ids = generate_greedy(m, [1], 40)            # list of generated ids
    r = perplexity(m, token_ids, n_ctx=128)      # dict, llama-perplexity style
    decode(m, ids)                               # text, for eyeballing

Command line (see --help):
    /usr/bin/python3 tools/ref_forward.py MODEL.gguf --tokens 1,403,407 [--json | --out l.npy]
    /usr/bin/python3 tools/ref_forward.py MODEL.gguf --tokens 1 --greedy 40
    /usr/bin/python3 tools/ref_forward.py MODEL.gguf --perplexity --ctx 128 --tokens-file ids.txt

Semantics implemented (llama.cpp key and tensor names):
  * RMSNorm: x / sqrt(mean(x^2) + eps) * w.
  * RoPE on the first n_rot dims of each head; the rest pass through.
    pair i (0 <= i < n_rot/2) has angle pos * freq_scale * base^(-2i/n_rot) / ff[i].
    llama: "normal" mode, pairs (2i, 2i+1) of the stored (converter-permuted) weights.
    qwen2/qwen3: NeoX mode, pairs (i, i + n_rot/2).
    ff = rope_freqs.weight if present (Llama 3.1 style), else computed from
    <arch>.rope.scaling.type == "llama3" keys, else 1. freq_scale = 1/<arch>.rope.scaling.factor
    for linear scaling (1 when the type is "none" or no factor). YaRN is not implemented.
  * Causal GQA attention, scale 1/sqrt(head_dim_k); q head h reads kv head h // (n_head/n_head_kv).
  * qwen3: per-head RMSNorm of q and k (attn_q_norm / attn_k_norm) before RoPE.
  * Optional biases on q, k, v, attn_output (qwen2 has q/k/v biases).
  * SwiGLU FFN: down(silu(gate(x)) * up(x)).
  * Tied classifier (token_embd.weight) when output.weight is absent.
"""

import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_ref import GGUFFile  # noqa: E402

SUPPORTED_ARCHS = ("llama", "qwen2", "qwen3")
NEOX_ARCHS = ("qwen2", "qwen3")


class Hparams:
    """Hyperparameters read from GGUF metadata (llama.cpp key names)."""

    def __init__(self, g, arch):
        def key(k, default=None, required=False):
            full = "%s.%s" % (arch, k)
            if full not in g.metadata:
                if required:
                    raise ValueError("missing metadata key %s" % full)
                return default
            return g.metadata[full]

        self.arch = arch
        self.n_embd = int(key("embedding_length", required=True))
        self.n_layer = int(key("block_count", required=True))
        self.n_ff = key("feed_forward_length", required=True)
        self.n_head = int(key("attention.head_count", required=True))
        kv = key("attention.head_count_kv", self.n_head)
        self.n_head_kv = [int(x) for x in np.broadcast_to(np.asarray(kv), (self.n_layer,))]
        self.eps = float(key("attention.layer_norm_rms_epsilon", required=True))
        self.rope_base = float(key("rope.freq_base", 10000.0))
        self.head_dim_k = int(key("attention.key_length", self.n_embd // self.n_head))
        self.head_dim_v = int(key("attention.value_length", self.n_embd // self.n_head))
        self.n_rot = int(key("rope.dimension_count", self.head_dim_k))
        self.n_ctx_train = int(key("context_length", 0))
        self.rope_neox = arch in NEOX_ARCHS
        scaling = str(key("rope.scaling.type", "linear"))
        factor = float(key("rope.scaling.factor", key("rope.scale_linear", 0.0)))
        if scaling == "yarn":
            raise NotImplementedError("YaRN rope scaling is not implemented in the reference")
        self.rope_scaling = scaling
        self.freq_scale = 1.0 if (scaling in ("none", "llama3") or factor == 0.0) else 1.0 / factor
        attn_factor = key("rope.scaling.attn_factor", 1.0)
        if float(attn_factor) != 1.0:
            sys.stderr.write("warning: rope.scaling.attn_factor=%g ignored\n" % attn_factor)
        self.llama3 = None
        if scaling == "llama3":
            self.llama3 = dict(factor=factor or 8.0,
                               low=float(key("rope.scaling.low_freq_factor", 1.0)),
                               high=float(key("rope.scaling.high_freq_factor", 4.0)),
                               orig_ctx=float(key("rope.scaling.original_context_length", 8192)))


def llama3_freq_factors(n_rot, base, factor, low, high, orig_ctx):
    """Llama 3.1 rope frequency divisors, as the HF->GGUF converter computes them."""
    freqs = 1.0 / base ** (np.arange(0, n_rot, 2, dtype=np.float64) / n_rot)
    wavelen = 2 * math.pi / freqs
    low_wl, high_wl = orig_ctx / low, orig_ctx / high
    smooth = (orig_ctx / wavelen - low) / (high - low)
    mid = 1.0 / ((1 - smooth) / factor + smooth)
    ff = np.where(wavelen < high_wl, 1.0, np.where(wavelen > low_wl, factor, mid))
    return ff.astype(np.float32).astype(np.float64)


def default_add_bos(g):
    """Whether llama.cpp would prepend BOS for this vocabulary."""
    if "tokenizer.ggml.add_bos_token" in g.metadata:
        return bool(g.metadata["tokenizer.ggml.add_bos_token"])
    model = g.get("tokenizer.ggml.model", "llama")
    if model in ("llama", "bert"):
        return True
    if model == "gpt2":
        return g.get("tokenizer.ggml.pre", "") in ("llama3", "llama-v3", "llama-bpe", "falcon3",
                                                    "tekken", "chameleon")
    return False


class Model:
    """Weights (float64 by default, numpy shape (n_out, n_in)) and settings."""

    def __init__(self, path, dtype=np.float64):
        self.path = path
        g = GGUFFile(path)
        self.gguf = g
        arch = g.get("general.architecture")
        if arch not in SUPPORTED_ARCHS:
            raise NotImplementedError("architecture %r not supported (%s)" % (arch, ", ".join(SUPPORTED_ARCHS)))
        self.hp = hp = Hparams(g, arch)
        self.dtype = dtype
        self.w = {}
        self.wtype = {}
        for name in g.tensors:
            self.w[name] = g.tensor(name).astype(dtype)
            self.wtype[name] = g.tensors[name].type_name
        if "output.weight" not in self.w:
            self.w["output.weight"] = self.w["token_embd.weight"]
            self.wtype["output.weight"] = self.wtype["token_embd.weight"]
        # act_quant: emulate engines (llama.cpp, Impetus) that quantize the input of
        # every matrix product with a quantized weight to int8 blocks of 32.
        self.act_quant = False
        self.n_vocab = self.w["token_embd.weight"].shape[0]
        self.freq_factors = None
        if "rope_freqs.weight" in self.w:
            self.freq_factors = self.w["rope_freqs.weight"].astype(np.float64).reshape(-1)[: hp.n_rot // 2]
        elif hp.llama3:
            l3 = hp.llama3
            self.freq_factors = llama3_freq_factors(hp.n_rot, hp.rope_base, l3["factor"], l3["low"],
                                                    l3["high"], l3["orig_ctx"])
        self.bos_id = g.get("tokenizer.ggml.bos_token_id")
        self.eos_id = g.get("tokenizer.ggml.eos_token_id")
        self.add_bos = default_add_bos(g)
        self.token_pieces = g.get("tokenizer.ggml.tokens")
        self.token_types = g.get("tokenizer.ggml.token_type")
        self.tokenizer_model = g.get("tokenizer.ggml.model")

    def layer(self, i, name, required=True):
        key = "blk.%d.%s" % (i, name)
        if key not in self.w:
            if required:
                raise KeyError("missing tensor " + key)
            return None
        return self.w[key]


def load_model(path, dtype=np.float64):
    """Load a GGUF model for the reference forward pass."""
    return Model(path, dtype)


class KVCache:
    """Per-layer K (n_past, n_head_kv, head_dim_k) and V (n_past, n_head_kv, head_dim_v)."""

    def __init__(self, n_layer):
        self.k = [None] * n_layer
        self.v = [None] * n_layer

    @property
    def n_past(self):
        return 0 if self.k[0] is None else self.k[0].shape[0]

    def append(self, il, k, v):
        self.k[il] = k if self.k[il] is None else np.concatenate([self.k[il], k], axis=0)
        self.v[il] = v if self.v[il] is None else np.concatenate([self.v[il], v], axis=0)
        return self.k[il], self.v[il]


def rms_norm(x, w, eps):
    """RMSNorm over the last axis, then scale by w."""
    x = np.asarray(x, dtype=np.float64)
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def rope(x, pos, n_rot, base, neox, freq_scale=1.0, freq_factors=None):
    """Rotate x (n_tokens, n_heads, head_dim) in place of a copy; pos: (n_tokens,) ints."""
    x = np.array(x, dtype=np.float64, copy=True)
    half = n_rot // 2
    inv = base ** (-2.0 * np.arange(half, dtype=np.float64) / n_rot)
    theta = np.asarray(pos, dtype=np.float64)[:, None] * freq_scale * inv[None, :]  # (n, half)
    if freq_factors is not None:
        theta = theta / np.asarray(freq_factors, dtype=np.float64)[None, :half]
    cos, sin = np.cos(theta)[:, None, :], np.sin(theta)[:, None, :]
    if neox:
        a, b = x[..., 0:half].copy(), x[..., half:n_rot].copy()
        x[..., 0:half] = a * cos - b * sin
        x[..., half:n_rot] = a * sin + b * cos
    else:
        a, b = x[..., 0:n_rot:2].copy(), x[..., 1:n_rot:2].copy()
        x[..., 0:n_rot:2] = a * cos - b * sin
        x[..., 1:n_rot:2] = a * sin + b * cos
    return x


def attention(q, k, v, n_past):
    """Causal attention. q (n, H, dk), k (T, Hkv, dk), v (T, Hkv, dv) -> (n, H*dv)."""
    n, n_head, dk = q.shape
    n_kv = k.shape[1]
    group = n_head // n_kv
    qg = q.reshape(n, n_kv, group, dk)
    scores = np.einsum("ikgd,jkd->kgij", qg, k) / math.sqrt(dk)         # (Hkv, g, n, T)
    t = k.shape[0]
    mask = np.arange(t)[None, :] > (n_past + np.arange(n))[:, None]     # (n, T)
    scores = np.where(mask, -np.inf, scores)
    scores = scores - scores.max(axis=-1, keepdims=True)
    p = np.exp(scores)
    p /= p.sum(axis=-1, keepdims=True)
    out = np.einsum("kgij,jkd->ikgd", p, v)                             # (n, Hkv, g, dv)
    return out.reshape(n, n_head * v.shape[2])


FLOAT_TYPES = ("F32", "F16", "BF16", "F64")


def fake_quant_q8(x):
    """x rounded as an int8 activation block of 32 (scale amax/127, round half away
    from zero), in float32 as the engines compute it, returned as float64."""
    xf = np.asarray(x, dtype=np.float32)
    shape = xf.shape
    b = xf.reshape(-1, 32)
    d = (np.abs(b).max(axis=1, keepdims=True) / np.float32(127)).astype(np.float32)
    with np.errstate(divide="ignore"):
        inv = np.where(d != 0, np.float32(1) / d, np.float32(0)).astype(np.float32)
    v = (b * inv).astype(np.float32)
    q = np.sign(v) * np.floor(np.abs(v) + np.float32(0.5))
    return (q.astype(np.float64) * d.astype(np.float64)).reshape(shape)


def _matmul(m, name, x):
    if m.act_quant and m.wtype.get(name, "F32") not in FLOAT_TYPES:
        x = fake_quant_q8(x)
    return x @ m.w[name].T


def _linear(m, il, name, x):
    m.layer(il, name + ".weight")  # raises if missing
    y = _matmul(m, "blk.%d.%s.weight" % (il, name), x)
    b = m.layer(il, name + ".bias", required=False)
    return y if b is None else y + b


def _attn_block(m, il, h, pos, cache):
    hp = m.hp
    n = h.shape[0]
    n_kv = hp.n_head_kv[il]
    q = _linear(m, il, "attn_q", h).reshape(n, hp.n_head, hp.head_dim_k)
    k = _linear(m, il, "attn_k", h).reshape(n, n_kv, hp.head_dim_k)
    v = _linear(m, il, "attn_v", h).reshape(n, n_kv, hp.head_dim_v)
    qn = m.layer(il, "attn_q_norm.weight", required=(hp.arch == "qwen3"))
    kn = m.layer(il, "attn_k_norm.weight", required=(hp.arch == "qwen3"))
    if qn is not None:
        q = rms_norm(q, qn, hp.eps)
    if kn is not None:
        k = rms_norm(k, kn, hp.eps)
    q = rope(q, pos, hp.n_rot, hp.rope_base, hp.rope_neox, hp.freq_scale, m.freq_factors)
    k = rope(k, pos, hp.n_rot, hp.rope_base, hp.rope_neox, hp.freq_scale, m.freq_factors)
    n_past = 0 if cache.k[il] is None else cache.k[il].shape[0]
    k_all, v_all = cache.append(il, k, v)
    return _linear(m, il, "attn_output", attention(q, k_all, v_all, n_past))


def forward(model, token_ids, cache=None):
    """Logits (n_tokens, n_vocab) float64 for token_ids, continuing from cache if given.

    Without a cache the tokens sit at positions 0..n-1; with one they follow the
    n_past tokens already in it (and are appended to it).
    """
    m, hp = model, model.hp
    ids = np.asarray(token_ids, dtype=np.int64).reshape(-1)
    if ids.size == 0:
        return np.zeros((0, m.n_vocab))
    if ids.min() < 0 or ids.max() >= m.n_vocab:
        raise ValueError("token id out of range [0, %d)" % m.n_vocab)
    cache = cache if cache is not None else KVCache(hp.n_layer)
    pos = cache.n_past + np.arange(ids.size)
    x = m.w["token_embd.weight"][ids].astype(np.float64)
    for il in range(hp.n_layer):
        h = rms_norm(x, m.layer(il, "attn_norm.weight"), hp.eps)
        x = x + _attn_block(m, il, h, pos, cache)
        h = rms_norm(x, m.layer(il, "ffn_norm.weight"), hp.eps)
        gate = _linear(m, il, "ffn_gate", h)
        up = _linear(m, il, "ffn_up", h)
        with np.errstate(over="ignore"):  # exp overflow -> silu(-big) = -0.0, which is right
            act = gate / (1.0 + np.exp(-gate))
        x = x + _linear(m, il, "ffn_down", act * up)
    x = rms_norm(x, m.w["output_norm.weight"], hp.eps)
    return _matmul(m, "output.weight", x)


def generate_greedy(model, prompt_ids, n_steps, stop_at_eos=False):
    """Greedy continuation (argmax, lowest id on ties) using a KV cache."""
    cache = KVCache(model.hp.n_layer)
    logits = forward(model, prompt_ids, cache)
    out = []
    for _ in range(n_steps):
        nxt = int(np.argmax(logits[-1]))
        out.append(nxt)
        if stop_at_eos and nxt == model.eos_id:
            break
        logits = forward(model, [nxt], cache)
    return out


def log_softmax(logits):
    z = logits - logits.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def perplexity(model, tokens, n_ctx, n_chunks=-1, add_bos=None):
    """llama-perplexity's default perplexity():

    chunks of n_ctx tokens (n_chunk = len // n_ctx, optionally capped), the first
    token of each chunk replaced by BOS when the vocab adds BOS, and for each
    chunk the sum over j in [n_ctx/2, n_ctx-2] of -log softmax(logits[j])[tok[j+1]].
    """
    tokens = [int(t) for t in tokens]
    if len(tokens) < 2 * n_ctx:
        raise ValueError("need at least %d tokens for n_ctx=%d, got %d" % (2 * n_ctx, n_ctx, len(tokens)))
    add_bos = model.add_bos if add_bos is None else add_bos
    n_chunk = len(tokens) // n_ctx
    if n_chunks is not None and n_chunks >= 0:
        n_chunk = min(n_chunk, n_chunks)
    first = n_ctx // 2
    nll_sum, count, per_chunk, running = 0.0, 0, [], []
    for i in range(n_chunk):
        chunk = tokens[i * n_ctx:(i + 1) * n_ctx]
        inp = list(chunk)
        if add_bos:
            inp[0] = int(model.bos_id)
        lp = log_softmax(forward(model, inp))
        idx = np.arange(first, n_ctx - 1)
        nll = -lp[idx, np.asarray(chunk)[idx + 1]]
        nll_sum += float(nll.sum())
        count += nll.size
        per_chunk.append(float(nll.mean()))
        running.append(math.exp(nll_sum / count))
    return {"ppl": math.exp(nll_sum / count), "n_chunks": n_chunk, "n_ctx": n_ctx,
            "n_scored": count, "nll_mean": nll_sum / count, "nll_per_chunk": per_chunk,
            "ppl_running": running, "add_bos": bool(add_bos)}


def _gpt2_byte_decoder():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs, n = list(bs), 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def decode(model, ids):
    """Token ids -> text (SPM: U+2581 -> space, <0xXX> byte tokens; gpt2: byte-level)."""
    pieces, out = model.token_pieces, bytearray()
    if pieces is None:
        return ""
    byte_dec = _gpt2_byte_decoder() if model.tokenizer_model == "gpt2" else None
    for t in ids:
        p = pieces[t]
        p = p.decode("utf-8", "replace") if isinstance(p, bytes) else p
        ttype = int(model.token_types[t]) if model.token_types is not None else 1
        if ttype == 3:  # CONTROL tokens print nothing
            continue
        if ttype == 6 and p.startswith("<0x") and len(p) == 6:
            out.append(int(p[3:5], 16))
        elif byte_dec is not None and ttype == 1:
            out.extend(byte_dec.get(ch, 0x3F) for ch in p)
        else:
            out.extend(p.replace("\u2581", " ").encode("utf-8"))
    return out.decode("utf-8", "replace")


def _read_ids(text):
    return [int(t) for t in text.replace(",", " ").split()]


def _parse_args(argv):
    import argparse
    ap = argparse.ArgumentParser(description="numpy reference forward pass (llama / qwen2 / qwen3 GGUF)")
    ap.add_argument("model")
    ap.add_argument("--tokens", help="comma-separated token ids, e.g. 1,403,407")
    ap.add_argument("--tokens-file", help="file of whitespace/comma-separated token ids")
    ap.add_argument("--out", help="save logits: .npy (numpy) or anything else = raw little-endian")
    ap.add_argument("--out-dtype", choices=("f32", "f64"), default="f32")
    ap.add_argument("--json", action="store_true", help="print one JSON object with all logits")
    ap.add_argument("--top", type=int, default=5, help="top-k per position in the text summary")
    ap.add_argument("--greedy", type=int, default=0, metavar="N", help="continue greedily N steps")
    ap.add_argument("--stop-eos", action="store_true", help="stop greedy decoding at EOS")
    ap.add_argument("--perplexity", nargs="?", const="", default=None, metavar="TEXT",
                    help="perplexity mode; ids come from --tokens-file (TEXT is only recorded)")
    ap.add_argument("--act-quant", action="store_true",
                    help="quantize the input of quantized-weight matrix products to int8 blocks of 32")
    ap.add_argument("--ctx", type=int, default=512, help="perplexity context size")
    ap.add_argument("--chunks", type=int, default=-1, help="max perplexity chunks (-1 = all)")
    bos = ap.add_mutually_exclusive_group()
    bos.add_argument("--bos", dest="add_bos", action="store_const", const=True, default=None,
                     help="force BOS at the start of each perplexity chunk")
    bos.add_argument("--no-bos", dest="add_bos", action="store_const", const=False)
    return ap.parse_args(argv)


def _run_perplexity(m, a, ids):
    r = perplexity(m, ids, a.ctx, a.chunks, a.add_bos)
    if a.perplexity:
        r["text_file"] = a.perplexity
    print(json.dumps(r))
    return 0


def main(argv):
    a = _parse_args(argv)
    ids = _read_ids(a.tokens) if a.tokens else None
    if a.tokens_file:
        with open(a.tokens_file) as f:
            ids = _read_ids(f.read())
    if ids is None:
        sys.stderr.write("give --tokens or --tokens-file\n")
        return 2
    m = load_model(a.model)
    m.act_quant = a.act_quant
    if a.perplexity is not None:
        return _run_perplexity(m, a, ids)
    logits = forward(m, ids)
    gen = generate_greedy(m, ids, a.greedy, a.stop_eos) if a.greedy else None
    if a.out:
        arr = logits.astype(np.float32 if a.out_dtype == "f32" else np.float64)
        if a.out.endswith(".npy"):
            np.save(a.out, arr)
        else:
            arr.astype(arr.dtype.newbyteorder("<")).tofile(a.out)
    if a.json:
        obj = {"tokens": ids, "n_vocab": m.n_vocab, "logits": logits.tolist()}
        if gen is not None:
            obj["generated"] = gen
            obj["text"] = decode(m, gen)
        print(json.dumps(obj))
        return 0
    for i, row in enumerate(logits):
        top = np.argsort(-row, kind="stable")[: a.top]
        print("pos %d (token %d): %s" % (i, ids[i], " ".join("%d(%.4f)" % (t, row[t]) for t in top)))
    if gen is not None:
        print("generated:", " ".join(str(t) for t in gen))
        print("text:", repr(decode(m, ids + gen)))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (ValueError, NotImplementedError, KeyError, OSError) as e:
        sys.stderr.write("ref_forward: error: %s\n" % e)
        sys.exit(2)
