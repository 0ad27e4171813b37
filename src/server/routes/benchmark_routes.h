// The benchmark API: start a benchmark of a served model, poll it, and read
// the stored history (per model, compared across machines, exported).
//   POST   /api/models/benchmark/{model_id}          {prompt_lengths?, max_tokens?, runs?} -> 202
//   {task_id, status} GET    /api/models/benchmark/task/{task_id}      status, progress, result
//   DELETE /api/models/benchmark/task/{task_id}      cancel
//   GET    /api/models/benchmark/{model_id}/history?limit=20
//   GET    /api/models/benchmarks/comparison
//   GET
//   /api/models/benchmarks/export?format=csv|json[&model=&hardware=&source=&since=&until=&limit=]
// Model ids may contain '/'. A second start for a model with a benchmark
// running answers 409. When the history store is missing (it could not be
// opened) or fails (locked, corrupted), the history routes answer 503 with
// the reason; benchmarks still run and report through the task status.
// Handlers run the (short) SQLite queries on the I/O thread.
#pragma once

#include "server/routes/routes.h"
#include "telemetry/bench_store.h"
#include "telemetry/benchmark_task.h"

namespace impetus {

// `store` may be null (see above); the runner outlives the router's server.
// The hardware fingerprint and description come from runner's options.
void add_benchmark_routes(http::Router& router, const RouteContext& ctx, BenchStore* store,
                          BenchmarkRunner& runner);

// The live events of docs/events.md (room "benchmarks" and the task's own
// room "benchmarks:<task_id>"; run_id is the task id POST answered with):
//   benchmark_progress {run_id, model, phase, completed, total, prompt_tokens?, ttft_ms?, ...}
//   benchmark_complete {run_id, model, status: complete|failed|cancelled, results?, error?}
// Hook them into the runner:
//   ro.on_progress = [hub](const BenchmarkProgress& p) { publish_benchmark_progress(hub, p); };
//   ro.on_complete = [hub](const BenchmarkTaskStatus& s) { publish_benchmark_complete(hub, s); };
nlohmann::json benchmark_progress_event(const BenchmarkProgress& progress);
nlohmann::json benchmark_complete_event(const BenchmarkTaskStatus& status);
void publish_benchmark_progress(EventHub* hub,
                                const BenchmarkProgress& progress);  // null hub: nothing
void publish_benchmark_complete(EventHub* hub, const BenchmarkTaskStatus& status);

}  // namespace impetus
