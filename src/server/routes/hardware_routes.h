// The hardware API, backed by live telemetry (docs/api/hardware.md):
//   GET  /api/hardware/info              detected hardware + current memory / thermal state
//   GET  /api/hardware/metrics           the latest sample
//   GET  /api/hardware/gpu/metrics       per GPU: current, mean over 1 min, peaks (404 without GPUs)
//   GET  /api/hardware/optimization      recommendations from the current state
//   POST /api/hardware/performance-mode  {"mode": "efficiency"|"balanced"|"performance"}
//   GET  /api/health/status              overall status, uptime and components
// The /api/hardware routes need the API key when one is set; the health
// route does not (like the other health routes).
#pragma once

#include "server/routes/routes.h"
#include "telemetry/performance_mode.h"
#include "telemetry/telemetry.h"

namespace impetus {

// `telemetry` must outlive the router; `modes` may be null (then
// performance-mode answers 503 and the optimization report has no mode).
void add_hardware_routes(http::Router& router, const RouteContext& ctx, telemetry::Telemetry& telemetry,
                         telemetry::PerformanceModeTarget* modes);

}  // namespace impetus
