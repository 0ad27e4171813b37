// GET /metrics: the Prometheus text exposition (format 0.0.4) of the
// server's MetricsRegistry (RouteContext::metrics). Needs the API key when
// one is set, like the /v1 routes.
#pragma once

#include "server/routes/routes.h"

namespace impetus {

void add_metrics_routes(http::Router& router, const RouteContext& ctx);

}  // namespace impetus
