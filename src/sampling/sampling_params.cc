#include "sampling/sampling_params.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <unordered_set>

namespace impetus {
namespace {

template <typename... Args>
Status bad(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return invalid_argument(os.str());
}

Status check_penalty_range(const char* name, float value) {
  if (!(value >= -2.0f && value <= 2.0f)) {
    return bad(name, " must be in [-2, 2] (got ", value, ")");
  }
  return ok_status();
}

Status check_logit_bias_values(const std::vector<std::pair<int32_t, float>>& bias) {
  std::unordered_set<int32_t> seen;
  for (const auto& [id, value] : bias) {
    const bool banned = std::isinf(value) && value < 0;
    if (!banned && !(value >= -100.0f && value <= 100.0f)) {
      return bad("logit_bias for token ", id, " must be in [-100, 100] or -inf (got ", value, ")");
    }
    if (!seen.insert(id).second) return bad("logit_bias names token ", id, " more than once");
  }
  return ok_status();
}

}  // namespace

Status SamplingParams::validate() const {
  if (!(temperature >= 0.0f) || std::isinf(temperature)) {
    return bad("temperature must be a finite number >= 0 (got ", temperature, ")");
  }
  if (top_k < 0) return bad("top_k must be >= 0, 0 meaning off (got ", top_k, ")");
  if (!(top_p > 0.0f && top_p <= 1.0f)) {
    return bad("top_p must be in (0, 1], 1 meaning off (got ", top_p, ")");
  }
  if (!(min_p >= 0.0f && min_p <= 1.0f)) {
    return bad("min_p must be in [0, 1], 0 meaning off (got ", min_p, ")");
  }
  if (!(repetition_penalty > 0.0f) || std::isinf(repetition_penalty)) {
    return bad("repetition_penalty must be a finite number > 0, 1 meaning off (got ",
               repetition_penalty, ")");
  }
  IMP_RETURN_IF_ERROR(check_penalty_range("presence_penalty", presence_penalty));
  IMP_RETURN_IF_ERROR(check_penalty_range("frequency_penalty", frequency_penalty));
  if (penalty_last_n < -1) {
    return bad("penalty_last_n must be >= -1, -1 meaning the whole history (got ", penalty_last_n,
               ")");
  }
  return check_logit_bias_values(logit_bias);
}

Status SamplingParams::validate(int32_t n_vocab) const {
  IMP_RETURN_IF_ERROR(validate());
  if (n_vocab <= 0) return bad("vocabulary size must be > 0 (got ", n_vocab, ")");
  int64_t n_banned = 0;
  for (const auto& [id, value] : logit_bias) {
    if (id < 0 || id >= n_vocab) {
      return bad("logit_bias names token ", id, ", outside the vocabulary [0, ", n_vocab, ")");
    }
    if (value == -std::numeric_limits<float>::infinity()) ++n_banned;
  }
  // Ids are distinct (validate() checked), so this counts distinct banned tokens.
  if (n_banned == n_vocab) return bad("logit_bias bans every token of the vocabulary");
  return ok_status();
}

}  // namespace impetus
