#include "store/model_files.h"

#include <algorithm>
#include <cctype>
#include <regex>

namespace impetus {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && lower(s.substr(s.size() - suffix.size())) == lower(suffix);
}

std::string_view basename(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

Status validate_repo_part(std::string_view part, std::string_view repo) {
  auto bad = [&](const std::string& why) {
    return invalid_argument("invalid repository id '" + std::string(repo) + "': " + why);
  };
  if (part.empty() || part.size() > 96) return bad("each part must have 1 to 96 characters");
  if (part.front() == '.' || part.front() == '-')
    return bad("a part may not start with '.' or '-'");
  if (part.find("..") != std::string_view::npos) return bad("'..' is not allowed");
  for (char c : part) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return bad("only letters, digits, '.', '_' and '-' are allowed");
    }
  }
  return ok_status();
}

bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// `quant` occurs in `name` (both lower case) as a whole token: not preceded
// by a letter or digit and not followed by a letter, digit or '_'.
bool whole_token(const std::string& name, const std::string& quant) {
  for (size_t pos = name.find(quant); pos != std::string::npos; pos = name.find(quant, pos + 1)) {
    const size_t end = pos + quant.size();
    const bool left_ok = pos == 0 || !alnum(name[pos - 1]);
    const bool right_ok = end == name.size() || (!alnum(name[end]) && name[end] != '_');
    if (left_ok && right_ok) return true;
  }
  return false;
}

bool is_split_part(std::string_view name) {
  static const std::regex re(R"(-\d{5}-of-\d{5}\.gguf$)", std::regex::icase);
  return std::regex_search(name.begin(), name.end(), re);
}

std::string list_paths(const std::vector<const HubFile*>& files) {
  std::string out;
  for (const HubFile* f : files) out += (out.empty() ? "" : ", ") + f->path;
  return out.empty() ? "(none)" : out;
}

// Drops multimodal projector files when other candidates remain.
std::vector<const HubFile*> prefer_models(std::vector<const HubFile*> c) {
  std::vector<const HubFile*> models;
  for (const HubFile* f : c) {
    if (lower(basename(f->path)).rfind("mmproj", 0) != 0) models.push_back(f);
  }
  return models.empty() ? c : models;
}

}  // namespace

Status validate_repo_id(std::string_view repo) {
  const size_t slash = repo.find('/');
  if (slash == std::string_view::npos || repo.find('/', slash + 1) != std::string_view::npos) {
    return invalid_argument("invalid repository id '" + std::string(repo) +
                            "': expected owner/name");
  }
  IMP_RETURN_IF_ERROR(validate_repo_part(repo.substr(0, slash), repo));
  return validate_repo_part(repo.substr(slash + 1), repo);
}

Status validate_repo_file(std::string_view file) {
  auto bad = [&](const std::string& why) {
    return invalid_argument("invalid file name '" + std::string(file) + "': " + why);
  };
  if (file.empty() || file.size() > 512) return bad("expected 1 to 512 characters");
  if (file.front() == '/') return bad("absolute paths are not allowed");
  for (char c : file) {
    if (c == '\\') return bad("backslashes are not allowed");
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return bad("only printable ASCII characters are allowed");
    }
  }
  size_t start = 0;
  while (start <= file.size()) {
    size_t end = file.find('/', start);
    if (end == std::string_view::npos) end = file.size();
    const std::string_view seg = file.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == "..")
      return bad("empty, '.' and '..' path segments are not allowed");
    start = end + 1;
  }
  return ok_status();
}

StatusOr<ModelRef> parse_model_ref(std::string_view model_id, std::string_view quantization) {
  ModelRef ref;
  std::string_view id = model_id;
  const size_t colon = id.find(':');
  std::string quant(quantization);
  if (colon != std::string_view::npos) {
    const std::string suffix(id.substr(colon + 1));
    if (suffix.empty())
      return invalid_argument("empty quantization after ':' in '" + std::string(model_id) + "'");
    if (!quant.empty() && lower(quant) != lower(suffix)) {
      return invalid_argument("quantization '" + quant + "' disagrees with '" +
                              std::string(model_id) + "'");
    }
    quant = suffix;
    id = id.substr(0, colon);
  }
  for (char c : quant) {
    if (!alnum(c) && c != '_' && c != '-' && c != '.') {
      return invalid_argument("invalid quantization '" + quant + "'");
    }
  }
  const size_t first = id.find('/');
  const size_t second = first == std::string_view::npos ? first : id.find('/', first + 1);
  ref.repo = std::string(id.substr(0, second));
  IMP_RETURN_IF_ERROR(validate_repo_id(ref.repo));
  if (second != std::string_view::npos) {
    if (colon != std::string_view::npos) {
      return invalid_argument("'" + std::string(model_id) +
                              "': give either a file or ':QUANT', not both");
    }
    ref.file = std::string(id.substr(second + 1));
    IMP_RETURN_IF_ERROR(validate_repo_file(ref.file));
  }
  ref.quantization = quant;
  return ref;
}

StatusOr<HubFile> pick_gguf(const std::vector<HubFile>& files, std::string_view quantization,
                            std::string_view repo) {
  std::vector<const HubFile*> ggufs;
  for (const HubFile& f : files) {
    if (ends_with_ci(f.path, ".gguf")) ggufs.push_back(&f);
  }
  const std::string q = lower(quantization);
  std::vector<const HubFile*> whole, any;
  for (const HubFile* f : ggufs) {
    const std::string name = lower(basename(f->path));
    if (q.empty() || whole_token(name, q)) whole.push_back(f);
    if (!q.empty() && name.find(q) != std::string::npos) any.push_back(f);
  }
  std::vector<const HubFile*> picked = prefer_models(whole.empty() ? any : whole);
  const std::string what = q.empty() ? "" : " for quantization '" + std::string(quantization) + "'";
  if (picked.empty()) {
    return not_found("no .gguf file" + what + " in " + std::string(repo) +
                     "; available: " + list_paths(ggufs));
  }
  if (std::all_of(picked.begin(), picked.end(),
                  [](const HubFile* f) { return is_split_part(f->path); })) {
    return unimplemented(
        "the model" + what + " in " + std::string(repo) +
        " is a split GGUF, which pull does not support yet: " + list_paths(picked));
  }
  if (picked.size() > 1) {
    return invalid_argument(
        "more than one .gguf file" + what + " in " + std::string(repo) +
        " (name one with :QUANT or owner/name/file.gguf): " + list_paths(picked));
  }
  return *picked.front();
}

std::string local_model_path(const std::string& models_dir, const std::string& repo,
                             const std::string& file) {
  std::string dir = models_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir + "/" + repo + "/" + file;
}

}  // namespace impetus
