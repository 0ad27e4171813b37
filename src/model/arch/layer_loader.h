// LayerLoader: the shared building blocks families use to load their layer
// tensors by llama.cpp's names ("blk.N.attn_q.weight", ...), checking shapes
// and handing each to the backend.
#pragma once

#include <string>

#include "backend/backend.h"
#include "model/formats/weight_source.h"
#include "model/model_config.h"
#include "model/weights.h"

namespace impetus {

class LayerLoader {
 public:
  LayerLoader(const WeightSource& source, Backend& backend, const ModelConfig& config)
      : source_(source), backend_(backend), config_(config) {}

  const ModelConfig& config() const { return config_; }

  // A tensor with shape {ne0, ne1}; "required" fails when it is absent.
  StatusOr<Tensor> required(const std::string& name, int64_t ne0, int64_t ne1 = 1);
  StatusOr<Tensor> optional(const std::string& name, int64_t ne0, int64_t ne1 = 1);

  // Shared blocks.
  Status attention(int il, LayerWeights* w);           // norm, q, k, v, o
  Status attention_biases(int il, LayerWeights* w, bool required);  // bq, bk, bv (+ optional bo)
  Status qk_norm(int il, LayerWeights* w);             // q_norm, k_norm (required)
  Status swiglu_ffn(int il, LayerWeights* w);          // norm, gate, up, down

  size_t bytes_loaded() const { return bytes_loaded_; }

 private:
  static std::string blk(int il, const char* suffix);
  const WeightSource& source_;
  Backend& backend_;
  const ModelConfig& config_;
  size_t bytes_loaded_ = 0;
};

}  // namespace impetus
