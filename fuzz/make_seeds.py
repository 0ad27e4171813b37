#!/usr/bin/python3
"""Writes small seed inputs for the GGUF fuzz target into a directory: tiny
valid models of each family with SPM, BPE and WordPiece tokenizer metadata,
so the fuzzer starts from files that reach the deep parsing paths."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from gguf_ref import write_gguf, T_ARRAY, T_STRING, T_FLOAT32, T_INT32  # noqa: E402


def model(arch, tok_model, tokens, extra):
    rng = np.random.default_rng(0)
    d, ff, v = 32, 32, len(tokens)
    md = [("general.architecture", arch), (f"{arch}.embedding_length", d),
          (f"{arch}.block_count", 1), (f"{arch}.feed_forward_length", ff),
          (f"{arch}.attention.head_count", 2), (f"{arch}.attention.head_count_kv", 1),
          (f"{arch}.context_length", 64),
          ("tokenizer.ggml.model", tok_model),
          ("tokenizer.ggml.tokens", (T_ARRAY, T_STRING), tokens),
          ("tokenizer.ggml.scores", (T_ARRAY, T_FLOAT32), [float(-i) for i in range(v)]),
          ("tokenizer.ggml.token_type", (T_ARRAY, T_INT32), [1] * v),
          ("tokenizer.ggml.bos_token_id", 1), ("tokenizer.ggml.eos_token_id", 2)] + extra
    t = lambda *shape: rng.standard_normal(shape).astype(np.float32) * 0.1
    tensors = [("token_embd.weight", t(v, d)), ("output_norm.weight", np.ones(d, np.float32)),
               ("blk.0.attn_norm.weight", np.ones(d, np.float32)), ("blk.0.attn_q.weight", t(d, d)),
               ("blk.0.attn_k.weight", t(16, d)), ("blk.0.attn_v.weight", t(16, d)),
               ("blk.0.attn_output.weight", t(d, d)), ("blk.0.ffn_norm.weight", np.ones(d, np.float32)),
               ("blk.0.ffn_gate.weight", t(ff, d)), ("blk.0.ffn_up.weight", t(ff, d)),
               ("blk.0.ffn_down.weight", t(d, ff))]
    return md, tensors


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    spm = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)] + ["\u2581H", "el", "lo", "\u2581w"]
    bpe = ["a", "<s>", "</s>", "b", "c", "\u0120", "ab", "\u0120a"]
    wpm = ["[PAD]", "[CLS]", "[SEP]", "[UNK]", "\u2581hello", "\u2581world", "##s"]
    seeds = {
        "llama_spm": model("llama", "llama", spm, []),
        "qwen2_bpe": model("qwen2", "gpt2", bpe, [("tokenizer.ggml.merges", (T_ARRAY, T_STRING), ["a b", "\u0120 a"]),
                                                  ("tokenizer.ggml.pre", "qwen2")]),
        "qwen3_wpm": model("qwen3", "bert", wpm, []),
    }
    for name, (md, tensors) in seeds.items():
        write_gguf(os.path.join(out_dir, name + ".gguf"), md, tensors)


if __name__ == "__main__":
    main(sys.argv[1])
