#include "server/routes/discover_routes.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

#include "server/api_error.h"

namespace impetus {
namespace {

using nlohmann::json;

double round2(double x) { return std::round(x * 100) / 100; }

double gb(uint64_t bytes) { return round2(static_cast<double>(bytes) / 1e9); }

std::string query_value(const http::HttpRequest& req, const std::string& name) {
  auto it = req.query.find(name);
  return it == req.query.end() ? "" : it->second;
}

// A use-case tag as the catalog writes them ("" = none given).
std::optional<ApiError> parse_use_case(const std::string& raw, std::string* out) {
  std::string v;
  for (char c : raw) v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v.size() > 64 ||
      v.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._-") != std::string::npos) {
    return bad_param("use_case", "use_case must be a tag like 'coding' or 'low_memory'");
  }
  *out = std::move(v);
  return std::nullopt;
}

std::optional<ApiError> parse_memory_gb(const std::string& raw, std::optional<double>* out) {
  if (raw.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(raw.c_str(), &end);
  if (end != raw.c_str() + raw.size() || !std::isfinite(v) || v < 0 || v > 1e6) {
    return bad_param(
        "available_memory",
        "available_memory must be a number of gigabytes (e.g. 16 or 7.5), not '" + raw + "'");
  }
  *out = v;
  return std::nullopt;
}

std::optional<ApiError> parse_discover_query(const http::HttpRequest& req, CatalogQuery* q) {
  std::string category = query_value(req, "category");
  for (char& c : category) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!category.empty()) {
    q->category = parse_category(category);
    if (!q->category) {
      return bad_param("category",
                       "unknown category '" + category +
                           "'; expected general, coding, chat, efficient or specialized");
    }
  }
  q->search = query_value(req, "search");
  if (q->search.size() > 256) return bad_param("search", "search must be at most 256 characters");
  if (auto e = parse_memory_gb(query_value(req, "available_memory"), &q->available_memory_gb))
    return e;
  return parse_use_case(query_value(req, "use_case"), &q->use_case);
}

std::optional<ApiError> parse_limit(const std::string& raw, int* out) {
  if (raw.empty()) return std::nullopt;
  char* end = nullptr;
  const long v = std::strtol(raw.c_str(), &end, 10);
  if (end != raw.c_str() + raw.size() || v < 1 || v > 100) {
    return bad_param("limit", "limit must be an integer from 1 to 100");
  }
  *out = static_cast<int>(v);
  return std::nullopt;
}

PerfEstimator make_estimator(const std::function<HardwareSummary()>& hardware,
                             const std::function<PerfCalibration()>& calibration) {
  return PerfEstimator(hardware ? hardware() : HardwareSummary{}, PerfOptions{},
                       calibration ? calibration() : PerfCalibration{});
}

void discover(const Catalog& catalog, const PerfEstimator& perf, const http::HttpRequest& req,
              http::Responder& res) {
  CatalogQuery query;
  if (auto e = parse_discover_query(req, &query)) return res.respond(error_response(*e));
  const uint64_t budget =
      query.available_memory_gb ? static_cast<uint64_t>(*query.available_memory_gb * 1e9) : 0;
  json models = json::array();
  for (const CatalogEntry* e : catalog.filter(query)) {
    const CatalogFile* f = select_file(*e, budget);
    models.push_back(catalog_model_json(*e, f != nullptr ? *f : default_file(*e), perf));
  }
  const size_t n = models.size();
  res.respond(json_response(
      {{"models", std::move(models)}, {"count", n}, {"hardware", hardware_json(perf.hardware())}}));
}

void recommend(const Catalog& catalog, const PerfEstimator& perf, const http::HttpRequest& req,
               http::Responder& res) {
  std::string use_case;
  if (auto e = parse_use_case(query_value(req, "use_case"), &use_case))
    return res.respond(error_response(*e));
  int limit = 5;
  if (auto e = parse_limit(query_value(req, "limit"), &limit))
    return res.respond(error_response(*e));
  json models = json::array();
  for (const Recommendation& r : catalog.recommended(use_case, perf.hardware())) {
    if (static_cast<int>(models.size()) >= limit) break;
    models.push_back(catalog_model_json(*r.entry, *r.file, perf));
  }
  const size_t n = models.size();
  res.respond(json_response({{"use_case", use_case.empty() ? json(nullptr) : json(use_case)},
                             {"models", std::move(models)},
                             {"count", n},
                             {"hardware", hardware_json(perf.hardware())}}));
}

}  // namespace

json hardware_json(const HardwareSummary& hw) {
  json gpus = json::array();
  for (const GpuSummary& g : hw.gpus) {
    gpus.push_back({{"name", g.name},
                    {"memory_bytes", g.memory_bytes},
                    {"memory_gb", gb(g.memory_bytes)},
                    {"memory_bandwidth_gbps", g.memory_bandwidth_gbps}});
  }
  return {{"memory_bandwidth_gbps", hw.memory_bandwidth_gbps},
          {"total_memory_bytes", hw.total_memory_bytes},
          {"total_memory_gb", gb(hw.total_memory_bytes)},
          {"available_memory_bytes", hw.available_memory_bytes},
          {"available_memory_gb", gb(hw.available_memory_bytes)},
          {"gpus", std::move(gpus)}};
}

json catalog_model_json(const CatalogEntry& e, const CatalogFile& file, const PerfEstimator& perf) {
  const PerfEstimate est = perf.estimate(e.id, file.size_bytes, file.quantization);
  json files = json::array();
  for (const CatalogFile& f : e.files) {
    files.push_back({{"quantization", f.quantization},
                     {"file", f.file},
                     {"size_bytes", f.size_bytes},
                     {"size_gb", gb(f.size_bytes)},
                     {"size_source", f.size_source}});
  }
  return {{"id", e.id},
          {"name", e.name},
          {"category", std::string(category_name(e.category))},
          {"size_gb", gb(file.size_bytes)},
          {"quantization", file.quantization},
          {"context_length", e.context_length},
          {"description", e.description},
          {"features", e.features},
          {"recommended_for", e.recommended_for},
          {"min_memory_gb", e.min_memory_gb},
          {"popularity_score", e.popularity_score},
          {"estimated_tokens_per_sec",
           est.known ? json(std::round(est.tokens_per_sec * 10) / 10) : json(nullptr)},
          {"estimate",
           {{"device", est.device}, {"basis", est.basis}, {"fits_in_memory", est.fits_in_memory}}},
          {"repo", e.repo},
          {"file", file.file},
          {"size_bytes", file.size_bytes},
          {"parameters", e.parameters},
          {"architecture", e.architecture},
          {"license", e.license},
          {"files", std::move(files)}};
}

void add_discover_routes(http::Router& router, const RouteContext& ctx, const Catalog& catalog,
                         std::function<HardwareSummary()> hardware,
                         std::function<PerfCalibration()> calibration) {
  const Catalog* cat = &catalog;
  router.add(
      "GET", "/api/models/discover",
      require_api_key(ctx, [cat, hardware, calibration](const http::HttpRequest& req,
                                                        std::shared_ptr<http::Responder> res) {
        discover(*cat, make_estimator(hardware, calibration), req, *res);
      }));
  router.add(
      "GET", "/api/models/recommended",
      require_api_key(ctx, [cat, hardware, calibration](const http::HttpRequest& req,
                                                        std::shared_ptr<http::Responder> res) {
        recommend(*cat, make_estimator(hardware, calibration), req, *res);
      }));
}

}  // namespace impetus
