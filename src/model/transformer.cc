// The shared forward pass of every supported family: pre-norm decoder
// layers (RMSNorm, attention with optional biases / q-k norms and rope over
// the paged KV cache, SwiGLU feed-forward), final norm and output matrix for
// the rows that want logits. A split model (model.h) runs its first layers
// on the host backend and hands the residual rows to the primary once.
#include <cmath>

#include "model/model.h"

namespace impetus {

Status Model::ensure_scratch(int64_t n_tok, int64_t n_out) {
  IMP_RETURN_IF_ERROR(ensure_scratch_on(backend_, scratch_, n_tok, n_out));
  if (split()) IMP_RETURN_IF_ERROR(ensure_scratch_on(*host_, host_scratch_, n_tok, 0));
  return ok_status();
}

Status Model::ensure_scratch_on(Backend& be, Scratch& s, int64_t n_tok, int64_t n_out) {
  if (n_tok <= s.n_tokens && n_out <= s.n_outputs) return ok_status();
  n_tok = std::max(n_tok, s.n_tokens);
  n_out = std::max(n_out, s.n_outputs);
  s.buffers.clear();
  const auto& c = config_;
  auto make = [&](int64_t cols, int64_t rows, Tensor* t) -> Status {
    IMP_ASSIGN_OR_RETURN(auto buf, be.alloc(static_cast<size_t>(cols * rows) * sizeof(float)));
    *t = make_tensor(DType::kF32, cols, rows, buf->data());
    s.buffers.push_back(std::move(buf));
    return ok_status();
  };
  IMP_RETURN_IF_ERROR(make(c.n_embd, n_tok, &s.x));
  IMP_RETURN_IF_ERROR(make(std::max(c.n_embd, c.q_dim()), n_tok, &s.xn));
  IMP_RETURN_IF_ERROR(make(c.q_dim(), n_tok, &s.q));
  IMP_RETURN_IF_ERROR(make(c.kv_dim(), n_tok, &s.k));
  IMP_RETURN_IF_ERROR(make(c.kv_dim(), n_tok, &s.v));
  IMP_RETURN_IF_ERROR(make(c.q_dim(), n_tok, &s.attn));
  IMP_RETURN_IF_ERROR(make(c.n_ff, n_tok, &s.gate));
  IMP_RETURN_IF_ERROR(make(c.n_ff, n_tok, &s.up));
  if (n_out > 0) {
    IMP_RETURN_IF_ERROR(make(c.n_embd, n_out, &s.out_x));
    IMP_RETURN_IF_ERROR(make(c.n_vocab, n_out, &s.logits));
  }
  s.n_tokens = n_tok;
  s.n_outputs = n_out;
  return ok_status();
}

// Moves the residual stream x of the batch from the host backend to the
// primary one (read() waits for the host's last layer).
void Model::hand_over(int64_t n_tok) {
  const size_t n = static_cast<size_t>(n_tok * config_.n_embd);
  if (hand_over_.size() < n) hand_over_.resize(n);
  host_->read(host_scratch_.x.rows(0, n_tok), hand_over_.data(), n * sizeof(float));
  Tensor x = scratch_.x.rows(0, n_tok);
  backend_.write(x, hand_over_.data(), n * sizeof(float));
}

void Model::run_layer(int il, const ForwardBatch& batch, KvCache& cache, int64_t n_tok) {
  const auto& c = config_;
  const LayerWeights& l = weights_.layers[static_cast<size_t>(il)];
  Backend& be = layer_backend(il);
  auto& s = layer_scratch(il);
  Tensor x = s.x.rows(0, n_tok), xn = s.xn.rows(0, n_tok).reshaped({c.n_embd, n_tok, 1, 1});
  Tensor q = s.q.rows(0, n_tok), k = s.k.rows(0, n_tok), v = s.v.rows(0, n_tok);
  Tensor attn = s.attn.rows(0, n_tok);

  // Attention block.
  be.rms_norm(x, l.attn_norm, c.rms_eps, xn);
  {
    const Tensor ws[3] = {l.wq, l.wk, l.wv};
    Tensor ys[3] = {q, k, v};
    be.matmul_n(ws, 3, xn, ys);
  }
  if (present(l.bq)) be.add_bias(q, l.bq);
  if (present(l.bk)) be.add_bias(k, l.bk);
  if (present(l.bv)) be.add_bias(v, l.bv);
  if (present(l.q_norm)) {
    Tensor qh = q.reshaped({c.head_dim, c.n_head * n_tok, 1, 1});
    be.rms_norm(qh, l.q_norm, c.rms_eps, qh);
    Tensor kh = k.reshaped({c.head_dim, c.n_head_kv * n_tok, 1, 1});
    be.rms_norm(kh, l.k_norm, c.rms_eps, kh);
  }
  const Tensor& freqs = il < first_primary_layer_ ? host_rope_freqs_ : weights_.rope_freqs;
  RopeParams rp{c.rope_mode, c.n_rot, c.rope_freq_base, c.rope_freq_scale,
                present(freqs) ? freqs.f32() : nullptr};
  be.rope(q, c.n_head, c.head_dim, batch.info.positions.data(), rp);
  be.rope(k, c.n_head_kv, c.head_dim, batch.info.positions.data(), rp);
  be.kv_store(k, v, cache.k(il), cache.v(il), batch.info);
  AttentionParams ap{c.n_head, c.n_head_kv, c.head_dim,
                     static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.head_dim)))};
  be.attention(q, cache.k(il), cache.v(il), batch.info, ap, attn);
  be.matmul(l.wo, attn, xn);
  if (present(l.bo)) be.add_bias(xn, l.bo);
  be.add(x, xn, x);

  // Feed-forward block.
  Tensor gate = s.gate.rows(0, n_tok), up = s.up.rows(0, n_tok);
  be.rms_norm(x, l.ffn_norm, c.rms_eps, xn);
  {
    const Tensor ws[2] = {l.w_gate, l.w_up};
    Tensor ys[2] = {gate, up};
    be.matmul_n(ws, 2, xn, ys);
  }
  be.swiglu(gate, up, gate);
  be.matmul(l.w_down, gate, xn);
  be.add(x, xn, x);
}

StatusOr<Tensor> Model::compute_logits(const ForwardBatch& batch, KvCache& cache) {
  IMP_RETURN_IF_ERROR(validate(batch, cache));
  const int64_t n_tok = batch.n_tokens();
  const int64_t n_out = static_cast<int64_t>(batch.output_rows.size());
  IMP_RETURN_IF_ERROR(ensure_scratch(n_tok, std::max<int64_t>(n_out, 1)));
  const auto& c = config_;
  auto& s = scratch_;
  Tensor x0 = layer_scratch(0).x.rows(0, n_tok);
  layer_backend(0).get_rows(weights_.tok_embd, batch.tokens.data(), n_tok, x0);
  for (int il = 0; il < c.n_layer; ++il) {
    if (il == first_primary_layer_ && il > 0) hand_over(n_tok);
    run_layer(il, batch, cache, n_tok);
  }
  Tensor x = s.x.rows(0, n_tok);
  if (n_out == 0) return Tensor{};
  Tensor ox = s.out_x.rows(0, n_out);
  backend_.get_rows(x, batch.output_rows.data(), n_out, ox);
  backend_.rms_norm(ox, weights_.output_norm, c.rms_eps, ox);
  Tensor lg = s.logits.rows(0, n_out);
  backend_.matmul(weights_.output, ox, lg);
  return lg;
}

Status Model::forward(const ForwardBatch& batch, KvCache& cache, std::vector<float>* logits) {
  IMP_ASSIGN_OR_RETURN(Tensor lg, compute_logits(batch, cache));
  logits->resize(batch.output_rows.size() * static_cast<size_t>(config_.n_vocab));
  if (!logits->empty()) backend_.read(lg, logits->data(), logits->size() * sizeof(float));
  return ok_status();
}

Status Model::forward_greedy(const ForwardBatch& batch, KvCache& cache, std::vector<int32_t>* ids) {
  IMP_ASSIGN_OR_RETURN(Tensor lg, compute_logits(batch, cache));
  ids->resize(batch.output_rows.size());
  if (!ids->empty()) backend_.argmax_rows(lg, ids->data());
  return ok_status();
}

}  // namespace impetus
