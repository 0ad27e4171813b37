// The CUDA backend's executor: runs a recorded command list, either by
// launching its kernels (after fusing neighbours) or by replaying the CUDA
// graph captured the second time the same list was seen.
#include <cstring>

#include "backend/cuda/backend_impl.h"

namespace impetus {

using cuda::Cmd;
using cuda::Op;

namespace {

constexpr size_t kMaxGraphs = 16;

bool graphable(const std::vector<Cmd>& cmds) {
  for (const Cmd& c : cmds) {
    if (c.op == Op::kGemm) return false;  // prefill: launch overhead is small, cuBLAS stays out of graphs
  }
  return true;
}

bool same_list(const GraphEntry& e, const std::vector<Cmd>& cmds, size_t arena_used) {
  return e.arena_used == arena_used && e.cmds.size() == cmds.size() &&
         std::memcmp(e.cmds.data(), cmds.data(), cmds.size() * sizeof(Cmd)) == 0;
}

}  // namespace

void CudaBackend::Impl::clear_graphs() {
  if (graphs.empty()) return;
  IMP_CUDA_CHECK(cudaStreamSynchronize(stream));
  for (GraphEntry& e : graphs) IMP_CUDA_CHECK(cudaGraphExecDestroy(e.exec));
  graphs.clear();
  seen.clear();
}

void CudaBackend::Impl::ensure_dev_arena() {
  if (dev_arena_cap >= arena_used) return;
  IMP_CUDA_CHECK(cudaStreamSynchronize(stream));
  clear_graphs();
  IMP_CUDA_CHECK(cudaFree(dev_arena));
  dev_arena_cap = arena_cap;
  IMP_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&dev_arena), dev_arena_cap));
}

void CudaBackend::Impl::flush() {
  if (!open) return;
  IMP_CUDA_CHECK(cudaSetDevice(options.device));
  ensure_dev_arena();
  ++stats.lists_run;
  bool done = false;
  if (options.graphs && graphable(cmds)) {
    for (auto it = graphs.begin(); it != graphs.end(); ++it) {
      if (it->hash == hash && same_list(*it, cmds, arena_used)) {
        IMP_CUDA_CHECK(cudaGraphLaunch(it->exec, stream));
        graphs.splice(graphs.begin(), graphs, it);  // most recently used first
        ++stats.graph_replays;
        done = true;
        break;
      }
    }
    if (!done && seen.count(hash) != 0) {
      // Second sighting: capture the list once, replay it from now on.
      IMP_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
      execute(cmds);
      cudaGraph_t graph = nullptr;
      IMP_CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
      GraphEntry e;
      e.hash = hash;
      e.cmds = cmds;
      e.arena_used = arena_used;
      IMP_CUDA_CHECK(cudaGraphInstantiate(&e.exec, graph, 0));
      IMP_CUDA_CHECK(cudaGraphDestroy(graph));
      if (graphs.size() >= kMaxGraphs) {
        IMP_CUDA_CHECK(cudaStreamSynchronize(stream));
        IMP_CUDA_CHECK(cudaGraphExecDestroy(graphs.back().exec));
        graphs.pop_back();
      }
      graphs.push_front(std::move(e));
      IMP_CUDA_CHECK(cudaGraphLaunch(graphs.front().exec, stream));
      ++stats.graph_captures;
      done = true;
    }
    if (!done) seen.insert(hash);
  }
  if (!done) {
    execute(cmds);
    stats.kernels += cmds.size();
  }
  IMP_CUDA_CHECK(cudaEventRecord(arena_free, stream));
  arena_event_pending = true;
  cmds.clear();
  open = false;
}

void CudaBackend::Impl::sync() {
  flush();
  IMP_CUDA_CHECK(cudaSetDevice(options.device));
  IMP_CUDA_CHECK(cudaStreamSynchronize(stream));
  for (void* p : graveyard) IMP_CUDA_CHECK(cudaFree(p));
  graveyard.clear();
}

void CudaBackend::Impl::execute(const std::vector<Cmd>& recorded) {
  if (arena_used > 0) {
    IMP_CUDA_CHECK(cudaMemcpyAsync(dev_arena, host_arena, arena_used, cudaMemcpyHostToDevice, stream));
  }
  if (!options.fuse) {
    for (const Cmd& c : recorded) launch(c);
    return;
  }
  std::vector<Cmd> fused = recorded;
  cuda::FusionRules rules;
  rules.prologues = options.prologue_fusion;
  rules.swiglu_quant_min_groups = options.swiglu_quant ? 2 * static_cast<int64_t>(info.n_sms) : 0;
  rules.swiglu_counters = options.swiglu_epilogue ? counters : nullptr;
  rules.rope_attention = options.rope_attention;
  stats.fused_ops += static_cast<uint64_t>(cuda::fuse_commands(fused, host_arena, rules));
  for (const Cmd& c : fused) launch(c);
}

void CudaBackend::Impl::launch(const Cmd& c) {
  auto arena = [this](cuda::ArenaRef r) { return dev_arena + r.off; };
  auto ints = [&](cuda::ArenaRef r) { return reinterpret_cast<const int32_t*>(arena(r)); };
  switch (c.op) {
    case Op::kCopy:
      IMP_CUDA_CHECK(cudaMemcpyAsync(c.copy.dst, arena(c.copy.src), c.copy.src.bytes, cudaMemcpyDeviceToDevice,
                                     stream));
      break;
    case Op::kGetRows: {
      const auto& g = c.get_rows;
      cuda::launch_get_rows(g.type, g.table, g.cols, g.row_bytes, ints(g.ids), g.n, g.out, stream);
      break;
    }
    case Op::kQuantize:
      cuda::launch_quantize_q8(c.quantize.x, c.quantize.n, c.quantize.rows, c.quantize.qs, c.quantize.meta,
                               stream);
      break;
    case Op::kMatvec:
      cuda::launch_matvec(c.matvec.args, stream);
      break;
    case Op::kGemm:
      cuda::run_gemm(cublas, c.gemm, stream);
      break;
    case Op::kAddBias:
      cuda::launch_add_bias(c.add_bias.y, c.add_bias.bias, c.add_bias.n, c.add_bias.rows, stream);
      break;
    case Op::kRmsNorm: {
      const auto& r = c.rms_norm;
      cuda::launch_rms_norm(r.x, r.w, r.eps, r.n, r.rows, r.y, r.qs, r.meta, stream);
      break;
    }
    case Op::kRope: {
      cuda::RopeArgs a = c.rope.args;
      a.positions = ints(c.rope.positions);
      if (c.rope.factors.bytes > 0) a.freq_factors = reinterpret_cast<const float*>(arena(c.rope.factors));
      if (c.rope.slots.bytes > 0) a.slots = ints(c.rope.slots);
      cuda::launch_rope(a, stream);
      break;
    }
    case Op::kSwiglu: {
      const auto& s = c.swiglu;
      cuda::launch_swiglu(s.gate, s.up, s.out, s.n, s.rows, s.qs, s.meta, stream);
      break;
    }
    case Op::kAdd:
      cuda::launch_add(c.add.a, c.add.b, c.add.out, c.add.n, stream);
      break;
    case Op::kKvStore: {
      const auto& k = c.kv_store;
      cuda::launch_kv_store(k.k, k.v, k.k_cache, k.v_cache, k.f16, k.kv_dim, ints(k.slots), k.n_tok, stream);
      break;
    }
    case Op::kArgmax:
      cuda::launch_argmax(c.argmax.x, c.argmax.n, c.argmax.rows, c.argmax.ids, stream);
      break;
    case Op::kAttention: {
      cuda::AttentionArgs a = c.attention.args;
      a.positions = ints(c.attention.positions);
      a.seq = ints(c.attention.seq);
      a.tables = ints(c.attention.tables);
      if (a.with_rope) {
        const cuda::RopeCmd& r = c.attention.rope;
        a.rope.positions = ints(r.positions);
        if (r.factors.bytes > 0) a.rope.freq_factors = reinterpret_cast<const float*>(arena(r.factors));
        a.rope.slots = ints(r.slots);
      }
      cuda::launch_attention(a, stream);
      break;
    }
  }
}

}  // namespace impetus
