// The model catalog over HTTP:
//
//   GET /api/models/discover?category=&search=&available_memory=&use_case=
//   GET /api/models/recommended?use_case=&limit=
//
// Each model carries the fields the Impetus dashboard shows (id, name,
// category, size_gb, quantization, context_length, description, features,
// recommended_for, min_memory_gb, popularity_score, estimated_tokens_per_sec)
// plus the repository, parameters, licence and every quantization's file;
// each answer has a top-level "hardware" object (the machine the estimates
// are for). available_memory is in GB (1e9 bytes); sizes likewise.
// Malformed or unknown query values answer 400 in the OpenAI error shape.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>

#include "server/routes/routes.h"
#include "store/catalog.h"
#include "store/perf_estimate.h"

namespace impetus {

// `catalog` must outlive the router. `hardware` (and `calibration`, if set)
// are called on an I/O thread for every request: they must be cheap and
// thread-safe (return cached values).
void add_discover_routes(http::Router& router, const RouteContext& ctx, const Catalog& catalog,
                         std::function<HardwareSummary()> hardware,
                         std::function<PerfCalibration()> calibration = nullptr);

// The JSON builders the routes use (exposed for tests).
nlohmann::json hardware_json(const HardwareSummary& hardware);
// One model with `file` as its proposed quantization.
nlohmann::json catalog_model_json(const CatalogEntry& entry, const CatalogFile& file,
                                  const PerfEstimator& perf);

}  // namespace impetus
