// The curated model catalog (data/catalog.json): popular instruction models
// published as GGUF on the Hugging Face Hub, each with its repository, one
// file per quantization (exact size and where the size came from), context
// length, licence, category and the use cases it suits. Loading validates
// every field; queries filter and rank it for GET /api/models/discover and
// GET /api/models/recommended.
//
//   IMP_ASSIGN_OR_RETURN(Catalog catalog, Catalog::load("data/catalog.json"));
//   const CatalogEntry* e = catalog.find("qwen3-4b");
//   auto coding = catalog.filter({.category = ModelCategory::kCoding});
//
// The format is described field by field in data/README.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/perf_estimate.h"

namespace impetus {

enum class ModelCategory { kGeneral, kCoding, kChat, kEfficient, kSpecialized };

// "general", "coding", "chat", "efficient", "specialized".
std::string_view category_name(ModelCategory category);
std::optional<ModelCategory> parse_category(std::string_view name);

// Nominal bits per weight of a llama.cpp quantization ("Q4_K_M": that of its
// main block type, Q4_K, 4.5); nullopt for a name this table does not know.
// Names are matched exactly (upper case, as llama.cpp writes them).
std::optional<double> quantization_bits_per_weight(std::string_view name);
// The quantization named in a GGUF file name ("qwen2.5-0.5b-instruct-q4_k_m.gguf"
// -> "Q4_K_M"): the last '-' or '.' separated token that is a known name,
// compared without case. "" when there is none.
std::string quantization_from_filename(std::string_view file_name);

struct CatalogFile {
  std::string quantization;  // "Q4_K_M"
  std::string file;          // file name in the repository ("Qwen3-4B-Q4_K_M.gguf")
  uint64_t size_bytes = 0;
  std::string size_source;  // "hub tree (exact)", "model card (rounded)" or "estimated"
};

struct CatalogEntry {
  std::string id;  // slug: [a-z0-9][a-z0-9._-]*
  std::string name;
  std::string repo;          // "owner/name" on the Hub
  std::string revision;      // Hub commit the sizes were read at; "" if unknown
  std::string architecture;  // GGUF general.architecture ("llama", "qwen3", ...)
  std::string parameters;    // as written: "1.23B", "135M"
  double n_parameters = 0;   // parsed from `parameters`
  int64_t context_length = 0;
  std::string license;
  ModelCategory category = ModelCategory::kGeneral;
  std::vector<std::string> recommended_for;  // use cases ("chat", "coding", "low_memory", ...)
  std::vector<std::string> features;         // "tool_calling", "thinking_mode", ...
  std::string description;
  double min_memory_gb = 0;        // 1e9 bytes
  int popularity_score = 0;        // 0..100, editorial
  std::vector<CatalogFile> files;  // by size, smallest first

  const CatalogFile* file_for(std::string_view quantization) const;
  const CatalogFile& smallest_file() const { return files.front(); }
};

// What the discover API filters on; empty members do not filter.
struct CatalogQuery {
  std::optional<ModelCategory> category;
  std::string search;                         // words matched (case-insensitive) in id, name,
                                              // description, recommended_for and features
  std::optional<double> available_memory_gb;  // keeps models with min_memory_gb <= this
  std::string use_case;                       // keeps models recommended for it
};

// The file Impetus proposes by default: Q4_K_M when there is one, else the smallest.
const CatalogFile& default_file(const CatalogEntry& entry);
// The default file if it fits `budget_bytes` (size * 1.2 + 0.5 GB, as
// min_memory_gb is computed), else the largest smaller file that fits; null
// when none fits. budget_bytes 0 (unknown): the default file.
const CatalogFile* select_file(const CatalogEntry& entry, uint64_t budget_bytes);

struct Recommendation {
  const CatalogEntry* entry = nullptr;
  const CatalogFile* file = nullptr;  // the quantization that fits (select_file)
};

class Catalog {
 public:
  // Parses and validates a catalog document. INVALID_ARGUMENT names the
  // entry and the field at fault ("models[3] (qwen3-4b): files.Q4_K_M.size_bytes: ...").
  static StatusOr<Catalog> parse(std::string_view json_text);
  // Reads the file, then parse(); NOT_FOUND when it cannot be read.
  static StatusOr<Catalog> load(const std::string& path);

  const std::vector<CatalogEntry>& entries() const { return entries_; }
  const CatalogEntry* find(std::string_view id) const;
  // The entry one of whose files is `file_name` (and, if `repo` is not "",
  // whose repository is `repo`); null if none.
  const CatalogEntry* find_by_file(std::string_view file_name, std::string_view repo = "") const;

  // Matching entries, most popular first (then by id).
  std::vector<const CatalogEntry*> filter(const CatalogQuery& query) const;
  // Entries for `use_case` ("" = any) that fit the machine, each with the
  // file to use: those whose category the use case names first ("coding"),
  // then most popular first.
  std::vector<Recommendation> recommended(std::string_view use_case,
                                          const HardwareSummary& hardware) const;

 private:
  std::vector<CatalogEntry> entries_;
};

}  // namespace impetus
