// Fusion of neighbouring commands. Each rule replaces a pattern the forward
// pass (model/transformer.cc) produces by one kernel computing the same
// values, and applies only when the commands match exactly:
//   RmsNorm(y) + Quantize(y)            -> RmsNorm writing y and its Q8 form
//   Swiglu(out) + Quantize(out)         -> Swiglu writing out and its Q8 form
//   Matvec(y) + Add(r, y -> r)          -> Matvec also adding y into r
//   Rope(q) + Rope(k) + KvStore(k, v)   -> one kernel per token: rotate q and
//                                          k, store k and v in the cache
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
  if (m.x == other || m.act == other) return false;
  m.residual = a.out;
  return true;
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

}  // namespace

int fuse_commands(std::vector<Cmd>& cmds, const uint8_t* arena) {
  std::vector<Cmd> out;
  out.reserve(cmds.size());
  int removed = 0;
  for (size_t i = 0; i < cmds.size();) {
    Cmd c = cmds[i];
    if (i + 2 < cmds.size() && fuse_rope_kv(c, cmds[i + 1], cmds[i + 2], arena)) {
      out.push_back(c);
      i += 3;
      removed += 2;
      continue;
    }
    if (i + 1 < cmds.size() && (fuse_quantize(c, cmds[i + 1]) || fuse_residual(c, cmds[i + 1]))) {
      out.push_back(c);
      i += 2;
      removed += 1;
      continue;
    }
    out.push_back(c);
    ++i;
  }
  cmds.swap(out);
  return removed;
}

}  // namespace impetus::cuda
