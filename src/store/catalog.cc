#include "store/catalog.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <utility>

#include "store/model_files.h"

namespace impetus {
namespace {

using nlohmann::json;

struct QuantInfo {
  std::string_view name;
  double bits_per_weight;
};

// Nominal bits per weight of each block type (llama.cpp's block layouts:
// bytes per block * 8 / weights per block); mixes take their main type's.
constexpr QuantInfo kQuants[] = {
    {"F32", 32.0},      {"F16", 16.0},      {"BF16", 16.0},      {"Q8_0", 8.5},
    {"Q6_K", 6.5625},   {"Q6_K_L", 6.5625}, {"Q5_K_M", 5.5},     {"Q5_K_S", 5.5},
    {"Q5_K_L", 5.5},    {"Q5_0", 5.5},      {"Q5_1", 6.0},       {"Q4_K_M", 4.5},
    {"Q4_K_S", 4.5},    {"Q4_K_L", 4.5},    {"Q4_0", 4.5},       {"Q4_1", 5.0},
    {"Q4_0_4_4", 4.5},  {"Q4_0_4_8", 4.5},  {"Q4_0_8_8", 4.5},   {"Q3_K_XL", 3.4375},
    {"Q3_K_L", 3.4375}, {"Q3_K_M", 3.4375}, {"Q3_K_S", 3.4375},  {"Q2_K", 2.625},
    {"Q2_K_L", 2.625},  {"IQ4_XS", 4.25},   {"IQ4_NL", 4.5},     {"IQ3_M", 3.4375},
    {"IQ3_S", 3.4375},  {"IQ3_XS", 3.0625}, {"IQ3_XXS", 3.0625}, {"IQ2_M", 2.5},
    {"IQ2_S", 2.5},     {"IQ2_XS", 2.3125}, {"IQ2_XXS", 2.0625}, {"IQ1_M", 1.75},
    {"IQ1_S", 1.5625},  {"TQ1_0", 1.6875},  {"TQ2_0", 2.0625},   {"MXFP4", 4.25},
};

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_slug(std::string_view s, size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(s[0])) return false;
  for (char c : s) {
    if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

// "1.23B" / "135M" -> count; 0 when malformed.
double parse_parameter_count(std::string_view s) {
  if (s.size() < 2) return 0;
  const char unit = s.back();
  const double scale = unit == 'B' ? 1e9 : unit == 'M' ? 1e6 : 0;
  if (scale == 0) return 0;
  const std::string digits(s.substr(0, s.size() - 1));
  for (char c : digits) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') return 0;
  }
  if (digits.empty() || digits.front() == '.' || digits.back() == '.' ||
      std::count(digits.begin(), digits.end(), '.') > 1) {
    return 0;
  }
  return std::stod(digits) * scale;
}

// Reads the members of one JSON object, naming `where` in every error and
// refusing members it was not asked about.
class FieldReader {
 public:
  FieldReader(const json& obj, std::string where) : obj_(obj), where_(std::move(where)) {}

  void set_where(std::string where) { where_ = std::move(where); }

  Status error(std::string_view field, std::string_view what) const {
    return invalid_argument("catalog: " + where_ + ": " + std::string(field) + ": " +
                            std::string(what));
  }
  const json* member(std::string_view key, bool required, Status* st) {
    seen_.insert(std::string(key));
    auto it = obj_.find(std::string(key));
    if (it == obj_.end()) {
      if (required) *st = error(key, "missing");
      return nullptr;
    }
    return &*it;
  }
  StatusOr<std::string> text(std::string_view key, bool required = true) {
    Status st;
    const json* v = member(key, required, &st);
    if (!st.ok()) return st;
    if (v == nullptr) return std::string();
    if (!v->is_string() || v->get_ref<const std::string&>().empty()) {
      return error(key, "must be a non-empty string");
    }
    return v->get<std::string>();
  }
  StatusOr<int64_t> integer(std::string_view key, int64_t lo, int64_t hi) {
    Status st;
    const json* v = member(key, true, &st);
    if (!st.ok()) return st;
    if (!v->is_number_integer()) return error(key, "must be an integer");
    const int64_t x =
        v->is_number_unsigned() && v->get<uint64_t>() > INT64_MAX ? INT64_MAX : v->get<int64_t>();
    if (x < lo || x > hi) {
      return error(key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
    return x;
  }
  StatusOr<double> positive_number(std::string_view key) {
    Status st;
    const json* v = member(key, true, &st);
    if (!st.ok()) return st;
    if (!v->is_number() || !(v->get<double>() > 0.0) || !std::isfinite(v->get<double>())) {
      return error(key, "must be a positive number");
    }
    return v->get<double>();
  }
  StatusOr<std::vector<std::string>> tags(std::string_view key) {
    Status st;
    const json* v = member(key, true, &st);
    if (!st.ok()) return st;
    if (!v->is_array()) return error(key, "must be an array of strings");
    std::vector<std::string> out;
    for (const json& t : *v) {
      if (!t.is_string() || !is_slug(t.get_ref<const std::string&>(), 64)) {
        return error(key, "items must be lower-case tags ([a-z0-9._-])");
      }
      out.push_back(t.get<std::string>());
    }
    return out;
  }
  // Refuses members nobody asked for (typos would otherwise pass silently).
  Status check_unknown() const {
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
      if (!seen_.count(it.key())) return error(it.key(), "unknown field");
    }
    return ok_status();
  }

 private:
  const json& obj_;
  std::string where_;
  std::set<std::string> seen_;
};

bool is_gguf_file_name(std::string_view f) {
  if (f.size() <= 5 || f.size() > 255 || f.front() == '.') return false;
  if (lower(f.substr(f.size() - 5)) != ".gguf") return false;
  for (char c : f) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '/' || c == '\\') return false;
  }
  return true;
}

Status parse_file(const json& value, const std::string& quant, const std::string& where,
                  CatalogFile* out) {
  const std::string field = "files." + quant;
  if (!quantization_bits_per_weight(quant)) {
    return invalid_argument("catalog: " + where + ": " + field + ": unknown quantization name");
  }
  if (!value.is_object())
    return invalid_argument("catalog: " + where + ": " + field + ": must be an object");
  FieldReader r(value, where + ": " + field);
  out->quantization = quant;
  IMP_ASSIGN_OR_RETURN(out->file, r.text("file"));
  if (!is_gguf_file_name(out->file)) {
    return r.error("file", "must be a plain file name ending in .gguf (no path separators)");
  }
  IMP_ASSIGN_OR_RETURN(int64_t size, r.integer("size_bytes", 1, INT64_MAX));
  out->size_bytes = static_cast<uint64_t>(size);
  IMP_ASSIGN_OR_RETURN(out->size_source, r.text("size_source"));
  if (out->size_source != "hub tree (exact)" && out->size_source != "model card (rounded)" &&
      out->size_source != "estimated") {
    return r.error("size_source",
                   "must be \"hub tree (exact)\", \"model card (rounded)\" or \"estimated\"");
  }
  return r.check_unknown();
}

Status parse_files(const json* files, const std::string& where, CatalogEntry* e) {
  if (files == nullptr || !files->is_object() || files->empty()) {
    return invalid_argument("catalog: " + where + ": files: must be a non-empty object");
  }
  std::set<std::string> names;
  for (auto it = files->begin(); it != files->end(); ++it) {
    CatalogFile f;
    IMP_RETURN_IF_ERROR(parse_file(it.value(), it.key(), where, &f));
    if (!names.insert(lower(f.file)).second) {
      return invalid_argument("catalog: " + where + ": files." + it.key() +
                              ".file: the same file twice");
    }
    e->files.push_back(std::move(f));
  }
  std::stable_sort(
      e->files.begin(), e->files.end(),
      [](const CatalogFile& a, const CatalogFile& b) { return a.size_bytes < b.size_bytes; });
  return ok_status();
}

Status parse_entry_text(FieldReader& r, CatalogEntry* e) {
  IMP_ASSIGN_OR_RETURN(e->name, r.text("name"));
  IMP_ASSIGN_OR_RETURN(e->repo, r.text("repo"));
  if (Status st = validate_repo_id(e->repo); !st.ok()) return r.error("repo", st.message());
  IMP_ASSIGN_OR_RETURN(e->revision, r.text("revision", /*required=*/false));
  if (!e->revision.empty() &&
      (e->revision.size() != 40 ||
       e->revision.find_first_not_of("0123456789abcdef") != std::string::npos)) {
    return r.error("revision", "must be a 40-digit lower-case hex commit id");
  }
  IMP_ASSIGN_OR_RETURN(e->architecture, r.text("architecture"));
  if (!is_slug(e->architecture, 64)) return r.error("architecture", "must be a lower-case name");
  IMP_ASSIGN_OR_RETURN(e->parameters, r.text("parameters"));
  e->n_parameters = parse_parameter_count(e->parameters);
  if (!(e->n_parameters > 0))
    return r.error("parameters", "must be a count like \"1.5B\" or \"135M\"");
  IMP_ASSIGN_OR_RETURN(e->license, r.text("license"));
  IMP_ASSIGN_OR_RETURN(std::string category, r.text("category"));
  auto cat = parse_category(category);
  if (!cat) return r.error("category", "unknown category \"" + category + "\"");
  e->category = *cat;
  IMP_ASSIGN_OR_RETURN(e->description, r.text("description"));
  return ok_status();
}

StatusOr<CatalogEntry> parse_entry(const json& value, size_t index) {
  std::string where = "models[" + std::to_string(index) + "]";
  if (!value.is_object()) return invalid_argument("catalog: " + where + ": must be an object");
  CatalogEntry e;
  FieldReader r(value, where);
  IMP_ASSIGN_OR_RETURN(e.id, r.text("id"));
  if (!is_slug(e.id, 64)) return r.error("id", "must be a slug ([a-z0-9][a-z0-9._-]*, at most 64)");
  where += " (" + e.id + ")";
  r.set_where(where);
  IMP_RETURN_IF_ERROR(parse_entry_text(r, &e));
  IMP_ASSIGN_OR_RETURN(e.context_length, r.integer("context_length", 512, int64_t{1} << 24));
  IMP_ASSIGN_OR_RETURN(e.recommended_for, r.tags("recommended_for"));
  IMP_ASSIGN_OR_RETURN(e.features, r.tags("features"));
  IMP_ASSIGN_OR_RETURN(e.min_memory_gb, r.positive_number("min_memory_gb"));
  IMP_ASSIGN_OR_RETURN(int64_t score, r.integer("popularity_score", 0, 100));
  e.popularity_score = static_cast<int>(score);
  Status st;
  const json* files = r.member("files", true, &st);
  IMP_RETURN_IF_ERROR(st);
  IMP_RETURN_IF_ERROR(parse_files(files, where, &e));
  IMP_RETURN_IF_ERROR(r.check_unknown());
  return e;
}

bool contains_ci(std::string_view haystack, std::string_view needle_lower) {
  return lower(haystack).find(needle_lower) != std::string::npos;
}

bool has_tag(const std::vector<std::string>& tags, std::string_view tag) {
  const std::string t = lower(tag);
  return std::any_of(tags.begin(), tags.end(), [&](const std::string& x) { return x == t; });
}

// Every whitespace-separated word of `search` appears somewhere in the entry.
bool matches_search(const CatalogEntry& e, std::string_view search) {
  std::istringstream words{lower(search)};
  std::string word;
  while (words >> word) {
    bool found =
        contains_ci(e.id, word) || contains_ci(e.name, word) || contains_ci(e.description, word);
    for (const auto& t : e.recommended_for) found = found || contains_ci(t, word);
    for (const auto& t : e.features) found = found || contains_ci(t, word);
    if (!found) return false;
  }
  return true;
}

bool by_popularity(const CatalogEntry* a, const CatalogEntry* b) {
  if (a->popularity_score != b->popularity_score) return a->popularity_score > b->popularity_score;
  return a->id < b->id;
}

uint64_t memory_needed_bytes(const CatalogFile& f) {
  return static_cast<uint64_t>(static_cast<double>(f.size_bytes) * 1.2) + 500'000'000ull;
}

}  // namespace

std::string_view category_name(ModelCategory category) {
  switch (category) {
    case ModelCategory::kGeneral:
      return "general";
    case ModelCategory::kCoding:
      return "coding";
    case ModelCategory::kChat:
      return "chat";
    case ModelCategory::kEfficient:
      return "efficient";
    case ModelCategory::kSpecialized:
      return "specialized";
  }
  return "general";
}

std::optional<ModelCategory> parse_category(std::string_view name) {
  for (ModelCategory c : {ModelCategory::kGeneral, ModelCategory::kCoding, ModelCategory::kChat,
                          ModelCategory::kEfficient, ModelCategory::kSpecialized}) {
    if (category_name(c) == name) return c;
  }
  return std::nullopt;
}

std::optional<double> quantization_bits_per_weight(std::string_view name) {
  for (const QuantInfo& q : kQuants) {
    if (q.name == name) return q.bits_per_weight;
  }
  return std::nullopt;
}

std::string quantization_from_filename(std::string_view file_name) {
  std::string found;
  size_t start = 0;
  while (start <= file_name.size()) {
    size_t end = file_name.find_first_of("-.", start);
    if (end == std::string_view::npos) end = file_name.size();
    const std::string token = upper(file_name.substr(start, end - start));
    if (!token.empty() && quantization_bits_per_weight(token)) found = token;
    start = end + 1;
  }
  return found;
}

const CatalogFile* CatalogEntry::file_for(std::string_view quantization) const {
  for (const CatalogFile& f : files) {
    if (f.quantization == quantization) return &f;
  }
  return nullptr;
}

const CatalogFile& default_file(const CatalogEntry& entry) {
  const CatalogFile* q4 = entry.file_for("Q4_K_M");
  return q4 != nullptr ? *q4 : entry.smallest_file();
}

const CatalogFile* select_file(const CatalogEntry& entry, uint64_t budget_bytes) {
  const CatalogFile& def = default_file(entry);
  if (budget_bytes == 0 || memory_needed_bytes(def) <= budget_bytes) return &def;
  const CatalogFile* best = nullptr;
  for (const CatalogFile& f : entry.files) {  // smallest first
    if (f.size_bytes < def.size_bytes && memory_needed_bytes(f) <= budget_bytes) best = &f;
  }
  return best;
}

StatusOr<Catalog> Catalog::parse(std::string_view json_text) {
  json doc = json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return invalid_argument("catalog: not valid JSON");
  if (!doc.is_object()) return invalid_argument("catalog: the document must be a JSON object");
  FieldReader top(doc, "document");
  IMP_ASSIGN_OR_RETURN(int64_t version, top.integer("version", 1, 1));
  (void)version;
  IMP_ASSIGN_OR_RETURN(std::string description, top.text("description", /*required=*/false));
  Status st;
  const json* models = top.member("models", true, &st);
  IMP_RETURN_IF_ERROR(st);
  IMP_RETURN_IF_ERROR(top.check_unknown());
  if (!models->is_array()) return invalid_argument("catalog: document: models: must be an array");
  Catalog catalog;
  std::set<std::string> ids;
  for (size_t i = 0; i < models->size(); ++i) {
    IMP_ASSIGN_OR_RETURN(CatalogEntry e, parse_entry((*models)[i], i));
    if (!ids.insert(e.id).second) {
      return invalid_argument("catalog: models[" + std::to_string(i) + "] (" + e.id +
                              "): id: duplicate id");
    }
    catalog.entries_.push_back(std::move(e));
  }
  return catalog;
}

StatusOr<Catalog> Catalog::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("catalog: cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return not_found("catalog: cannot read " + path);
  StatusOr<Catalog> catalog = parse(text.str());
  if (!catalog.ok()) return catalog.status().with_context(path);
  return catalog;
}

const CatalogEntry* Catalog::find(std::string_view id) const {
  for (const CatalogEntry& e : entries_) {
    if (e.id == id) return &e;
  }
  return nullptr;
}

const CatalogEntry* Catalog::find_by_file(std::string_view file_name, std::string_view repo) const {
  for (const CatalogEntry& e : entries_) {
    if (!repo.empty() && lower(e.repo) != lower(repo)) continue;
    for (const CatalogFile& f : e.files) {
      if (f.file == file_name) return &e;
    }
  }
  return nullptr;
}

std::vector<const CatalogEntry*> Catalog::filter(const CatalogQuery& query) const {
  std::vector<const CatalogEntry*> out;
  for (const CatalogEntry& e : entries_) {
    if (query.category && e.category != *query.category) continue;
    if (query.available_memory_gb && e.min_memory_gb > *query.available_memory_gb) continue;
    if (!query.use_case.empty() && !has_tag(e.recommended_for, query.use_case)) continue;
    if (!matches_search(e, query.search)) continue;
    out.push_back(&e);
  }
  std::sort(out.begin(), out.end(), by_popularity);
  return out;
}

std::vector<Recommendation> Catalog::recommended(std::string_view use_case,
                                                 const HardwareSummary& hardware) const {
  const uint64_t budget = model_memory_budget_bytes(hardware);
  std::vector<const CatalogEntry*> candidates;
  for (const CatalogEntry& e : entries_) {
    if (!use_case.empty() && !has_tag(e.recommended_for, use_case)) continue;
    if (budget > 0 && e.min_memory_gb * 1e9 > static_cast<double>(budget)) continue;
    candidates.push_back(&e);
  }
  // Models of the category the use case names first ("coding": the coding
  // models), then by popularity.
  const std::optional<ModelCategory> specialist = parse_category(lower(use_case));
  std::sort(candidates.begin(), candidates.end(),
            [&](const CatalogEntry* a, const CatalogEntry* b) {
              const bool sa = specialist && a->category == *specialist;
              const bool sb = specialist && b->category == *specialist;
              if (sa != sb) return sa;
              return by_popularity(a, b);
            });
  std::vector<Recommendation> out;
  for (const CatalogEntry* e : candidates) {
    const CatalogFile* f = select_file(*e, budget);
    if (f != nullptr) out.push_back({e, f});
  }
  return out;
}

}  // namespace impetus
