// Fusion of neighbouring commands. Each rule replaces a pattern the forward
// pass (model/transformer.cc) produces by one kernel computing the same
// values, and applies only when the commands match exactly:
//   RmsNorm(x -> y) + Quantize(y) + Matvec(1 token, reads that Q8)
//                                       -> Matvec whose blocks normalize and
//                                          quantize x themselves (and store y)
//   Quantize(x) + Matvec(1 token)       -> Matvec quantizing x itself
//   (both only when no later command reads the Q8 scratch they skip, and
//   only when asked for: measured slower than separate kernels on an H100)
//   RmsNorm(y) + Quantize(y)            -> RmsNorm writing y and its Q8 form
//   Swiglu(out) + Quantize(out)         -> Swiglu writing out and its Q8 form
//   Attention(out) + Quantize(out)      -> Attention writing out and its Q8 form
//   Matvec(y) + Add(r, y -> r)          -> Matvec also adding y into r
//   Matvec(gate, up; 1 token) + Swiglu [+ Quantize]
//                                       -> Matvec computing the SwiGLU (and
//                                          its Q8 form) in its epilogue
//                                          (Q4_0 with enough outputs to fill
//                                          the GPU: on by default; other
//                                          types: only when asked for)
//   Rope(q) + Rope(k) + KvStore(k, v)   -> one kernel per token: rotate q and
//                                          k, store k and v in the cache
//   that Rope + Attention(q), every token of its own sequence (decode)
//                                       -> Attention rotating q and k and
//                                          storing k and v itself (only when
//                                          no later command reads q or k
//                                          before overwriting them)
#include <cstring>

#include "backend/cuda/commands.h"

namespace impetus::cuda {
namespace {

bool fuse_quantize(Cmd& first, const Cmd& next) {
  if (next.op != Op::kQuantize) return false;
  const QuantizeCmd& q = next.quantize;
  if (first.op == Op::kRmsNorm) {
    RmsNormCmd& r = first.rms_norm;
    if (r.qs != nullptr || r.y != q.x || r.n != q.n || r.rows != q.rows || r.n % 32 != 0) return false;
    r.qs = q.qs;
    r.meta = q.meta;
    return true;
  }
  if (first.op == Op::kAttention) {
    AttentionArgs& at = first.attention.args;
    const int64_t n = static_cast<int64_t>(at.n_head) * at.head_dim;
    if (at.qs != nullptr || at.out != q.x || n != q.n || at.n_tok != q.rows || at.head_dim % 32 != 0) return false;
    at.qs = q.qs;
    at.meta = q.meta;
    return true;
  }
  if (first.op == Op::kSwiglu) {
    SwigluCmd& s = first.swiglu;
    if (s.qs != nullptr || s.out != q.x || s.n != q.n || s.rows != q.rows || s.n % 32 != 0) return false;
    s.qs = q.qs;
    s.meta = q.meta;
    return true;
  }
  return false;
}

bool fuse_residual(Cmd& first, const Cmd& next) {
  if (first.op != Op::kMatvec || next.op != Op::kAdd) return false;
  MatvecArgs& m = first.matvec.args;
  const AddCmd& a = next.add;
  if (m.n_w != 1 || m.residual != nullptr || a.n != m.ws[0].n_out * m.n_tok) return false;
  const float* y = m.ws[0].y;
  const float* other = a.b == y ? a.a : (a.a == y ? a.b : nullptr);
  if (other == nullptr || other != a.out || other == y) return false;
  // The residual must not be the product's own input (it changes while other blocks read it).
  if (m.x == other || m.act == other || m.pro_x == other) return false;
  m.residual = a.out;
  return true;
}

// Matvec(gate, up; one token) + Swiglu(gate, up -> out) [+ Quantize(out)]:
// the product computes the SwiGLU (and its Q8 form) in its epilogue.
// Returns the number of commands absorbed after `first`.
size_t fuse_swiglu_epilogue(Cmd& first, const std::vector<Cmd>& cmds, size_t next, int64_t quant_min_groups,
                            int32_t* counters) {
  if (first.op != Op::kMatvec || next >= cmds.size() || cmds[next].op != Op::kSwiglu) return 0;
  MatvecArgs& m = first.matvec.args;
  const bool block_kernel =
      quant_min_groups > 0 && m.type == DType::kQ4_0 && m.ws[0].n_out / 32 >= quant_min_groups;
  if (counters == nullptr && !block_kernel) return 0;
  const SwigluCmd& s = cmds[next].swiglu;
  const int64_t n = m.ws[0].n_out;
  if (m.n_w != 2 || m.n_tok != 1 || m.swiglu_out != nullptr || m.residual != nullptr || m.ws[1].n_out != n ||
      n % 32 != 0 || n / 32 > kMatvecCounters || s.gate != m.ws[0].y || s.up != m.ws[1].y || s.n != n ||
      s.rows != 1) {
    return 0;
  }
  // The outputs must not be inputs the product's other warps still read.
  if (s.out == m.x || s.out == m.act || s.out == m.pro_x || s.out == m.ws[1].y || s.qs == m.act) return 0;
  m.swiglu_out = s.out;
  m.swiglu_qs = s.qs;
  m.swiglu_meta = s.meta;
  m.counters = counters;
  if (s.qs == nullptr && next + 1 < cmds.size() && cmds[next + 1].op == Op::kQuantize) {
    const QuantizeCmd& q = cmds[next + 1].quantize;
    if (q.x == s.out && q.n == n && q.rows == 1 && q.qs != m.act && q.meta != m.meta) {
      m.swiglu_qs = q.qs;
      m.swiglu_meta = q.meta;
      return 2;
    }
  }
  return 1;
}

bool same_rope(const RopeCmd& a, const RopeCmd& b, const uint8_t* arena) {
  const RopeArgs &x = a.args, &y = b.args;
  if (x.head_dim != y.head_dim || x.n_tok != y.n_tok || x.neox != y.neox || x.n_rot != y.n_rot ||
      x.freq_base != y.freq_base || x.freq_scale != y.freq_scale || x.freq_factors != y.freq_factors) {
    return false;
  }
  auto same_bytes = [arena](ArenaRef r, ArenaRef s) {
    return r.bytes == s.bytes && std::memcmp(arena + r.off, arena + s.off, r.bytes) == 0;
  };
  return same_bytes(a.positions, b.positions) && same_bytes(a.factors, b.factors);
}

bool fuse_rope_kv(Cmd& first, const Cmd& second, const Cmd& third, const uint8_t* arena) {
  if (first.op != Op::kRope || second.op != Op::kRope || third.op != Op::kKvStore) return false;
  RopeCmd& q = first.rope;
  const RopeCmd& k = second.rope;
  const KvStoreCmd& kv = third.kv_store;
  if (q.args.x2 != nullptr || k.args.x2 != nullptr || q.args.x == k.args.x) return false;
  if (!same_rope(q, k, arena)) return false;
  if (kv.k != k.args.x || kv.n_tok != k.args.n_tok ||
      kv.kv_dim != static_cast<int64_t>(k.args.n_heads) * k.args.head_dim) {
    return false;
  }
  q.args.x2 = k.args.x;
  q.args.n_heads2 = k.args.n_heads;
  q.args.v = kv.v;
  q.args.k_cache = kv.k_cache;
  q.args.v_cache = kv.v_cache;
  q.args.cache_f16 = kv.f16;
  q.slots = kv.slots;
  return true;
}

// Whether command c may read device buffer p (compared by base pointer, as
// the other rules do), and whether it overwrites p without reading it.
bool reads(const Cmd& c, const void* p) {
  switch (c.op) {
    case Op::kCopy: return false;
    case Op::kGetRows: return c.get_rows.table == p;
    case Op::kQuantize: return c.quantize.x == p;
    case Op::kMatvec: {
      const MatvecArgs& a = c.matvec.args;
      return a.act == p || a.x == p || a.pro_x == p || a.residual == p;
    }
    case Op::kGemm: return c.gemm.x == p;
    case Op::kAddBias: return c.add_bias.y == p;
    case Op::kRmsNorm: return c.rms_norm.x == p;
    case Op::kRope: return c.rope.args.x == p || c.rope.args.x2 == p || c.rope.args.v == p;
    case Op::kSwiglu: return c.swiglu.gate == p || c.swiglu.up == p;
    case Op::kAdd: return c.add.a == p || c.add.b == p;
    case Op::kKvStore: return c.kv_store.k == p || c.kv_store.v == p;
    case Op::kArgmax: return c.argmax.x == p;
    case Op::kAttention: {
      const AttentionArgs& a = c.attention.args;
      return a.q == p || (a.with_rope && (a.rope.x2 == p || a.rope.v == p));
    }
  }
  return true;
}

bool overwrites(const Cmd& c, const void* p) {
  if (reads(c, p)) return false;
  switch (c.op) {
    case Op::kMatvec: {
      const MatvecArgs& a = c.matvec.args;
      for (int i = 0; i < a.n_w; ++i) {
        if (a.ws[i].y == p) return true;
      }
      return false;
    }
    case Op::kGemm: return c.gemm.y == p;
    case Op::kRmsNorm: return c.rms_norm.y == p;
    case Op::kAdd: return c.add.out == p;
    default: return false;
  }
}

// True when the commands from `from` on overwrite p before any reads it
// (not when the list ends first: a later list might read it).
bool dead_after(const std::vector<Cmd>& cmds, size_t from, const void* p) {
  for (size_t k = from; k < cmds.size(); ++k) {
    if (reads(cmds[k], p)) return false;
    if (overwrites(cmds[k], p)) return true;
  }
  return false;
}

// Rope(q, k + KV store) + Attention(q) of a decode step -> Attention doing
// the rotation and the store itself, when the rotated q and k are read by
// nothing after the attention.
bool fuse_rope_attention(Cmd& first, const std::vector<Cmd>& cmds, size_t next) {
  if (first.op != Op::kRope || next >= cmds.size() || cmds[next].op != Op::kAttention) return false;
  const RopeArgs& r = first.rope.args;
  const AttentionCmd& at = cmds[next].attention;
  const AttentionArgs& a = at.args;
  if (!at.one_token_per_seq || a.with_rope || r.k_cache == nullptr || r.x2 == nullptr || a.q != r.x ||
      a.k_cache != r.k_cache || a.v_cache != r.v_cache || a.cache_f16 != r.cache_f16 || a.n_head != r.n_heads ||
      a.n_head_kv != r.n_heads2 || a.head_dim != r.head_dim || a.n_tok != r.n_tok || r.n_rot > a.head_dim) {
    return false;
  }
  if (!dead_after(cmds, next + 1, r.x) || !dead_after(cmds, next + 1, r.x2)) return false;
  Cmd merged = cmds[next];
  merged.attention.args.with_rope = true;
  merged.attention.args.rope = r;
  merged.attention.rope = first.rope;
  first = merged;
  return true;
}

// True when no command from `from` on reads the Q8 scratch `qs` before
// another one rewrites it (the scratch is the backend's own: nothing
// outside the list reads it).
bool q8_dead_after(const std::vector<Cmd>& cmds, size_t from, const void* qs) {
  for (size_t k = from; k < cmds.size(); ++k) {
    const Cmd& c = cmds[k];
    if (c.op == Op::kMatvec && c.matvec.args.act == qs) return false;
    if ((c.op == Op::kQuantize && c.quantize.qs == qs) || (c.op == Op::kRmsNorm && c.rms_norm.qs == qs) ||
        (c.op == Op::kSwiglu && c.swiglu.qs == qs)) {
      return true;
    }
  }
  return true;
}

// A one-token product of Q8 activations that a prologue may compute.
bool prologue_candidate(const Cmd& m, const QuantizeCmd& q) {
  if (m.op != Op::kMatvec) return false;
  const MatvecArgs& a = m.matvec.args;
  return a.n_tok == 1 && q.rows == 1 && a.prologue == Prologue::kNone && a.act == q.qs && a.meta == q.meta &&
         a.n_in == q.n && a.residual == nullptr;
}

bool fuse_quantize_prologue(const Cmd& quant, const Cmd& matvec) {
  return quant.op == Op::kQuantize && prologue_candidate(matvec, quant.quantize);
}

Cmd quantize_prologue(const Cmd& quant, Cmd matvec) {
  MatvecArgs& a = matvec.matvec.args;
  a.prologue = Prologue::kQuantize;
  a.pro_x = quant.quantize.x;
  return matvec;
}

bool fuse_rms_prologue(const Cmd& rms, const Cmd& quant, const Cmd& matvec) {
  if (rms.op != Op::kRmsNorm || quant.op != Op::kQuantize) return false;
  const RmsNormCmd& r = rms.rms_norm;
  const QuantizeCmd& q = quant.quantize;
  // y != x: block 0 stores y while the others still read x.
  return r.qs == nullptr && r.rows == 1 && r.y != r.x && r.y == q.x && r.n == q.n &&
         prologue_candidate(matvec, q);
}

Cmd rms_prologue(const Cmd& rms, Cmd matvec) {
  MatvecArgs& a = matvec.matvec.args;
  a.prologue = Prologue::kRmsNorm;
  a.pro_x = rms.rms_norm.x;
  a.pro_w = rms.rms_norm.w;
  a.pro_eps = rms.rms_norm.eps;
  a.pro_y = rms.rms_norm.y;
  return matvec;
}

}  // namespace

int fuse_commands(std::vector<Cmd>& cmds, const uint8_t* arena, const FusionRules& rules) {
  const bool prologues = rules.prologues, rope_attention = rules.rope_attention;
  int32_t* counters = rules.swiglu_counters;
  std::vector<Cmd> out;
  out.reserve(cmds.size());
  int removed = 0;
  const size_t n = cmds.size();
  for (size_t i = 0; i < n;) {
    Cmd c = cmds[i];
    size_t next = i + 1;
    for (bool progress = true; progress;) {
      progress = false;
      if (prologues && next + 1 < n && fuse_rms_prologue(c, cmds[next], cmds[next + 1]) &&
          q8_dead_after(cmds, next + 2, cmds[next + 1].matvec.args.act)) {
        c = rms_prologue(c, cmds[next + 1]);
        next += 2;
        removed += 2;
        progress = true;
      } else if (prologues && next < n && fuse_quantize_prologue(c, cmds[next]) &&
                 q8_dead_after(cmds, next + 1, cmds[next].matvec.args.act)) {
        c = quantize_prologue(c, cmds[next]);
        next += 1;
        removed += 1;
        progress = true;
      } else if (const size_t k = fuse_swiglu_epilogue(c, cmds, next, rules.swiglu_quant_min_groups, counters); k > 0) {
        next += k;
        removed += static_cast<int>(k);
        progress = true;
      } else if (next + 1 < n && fuse_rope_kv(c, cmds[next], cmds[next + 1], arena)) {
        next += 2;
        removed += 2;
        progress = true;
      } else if (rope_attention && fuse_rope_attention(c, cmds, next)) {
        next += 1;
        removed += 1;
        progress = true;
      } else if (next < n && (fuse_quantize(c, cmds[next]) || fuse_residual(c, cmds[next]))) {
        next += 1;
        removed += 1;
        progress = true;
      }
    }
    out.push_back(c);
    i = next;
  }
  cmds.swap(out);
  return removed;
}

}  // namespace impetus::cuda
