// CudaBackend: device memory, weight upload, host transfers and the
// recording of ops into the command list (run by executor.cc).
#include "backend/cuda/cuda_backend.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "backend/cuda/backend_impl.h"
#include "backend/cuda/repack.h"
#include "core/log.h"

namespace impetus {

using cuda::ArenaRef;
using cuda::Cmd;
using cuda::Op;

namespace {

constexpr size_t kArenaAlign = 16;
constexpr size_t kInitialArena = 1 << 20;
constexpr size_t kMaxDeferredWrite = 64 << 10;  // larger writes go straight to the device
constexpr size_t kUploadChunk = 64 << 20;
// F16 copies of quantized weights are made only while this much device
// memory stays free after them (the KV cache and scratch need the rest).
constexpr double kF16KeepFreeFraction = 0.4;
// Products of at least this many tokens use the F16 copies (cuBLAS) rather
// than the int8 tensor-core kernel (env IMPETUS_CUDA_F16_MIN_TOKENS).
constexpr int64_t kF16MinTokens = 32;

std::string mib(size_t bytes) { return std::to_string((bytes + (1 << 19)) >> 20) + " MiB"; }

bool env_off(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && (std::strcmp(v, "0") == 0 || std::strcmp(v, "off") == 0);
}

bool env_on(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && std::strcmp(v, "1") == 0;
}

int64_t env_int(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoll(v) : fallback;
}

class CudaBuffer final : public Buffer {
 public:
  CudaBuffer(std::shared_ptr<CudaBackend::Impl> impl, void* p, size_t n)
      : impl_(std::move(impl)), data_(p), size_(n) {}
  ~CudaBuffer() override {
    impl_->sync();  // nothing recorded or running may still use the memory
    IMP_CUDA_CHECK(cudaFree(data_));
  }
  void* data() override { return data_; }
  size_t size() const override { return size_; }

 private:
  std::shared_ptr<CudaBackend::Impl> impl_;
  void* data_;
  size_t size_;
};

// cudaMalloc with a RESOURCE_EXHAUSTED status (not a crash) when the device is full.
StatusOr<void*> device_alloc(size_t bytes, const char* what, size_t weight_bytes) {
  void* p = nullptr;
  const cudaError_t err = cudaMalloc(&p, std::max<size_t>(bytes, 256));
  if (err == cudaSuccess) return p;
  (void)cudaGetLastError();  // clear the error
  size_t free_b = 0, total_b = 0;
  (void)cudaMemGetInfo(&free_b, &total_b);
  return resource_exhausted(std::string("CUDA device out of memory: cannot allocate ") + mib(bytes) + " for " +
                            what + " (" + mib(free_b) + " free of " + mib(total_b) + ", " + mib(weight_bytes) +
                            " taken by weights); try a smaller model, context or --device cpu");
}

}  // namespace

namespace cuda {

void check_cuda(cudaError_t err, const char* what, const char* file, int line) {
  if (err == cudaSuccess) return;
  ::impetus::detail::check_failed(file, line, what, std::string("CUDA error: ") + cudaGetErrorString(err));
}

}  // namespace cuda

// ---------------------------------------------------------------- creation

StatusOr<std::unique_ptr<CudaBackend>> CudaBackend::create(const CudaBackendOptions& options) {
  IMP_ASSIGN_OR_RETURN(CudaDeviceInfo info, cuda_device_info(options.device));
  if (info.cc_major < 8) {
    return unavailable("CUDA device " + info.name + " has compute capability " + std::to_string(info.cc_major) +
                       "." + std::to_string(info.cc_minor) + "; the CUDA backend needs 8.0 (Ampere) or newer");
  }
  auto impl = std::make_shared<Impl>();
  impl->options = options;
  if (env_off("IMPETUS_CUDA_GRAPHS")) impl->options.graphs = false;
  if (env_off("IMPETUS_CUDA_FUSE")) impl->options.fuse = false;
  if (env_off("IMPETUS_CUDA_PDL")) impl->options.pdl = false;
  if (env_off("IMPETUS_CUDA_ROPE_ATTENTION")) impl->options.rope_attention = false;
  if (env_off("IMPETUS_CUDA_SWIGLU_FUSED")) impl->options.swiglu_quant = false;
  cuda::set_programmatic_launch(impl->options.pdl && info.cc_major >= 9);
  if (env_on("IMPETUS_CUDA_PROLOGUE")) impl->options.prologue_fusion = true;
  if (env_on("IMPETUS_CUDA_SWIGLU_EPILOGUE")) impl->options.swiglu_epilogue = true;
  if (env_off("IMPETUS_CUDA_F16_WEIGHTS")) impl->options.f16_weights = false;
  cuda::set_bulk_copies(env_on("IMPETUS_CUDA_BULK") && info.cc_major >= 9);
  cuda::set_split_rows(!env_off("IMPETUS_CUDA_SPLIT_ROWS"));
  cuda::set_direct_float_max(env_int("IMPETUS_CUDA_DIRECT_FLOAT_MAX", cuda::kMatvecMaxTokens));
  cuda::set_mma_tokens(env_int("IMPETUS_CUDA_MMA_MIN", 2), env_int("IMPETUS_CUDA_MMA_MAX", cuda::kMatvecDefaultBatch));
  impl->info = info;
  IMP_CUDA_CHECK(cudaSetDevice(options.device));
  IMP_CUDA_CHECK(cudaStreamCreateWithFlags(&impl->stream, cudaStreamNonBlocking));
  if (cublasCreate(&impl->cublas) != CUBLAS_STATUS_SUCCESS) return unavailable("cannot create a cuBLAS handle");
  cublasSetStream(impl->cublas, impl->stream);
  IMP_CUDA_CHECK(cudaEventCreateWithFlags(&impl->arena_free, cudaEventDisableTiming));
  const size_t counter_bytes = static_cast<size_t>(cuda::kMatvecCounters) * sizeof(int32_t);
  IMP_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&impl->counters), counter_bytes));
  IMP_CUDA_CHECK(cudaMemset(impl->counters, 0, counter_bytes));
  IMP_CUDA_CHECK(cudaHostAlloc(reinterpret_cast<void**>(&impl->host_arena), kInitialArena, cudaHostAllocDefault));
  impl->arena_cap = kInitialArena;
  IMP_LOG(kInfo, "CUDA device ", info.index, ": ", info.name, " (compute ", info.cc_major, ".", info.cc_minor, ", ",
          info.n_sms, " SMs, ", mib(info.free_bytes), " free of ", mib(info.total_bytes), ")");
  return std::unique_ptr<CudaBackend>(new CudaBackend(std::move(impl)));
}

CudaBackend::CudaBackend(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
CudaBackend::~CudaBackend() { impl_->sync(); }

CudaBackend::Impl::~Impl() {
  (void)cudaSetDevice(options.device);
  if (stream != nullptr) (void)cudaStreamSynchronize(stream);
  clear_graphs();
  for (void* p : graveyard) (void)cudaFree(p);
  for (auto& s : scratch) (void)cudaFree(s.ptr);
  for (void* p : weights) (void)cudaFree(p);
  (void)cudaFree(counters);
  (void)cudaFree(dev_arena);
  (void)cudaFreeHost(host_arena);
  (void)cudaFreeHost(read_staging);
  for (int i = 0; i < 2; ++i) {
    (void)cudaFreeHost(upload_staging[i]);
    if (upload_done[i] != nullptr) (void)cudaEventDestroy(upload_done[i]);
  }
  if (arena_free != nullptr) (void)cudaEventDestroy(arena_free);
  if (cublas != nullptr) cublasDestroy(cublas);
  if (stream != nullptr) (void)cudaStreamDestroy(stream);
}

const CudaDeviceInfo& CudaBackend::device() const { return impl_->info; }
CudaBackendStats CudaBackend::stats() const { return impl_->stats; }

// ---------------------------------------------------------------- memory

StatusOr<std::unique_ptr<Buffer>> CudaBackend::alloc(size_t bytes) {
  IMP_CUDA_CHECK(cudaSetDevice(impl_->options.device));
  IMP_ASSIGN_OR_RETURN(void* p, device_alloc(bytes, "a buffer", impl_->stats.weight_bytes));
  return std::unique_ptr<Buffer>(new CudaBuffer(impl_, p, bytes));
}

StatusOr<Tensor> CudaBackend::upload_weight(const TensorView& host) {
  Impl& m = *impl_;
  if (!cuda::type_supported(host.type)) {
    return unimplemented("the CUDA backend has no kernels for " + std::string(dtype_name(host.type)) + " weights");
  }
  IMP_CUDA_CHECK(cudaSetDevice(m.options.device));
  const size_t bytes = host.n_bytes();
  IMP_ASSIGN_OR_RETURN(void* dev, device_alloc(bytes, "a weight", m.stats.weight_bytes));
  m.weights.push_back(dev);
  m.stats.weight_bytes += bytes;
  if (m.upload_staging[0] == nullptr) {
    for (int i = 0; i < 2; ++i) {
      IMP_CUDA_CHECK(cudaHostAlloc(reinterpret_cast<void**>(&m.upload_staging[i]), kUploadChunk, cudaHostAllocDefault));
      IMP_CUDA_CHECK(cudaEventCreateWithFlags(&m.upload_done[i], cudaEventDisableTiming));
      IMP_CUDA_CHECK(cudaEventRecord(m.upload_done[i], m.stream));
    }
  }
  // Stream the tensor through two pinned buffers: while one chunk copies to
  // the device, the next is read from the (memory-mapped) file. Q4_0/Q8_0
  // rows are repacked into the device layout (repack.h) on the way, so
  // chunks hold whole rows.
  const auto* src = static_cast<const uint8_t*>(host.data);
  const bool repack = cuda::repacked_type(host.type);
  const size_t row_bytes = static_cast<size_t>(dtype_row_bytes(host.type, host.ne[0]));
  const size_t chunk = repack ? kUploadChunk / row_bytes * row_bytes : kUploadChunk;
  IMP_CHECK(chunk > 0, "CUDA upload: rows of ", row_bytes, " bytes exceed the staging buffer");
  for (size_t off = 0, i = 0; off < bytes; off += chunk, ++i) {
    const size_t n = std::min(chunk, bytes - off);
    const size_t k = i % 2;
    IMP_CUDA_CHECK(cudaEventSynchronize(m.upload_done[k]));
    if (repack) {
      cuda::repack_rows(host.type, src + off, m.upload_staging[k], static_cast<int64_t>(n / row_bytes),
                        static_cast<int64_t>(row_bytes), true);
    } else {
      std::memcpy(m.upload_staging[k], src + off, n);
    }
    IMP_CUDA_CHECK(cudaMemcpyAsync(static_cast<uint8_t*>(dev) + off, m.upload_staging[k], n,
                                   cudaMemcpyHostToDevice, m.stream));
    IMP_CUDA_CHECK(cudaEventRecord(m.upload_done[k], m.stream));
  }
  Tensor t{host.type, host.ne, dev};
  if (m.options.f16_weights && cuda::takes_q8(host.type) && host.ne[1] > 1) m.make_f16_copy(t);
  return t;
}

// ---------------------------------------------------------------- F16 copies

void CudaBackend::Impl::make_f16_copy(const Tensor& w) {
  if (f16_weights_full) return;
  const size_t bytes = static_cast<size_t>(w.n_elements()) * 2;
  size_t free_b = 0, total_b = 0;
  IMP_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  if (static_cast<double>(free_b) < static_cast<double>(bytes) + kF16KeepFreeFraction * static_cast<double>(total_b)) {
    f16_weights_full = true;
    IMP_LOG(kInfo, "CUDA: F16 copies of quantized weights stop at ", mib(stats.f16_weight_bytes),
            " (device memory kept free for the KV cache)");
    return;
  }
  void* copy = nullptr;
  if (cudaMalloc(&copy, bytes) != cudaSuccess) {
    (void)cudaGetLastError();
    f16_weights_full = true;
    return;
  }
  weights.push_back(copy);
  stats.weight_bytes += bytes;
  stats.f16_weight_bytes += bytes;
  cuda::launch_dequant_f16(w.type, w.data, w.ne[0], w.n_rows(), w.row_bytes(), copy, stream);
  f16_weights[w.data] = copy;
}

const void* CudaBackend::Impl::f16_copy(const Tensor& w) const {
  const auto it = f16_weights.find(w.data);
  return it == f16_weights.end() ? nullptr : it->second;
}

namespace {

// Whole rows of a Q4_0/Q8_0 tensor converted between the file and device
// layouts (repack.h); a partial row at the end is copied as it is.
void convert_rows(const Tensor& t, const void* src, void* dst, size_t bytes, bool to_device) {
  const size_t row_bytes = static_cast<size_t>(dtype_row_bytes(t.type, t.ne[0]));
  const size_t whole = bytes / row_bytes * row_bytes;
  cuda::repack_rows(t.type, static_cast<const uint8_t*>(src), static_cast<uint8_t*>(dst),
                    static_cast<int64_t>(whole / row_bytes), static_cast<int64_t>(row_bytes), to_device);
  std::memcpy(static_cast<uint8_t*>(dst) + whole, static_cast<const uint8_t*>(src) + whole, bytes - whole);
}

}  // namespace

void CudaBackend::write(Tensor& dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  std::vector<uint8_t> repacked;
  if (cuda::repacked_type(dst.type)) {
    repacked.resize(bytes);
    convert_rows(dst, src, repacked.data(), bytes, true);
    src = repacked.data();
  }
  if (bytes <= kMaxDeferredWrite) {
    Cmd c(Op::kCopy);
    c.copy.dst = dst.data;
    c.copy.src = impl_->put(src, bytes);
    impl_->record(c);
    return;
  }
  impl_->flush();
  IMP_CUDA_CHECK(cudaMemcpyAsync(dst.data, src, bytes, cudaMemcpyHostToDevice, impl_->stream));
  IMP_CUDA_CHECK(cudaStreamSynchronize(impl_->stream));
}

void CudaBackend::read(const Tensor& src, void* dst, size_t bytes) {
  Impl& m = *impl_;
  m.flush();
  if (m.read_staging_bytes < bytes) {
    IMP_CUDA_CHECK(cudaStreamSynchronize(m.stream));
    IMP_CUDA_CHECK(cudaFreeHost(m.read_staging));
    m.read_staging_bytes = std::max(bytes, size_t{1} << 20);
    IMP_CUDA_CHECK(cudaHostAlloc(reinterpret_cast<void**>(&m.read_staging), m.read_staging_bytes,
                                 cudaHostAllocDefault));
  }
  IMP_CUDA_CHECK(cudaMemcpyAsync(m.read_staging, src.data, bytes, cudaMemcpyDeviceToHost, m.stream));
  m.sync();
  if (cuda::repacked_type(src.type)) {
    convert_rows(src, m.read_staging, dst, bytes, false);
  } else {
    std::memcpy(dst, m.read_staging, bytes);
  }
}

void CudaBackend::synchronize() { impl_->sync(); }

// ---------------------------------------------------------------- recording

void CudaBackend::Impl::open_list() {
  if (open) return;
  if (arena_event_pending) {  // the last list's transfer may still read the arena
    IMP_CUDA_CHECK(cudaEventSynchronize(arena_free));
    arena_event_pending = false;
  }
  arena_used = 0;
  q8_flip = 0;
  hash = 1469598103934665603ull;
  open = true;
}

ArenaRef CudaBackend::Impl::put(const void* data, size_t bytes) {
  open_list();
  const size_t off = (arena_used + kArenaAlign - 1) / kArenaAlign * kArenaAlign;
  if (off + bytes > arena_cap) {
    size_t cap = arena_cap;
    while (off + bytes > cap) cap *= 2;
    uint8_t* grown = nullptr;
    IMP_CUDA_CHECK(cudaHostAlloc(reinterpret_cast<void**>(&grown), cap, cudaHostAllocDefault));
    std::memcpy(grown, host_arena, arena_used);
    IMP_CUDA_CHECK(cudaFreeHost(host_arena));
    host_arena = grown;
    arena_cap = cap;
    clear_graphs();  // captured transfers read the old arena
  }
  IMP_CHECK(off + bytes < (uint64_t{1} << 32), "CUDA arena above 4 GiB");
  if (bytes > 0) std::memcpy(host_arena + off, data, bytes);
  arena_used = off + bytes;
  return ArenaRef{static_cast<uint32_t>(off), static_cast<uint32_t>(bytes)};
}

void CudaBackend::Impl::record(const Cmd& c) {
  open_list();
  // FNV-1a over 64-bit words: the key of the list in the graph cache.
  const auto* words = reinterpret_cast<const uint64_t*>(&c);
  for (size_t i = 0; i < sizeof(Cmd) / 8; ++i) hash = (hash ^ words[i]) * 1099511628211ull;
  cmds.push_back(c);
}

void* CudaBackend::Impl::scratch_for(Scratch s, size_t bytes) {
  GrowBuffer& b = scratch[s];
  if (b.bytes >= bytes) return b.ptr;
  if (b.ptr != nullptr) graveyard.push_back(b.ptr);  // recorded commands may use it
  const size_t grown = std::max(bytes + bytes / 4, size_t{1} << 16);
  auto p = device_alloc(grown, "scratch", stats.weight_bytes);
  IMP_CHECK(p.ok(), p.status().message());
  b.ptr = *p;
  b.bytes = grown;
  clear_graphs();
  return b.ptr;
}

bool CudaBackend::Impl::is_device_pointer(const float* p) {
  if (p == last_factors) return last_factors_device;
  cudaPointerAttributes attr{};
  const cudaError_t err = cudaPointerGetAttributes(&attr, p);
  if (err != cudaSuccess) (void)cudaGetLastError();
  last_factors = p;
  last_factors_device = err == cudaSuccess &&
                        (attr.type == cudaMemoryTypeDevice || attr.type == cudaMemoryTypeManaged);
  return last_factors_device;
}

// ---------------------------------------------------------------- ops

void CudaBackend::get_rows(const Tensor& table, const int32_t* ids, int64_t n, Tensor& out) {
  if (n == 0) return;
  IMP_CHECK(cuda::type_supported(table.type), "CUDA get_rows: unsupported type");
  Cmd c(Op::kGetRows);
  c.get_rows.type = table.type;
  c.get_rows.table = table.data;
  c.get_rows.cols = table.ne[0];
  c.get_rows.row_bytes = table.row_bytes();
  c.get_rows.n = n;
  c.get_rows.ids = impl_->put(ids, static_cast<size_t>(n) * sizeof(int32_t));
  c.get_rows.out = out.f32();
  impl_->record(c);
}

void CudaBackend::matmul(const Tensor& w, const Tensor& x, Tensor& y) { matmul_n(&w, 1, x, &y); }

void CudaBackend::matmul_n(const Tensor* ws, int n, const Tensor& x, Tensor* ys) {
  Impl& m = *impl_;
  const int64_t n_in = x.ne[0], n_tok = x.n_rows();
  bool need_q8 = false;
  for (int i = 0; i < n; ++i) {
    IMP_CHECK(ws[i].ne[0] == n_in && ys[i].ne[0] == ws[i].ne[1] && ys[i].n_rows() == n_tok,
              "matmul shape mismatch");
    IMP_CHECK(cuda::type_supported(ws[i].type), "CUDA matmul: unsupported type");
    need_q8 |= cuda::takes_q8(ws[i].type);
  }
  if (n_tok == 0) return;
  // Many tokens: cuBLAS (on the weights' F16 copies when they all have
  // one, from kF16MinTokens tokens on); fewer: the matrix-vector kernels.
  static const int64_t f16_min_tokens = env_int("IMPETUS_CUDA_F16_MIN_TOKENS", kF16MinTokens);
  bool matvec = true, copies = n_tok > cuda::kMatvecMaxTokens && n_tok >= f16_min_tokens;
  for (int i = 0; i < n; ++i) {
    matvec &= n_tok <= cuda::matvec_max_tokens(ws[i].type);
    copies &= m.f16_copy(ws[i]) != nullptr;
  }
  if (!matvec || copies) {
    for (int i = 0; i < n; ++i) {
      Cmd c(Op::kGemm);
      cuda::GemmCmd& g = c.gemm;
      const void* copy = m.f16_copy(ws[i]);
      g.type = copy != nullptr ? DType::kF16 : ws[i].type;
      g.w = copy != nullptr ? copy : ws[i].data;
      g.n_in = n_in;
      g.n_out = ws[i].ne[1];
      g.n_tok = n_tok;
      g.row_bytes = dtype_row_bytes(g.type, n_in);
      g.x = x.f32();
      g.y = ys[i].f32();
      if (g.type != DType::kF32 && g.type != DType::kF16) {
        g.w16 = m.scratch_for(Impl::kW16, static_cast<size_t>(n_in * g.n_out) * 2);
      }
      if (g.type != DType::kF32) {
        g.x16 = m.scratch_for(Impl::kX16, static_cast<size_t>(n_in * n_tok) * 2);
        // One conversion of x serves every product of the call.
        for (int j = 0; j < i; ++j) g.x16_ready |= ws[j].type != DType::kF32;
      }
      m.record(c);
    }
    return;
  }
  int8_t* qs = nullptr;
  float2* meta = nullptr;
  if (need_q8) {
    IMP_CHECK(n_in % 32 == 0, "quantized matmul needs a multiple of 32 inputs");
    const bool second = (m.q8_flip++ & 1) != 0;
    qs = static_cast<int8_t*>(m.scratch_for(second ? Impl::kActQs2 : Impl::kActQs, static_cast<size_t>(n_in * n_tok)));
    meta = static_cast<float2*>(
        m.scratch_for(second ? Impl::kActMeta2 : Impl::kActMeta, static_cast<size_t>(n_in / 32 * n_tok) * 8));
    Cmd c(Op::kQuantize);
    c.quantize.x = x.f32();
    c.quantize.n = n_in;
    c.quantize.rows = n_tok;
    c.quantize.qs = qs;
    c.quantize.meta = meta;
    m.record(c);
  }
  // Consecutive weights of one type share a launch.
  for (int i = 0; i < n;) {
    Cmd c(Op::kMatvec);
    cuda::MatvecArgs& a = c.matvec.args;
    a.type = ws[i].type;
    a.n_in = n_in;
    a.n_tok = n_tok;
    const bool q8 = cuda::takes_q8(a.type);
    a.act = q8 ? static_cast<const void*>(qs) : x.data;
    a.meta = q8 ? meta : nullptr;
    a.x = x.f32();
    while (i < n && a.n_w < cuda::kMatvecMaxWeights && ws[i].type == a.type) {
      cuda::MatvecWeight& mw = a.ws[a.n_w++];
      mw.w = ws[i].data;
      mw.y = ys[i].f32();
      mw.n_out = ws[i].ne[1];
      mw.row_bytes = ws[i].row_bytes();
      ++i;
    }
    m.record(c);
  }
}

void CudaBackend::add_bias(Tensor& y, const Tensor& bias) {
  IMP_CHECK(bias.ne[0] == y.ne[0] && bias.type == DType::kF32, "bias shape/type mismatch");
  Cmd c(Op::kAddBias);
  c.add_bias.y = y.f32();
  c.add_bias.bias = bias.f32();
  c.add_bias.n = y.ne[0];
  c.add_bias.rows = y.n_rows();
  impl_->record(c);
}

void CudaBackend::rms_norm(const Tensor& x, const Tensor& w, float eps, Tensor& y) {
  IMP_CHECK(w.ne[0] == x.ne[0] && w.type == DType::kF32, "rms_norm weight shape/type mismatch");
  Cmd c(Op::kRmsNorm);
  c.rms_norm.x = x.f32();
  c.rms_norm.w = w.f32();
  c.rms_norm.eps = eps;
  c.rms_norm.n = x.ne[0];
  c.rms_norm.rows = x.n_rows();
  c.rms_norm.y = y.f32();
  impl_->record(c);
}

void CudaBackend::rope(Tensor& x, int32_t n_heads, int32_t head_dim, const int32_t* positions,
                       const RopeParams& p) {
  IMP_CHECK(x.ne[0] == static_cast<int64_t>(n_heads) * head_dim && p.n_rot <= head_dim, "rope shape mismatch");
  const int64_t n_tok = x.n_rows();
  if (n_tok == 0) return;
  Cmd c(Op::kRope);
  cuda::RopeArgs& a = c.rope.args;
  a.x = x.f32();
  a.n_heads = n_heads;
  a.head_dim = head_dim;
  a.n_tok = n_tok;
  a.neox = p.mode == RopeMode::kNeox;
  a.n_rot = p.n_rot;
  a.freq_base = p.freq_base;
  a.freq_scale = p.freq_scale;
  c.rope.positions = impl_->put(positions, static_cast<size_t>(n_tok) * sizeof(int32_t));
  if (p.freq_factors != nullptr) {
    if (impl_->is_device_pointer(p.freq_factors)) {
      a.freq_factors = p.freq_factors;  // a weight uploaded to this device
    } else {
      c.rope.factors = impl_->put(p.freq_factors, static_cast<size_t>(p.n_rot / 2) * sizeof(float));
    }
  }
  impl_->record(c);
}

void CudaBackend::swiglu(const Tensor& gate, const Tensor& up, Tensor& out) {
  Cmd c(Op::kSwiglu);
  c.swiglu.gate = gate.f32();
  c.swiglu.up = up.f32();
  c.swiglu.out = out.f32();
  c.swiglu.n = gate.ne[0];
  c.swiglu.rows = gate.n_rows();
  impl_->record(c);
}

void CudaBackend::add(const Tensor& a, const Tensor& b, Tensor& out) {
  Cmd c(Op::kAdd);
  c.add.a = a.f32();
  c.add.b = b.f32();
  c.add.out = out.f32();
  c.add.n = a.n_elements();
  impl_->record(c);
}

void CudaBackend::kv_store(const Tensor& k, const Tensor& v, Tensor& k_cache, Tensor& v_cache,
                           const BatchInfo& batch) {
  const int64_t kv_dim = k.ne[0], n_tok = batch.n_tokens();
  IMP_CHECK(k_cache.ne[0] == kv_dim && v_cache.ne[0] == kv_dim && k_cache.type == v_cache.type,
            "kv_store shape mismatch");
  if (n_tok == 0) return;
  std::vector<int32_t> slots(static_cast<size_t>(n_tok));
  for (int64_t t = 0; t < n_tok; ++t) {
    const int64_t s = batch.slot(batch.seq_of_token[t], batch.positions[t]);
    IMP_CHECK(s >= 0 && s < k_cache.n_rows(), "kv_store slot out of range");
    slots[static_cast<size_t>(t)] = static_cast<int32_t>(s);
  }
  Cmd c(Op::kKvStore);
  c.kv_store.k = k.f32();
  c.kv_store.v = v.f32();
  c.kv_store.k_cache = k_cache.data;
  c.kv_store.v_cache = v_cache.data;
  c.kv_store.f16 = k_cache.type == DType::kF16;
  c.kv_store.kv_dim = kv_dim;
  c.kv_store.n_tok = n_tok;
  c.kv_store.slots = impl_->put(slots.data(), slots.size() * sizeof(int32_t));
  impl_->record(c);
}

void CudaBackend::attention(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                            const BatchInfo& batch, const AttentionParams& p, Tensor& out) {
  Impl& m = *impl_;
  const int64_t n_tok = batch.n_tokens();
  IMP_CHECK(q.ne[0] == static_cast<int64_t>(p.n_head) * p.head_dim &&
                k_cache.ne[0] == static_cast<int64_t>(p.n_head_kv) * p.head_dim,
            "attention shape mismatch");
  if (n_tok == 0) return;
  // Block tables padded to a power-of-two width, so that a growing sequence
  // keeps the same command (and CUDA graph) for long stretches.
  size_t width = 1;
  for (const auto& t : batch.block_tables) width = std::max(width, t.size());
  size_t padded = 8;
  while (padded < width) padded *= 2;
  std::vector<int32_t> tables(batch.block_tables.size() * padded, 0);
  for (size_t s = 0; s < batch.block_tables.size(); ++s) {
    std::copy(batch.block_tables[s].begin(), batch.block_tables[s].end(), tables.begin() + s * padded);
  }
  Cmd c(Op::kAttention);
  cuda::AttentionArgs& a = c.attention.args;
  a.q = q.f32();
  a.k_cache = k_cache.data;
  a.v_cache = v_cache.data;
  a.cache_f16 = k_cache.type == DType::kF16;
  a.out = out.f32();
  a.n_head = p.n_head;
  a.n_head_kv = p.n_head_kv;
  a.head_dim = p.head_dim;
  a.scale = p.scale;
  a.n_tok = n_tok;
  a.table_width = static_cast<int32_t>(padded);
  a.block_size = batch.block_size;
  // Split long contexts over several blocks when there are too few
  // (token, head) pairs to fill the GPU.
  const int64_t max_ctx = static_cast<int64_t>(padded) * batch.block_size;
  const int64_t pairs = n_tok * p.n_head;
  int64_t splits = std::min<int64_t>({max_ctx / 128, 32, 2 * m.info.n_sms / std::max<int64_t>(pairs, 1)});
  a.n_splits = static_cast<int32_t>(std::max<int64_t>(splits, 1));
  if (a.n_splits > 1) {
    const size_t parts = static_cast<size_t>(a.n_splits * pairs);
    a.part_acc = static_cast<float*>(m.scratch_for(Impl::kAttnAcc, parts * p.head_dim * sizeof(float)));
    a.part_ml = static_cast<float2*>(m.scratch_for(Impl::kAttnMl, parts * sizeof(float2)));
  }
  c.attention.positions = m.put(batch.positions.data(), static_cast<size_t>(n_tok) * sizeof(int32_t));
  c.attention.seq = m.put(batch.seq_of_token.data(), static_cast<size_t>(n_tok) * sizeof(int32_t));
  c.attention.tables = m.put(tables.data(), tables.size() * sizeof(int32_t));
  std::vector<char> seen(batch.block_tables.size(), 0);
  c.attention.one_token_per_seq = true;
  for (int32_t s : batch.seq_of_token) {
    if (seen[static_cast<size_t>(s)]++ != 0) c.attention.one_token_per_seq = false;
  }
  m.record(c);
}

void CudaBackend::argmax_rows(const Tensor& x, int32_t* ids) {
  const int64_t n = x.ne[0], rows = x.n_rows();
  if (rows == 0) return;
  Impl& m = *impl_;
  auto* dev_ids = static_cast<int32_t*>(m.scratch_for(Impl::kArgmaxIds, static_cast<size_t>(rows) * sizeof(int32_t)));
  Cmd c(Op::kArgmax);
  c.argmax.x = x.f32();
  c.argmax.n = n;
  c.argmax.rows = rows;
  c.argmax.ids = dev_ids;
  m.record(c);
  const Tensor out{DType::kF32, {rows, 1, 1, 1}, dev_ids};  // 4-byte elements, copied as they are
  read(out, ids, static_cast<size_t>(rows) * sizeof(int32_t));
}

}  // namespace impetus
