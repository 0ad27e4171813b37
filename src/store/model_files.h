// Names of models on the Hugging Face Hub and on disk: validation of repo
// ids and file paths (nothing a user sends may escape the models directory),
// parsing of the model references `impetus pull` and the download API accept,
// choosing the .gguf file of a quantization, and where a file lives locally.
//
// Accepted references:
//   "owner/name:Q4_K_M"          the .gguf in the repo whose name holds the quantization
//   "owner/name/path/file.gguf"  one file of the repo
//   "owner/name"                 the repo's only .gguf (or one picked by a quantization)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace impetus {

// One file of a Hub repository (an entry of the tree API).
struct HubFile {
  std::string path;     // path inside the repo ("sub/model-Q4_K_M.gguf")
  uint64_t size = 0;    // bytes of the real content (the LFS object's size for LFS files)
  std::string sha256;   // lower-case hex of the content; "" when unknown (non-LFS files)
  std::string git_oid;  // the git blob id (SHA-1 hex) from the tree entry
  bool lfs = false;     // stored through Git LFS (the Hub redirects downloads to its CDN)
};

// "owner/name": each part 1..96 chars of [A-Za-z0-9._-], not starting with
// '.' or '-', no "..". INVALID_ARGUMENT otherwise.
Status validate_repo_id(std::string_view repo);
// A relative path inside a repo: segments of printable ASCII without '\\',
// none empty, "." or ".."; no leading '/'; at most 512 chars.
Status validate_repo_file(std::string_view file);

struct ModelRef {
  std::string repo;          // "owner/name"
  std::string file;          // path in the repo; "" = pick by quant
  std::string quantization;  // "" = none given
};

// Parses one of the accepted references (see above); `quantization` (may be
// "") comes from a separate field and must agree with a ":QUANT" suffix.
StatusOr<ModelRef> parse_model_ref(std::string_view model_id, std::string_view quantization = "");

// The .gguf file of `files` for `quantization` (case-insensitive). A match
// is the quantization as a whole token of the file name ("Q4_K" does not
// match "Q4_K_M"); with no whole-token match, any substring match. Empty
// quantization: the only .gguf. NOT_FOUND or INVALID_ARGUMENT (ambiguous)
// errors list the candidates; split GGUFs (-00001-of-00003) are UNIMPLEMENTED.
StatusOr<HubFile> pick_gguf(const std::vector<HubFile>& files, std::string_view quantization,
                            std::string_view repo);

// Where a repo file is stored: <models_dir>/<owner>/<name>/<file>.
std::string local_model_path(const std::string& models_dir, const std::string& repo,
                             const std::string& file);

}  // namespace impetus
