#include "store/download_catalog_resolver.h"

#include <cctype>

namespace impetus {

DownloadResolver make_catalog_resolver(std::shared_ptr<const Catalog> catalog,
                                       std::shared_ptr<const HfClient> hub,
                                       DownloadResolver fallback) {
  return [catalog, hub, fallback](const std::string& model_id,
                                  const std::string& quantization) -> StatusOr<DownloadSpec> {
    std::string id = model_id;
    std::string quant = quantization;
    const size_t colon = id.find(':');
    if (id.find('/') != std::string::npos || catalog == nullptr)
      return fallback(model_id, quantization);
    if (colon != std::string::npos) {  // "qwen3-4b:Q8_0"
      if (!quant.empty() && quant != id.substr(colon + 1)) {
        return invalid_argument("quantization '" + quant + "' disagrees with '" + model_id + "'");
      }
      quant = id.substr(colon + 1);
      id = id.substr(0, colon);
    }
    const CatalogEntry* entry = catalog->find(id);
    if (entry == nullptr) {
      return not_found("'" + model_id +
                       "' is not in the model catalog; give a Hugging Face reference "
                       "(owner/name:QUANT or owner/name/file.gguf)");
    }
    std::string upper = quant;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const CatalogFile* file = quant.empty() ? &default_file(*entry) : entry->file_for(quant);
    if (file == nullptr) file = entry->file_for(upper);  // "q4_k_m" names Q4_K_M
    if (file == nullptr) {
      std::string have;
      for (const auto& f : entry->files) have += (have.empty() ? "" : ", ") + f.quantization;
      return not_found("the catalog has no " + quant + " file for " + entry->id +
                       "; available: " + have);
    }
    return resolve_hub_file(*hub, entry->repo, file->file);
  };
}

}  // namespace impetus
