#include "server/routes/metrics_routes.h"

#include "core/check.h"
#include "server/metrics/server_metrics.h"

namespace impetus {

void add_metrics_routes(http::Router& router, const RouteContext& ctx) {
  IMP_CHECK(ctx.metrics != nullptr, "add_metrics_routes needs RouteContext::metrics");
  router.add(
      "GET", "/metrics",
      require_api_key(ctx, [ctx](const http::HttpRequest&, std::shared_ptr<http::Responder> res) {
        http::HttpResponse r;
        r.content_type = MetricsRegistry::kContentType;
        r.body = ctx.metrics->registry().expose();
        res->respond(std::move(r));
      }));
}

}  // namespace impetus
