// The backends the conformance tests run every op on: the CPU backend at
// each instruction-set level this machine supports (and, later, CUDA when a
// GPU is present), plus helpers to move test data in and out of them.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"

namespace impetus::testing {

struct BackendCase {
  std::string name;
  std::function<std::unique_ptr<Backend>()> make;
};

std::vector<BackendCase> all_test_backends();

// A tensor in a backend's memory, filled from host data, kept alive with its buffer.
struct DeviceTensor {
  std::unique_ptr<Buffer> buffer;
  Tensor t;
};

DeviceTensor upload(Backend& be, DType type, std::array<int64_t, 4> ne, const void* data);
DeviceTensor upload_f32(Backend& be, const std::vector<float>& v, int64_t cols);
std::vector<float> download_f32(Backend& be, const Tensor& t);

}  // namespace impetus::testing
