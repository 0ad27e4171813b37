// ServeServices: everything `impetus serve` runs beside the models: the
// catalog, hardware telemetry, the Hugging Face downloads, benchmark history
// and the dashboard's files; and the route groups and event producers that
// put them on the ApiServer. Built before the server starts, destroyed
// after it stops.
#pragma once

#include <memory>
#include <string>

#include "app/model_manager.h"
#include "server/api_server.h"
#include "store/catalog.h"
#include "store/download_manager.h"
#include "store/hub_client.h"
#include "telemetry/bench_store.h"
#include "telemetry/benchmark_task.h"
#include "telemetry/performance_mode.h"
#include "telemetry/telemetry.h"

namespace impetus::app {

struct ServeServicesOptions {
  std::string models_dir;
  std::string catalog_file;   // "" = the catalog built into the binary
  std::string database;       // "" = ~/.impetus/impetus.db
  std::string web_dir;        // "" = found next to the binary (see static_routes.h)
  bool telemetry = true;
  int max_downloads = 2;
};

class ServeServices {
 public:
  static StatusOr<std::unique_ptr<ServeServices>> create(const ServeServicesOptions& options,
                                                         ModelManager& models);
  ~ServeServices();
  // Adds the route groups and event producers; call before server.start().
  void attach(ApiServer& server);
  void stop();
  bool has_dashboard() const { return !web_dir_.empty(); }

 private:
  ServeServices() = default;
  ModelManager* models_ = nullptr;
  EventHub* events_ = nullptr;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<telemetry::Telemetry> telemetry_;
  std::unique_ptr<telemetry::PerformanceModeTarget> modes_;
  std::shared_ptr<HfClient> hub_;
  std::unique_ptr<DownloadManager> downloads_;
  std::unique_ptr<BenchStore> bench_store_;
  BenchmarkRunnerOptions bench_options_;
  std::unique_ptr<BenchmarkRunner> bench_runner_;
  std::string web_dir_;
};

// The catalog compiled into the binary (data/catalog.json).
std::string_view builtin_catalog_json();

}  // namespace impetus::app
