// A DownloadResolver that knows the catalog: a catalog id ("qwen3-4b", no
// '/') becomes the entry's repository and the file of the asked
// quantization (default_file() when none is asked); anything else goes to
// `fallback` (normally make_hub_resolver()). The file's size and SHA-256
// come from the Hub's file list, as for any Hub reference.
//
//   dm = DownloadManager(options, make_catalog_resolver(catalog, hub, make_hub_resolver(hub)));
#pragma once

#include <memory>

#include "store/catalog.h"
#include "store/download_resolver.h"

namespace impetus {

DownloadResolver make_catalog_resolver(std::shared_ptr<const Catalog> catalog,
                                       std::shared_ptr<const HfClient> hub,
                                       DownloadResolver fallback);

}  // namespace impetus
