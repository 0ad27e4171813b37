// The GGUF models on this machine: every .gguf under the models directory
// (down to three directory levels, which covers the downloader's
// <models>/<owner>/<name>/<file> layout; symbolic links to files and to
// directories are followed), plus local files the user added by path. Each
// gets a stable id: the catalog id when the file is one of the catalog's
// (and the only installed file of that entry), else the file stem.
//
//   IMP_ASSIGN_OR_RETURN(auto installed, InstalledModels::scan(models_dir(), &catalog));
//   if (const InstalledModel* m = installed.find("qwen3-4b")) load(m->path);
//   IMP_RETURN_IF_ERROR(installed.remove("qwen3-4b"));  // deletes the file
//
// A split GGUF (name-00001-of-00003.gguf, ...) is one model: its id is the
// name without the part suffix, its size the sum of the parts present.
// Hidden files and directories (".name") are skipped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/catalog.h"

namespace impetus {

// A model id that may name a file: 1..200 bytes, no NUL or control
// character, no backslash, not absolute ("/x", "C:..."), no "." or ".."
// path component, no empty component. INVALID_ARGUMENT otherwise.
Status validate_model_id(std::string_view id);

struct InstalledModel {
  std::string id;
  std::string path;  // the file (for a split model its first part); a link stays a link
  std::vector<std::string> parts;  // every file of the model (one unless split)
  std::string file_name;           // of `path`
  uint64_t size_bytes = 0;         // of the file(s) the links point to
  std::string quantization;        // from the file name; "" if it names none
  int64_t modified_unix = 0;       // last modification (newest part), seconds
  std::string catalog_id;          // "" unless the file is a catalog file
  bool symlink = false;            // `path` is a symbolic link
  bool external = false;           // added by path, not found under the models directory
};

class InstalledModels {
 public:
  // Scans `models_dir` (a missing directory is an empty registry) and adds
  // `extra_paths` (local .gguf files added explicitly; those that no longer
  // exist are listed in missing_paths()). `catalog` may be null. Fails only
  // when an extra path exists but is not a .gguf file.
  static StatusOr<InstalledModels> scan(const std::string& models_dir,
                                        const Catalog* catalog = nullptr,
                                        const std::vector<std::string>& extra_paths = {});

  // Sorted by id.
  const std::vector<InstalledModel>& models() const { return models_; }
  // By id, else by file name; null if none.
  const InstalledModel* find(std::string_view id) const;
  // Deletes the model's file(s) and forgets it. NOT_FOUND for an unknown id;
  // FAILED_PRECONDITION for a model outside the models directory (an added
  // path: Impetus never deletes files it did not put there). A link is
  // deleted, not what it points to.
  Status remove(std::string_view id);

  const std::string& models_dir() const { return models_dir_; }
  const std::vector<std::string>& missing_paths() const { return missing_; }

 private:
  std::string models_dir_;
  std::vector<InstalledModel> models_;
  std::vector<std::string> missing_;
};

}  // namespace impetus
