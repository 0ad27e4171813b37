#include "app/serve_services.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "backend/cpu/isa.h"
#include "core/log.h"
#include "server/routes/benchmark_routes.h"
#include "server/routes/discover_routes.h"
#include "server/routes/download_routes.h"
#include "server/routes/hardware_routes.h"
#include "server/routes/static_routes.h"
#include "store/download_catalog_resolver.h"
#include "store/download_resolver.h"
#include "store/store_paths.h"
#include "telemetry/telemetry_json.h"

namespace impetus::app {
namespace {

// Performance modes move the CPU threads and tokens per step of the loaded
// models (from their next step) and of those loaded later.
class EngineModes final : public telemetry::PerformanceModeTarget {
 public:
  EngineModes(ModelManager& models, int n_cores) : models_(models), n_cores_(n_cores) {
    const HostOptions d = models.defaults();
    base_batch_ = d.max_batch_tokens;
  }
  telemetry::PerformanceMode mode() const override { return mode_; }
  std::vector<std::pair<std::string, int64_t>> settings() const override {
    const HostOptions d = models_.defaults();
    return {{"n_threads", d.n_threads > 0 ? d.n_threads : n_cores_}, {"max_batch_tokens", d.max_batch_tokens}};
  }
  StatusOr<std::vector<telemetry::SettingChange>> apply(telemetry::PerformanceMode mode) override {
    const auto before = settings();
    const auto profile = telemetry::mode_profile(mode, n_cores_);
    const auto batch = std::max<int32_t>(16, static_cast<int32_t>(base_batch_ * profile.batch_scale));
    models_.set_threads_and_batch(profile.n_threads, batch);
    mode_ = mode;
    std::vector<telemetry::SettingChange> changes;
    const auto after = settings();
    for (size_t i = 0; i < before.size(); ++i) {
      if (before[i].second != after[i].second) {
        changes.push_back({before[i].first, before[i].second, after[i].second});
      }
    }
    return changes;
  }

 private:
  ModelManager& models_;
  int n_cores_;
  int32_t base_batch_ = 512;
  telemetry::PerformanceMode mode_ = telemetry::PerformanceMode::kBalanced;
};

StatusOr<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot read '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

HardwareSummary summary_of(const telemetry::HardwareInfo& hw) {
  HardwareSummary s;
  s.total_memory_bytes = hw.memory_total_bytes;
  const long pages = ::sysconf(_SC_AVPHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  s.available_memory_bytes = pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
  s.memory_bandwidth_gbps = hw.memory_bandwidth ? hw.memory_bandwidth->read_gbps : 0.0;
  for (const auto& g : hw.gpus) s.gpus.push_back(GpuSummary{g.name, g.memory_total_bytes, 0.0});
  return s;
}

}  // namespace

StatusOr<std::unique_ptr<ServeServices>> ServeServices::create(const ServeServicesOptions& o, ModelManager& models) {
  std::unique_ptr<ServeServices> s(new ServeServices());
  s->models_ = &models;
  std::string catalog_text(builtin_catalog_json());
  if (!o.catalog_file.empty()) {
    IMP_ASSIGN_OR_RETURN(catalog_text, read_text(o.catalog_file));
  }
  auto catalog = Catalog::parse(catalog_text);
  if (!catalog.ok()) return catalog.status().with_context("the model catalog is invalid");
  s->catalog_ = std::make_unique<Catalog>(std::move(*catalog));

  telemetry::TelemetryOptions to;
  to.isa_features = cpu::cpu_features_string();
  to.cache_dir = impetus_home();
  to.probe_bandwidth = o.telemetry;
  if (!o.telemetry) to.nvml_library = "";
  s->telemetry_ = std::make_unique<telemetry::Telemetry>(to);
  s->modes_ = std::make_unique<EngineModes>(models, std::max(1, s->telemetry_->hardware().cpu.n_physical_cores));

  HubOptions hub = HubOptions::from_env();
  s->hub_ = std::make_shared<HfClient>(hub);
  DownloadManagerOptions dmo;
  dmo.models_dir = o.models_dir;
  dmo.max_concurrent = o.max_downloads;
  dmo.downloader.http = hub.http;
  auto shared_catalog = std::shared_ptr<const Catalog>(s->catalog_.get(), [](const Catalog*) {});
  s->downloads_ = std::make_unique<DownloadManager>(
      dmo, make_catalog_resolver(shared_catalog, s->hub_, make_hub_resolver(s->hub_)));

  const std::string db = o.database.empty() ? database_path() : o.database;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(db).parent_path(), ec);
  BenchmarkRunnerOptions bro;
  auto store = BenchStore::open(db);
  if (store.ok()) {
    s->bench_store_ = std::make_unique<BenchStore>(std::move(*store));
    bro.store = s->bench_store_.get();
  } else {
    bro.store_status = store.status();
    IMP_LOG(kWarn, "benchmark history unavailable: ", store.status().message());
  }
  telemetry::Telemetry* tel = s->telemetry_.get();
  bro.hardware = [tel] {
    const auto hw = tel->hardware();
    return HardwareIdentity{hw.fingerprint, telemetry::hardware_info_json(hw, nullptr).dump()};
  };
  bro.gpu_utilization = [tel]() -> std::optional<double> {  // the first GPU, as the sampler last saw it
    const auto latest = tel->latest();
    if (!latest || latest->gpus.empty()) return std::nullopt;
    return latest->gpus[0].utilization_percent;
  };
  s->bench_options_ = bro;  // the runner starts in attach(), with the event callbacks
  s->web_dir_ = o.web_dir.empty() ? find_web_dir() : o.web_dir;
  return s;
}

ServeServices::~ServeServices() { stop(); }

void ServeServices::stop() {
  if (telemetry_) telemetry_->stop();
}

namespace {
// The REST task fields plus the byte counts of docs/events.md.
nlohmann::json download_event_json(const DownloadTask& t) {
  nlohmann::json j = download_task_json(t);
  j["model"] = t.model_id;
  j["file"] = t.file;
  j["downloaded_bytes"] = t.downloaded_bytes;
  j["total_bytes"] = t.total_bytes > 0 ? nlohmann::json(t.total_bytes) : nlohmann::json(nullptr);
  j["bytes_per_second"] = t.speed_bps;
  j["eta_s"] = t.eta_s >= 0 ? nlohmann::json(t.eta_s) : nlohmann::json(nullptr);
  if (!t.path.empty() && t.status == DownloadStatus::kCompleted) j["path"] = t.path;
  return j;
}
}  // namespace

void ServeServices::attach(ApiServer& server) {
  events_ = &server.events();
  EventHub* hub = events_;
  ModelManager* models = models_;
  models->set_event_listener([hub](const std::string& type, const nlohmann::json& data) {
    hub->publish("models", type, data);
  });
  downloads_->set_on_progress([hub](const DownloadTask& t) {
    hub->publish_coalesced("downloads:" + t.task_id, "download_progress", download_event_json(t),
                           "download_progress:" + t.task_id);
  });
  downloads_->set_on_complete([hub, models](const DownloadTask& t) {
    // "downloads:<id>" reaches the subscribers of "downloads" too.
    hub->publish("downloads:" + t.task_id, "download_complete", download_event_json(t));
    if (!t.auto_load || t.status != DownloadStatus::kCompleted) return;
    const std::string id = std::filesystem::path(t.path).stem().string();
    std::thread([hub, models, id, task = t.task_id] {
      const nlohmann::json base = {{"model", id}, {"model_id", id}, {"task_id", task}, {"reason", "download"}};
      hub->publish("models", "auto_load_started", base);
      auto r = models->load(id, ModelLoadOptions{});
      nlohmann::json done = base;
      if (r.ok()) {
        done["load_time_ms"] = models->load_time_ms(id);
        hub->publish("models", "auto_load_complete", done);
      } else {
        done["error"] = r.status().message();
        hub->publish("models", "auto_load_failed", done);
      }
    }).detach();
  });
  telemetry_->add_thermal_listener([hub, modes = modes_.get()](telemetry::ThermalState from,
                                                              telemetry::ThermalState to, const telemetry::Sample&) {
    hub->publish("hardware", "thermal_warning",
                 {{"from", std::string(telemetry::thermal_state_name(from))},
                  {"to", std::string(telemetry::thermal_state_name(to))}});
    if (to == telemetry::ThermalState::kCritical) (void)modes->apply(telemetry::PerformanceMode::kEfficiency);
  });
  BenchmarkRunnerOptions bro = bench_options_;
  bro.on_progress = [hub](const BenchmarkProgress& p) { publish_benchmark_progress(hub, p); };
  bro.on_complete = [hub](const BenchmarkTaskStatus& st) { publish_benchmark_complete(hub, st); };
  bench_runner_ = std::make_unique<BenchmarkRunner>(bro);
  telemetry_->start();
  server.set_model_control(models_);
  telemetry::Telemetry* tel = telemetry_.get();
  server.add_route_group([this, tel](http::Router& r, const RouteContext& ctx) {
    add_hardware_routes(r, ctx, *tel, modes_.get());
    add_discover_routes(r, ctx, *catalog_, [tel] { return summary_of(tel->hardware()); });
    add_download_routes(r, ctx, *downloads_);
    add_benchmark_routes(r, ctx, bench_store_.get(), *bench_runner_);
    if (!web_dir_.empty()) add_static_routes(r, web_dir_);
  });
  server.publish_every("hardware", "hardware_status", std::chrono::seconds(5), [tel] {
    const auto latest = tel->latest();
    return telemetry::hardware_info_json(tel->hardware(), latest ? &*latest : nullptr);
  });
}


std::string_view builtin_catalog_json() {
  static constexpr char kCatalog[] =
#include "app/catalog_data.inc"
      ;
  return {kCatalog, sizeof(kCatalog) - 1};
}
}  // namespace impetus::app
