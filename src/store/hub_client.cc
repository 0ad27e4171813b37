#include "store/hub_client.h"

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "store/sha256.h"

namespace impetus {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

std::string unquote(std::string s) {
  if (s.rfind("W/", 0) == 0) s = s.substr(2);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

std::string lower_hex(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

HubOptions HubOptions::from_env() {
  HubOptions o;
  o.endpoint = env_or("HF_ENDPOINT", o.endpoint);
  while (!o.endpoint.empty() && o.endpoint.back() == '/') o.endpoint.pop_back();
  o.http.token = env_or("HF_TOKEN", env_or("HUGGING_FACE_HUB_TOKEN", ""));
  return o;
}

HfClient::HfClient(HubOptions options) : options_(std::move(options)) {
  while (!options_.endpoint.empty() && options_.endpoint.back() == '/')
    options_.endpoint.pop_back();
}

std::string HfClient::resolve_url(const std::string& repo, const std::string& file) const {
  return options_.endpoint + "/" + url_escape_path(repo) + "/resolve/" +
         url_escape_path(options_.revision) + "/" + url_escape_path(file);
}

StatusOr<std::vector<HubFile>> HfClient::list_files(const std::string& repo) const {
  IMP_RETURN_IF_ERROR(validate_repo_id(repo));
  std::string url = options_.endpoint + "/api/models/" + url_escape_path(repo) + "/tree/" +
                    url_escape_path(options_.revision) + "?recursive=true";
  std::vector<HubFile> files;
  for (int page = 0; !url.empty(); ++page) {
    if (page >= 1000) return data_loss("the Hub listed too many pages of files for " + repo);
    IMP_ASSIGN_OR_RETURN(HttpResult r, http_fetch(url, options_.http));
    if (r.status != 200) {
      return hub_http_error(r.status, r.headers, "repository " + repo,
                            !options_.http.token.empty());
    }
    IMP_ASSIGN_OR_RETURN(std::vector<HubFile> part, parse_hub_tree(r.body));
    files.insert(files.end(), part.begin(), part.end());
    url = next_page_url(r.headers.header("link"));
  }
  return files;
}

StatusOr<HubFile> HfClient::head_file(const std::string& repo, const std::string& file) const {
  IMP_RETURN_IF_ERROR(validate_repo_id(repo));
  IMP_RETURN_IF_ERROR(validate_repo_file(file));
  IMP_ASSIGN_OR_RETURN(HttpResult r,
                       http_fetch(resolve_url(repo, file), options_.http, /*head=*/true));
  if (r.status != 200) {
    return hub_http_error(r.status, r.headers, "file " + file + " in " + repo,
                          !options_.http.token.empty());
  }
  HubFile f;
  f.path = file;
  const std::string linked_etag = unquote(r.headers.header("x-linked-etag"));
  const std::string linked_size = r.headers.header("x-linked-size");
  if (is_sha256_hex(linked_etag)) {
    f.lfs = true;
    f.sha256 = lower_hex(linked_etag);
  } else {
    f.git_oid = unquote(r.headers.header("etag"));
  }
  const std::string size = !linked_size.empty() ? linked_size : r.headers.header("content-length");
  f.size = size.empty() ? 0 : std::strtoull(size.c_str(), nullptr, 10);
  return f;
}

StatusOr<std::vector<HubFile>> parse_hub_tree(const std::string& json_text) {
  const auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_array())
    return data_loss("the Hub's file list is not a JSON array");
  std::vector<HubFile> files;
  for (const auto& e : j) {
    if (!e.is_object() || !e.contains("path") || !e["path"].is_string()) {
      return data_loss("the Hub's file list has an entry without a path");
    }
    if (e.value("type", "file") != "file") continue;
    HubFile f;
    f.path = e["path"].get<std::string>();
    if (e.contains("size") && e["size"].is_number_unsigned()) f.size = e["size"].get<uint64_t>();
    if (e.contains("oid") && e["oid"].is_string()) f.git_oid = e["oid"].get<std::string>();
    if (e.contains("lfs") && e["lfs"].is_object()) {
      const auto& lfs = e["lfs"];
      f.lfs = true;
      const std::string oid = lfs.value("oid", "");
      if (is_sha256_hex(oid)) f.sha256 = lower_hex(oid);
      if (lfs.contains("size") && lfs["size"].is_number_unsigned())
        f.size = lfs["size"].get<uint64_t>();
    }
    files.push_back(std::move(f));
  }
  return files;
}

std::string next_page_url(const std::string& link_header) {
  // Link: <https://...&cursor=...>; rel="next", <...>; rel="prev"
  size_t pos = 0;
  while (pos < link_header.size()) {
    const size_t lt = link_header.find('<', pos);
    if (lt == std::string::npos) break;
    const size_t gt = link_header.find('>', lt);
    if (gt == std::string::npos) break;
    size_t end = link_header.find(',', gt);
    if (end == std::string::npos) end = link_header.size();
    const std::string params = link_header.substr(gt + 1, end - gt - 1);
    if (params.find("rel=\"next\"") != std::string::npos ||
        params.find("rel=next") != std::string::npos) {
      return link_header.substr(lt + 1, gt - lt - 1);
    }
    pos = end + 1;
  }
  return "";
}

}  // namespace impetus
