// load_vocab: GGUF tokenizer metadata -> Vocab, with llama.cpp's defaults.
#include "tokenizer/vocab.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/log.h"
#include "model/formats/gguf_reader.h"

namespace impetus {
namespace {

uint32_t attr_from_type(int64_t type) {
  switch (static_cast<TokenType>(type)) {
    case TokenType::kNormal: return token_attr::kNormal;
    case TokenType::kUnknown: return token_attr::kUnknown;
    case TokenType::kControl: return token_attr::kControl;
    case TokenType::kUserDefined: return token_attr::kUserDefined;
    case TokenType::kUnused: return token_attr::kUnused;
    case TokenType::kByte: return token_attr::kByte;
    default: return token_attr::kUndefined;
  }
}

bool pre_adds_bos(const std::string& pre) {
  for (const char* p : {"llama3", "llama-v3", "llama-bpe", "falcon3", "tekken", "chameleon"}) {
    if (pre == p) return true;
  }
  return false;
}

// The model type and its default special ids and flags (before any key is read).
Status apply_model_defaults(Vocab& v) {
  SpecialTokenIds& ids = v.ids;
  if (v.model == "llama") {
    v.type = VocabType::kSpm;
    ids.bos = 1, ids.eos = 2, ids.unk = 0;
    v.add_space_prefix = true, v.add_bos = true, v.add_eos = false;
  } else if (v.model == "bert") {
    v.type = VocabType::kWpm;
    ids.bos = 101, ids.unk = 100, ids.sep = 102, ids.pad = 0, ids.mask = 103;
    v.add_bos = true, v.add_eos = false, v.add_sep = true;
  } else if (v.model == "gpt2") {
    v.type = VocabType::kBpe;
    ids.bos = 11, ids.eos = 11;
    v.add_bos = pre_adds_bos(v.pre);
    if (v.pre == "chatglm-bpe") ids.bos = -1;
  } else {
    return unimplemented("tokenizer model '" + v.model +
                         "' is not supported (llama, gpt2 and bert are)");
  }
  return ok_status();
}

Status read_tokens(const GgufFile& gguf, Vocab& v) {
  IMP_ASSIGN_OR_RETURN(std::vector<std::string> texts,
                       gguf.get_string_array("tokenizer.ggml.tokens"));
  if (texts.empty()) return invalid_argument("tokenizer.ggml.tokens is empty");
  if (texts.size() > static_cast<size_t>(INT32_MAX)) return data_loss("too many tokens");
  std::vector<float> scores;
  std::vector<int64_t> types;
  if (gguf.find("tokenizer.ggml.scores")) {
    IMP_ASSIGN_OR_RETURN(scores, gguf.get_float_array("tokenizer.ggml.scores"));
    if (scores.size() != texts.size()) return data_loss("tokenizer.ggml.scores has the wrong length");
  }
  if (gguf.find("tokenizer.ggml.token_type")) {
    IMP_ASSIGN_OR_RETURN(types, gguf.get_int_array("tokenizer.ggml.token_type"));
    if (types.size() != texts.size()) {
      return data_loss("tokenizer.ggml.token_type has the wrong length");
    }
  }
  v.tokens.resize(texts.size());
  v.text_to_id.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    TokenData& t = v.tokens[i];
    t.text = std::move(texts[i]);
    if (t.text.empty()) t.text = "[EMPTY_" + std::to_string(i) + "]";  // as llama.cpp does
    t.score = scores.empty() ? 0.0f : scores[i];
    t.attr = types.empty() ? token_attr::kNormal : attr_from_type(types[i]);
    v.max_token_len = std::max(v.max_token_len, t.text.size());
    v.text_to_id.emplace(t.text, static_cast<int32_t>(i));  // a duplicate keeps the first id
  }
  return ok_status();
}

// Special ids from metadata; an id outside the vocabulary keeps the default.
Status read_special_ids(const GgufFile& gguf, Vocab& v) {
  SpecialTokenIds& ids = v.ids;
  const std::array<std::pair<const char*, int32_t*>, 18> keys = {{
      {"bos_token_id", &ids.bos}, {"eos_token_id", &ids.eos}, {"eot_token_id", &ids.eot},
      {"eom_token_id", &ids.eom}, {"unknown_token_id", &ids.unk},
      {"seperator_token_id", &ids.sep}, {"padding_token_id", &ids.pad},
      {"mask_token_id", &ids.mask}, {"fim_pre_token_id", &ids.fim_pre},
      {"fim_suf_token_id", &ids.fim_suf}, {"fim_mid_token_id", &ids.fim_mid},
      {"fim_pad_token_id", &ids.fim_pad}, {"fim_rep_token_id", &ids.fim_rep},
      {"fim_sep_token_id", &ids.fim_sep}, {"prefix_token_id", &ids.fim_pre},
      {"suffix_token_id", &ids.fim_suf}, {"middle_token_id", &ids.fim_mid},
      {"cls_token_id", v.type == VocabType::kWpm ? &ids.bos : nullptr},
  }};
  for (const auto& [suffix, target] : keys) {
    const std::string key = std::string("tokenizer.ggml.") + suffix;
    if (target == nullptr || !gguf.find(key)) continue;
    IMP_ASSIGN_OR_RETURN(int64_t id, gguf.get_int(key));
    if (id < 0 || id >= v.n_tokens()) {
      IMP_LOG(kDebug, "tokenizer: ", key, " = ", id, " is outside the vocabulary; keeping ",
              *target);
      continue;
    }
    *target = static_cast<int32_t>(id);
  }
  return ok_status();
}

Status read_flags(const GgufFile& gguf, Vocab& v) {
  IMP_ASSIGN_OR_RETURN(v.add_bos, gguf.get_bool_or("tokenizer.ggml.add_bos_token", v.add_bos));
  IMP_ASSIGN_OR_RETURN(v.add_eos, gguf.get_bool_or("tokenizer.ggml.add_eos_token", v.add_eos));
  IMP_ASSIGN_OR_RETURN(v.add_sep, gguf.get_bool_or("tokenizer.ggml.add_sep_token", v.add_sep));
  IMP_ASSIGN_OR_RETURN(v.add_space_prefix,
                       gguf.get_bool_or("tokenizer.ggml.add_space_prefix", v.add_space_prefix));
  IMP_ASSIGN_OR_RETURN(v.chat_template, gguf.get_string_or("tokenizer.chat_template", ""));
  return ok_status();
}

// A token that llama.cpp recognises by its text becomes CONTROL (and only that).
void force_control(Vocab& v, int32_t id) {
  if (!v.has_attr(id, token_attr::kControl)) v.tokens[id].attr = token_attr::kControl;
}

// Tokens recognised by their text when the metadata does not name them
// (llama.cpp's workaround); each one found is forced to CONTROL.
void detect_special_by_text(Vocab& v) {
  struct Rule {
    int32_t* id;
    std::vector<std::string_view> texts;
  };
  SpecialTokenIds& ids = v.ids;
  const std::vector<Rule> rules = {
      {&ids.eot, {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                  "<EOT>", "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>"}},
      {&ids.eom, {"<|eom_id|>"}},
      {&ids.fim_pre, {"<|fim_prefix|>", "<fim-prefix>",
                      "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "begin\xEF\xBD\x9C>", "<PRE>"}},
      {&ids.fim_suf, {"<|fim_suffix|>", "<fim-suffix>",
                      "<\xEF\xBD\x9C" "fim\xE2\x96\x81hole\xEF\xBD\x9C>", "<SUF>"}},
      {&ids.fim_mid, {"<|fim_middle|>", "<fim-middle>",
                      "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "end\xEF\xBD\x9C>", "<MID>"}},
      {&ids.fim_pad, {"<|fim_pad|>", "<fim-pad>", "<PAD>"}},
      {&ids.fim_rep, {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>"}},
      {&ids.fim_sep, {"<|file_sep|>"}},
  };
  for (const Rule& rule : rules) {
    if (*rule.id != -1) continue;
    for (std::string_view text : rule.texts) {  // the first listed text present wins
      const int32_t id = v.lookup(text);
      if (id < 0) continue;
      *rule.id = id;
      force_control(v, id);
      break;
    }
  }
}

void build_eog_ids(Vocab& v) {
  static constexpr std::string_view kEogTexts[] = {
      "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<end_of_turn>",
      "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>",
      "<end_of_utterance>"};
  const SpecialTokenIds& ids = v.ids;
  for (int32_t id : {ids.fim_pad, ids.fim_rep, ids.fim_sep, ids.eos, ids.eot, ids.eom}) {
    if (id >= 0) v.eog_ids.insert(id);
  }
  for (std::string_view text : kEogTexts) {
    const int32_t id = v.lookup(text);
    if (id < 0) continue;
    v.eog_ids.insert(id);
    force_control(v, id);
  }
}

void build_special_tokens(Vocab& v) {
  const uint32_t mask = token_attr::kControl | token_attr::kUserDefined | token_attr::kUnknown;
  for (int32_t id = 0; id < v.n_tokens(); ++id) {
    if (v.tokens[id].attr & mask) v.special_tokens.push_back(id);
  }
  std::stable_sort(v.special_tokens.begin(), v.special_tokens.end(), [&](int32_t a, int32_t b) {
    return v.tokens[a].text.size() > v.tokens[b].text.size();
  });
}

void set_attr(Vocab& v, std::string_view text, uint32_t attr, bool on) {
  const int32_t id = v.lookup(text);
  if (id < 0) return;
  if (on) {
    v.tokens[id].attr |= attr;
  } else {
    v.tokens[id].attr &= ~attr;
  }
}

// Whitespace-stripping attributes that GGUF files do not carry (llama.cpp
// sets them by model name / pre-tokenizer).
void apply_strip_attributes(const GgufFile& gguf, Vocab& v) {
  auto name_or = gguf.get_string_or("general.name", "");
  std::string name = name_or.ok() ? *name_or : std::string();
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (v.pre.find("jina-v2-de") != std::string::npos ||
      v.pre.find("jina-v2-es") != std::string::npos ||
      v.pre.find("jina-v2-code") != std::string::npos) {
    set_attr(v, "<mask>", token_attr::kLstrip, true);
  } else if (name.find("phi-3") != std::string::npos || name.find("phi3") != std::string::npos) {
    for (int32_t id : v.special_tokens) v.tokens[id].attr |= token_attr::kRstrip;
    set_attr(v, "</s>", token_attr::kRstrip, true);
    for (std::string_view t : {"<unk>", "<s>", "<|endoftext|>"}) {
      set_attr(v, t, token_attr::kRstrip, false);
    }
  }
}

}  // namespace

StatusOr<Vocab> load_vocab(const GgufFile& gguf) {
  Vocab v;
  if (!gguf.find("tokenizer.ggml.model")) {
    return invalid_argument("the file has no tokenizer (tokenizer.ggml.model is missing)");
  }
  IMP_ASSIGN_OR_RETURN(v.model, gguf.get_string("tokenizer.ggml.model"));
  IMP_ASSIGN_OR_RETURN(v.pre, gguf.get_string_or("tokenizer.ggml.pre", ""));
  IMP_RETURN_IF_ERROR(apply_model_defaults(v));
  IMP_RETURN_IF_ERROR(read_tokens(gguf, v));
  if (v.type == VocabType::kBpe) {
    if (!gguf.find("tokenizer.ggml.merges")) {
      return invalid_argument("a gpt2 tokenizer needs tokenizer.ggml.merges");
    }
    IMP_ASSIGN_OR_RETURN(v.merges, gguf.get_string_array("tokenizer.ggml.merges"));
  }
  // Defaults that do not exist in this vocabulary are dropped.
  for (int32_t* id : {&v.ids.bos, &v.ids.eos, &v.ids.unk, &v.ids.sep, &v.ids.pad, &v.ids.mask}) {
    if (!v.valid_id(*id)) *id = -1;
  }
  IMP_RETURN_IF_ERROR(read_special_ids(gguf, v));
  IMP_RETURN_IF_ERROR(read_flags(gguf, v));
  detect_special_by_text(v);
  build_eog_ids(v);
  build_special_tokens(v);
  apply_strip_attributes(gguf, v);
  return v;
}

}  // namespace impetus
