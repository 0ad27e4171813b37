// HfClient: the read-only part of the Hugging Face Hub API that model
// downloads need. The endpoint comes from HF_ENDPOINT (default
// https://huggingface.co) and the token from HF_TOKEN (sent as a bearer
// token). Lists a repo's files with sizes and LFS SHA-256 digests through
// GET {endpoint}/api/models/{repo}/tree/main?recursive=true (following the
// Link: rel="next" pages), and builds the download URL
// {endpoint}/{repo}/resolve/main/{file}, which the Hub redirects to its CDN.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "store/hub_http.h"
#include "store/model_files.h"

namespace impetus {

struct HubOptions {
  std::string endpoint = "https://huggingface.co";  // no trailing '/'
  std::string revision = "main";                    // branch, tag or commit
  HubHttpOptions http;                              // token, user agent, timeouts

  // HF_ENDPOINT and HF_TOKEN (also HUGGING_FACE_HUB_TOKEN) from the environment.
  static HubOptions from_env();
};

class HfClient {
 public:
  explicit HfClient(HubOptions options);

  // Every file of the repo (recursively), with sizes and, for LFS files, SHA-256.
  StatusOr<std::vector<HubFile>> list_files(const std::string& repo) const;
  // One file's size and SHA-256 from a HEAD of its resolve URL
  // (X-Linked-Size / X-Linked-Etag; Content-Length / ETag for non-LFS files).
  StatusOr<HubFile> head_file(const std::string& repo, const std::string& file) const;
  // {endpoint}/{repo}/resolve/{revision}/{file}
  std::string resolve_url(const std::string& repo, const std::string& file) const;

  const HubOptions& options() const { return options_; }

 private:
  HubOptions options_;
};

// Parses one page of the tree API (a JSON array of entries with type, path,
// size, oid and, for LFS files, lfs {oid, size, pointerSize}); directories
// are skipped. DATA_LOSS for malformed JSON.
StatusOr<std::vector<HubFile>> parse_hub_tree(const std::string& json_text);
// The URL of the next page from a Link header ("" = last page).
std::string next_page_url(const std::string& link_header);

}  // namespace impetus
