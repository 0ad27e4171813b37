// ModelControl: what the model-management API asks of whoever loads models
// (the app's ModelManager implements it; the server layer cannot load models
// itself). Plain data in and out; errors as Status (RESOURCE_EXHAUSTED when a
// model does not fit the memory budget or the loaded-model limit).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"

namespace impetus {

struct ModelLoadOptions {
  bool auto_warmup = false;  // run a warm-up generation right after loading
  bool use_mmap = true;      // false: read the whole file into memory
};

struct ModelListEntry {
  std::string id;
  std::string path;
  uint64_t size_bytes = 0;       // the file
  std::string quantization;      // from the file name ("Q4_K_M"), or ""
  std::string status;            // "loaded", "loading", "available"
  uint64_t memory_bytes = 0;     // weights + KV cache while loaded
  bool use_mmap = true;
  bool warmed_up = false;
  int64_t loaded_at = 0;         // unix seconds, 0 when not loaded
  int64_t last_used = 0;         // unix seconds of the last request or load
};

struct WarmupInfo {
  std::string id;
  std::string status = "not_started";  // "not_started", "running", "completed", "failed"
  double warmup_ms = 0;                // the warm-up generation, start to end
  double first_token_ms = 0;           // its time to first token (the cold figure)
  std::string error;
};

class ModelControl {
 public:
  virtual ~ModelControl() = default;
  virtual std::vector<ModelListEntry> list() = 0;
  virtual StatusOr<ModelListEntry> load(const std::string& id, const ModelLoadOptions& options) = 0;
  virtual Status unload(const std::string& id) = 0;
  virtual StatusOr<WarmupInfo> warmup(const std::string& id) = 0;
  virtual std::vector<WarmupInfo> warmup_status() = 0;
  // Cold vs warm time to first token, measured by reloading the model.
  virtual StatusOr<nlohmann::json> warmup_benchmark(const std::string& id) = 0;
  virtual nlohmann::json mmap_status() = 0;
  // Loads the file with mmap and with a full read, timing both.
  virtual StatusOr<nlohmann::json> mmap_benchmark(const std::string& id) = 0;
  // Memory budget and limits, for the list response.
  virtual nlohmann::json limits() = 0;
};

// True for ids the API may name: a file stem or catalog id, never a path.
bool is_safe_model_id(const std::string& id);

}  // namespace impetus
