// The model download API, over the store's DownloadManager:
//   POST   /api/models/download            {model_id, quantization?, auto_load?} -> task
//   GET    /api/models/download/{task_id}  -> task
//   DELETE /api/models/download/{task_id}  cancel -> task
//   GET    /api/models/downloads           -> {"downloads": [task, ...]} (oldest first)
//
// A task is {task_id, model_id, status, progress, downloaded_gb, total_gb,
// speed_mbps, eta_seconds, error, started_at, completed_at}:
//   status       "queued" | "downloading" | "verifying" | "completed" | "failed" | "cancelled"
//   progress     percent, 0..100 (float)
//   downloaded_gb, total_gb   1e9 bytes (total 0 when unknown)
//   speed_mbps   megabytes (1e6 bytes) per second, recent
//   eta_seconds  seconds left (integer), null when unknown
//   error        message, null unless failed
//   started_at, completed_at  ISO-8601 UTC ("2025-01-31T12:00:00Z"), null until then
// Errors use the OpenAI error body: unknown body fields and bad ids 400,
// unknown task 404, Hub authentication 403 (code "hub_access_denied"), not
// enough disk space 507 (code "insufficient_storage").
#pragma once

#include <nlohmann/json.hpp>

#include "server/http/router.h"
#include "server/routes/routes.h"
#include "store/download_manager.h"

namespace impetus {

// `downloads` must outlive the router's server.
void add_download_routes(http::Router& router, const RouteContext& ctx, DownloadManager& downloads);

// The JSON of a task (the shape above); also for progress events.
nlohmann::json download_task_json(const DownloadTask& task);

}  // namespace impetus
