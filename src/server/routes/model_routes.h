// The model-management API: GET /api/models/list, POST /api/models/load,
// POST /api/models/unload, POST /api/models/warmup/{id},
// GET /api/models/warmup/status, POST /api/models/warmup/{id}/benchmark,
// GET /api/models/mmap/status, POST /api/models/mmap/benchmark.
#pragma once

#include "server/model_control.h"
#include "server/routes/routes.h"

namespace impetus {

void add_model_routes(http::Router& router, const RouteContext& ctx, ModelControl& control);

// A Status as an API error; RESOURCE_EXHAUSTED (memory budget, model limit) is 507.
http::HttpResponse model_error_response(const Status& status, const std::string& param = "");

}  // namespace impetus
