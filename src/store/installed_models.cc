#include "store/installed_models.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <utility>

namespace impetus {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxDepth = 3;  // directory levels below the models directory

bool ends_with_gguf(std::string_view name) {
  if (name.size() <= 5) return false;
  std::string ext(name.substr(name.size() - 5));
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".gguf";
}

// "name-00002-of-00003.gguf" -> {"name", 2, 3}; part 0 when not a split name.
struct SplitName {
  std::string base;  // file name without ".gguf" and without the part suffix
  int part = 0;
  int n_parts = 0;
};

SplitName split_name(std::string_view file_name) {
  SplitName s;
  std::string_view stem = file_name.substr(0, file_name.size() - 5);
  s.base = std::string(stem);
  constexpr size_t kSuffix = 15;  // "-00001-of-00003"
  if (stem.size() <= kSuffix) return s;
  std::string_view tail = stem.substr(stem.size() - kSuffix);
  auto digits = [](std::string_view d) {
    return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (tail[0] != '-' || tail.substr(6, 4) != "-of-" || !digits(tail.substr(1, 5)) ||
      !digits(tail.substr(10, 5))) {
    return s;
  }
  s.part = std::stoi(std::string(tail.substr(1, 5)));
  s.n_parts = std::stoi(std::string(tail.substr(10, 5)));
  if (s.part < 1 || s.n_parts < 1 || s.part > s.n_parts) return SplitName{std::string(stem), 0, 0};
  s.base = std::string(stem.substr(0, stem.size() - kSuffix));
  return s;
}

struct Found {
  fs::path path;
  std::vector<std::string> rel_dirs;  // directories between the models directory and the file
};

void walk(const fs::path& dir, std::vector<std::string>& rel, int depth, std::vector<Found>& out) {
  std::error_code ec;
  fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  if (ec) return;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return;
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    std::error_code sec;
    const fs::file_status st = it->status(sec);  // follows links
    if (sec) continue;
    if (fs::is_directory(st)) {
      if (depth >= kMaxDepth) continue;
      rel.push_back(name);
      walk(it->path(), rel, depth + 1, out);
      rel.pop_back();
    } else if (fs::is_regular_file(st) && ends_with_gguf(name)) {
      out.push_back({it->path(), rel});
    }
  }
}

int64_t mtime_of(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtime);
}

uint64_t size_of(const fs::path& p) {
  std::error_code ec;
  const uintmax_t n = fs::file_size(p, ec);  // follows links
  return ec ? 0 : static_cast<uint64_t>(n);
}

// Builds the model whose first (or only) file is `first`; false when the
// file is a later part of a split model (its first part makes it).
bool make_model(const Found& first, const Catalog* catalog, InstalledModel* m,
                std::string* base_id) {
  const std::string file_name = first.path.filename().string();
  const SplitName split = split_name(file_name);
  if (split.part > 1) return false;
  m->path = first.path.string();
  m->file_name = file_name;
  m->symlink = fs::is_symlink(first.path);
  m->parts.push_back(m->path);
  for (int k = 2; k <= split.n_parts; ++k) {
    char suffix[32];
    std::snprintf(suffix, sizeof(suffix), "-%05d-of-%05d", k, split.n_parts);
    fs::path part =
        first.path.parent_path() / (split.base + suffix + file_name.substr(file_name.size() - 5));
    std::error_code ec;
    if (fs::is_regular_file(part, ec)) m->parts.push_back(part.string());
  }
  for (const std::string& p : m->parts) {
    m->size_bytes += size_of(p);
    m->modified_unix = std::max(m->modified_unix, mtime_of(p));
  }
  m->quantization = quantization_from_filename(file_name);
  if (catalog != nullptr && split.part == 0) {
    const CatalogEntry* e = nullptr;
    if (first.rel_dirs.size() >= 2)
      e = catalog->find_by_file(file_name, first.rel_dirs[0] + "/" + first.rel_dirs[1]);
    if (e == nullptr) e = catalog->find_by_file(file_name);
    if (e != nullptr) m->catalog_id = e->id;
  }
  *base_id = m->catalog_id.empty() ? split.base : m->catalog_id;
  return true;
}

// `wanted`, else the file stem, else stem-2, stem-3, ...: the first not taken.
std::string unique_id(const std::string& wanted, const InstalledModel& m,
                      std::set<std::string>& taken) {
  if (taken.insert(wanted).second) return wanted;
  const std::string stem = split_name(m.file_name).base;
  if (taken.insert(stem).second) return stem;
  for (int n = 2;; ++n) {
    std::string id = stem + "-" + std::to_string(n);
    if (taken.insert(id).second) return id;
  }
}

bool inside(const fs::path& root, const fs::path& file) {
  std::error_code ec;
  const fs::path dir = fs::weakly_canonical(file.parent_path(), ec);
  if (ec) return false;
  const fs::path rel = dir.lexically_relative(root);
  return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

Status validate_model_id(std::string_view id) {
  if (id.empty() || id.size() > 200)
    return invalid_argument("a model id must be 1 to 200 characters");
  for (char c : id) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
      return invalid_argument("a model id must not contain control characters");
    if (c == '\\') return invalid_argument("a model id must not contain a backslash");
  }
  if (id.front() == '/' ||
      (id.size() >= 2 && std::isalpha(static_cast<unsigned char>(id[0])) && id[1] == ':')) {
    return invalid_argument("a model id must not be an absolute path");
  }
  size_t start = 0;
  while (start <= id.size()) {
    size_t end = id.find('/', start);
    if (end == std::string_view::npos) end = id.size();
    const std::string_view part = id.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") {
      return invalid_argument("a model id must not contain empty, \".\" or \"..\" path components");
    }
    start = end + 1;
  }
  return ok_status();
}

StatusOr<InstalledModels> InstalledModels::scan(const std::string& models_dir,
                                                const Catalog* catalog,
                                                const std::vector<std::string>& extra_paths) {
  InstalledModels out;
  std::error_code ec;
  const fs::path root = fs::weakly_canonical(fs::absolute(models_dir, ec), ec);
  out.models_dir_ = root.string();
  std::vector<Found> found;
  std::vector<std::string> rel;
  walk(root, rel, 0, found);
  std::sort(found.begin(), found.end(),
            [](const Found& a, const Found& b) { return a.path < b.path; });

  std::set<std::string> taken;
  std::set<fs::path> seen;  // canonical paths already listed
  auto add = [&](const Found& f, bool external) {
    InstalledModel m;
    std::string base_id;
    if (!make_model(f, catalog, &m, &base_id)) return;
    std::error_code cec;
    if (!seen.insert(fs::weakly_canonical(f.path, cec)).second) return;
    if (!validate_model_id(base_id).ok()) return;  // a name no id can carry
    m.external = external;
    m.id = unique_id(base_id, m, taken);
    out.models_.push_back(std::move(m));
  };
  for (const Found& f : found) add(f, false);
  for (const std::string& p : extra_paths) {
    const fs::path path = fs::absolute(p, ec);
    if (ec || !fs::exists(path, ec)) {
      out.missing_.push_back(p);
      continue;
    }
    if (!fs::is_regular_file(path, ec) || !ends_with_gguf(path.filename().string())) {
      return invalid_argument("not a .gguf file: " + p);
    }
    add(Found{path, {}}, !inside(root, path));
  }
  std::sort(out.models_.begin(), out.models_.end(),
            [](const InstalledModel& a, const InstalledModel& b) { return a.id < b.id; });
  return out;
}

const InstalledModel* InstalledModels::find(std::string_view id) const {
  for (const InstalledModel& m : models_) {
    if (m.id == id) return &m;
  }
  for (const InstalledModel& m : models_) {
    if (m.file_name == id) return &m;
  }
  return nullptr;
}

Status InstalledModels::remove(std::string_view id) {
  const InstalledModel* m = find(id);
  if (m == nullptr) return not_found("no installed model '" + std::string(id) + "'");
  const fs::path root(models_dir_);
  for (const std::string& p : m->parts) {
    if (m->external || !inside(root, p)) {
      return failed_precondition("'" + m->id + "' is outside the models directory (" + models_dir_ +
                                 "); Impetus deletes only files it stores there");
    }
  }
  for (const std::string& p : m->parts) {
    std::error_code ec;
    fs::remove(p, ec);  // a link: the link itself
    if (ec) return failed_precondition("cannot delete " + p + ": " + ec.message());
  }
  models_.erase(models_.begin() + (m - models_.data()));
  return ok_status();
}

}  // namespace impetus
