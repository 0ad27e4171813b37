// Loading maps the model file: resident memory grows by the pages the
// forward pass touches, not by a second copy of the weights.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "testing/model_harness.h"
#include "testing/paths.h"
#include "testing/tiny_model.h"

namespace impetus::testing {
namespace {

// Resident set size of this process, in bytes (from /proc/self/statm).
int64_t resident_bytes() {
  std::ifstream in("/proc/self/statm");
  int64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

TEST(ModelMemory, LoadMapsInsteadOfCopying) {
  // ~64 MiB of F32 weights, mostly the embedding and output matrices.
  TinyModelSpec s;
  s.n_vocab = 32000;
  s.n_embd = 256;
  s.n_ff = 512;
  s.n_head = 4;
  s.n_head_kv = 4;
  const std::string path = scratch_dir("memory") + "/big.gguf";
  write_tiny_model(s, path);
  const auto file_size = static_cast<int64_t>(std::filesystem::file_size(path));
  // Drop the file's pages we just wrote from this process's view by measuring deltas only.
  const int64_t before = resident_bytes();
  auto backend = std::make_unique<CpuBackend>(CpuBackendOptions{1});
  auto model = Model::load(path, *backend);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  const int64_t after_load = resident_bytes();
  // Only metadata and tensor infos are read at load time.
  EXPECT_LT(after_load - before, file_size / 10)
      << "load grew RSS by " << (after_load - before) << " for a " << file_size << " byte file";
  // One forward pass reads every weight once: RSS grows by about the file size
  // (file-backed pages), plus a small KV cache and scratch; never twice the file.
  auto cache = KvCache::create(**model, 1, 16, DType::kF32);
  ASSERT_TRUE(cache.ok());
  ForwardBatch b;
  b.info.block_tables = {{0}};
  b.add(1, 0, 0, true);
  std::vector<float> logits;
  ASSERT_TRUE((*model)->forward(b, **cache, &logits).ok());
  const int64_t after_forward = resident_bytes();
  EXPECT_LT(after_forward - before, file_size + file_size / 4);
  EXPECT_GT(after_forward - before, file_size / 2);  // the weights really were read in place
}

}  // namespace
}  // namespace impetus::testing
