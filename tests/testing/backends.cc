#include "testing/backends.h"

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/isa.h"

namespace impetus::testing {

std::vector<BackendCase> all_test_backends() {
  std::vector<BackendCase> cases;
  // The CPU backend at every instruction-set level this machine supports.
  for (cpu::Isa isa : cpu::supported_isas()) {
    cases.push_back({std::string("cpu_") + cpu::isa_name(isa),
                     [isa] { return std::make_unique<CpuBackend>(CpuBackendOptions{2, isa}); }});
  }
  return cases;
}

DeviceTensor upload(Backend& be, DType type, std::array<int64_t, 4> ne, const void* data) {
  DeviceTensor d;
  d.t.type = type;
  d.t.ne = ne;
  d.buffer = be.alloc(d.t.n_bytes()).value();
  d.t.data = d.buffer->data();
  if (data != nullptr) be.write(d.t, data, d.t.n_bytes());
  return d;
}

DeviceTensor upload_f32(Backend& be, const std::vector<float>& v, int64_t cols) {
  return upload(be, DType::kF32, {cols, static_cast<int64_t>(v.size()) / cols, 1, 1}, v.data());
}

std::vector<float> download_f32(Backend& be, const Tensor& t) {
  std::vector<float> v(static_cast<size_t>(t.n_elements()));
  be.read(t, v.data(), v.size() * sizeof(float));
  return v;
}

}  // namespace impetus::testing
