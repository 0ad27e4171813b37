// Runs the independent numpy reference (tools/ref_forward.py) on a model
// file and returns its logits and greedy continuation, for comparisons.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace impetus::testing {

struct ReferenceOutput {
  std::vector<float> logits;       // (n_tokens, n_vocab)
  std::vector<int32_t> generated;  // greedy continuation (when asked)
  bool ok = false;
  std::string error;
};

// act_quant: the reference quantizes the input of every quantized-weight matrix
// product to int8 blocks of 32, as the engine's CPU kernels do.
ReferenceOutput run_reference(const std::string& model_path, const std::vector<int32_t>& tokens,
                              int32_t n_vocab, int32_t greedy_steps = 0, bool act_quant = false);

// Runs a shell command, returning its exit status and capturing stdout.
int run_command(const std::string& cmd, std::string* out);

// Largest |a - b| divided by the largest |b| (relative error of a vs reference b).
double max_rel_error(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace impetus::testing
