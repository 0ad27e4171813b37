#include "store/download_resolver.h"

namespace impetus {
namespace {

DownloadSpec spec_for(const HfClient& hub, const std::string& repo, const HubFile& f) {
  DownloadSpec s;
  s.repo = repo;
  s.file = f.path;
  s.url = hub.resolve_url(repo, f.path);
  s.sha256 = f.sha256;
  s.size = f.size;
  return s;
}

}  // namespace

StatusOr<DownloadSpec> resolve_hub_file(const HfClient& hub, const std::string& repo,
                                        const std::string& file) {
  IMP_RETURN_IF_ERROR(validate_repo_id(repo));
  IMP_RETURN_IF_ERROR(validate_repo_file(file));
  IMP_ASSIGN_OR_RETURN(std::vector<HubFile> files, hub.list_files(repo));
  for (const HubFile& f : files) {
    if (f.path == file) return spec_for(hub, repo, f);
  }
  std::string ggufs;
  for (const HubFile& f : files) {
    if (f.path.size() > 5 && f.path.substr(f.path.size() - 5) == ".gguf")
      ggufs += (ggufs.empty() ? "" : ", ") + f.path;
  }
  return not_found("file " + file + " was not found in " + repo +
                   "; .gguf files there: " + (ggufs.empty() ? "(none)" : ggufs));
}

StatusOr<DownloadSpec> resolve_hub_quant(const HfClient& hub, const std::string& repo,
                                         const std::string& quantization) {
  IMP_RETURN_IF_ERROR(validate_repo_id(repo));
  IMP_ASSIGN_OR_RETURN(std::vector<HubFile> files, hub.list_files(repo));
  IMP_ASSIGN_OR_RETURN(HubFile f, pick_gguf(files, quantization, repo));
  return spec_for(hub, repo, f);
}

DownloadResolver make_hub_resolver(std::shared_ptr<const HfClient> hub) {
  return [hub](const std::string& model_id,
               const std::string& quantization) -> StatusOr<DownloadSpec> {
    IMP_ASSIGN_OR_RETURN(ModelRef ref, parse_model_ref(model_id, quantization));
    if (!ref.file.empty()) {
      if (!ref.quantization.empty()) {
        return invalid_argument("'" + model_id +
                                "' names a file; a quantization cannot be chosen as well");
      }
      return resolve_hub_file(*hub, ref.repo, ref.file);
    }
    return resolve_hub_quant(*hub, ref.repo, ref.quantization);
  };
}

}  // namespace impetus
