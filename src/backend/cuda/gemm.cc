// Prefill matrix products through cuBLAS. Row-major y {n_out, n_tok} =
// x {n_in, n_tok} . w^T is, in cuBLAS's column-major terms,
// Y (n_out x n_tok) = W^T (n_out x n_in) . X (n_in x n_tok) with W stored
// as an n_in x n_out column-major matrix. F32 weights use SGEMM in full
// F32; every other type is dequantized to F16 (F16 weights are used as
// they are), activations are rounded to F16, and the product runs on the
// tensor cores with F32 accumulation and F32 output.
#include <string>

#include "backend/cuda/backend_impl.h"

namespace impetus::cuda {
namespace {

void check_cublas(cublasStatus_t s, const char* what) {
  IMP_CHECK(s == CUBLAS_STATUS_SUCCESS, "cuBLAS ", what, " failed with status ", static_cast<int>(s));
}

}  // namespace

void run_gemm(cublasHandle_t handle, const GemmCmd& g, cudaStream_t stream) {
  const float alpha = 1.0f, beta = 0.0f;
  const int m = static_cast<int>(g.n_out), n = static_cast<int>(g.n_tok), k = static_cast<int>(g.n_in);
  if (g.type == DType::kF32) {
    check_cublas(cublasSgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &alpha, static_cast<const float*>(g.w), k,
                             g.x, k, &beta, g.y, m),
                 "SGEMM");
    return;
  }
  const void* a = g.w;
  if (g.type != DType::kF16) {
    launch_dequant_f16(g.type, g.w, g.n_in, g.n_out, g.row_bytes, g.w16, stream);
    a = g.w16;
  }
  if (!g.x16_ready) launch_f32_to_f16(g.x, g.n_in * g.n_tok, g.x16, stream);
  check_cublas(cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &alpha, a, CUDA_R_16F, k, g.x16, CUDA_R_16F,
                            k, &beta, g.y, CUDA_R_32F, m, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
               "GemmEx");
}

}  // namespace impetus::cuda
