// DownloadSpec and resolvers: how a model id asked for by a user becomes one
// file to download (repo, path, URL, size, SHA-256). The DownloadManager
// takes any resolver, so the catalog (which maps its own ids to a repo and a
// file per quantization) can plug in without the manager depending on it.
// make_hub_resolver() handles the Hub references of model_files.h
// ("owner/name:QUANT", "owner/name/file.gguf", "owner/name"); a catalog
// resolver can call resolve_hub_file() once it knows the repo and file.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "store/hub_client.h"

namespace impetus {

struct DownloadSpec {
  std::string repo;  // "owner/name"
  std::string file;  // path in the repo
  std::string url;   // where to GET it (the Hub's resolve URL)
  std::string
      sha256;  // expected digest, lower-case hex ("" = unknown; the answer's X-Linked-Etag is used)
  uint64_t size = 0;  // bytes (0 = unknown)
};

// (model_id, quantization) -> spec; quantization may be "".
using DownloadResolver = std::function<StatusOr<DownloadSpec>(const std::string& model_id,
                                                              const std::string& quantization)>;

// The spec of `file` in `repo` (its size and SHA-256 from the Hub's file list).
StatusOr<DownloadSpec> resolve_hub_file(const HfClient& hub, const std::string& repo,
                                        const std::string& file);
// The spec of the .gguf of `quantization` in `repo` (see pick_gguf()).
StatusOr<DownloadSpec> resolve_hub_quant(const HfClient& hub, const std::string& repo,
                                         const std::string& quantization);

// Resolves the Hub references accepted by parse_model_ref().
DownloadResolver make_hub_resolver(std::shared_ptr<const HfClient> hub);

}  // namespace impetus
