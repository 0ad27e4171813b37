// `impetus serve`: loads GGUF models and serves them over the
// OpenAI-compatible HTTP API until SIGINT/SIGTERM, then shuts down
// gracefully (in-flight requests get a grace period, then are cancelled).
//
// Every option can also come from an IMPETUS_* environment variable or a
// TOML config file (--config); the command line wins over the environment,
// which wins over the file.
#include <signal.h>

#include <cstdio>
#include <thread>

#include "app/backend_select.h"
#include "app/commands.h"
#include "app/loaded_model.h"
#include "app/model_host.h"
#include "app/model_manager.h"
#include "app/serve_services.h"
#include "store/store_paths.h"
#include "app/version.h"
#include "core/log.h"
#include "server/api_server.h"

namespace impetus::app {
namespace {

struct ServeArgs {
  std::vector<std::string> models;
  std::vector<std::string> aliases;
  std::string host = "127.0.0.1";
  int port = 8080;
  HostOptions host_options;
  std::string kv_type = "f16";
  int64_t kv_cache_mib = 0;
  int http_threads = 4;
  int64_t max_body_mib = 8;
  std::string api_key;
  int shutdown_grace_ms = 5000;
  std::string config;
  std::string models_dir;          // "" = $IMPETUS_MODELS or ~/.impetus/models
  int max_loaded_models = 4;
  int64_t memory_budget_mib = 0;   // 0 = 90% of available RAM
  bool no_evict = false;
  ServeServicesOptions services;
};

// Applies a TOML config file to the options that neither the command line
// nor the environment set, so the precedence is flags > IMPETUS_* > file.
// Keys are option names without dashes ("port = 8080", "model = ['a.gguf']").
Status apply_config_file(CLI::App& cmd, const std::string& path) {
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigTOML().from_file(path);
  } catch (const std::exception& e) {
    return invalid_argument("cannot read config file '" + path + "': " + e.what());
  }
  for (const auto& item : items) {
    if (item.name == "++" || item.name == "--") continue;  // section markers
    std::string key = item.name;
    for (auto& c : key) {
      if (c == '_') c = '-';
    }
    CLI::Option* opt = cmd.get_option_no_throw("--" + key);
    if (opt == nullptr || key == "config") {
      return invalid_argument("config file '" + path + "': unknown option '" + item.name + "'");
    }
    if (opt->count() > 0) continue;  // given on the command line or in the environment
    try {
      for (const auto& v : item.inputs) opt->add_result(v);
      opt->run_callback();
    } catch (const CLI::Error& e) {
      return invalid_argument("config file '" + path + "': " + item.name + ": " + e.what());
    }
  }
  return ok_status();
}

sigset_t block_shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int run_serve(const ServeArgs& a) {
  if (a.aliases.size() > a.models.size()) {
    std::fprintf(stderr, "impetus: error: more --alias than --model options\n");
    return 2;
  }
  if (a.kv_type != "f16" && a.kv_type != "f32") {
    std::fprintf(stderr, "impetus: error: --kv-type must be f16 or f32\n");
    return 2;
  }
  // Block the signals in every thread; the main thread waits for them below.
  const sigset_t signals = block_shutdown_signals();
  ModelRegistry registry;
  registry.set_loading(static_cast<int>(a.models.size()));
  ModelManagerOptions mo;
  mo.defaults = a.host_options;
  mo.defaults.kv_type = a.kv_type == "f32" ? DType::kF32 : DType::kF16;
  mo.defaults.kv_cache_bytes = a.kv_cache_mib << 20;
  mo.models_dir = a.models_dir.empty() ? models_dir() : a.models_dir;
  mo.max_loaded_models = std::max(a.max_loaded_models, static_cast<int>(a.models.size()));
  mo.memory_budget_bytes = static_cast<uint64_t>(a.memory_budget_mib) << 20;
  mo.evict_lru = !a.no_evict;
  ModelManager manager(registry, mo);
  std::vector<std::string> ids;
  for (size_t i = 0; i < a.models.size(); ++i) {
    ids.push_back(i < a.aliases.size() ? a.aliases[i] : model_id_from_path(a.models[i]));
    manager.add_path(a.models[i], ids.back());
  }
  ApiServerOptions so;
  so.http.host = a.host;
  so.http.port = static_cast<uint16_t>(a.port);
  so.http.n_threads = a.http_threads;
  so.http.max_body_bytes = static_cast<size_t>(a.max_body_mib) << 20;
  so.http.shutdown_grace_ms = a.shutdown_grace_ms;
  so.api_key = a.api_key;
  so.version = kVersion;
  ServeServicesOptions svo = a.services;
  svo.models_dir = mo.models_dir;
  auto services = ServeServices::create(svo, manager);
  if (!services.ok()) return report_error(services.status());
  so.dashboard = (*services)->has_dashboard();
  ApiServer server(so, registry);
  (*services)->attach(server);
  if (Status s = server.start(); !s.ok()) return report_error(s);
  std::fprintf(stderr, "impetus: listening on http://%s:%u (loading %zu model%s)\n", a.host.c_str(),
               server.port(), a.models.size(), a.models.size() == 1 ? "" : "s");
  if (so.dashboard) {
    std::fprintf(stderr, "impetus: dashboard at http://%s:%u/\n", a.host.c_str(), server.port());
  }
  int exit_code = 0;
  std::thread loader([&] {
    for (size_t i = 0; i < ids.size(); ++i) {
      auto loaded = manager.load(ids[i], ModelLoadOptions{});
      registry.set_loading(static_cast<int>(ids.size() - i - 1));
      if (!loaded.ok()) {
        report_error(loaded.status());
        exit_code = 1;
        kill(getpid(), SIGTERM);
        return;
      }
    }
    std::fprintf(stderr, "impetus: ready\n");
  });
  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "impetus: %s received, shutting down\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  loader.join();
  server.stop();
  (*services)->stop();
  manager.unload_all();
  return exit_code;
}

}  // namespace

void register_serve(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand("serve", "Serve models over the OpenAI-compatible HTTP API");
  cmd->add_option("--config", a->config,
                  "TOML config file (key = value per option, e.g. port = 8080); flags and "
                  "IMPETUS_* variables override it")
      ->envname("IMPETUS_CONFIG");
  cmd->add_option("-m,--model", a->models, "GGUF model to serve (repeat for several)")
      ->envname("IMPETUS_MODEL");
  cmd->add_option("--alias", a->aliases, "model id for the --model at the same position (default: file stem)")
      ->envname("IMPETUS_ALIAS");
  cmd->add_option("--host", a->host, "address to bind")->envname("IMPETUS_HOST");
  cmd->add_option("--port", a->port, "port to listen on (0 = any free port)")
      ->check(CLI::Range(0, 65535))->envname("IMPETUS_PORT");
  cmd->add_option("-c,--ctx-size", a->host_options.n_ctx, "tokens per sequence, prompt + completion (0 = model's, max 4096)")
      ->check(CLI::Range(0, 1 << 20))->envname("IMPETUS_CTX_SIZE");
  cmd->add_option("-t,--threads", a->host_options.n_threads, "CPU threads for inference (0 = all)")
      ->check(CLI::Range(0, 1024))->envname("IMPETUS_THREADS");
  add_device_options(*cmd, &a->host_options.device, &a->host_options.gpu_layers);
  cmd->add_option("--parallel", a->host_options.max_running, "sequences generated at once")
      ->check(CLI::Range(1, 1024))->envname("IMPETUS_PARALLEL");
  cmd->add_option("-b,--batch-size", a->host_options.max_batch_tokens, "tokens per forward step")
      ->check(CLI::Range(1, 1 << 16))->envname("IMPETUS_BATCH_SIZE");
  cmd->add_option("--kv-cache-size", a->kv_cache_mib, "KV cache memory in MiB (0 = automatic)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 24))->envname("IMPETUS_KV_CACHE_SIZE");
  cmd->add_option("--kv-type", a->kv_type, "KV cache element type: f16 or f32")->envname("IMPETUS_KV_TYPE");
  cmd->add_option("--chat-template", a->host_options.chat_template_file,
                  "Jinja chat template file overriding the model's")->envname("IMPETUS_CHAT_TEMPLATE");
  cmd->add_option("--api-key", a->api_key, "require 'Authorization: Bearer KEY' on /v1 routes")
      ->envname("IMPETUS_API_KEY");
  cmd->add_option("--http-threads", a->http_threads, "HTTP I/O threads")
      ->check(CLI::Range(1, 256))->envname("IMPETUS_HTTP_THREADS");
  cmd->add_option("--max-body", a->max_body_mib, "largest request body in MiB (413 above)")
      ->check(CLI::Range(int64_t{1}, int64_t{1024}))->envname("IMPETUS_MAX_BODY");
  cmd->add_option("--models-dir", a->models_dir, "installed models (default $IMPETUS_MODELS or ~/.impetus/models)")
      ->envname("IMPETUS_MODELS_DIR");
  cmd->add_option("--max-loaded-models", a->max_loaded_models, "models loaded at once at most")
      ->check(CLI::Range(1, 256))->envname("IMPETUS_MAX_LOADED_MODELS");
  cmd->add_option("--memory-budget", a->memory_budget_mib,
                  "MiB of weights + KV cache all loaded models may use (0 = 90% of available RAM)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 30))->envname("IMPETUS_MEMORY_BUDGET");
  cmd->add_flag("--no-evict", a->no_evict,
                "refuse (507) a load over the limits instead of unloading least recently used models")
      ->envname("IMPETUS_NO_EVICT");
  cmd->add_option("--catalog", a->services.catalog_file, "model catalog JSON (default: the built-in one)")
      ->envname("IMPETUS_CATALOG");
  cmd->add_option("--database", a->services.database, "benchmark history database (default ~/.impetus/impetus.db)")
      ->envname("IMPETUS_DATABASE");
  cmd->add_option("--web-dir", a->services.web_dir, "dashboard files (default: found beside the binary)")
      ->envname("IMPETUS_WEB_DIR");
  cmd->add_option("--max-downloads", a->services.max_downloads, "downloads running at once")
      ->check(CLI::Range(1, 16))->envname("IMPETUS_MAX_DOWNLOADS");
  cmd->add_option("--shutdown-grace", a->shutdown_grace_ms, "ms in-flight requests get at shutdown")
      ->check(CLI::Range(0, 600000))->envname("IMPETUS_SHUTDOWN_GRACE");
  cmd->callback([a, cmd, exit_code] {
    if (!a->config.empty()) {
      if (Status st = apply_config_file(*cmd, a->config); !st.ok()) {
        *exit_code = report_error(st);
        return;
      }
    }
    *exit_code = run_serve(*a);
  });
}

}  // namespace impetus::app
