#include "server/openai/generation_params.h"

namespace impetus {
namespace {

void read_stop(JsonFields& f, GenerationParams* p) {
  const nlohmann::json* v = f.raw("stop");
  if (!v) return;
  if (v->is_string()) {
    p->stop.push_back(v->get<std::string>());
    return;
  }
  if (!v->is_array() || v->size() > 16) {
    f.fail(bad_param("stop", "'stop' must be a string or an array of at most 16 strings"));
    return;
  }
  for (const auto& s : *v) {
    if (!s.is_string() || s.get<std::string>().empty()) {
      f.fail(bad_param("stop", "every 'stop' entry must be a non-empty string"));
      return;
    }
    p->stop.push_back(s.get<std::string>());
  }
}

void read_logit_bias(JsonFields& f, GenerationParams* p) {
  const nlohmann::json* v = f.raw("logit_bias");
  if (!v) return;
  if (!v->is_object()) {
    f.fail(bad_param("logit_bias", "'logit_bias' must map token ids to numbers"));
    return;
  }
  for (auto it = v->begin(); it != v->end(); ++it) {
    size_t used = 0;
    long long id = -1;
    try {
      id = std::stoll(it.key(), &used);
    } catch (...) {
      used = 0;
    }
    if (used != it.key().size() || id < 0 || id > INT32_MAX) {
      f.fail(bad_param("logit_bias", "'logit_bias' key '" + it.key() + "' is not a token id"));
      return;
    }
    if (!it->is_number() || it->get<double>() < -100.0 || it->get<double>() > 100.0) {
      f.fail(bad_param("logit_bias", "'logit_bias' values must be numbers between -100 and 100"));
      return;
    }
    p->sampling.logit_bias.emplace_back(static_cast<int32_t>(id), it->get<float>());
  }
}

void read_stream(JsonFields& f, GenerationParams* p) {
  p->stream = f.boolean("stream").value_or(false);
  const nlohmann::json* so = f.raw("stream_options");
  if (!so) return;
  if (!p->stream) {
    f.fail(bad_param("stream_options", "'stream_options' is only allowed when 'stream' is true"));
    return;
  }
  if (!so->is_object()) {
    f.fail(bad_param("stream_options", "'stream_options' must be an object"));
    return;
  }
  JsonFields sf(*so);
  p->include_usage = sf.boolean("include_usage").value_or(false);
  sf.known({"include_obfuscation"});
  sf.check_unknown();
  if (sf.error()) {
    ApiError e = *sf.error();
    e.param = "stream_options." + e.param;
    f.fail(e);
  }
}

}  // namespace

void read_generation_params(JsonFields& f, std::initializer_list<const char*> max_tokens_keys,
                            GenerationParams* p) {
  auto& s = p->sampling;
  p->model = f.string("model").value_or("");
  for (const char* key : max_tokens_keys) {
    auto v = f.integer(key, 1, 1 << 24);
    if (v && !p->max_tokens) p->max_tokens = static_cast<int32_t>(*v);
  }
  s.temperature = static_cast<float>(f.number("temperature", 0.0, 2.0).value_or(1.0));
  const double top_p = f.number("top_p", 0.0, 1.0).value_or(1.0);
  if (top_p == 0.0) {
    s.top_k = 1;  // the nucleus holds only the most likely token
  } else {
    s.top_p = static_cast<float>(top_p);
  }
  p->n = static_cast<int32_t>(f.integer("n", 1, 128).value_or(1));
  s.presence_penalty = static_cast<float>(f.number("presence_penalty", -2.0, 2.0).value_or(0.0));
  s.frequency_penalty = static_cast<float>(f.number("frequency_penalty", -2.0, 2.0).value_or(0.0));
  if (auto seed = f.integer("seed", INT64_MIN, INT64_MAX)) s.seed = static_cast<uint64_t>(*seed);
  p->user = f.string("user").value_or("");
  // Extensions (llama.cpp / vLLM names).
  if (auto k = f.integer("top_k", 0, 1 << 20)) s.top_k = static_cast<int32_t>(*k);
  s.min_p = static_cast<float>(f.number("min_p", 0.0, 1.0).value_or(0.0));
  s.repetition_penalty = static_cast<float>(f.number("repetition_penalty", 0.01, 10.0).value_or(1.0));
  read_stop(f, p);
  read_logit_bias(f, p);
  read_stream(f, p);
}

}  // namespace impetus
