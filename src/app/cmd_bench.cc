// `impetus bench -m MODEL`: prompt-processing and generation speed, shown
// like llama-bench (a markdown table) or as one JSON object with --json.
// `impetus bench --memory`: the machine's memory bandwidth (core/memory_bandwidth.h),
// or with --device cuda the GPU's device-to-device copy bandwidth.
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "app/backend_select.h"
#include "app/bench_load.h"
#include "app/bench_save.h"
#include "app/commands.h"
#include "app/loaded_model.h"
#include "backend/cpu/cpu_backend.h"
#include "core/memory_bandwidth.h"
#include "engine/bench_runner.h"

namespace impetus::app {
namespace {

struct BenchArgs {
  std::string model;
  BenchOptions bench;
  int n_threads = 0;
  std::string isa;  // "" = cpu::default_isa()
  std::string device = "auto";  // auto | cpu | cuda
  int gpu_layers = -1;
  bool json = false;
  bool memory = false;
  int memory_mib = 1024;
};

// What the table's first columns say about the model.
struct ModelSummary {
  std::string label;     // "llama 1.1B Q4_0"
  uint64_t n_params = 0;
  uint64_t n_bytes = 0;  // all tensor data
  uint64_t weight_bytes_per_token = 0;
};

std::string params_label(uint64_t n) {
  char buf[32];
  if (n >= 1000000000ull) {
    std::snprintf(buf, sizeof(buf), "%.1fB", static_cast<double>(n) / 1e9);
  } else {
    std::snprintf(buf, sizeof(buf), "%.0fM", static_cast<double>(n) / 1e6);
  }
  return buf;
}

ModelSummary summarize_model(const GgufFile& g) {
  ModelSummary s;
  std::map<std::string, uint64_t> bytes_of_type;  // matrices only
  for (const auto& t : g.tensors()) {
    s.n_params += static_cast<uint64_t>(t.n_elements());
    s.n_bytes += t.n_bytes;
    if (t.n_dims >= 2) bytes_of_type[std::string(dtype_name(t.type))] += t.n_bytes;
  }
  std::string main_type = "?";
  uint64_t most = 0;
  for (const auto& [name, b] : bytes_of_type) {
    if (b > most) most = b, main_type = name;
  }
  const std::string arch = g.get_string_or("general.architecture", "?").value();
  s.label = arch + " " + params_label(s.n_params) + " " + main_type;
  s.weight_bytes_per_token = weight_bytes_per_token(g);
  return s;
}

nlohmann::json rate_json(const BenchRate& r) {
  return {{"n", r.n_tokens}, {"tok_s", r.mean_tok_s}, {"stddev", r.stddev_tok_s},
          {"samples", r.samples_tok_s}};
}

void print_json(const BenchArgs& a, const ModelSummary& m, const std::string& isa, int threads,
                const BenchResult& r) {
  nlohmann::json j;
  j["model"] = a.model;
  j["model_type"] = m.label;
  j["model_bytes"] = m.n_bytes;
  j["n_params"] = m.n_params;
  j["isa"] = isa;  // the CPU instruction set, or "cuda"
  j["threads"] = threads;
  j["reps"] = a.bench.n_reps;
  j["weight_bytes"] = m.weight_bytes_per_token;
  j["pp"] = r.pp ? rate_json(*r.pp) : nlohmann::json(nullptr);
  j["tg"] = r.tg ? rate_json(*r.tg) : nlohmann::json(nullptr);
  if (r.tg) {
    j["tg"]["gbps"] = r.tg->mean_tok_s * static_cast<double>(m.weight_bytes_per_token) / 1e9;
  }
  std::puts(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

void print_table(const ModelSummary& m, const std::string& isa, int threads, const BenchResult& r) {
  std::printf("| %-22s | %10s | %7s | %-6s | %7s | %6s | %18s | %7s |\n", "model", "size", "params",
              "isa", "threads", "test", "t/s", "GB/s");
  std::printf("| %s | %s: | %s: | %s | %s: | %s: | %s: | %s: |\n", std::string(22, '-').c_str(),
              std::string(9, '-').c_str(), std::string(6, '-').c_str(), std::string(6, '-').c_str(),
              std::string(6, '-').c_str(), std::string(5, '-').c_str(), std::string(17, '-').c_str(),
              std::string(6, '-').c_str());
  auto row = [&](const char* kind, const BenchRate& rate, bool with_bw) {
    char test[32], ts[48], bw[32] = "";
    std::snprintf(test, sizeof(test), "%s%d", kind, rate.n_tokens);
    std::snprintf(ts, sizeof(ts), "%.2f ± %.2f", rate.mean_tok_s, rate.stddev_tok_s);
    if (with_bw) {
      std::snprintf(bw, sizeof(bw), "%.1f",
                    rate.mean_tok_s * static_cast<double>(m.weight_bytes_per_token) / 1e9);
    }
    // "±" is two bytes but one column: pad the t/s field by one more.
    std::printf("| %-22s | %6.2f MiB | %7s | %-6s | %7d | %6s | %19s | %7s |\n", m.label.c_str(),
                static_cast<double>(m.n_bytes) / (1 << 20), params_label(m.n_params).c_str(),
                isa.c_str(), threads, test, ts, bw);
  };
  if (r.pp) row("pp", *r.pp, false);
  if (r.tg) row("tg", *r.tg, true);
  std::printf("\nweights read per generated token: %.2f MiB\n",
              static_cast<double>(m.weight_bytes_per_token) / (1 << 20));
}

StatusOr<cpu::Isa> pick_isa(const std::string& name) {
  if (name.empty()) return cpu::default_isa();
  IMP_ASSIGN_OR_RETURN(cpu::Isa isa, cpu::isa_from_name(name));
  for (cpu::Isa s : cpu::supported_isas()) {
    if (s == isa) return isa;
  }
  return invalid_argument(std::string("this CPU does not support ") + cpu::isa_name(isa));
}

int run_model_bench(const BenchArgs& a) {
  auto isa = pick_isa(a.isa);
  if (!isa.ok()) return report_error(isa.status());
  std::unique_ptr<Backend> primary, host;
  auto model = load_on_devices(a.model, DeviceOptions{a.device, a.gpu_layers, a.n_threads, *isa},
                               &primary, &host);
  if (!model.ok()) return report_error(model.status());
  Backend& backend = *primary;
  constexpr int32_t kBlock = 16;
  const int32_t n_blocks = std::max(1, (bench_context_tokens(a.bench) + kBlock - 1) / kBlock);
  auto cache = KvCache::create(**model, n_blocks, kBlock);
  if (!cache.ok()) return report_error(cache.status());
  BlockPool pool(n_blocks);
  auto result = run_bench(**model, **cache, pool, a.bench);
  if (!result.ok()) return report_error(result.status());
  const ModelSummary summary = summarize_model((*model)->gguf());
  auto* cpu_backend = dynamic_cast<CpuBackend*>(&backend);
  const int threads = cpu_backend != nullptr ? cpu_backend->pool().n_threads() : 0;
  std::string label = cpu_backend != nullptr ? cpu::isa_name(*isa) : backend.name();
  if ((*model)->split()) label += "+cpu";  // --gpu-layers: the first layers on the CPU
  if (a.json) {
    print_json(a, summary, label, threads, *result);
  } else {
    print_table(summary, label, threads, *result);
    if (!gpu_name(backend).empty()) std::printf("GPU: %s\n", gpu_name(backend).c_str());
  }
  return 0;
}

int run_gpu_memory_bench(const BenchArgs& a) {
  auto gbps = gpu_copy_bandwidth_gbps(static_cast<size_t>(a.memory_mib) << 20, 20);
  if (!gbps.ok()) return report_error(gbps.status());
  if (a.json) {
    std::puts(nlohmann::json{{"gpu_memory", {{"copy_gbps", *gbps}, {"bytes", size_t(a.memory_mib) << 20}}}}.dump().c_str());
  } else {
    std::printf("GPU device-to-device copy: %d MiB buffer, best of 20: %.1f GB/s (bytes read + written)\n",
                a.memory_mib, *gbps);
  }
  return 0;
}

int run_memory_bench(const BenchArgs& a) {
  if (a.device == "cuda") return run_gpu_memory_bench(a);
  MemoryBandwidthOptions o;
  o.n_bytes = static_cast<size_t>(a.memory_mib) << 20;
  o.n_threads = a.n_threads;
  auto bw = measure_memory_bandwidth(o);
  if (!bw.ok()) return report_error(bw.status());
  if (a.json) {
    nlohmann::json j;
    j["memory"] = {{"read_gbps", bw->read_gbps}, {"copy_gbps", bw->copy_gbps},
                   {"bytes", bw->n_bytes}, {"threads", bw->n_threads}, {"runs", o.n_runs}};
    std::puts(j.dump().c_str());
    return 0;
  }
  std::printf("memory bandwidth: %zu MiB buffer, %d threads, best of %d runs\n", bw->n_bytes >> 20,
              bw->n_threads, o.n_runs);
  std::printf("  read  %7.1f GB/s\n", bw->read_gbps);
  std::printf("  copy  %7.1f GB/s  (bytes read + written)\n", bw->copy_gbps);
  return 0;
}

}  // namespace

void register_bench(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<BenchArgs>();
  auto load = std::make_shared<LoadBenchArgs>();
  auto save = std::make_shared<SaveBenchArgs>();
  auto* cmd = app.add_subcommand("bench", "Measure model speed (like llama-bench) or memory bandwidth");
  auto* model = cmd->add_option("-m,--model", args->model, "GGUF model file");
  cmd->add_option("-p,--n-prompt", args->bench.n_prompt, "prompt tokens of the pp test (0 = skip)")
      ->check(CLI::Range(0, 1 << 16))->capture_default_str();
  cmd->add_option("-n,--n-gen", args->bench.n_gen, "generated tokens of the tg test (0 = skip)")
      ->check(CLI::Range(0, 1 << 16))->capture_default_str();
  cmd->add_option("-t,--threads", args->n_threads, "CPU threads (0 = all)")->check(CLI::Range(0, 1024));
  cmd->add_option("-r,--repetitions", args->bench.n_reps, "timed runs of each test")
      ->check(CLI::Range(1, 1000))->capture_default_str();
  cmd->add_option("--isa", args->isa, "force an instruction set: scalar, avx2, avx512, neon");
  cmd->add_flag("--json", args->json, "print one JSON object");
  auto* memory = cmd->add_flag("--memory", args->memory, "measure memory bandwidth instead");
  cmd->add_option("--memory-mib", args->memory_mib, "buffer size of --memory in MiB")
      ->check(CLI::Range(1, 1 << 20))->capture_default_str();
  model->excludes(memory);
  add_device_options(*cmd, &args->device, &args->gpu_layers);
  add_load_bench_options(*cmd, *load);
  add_save_bench_options(*cmd, *save);
  cmd->callback([args, load, save, exit_code, cmd] {
    if (args->memory) {
      *exit_code = run_memory_bench(*args);
    } else if (args->model.empty()) {
      std::fprintf(stderr, "impetus: error: bench needs -m MODEL (or --memory)\n%s",
                   cmd->help().c_str());
      *exit_code = 1;
    } else if (save->save) {
      if (load_bench_requested(*load)) {
        std::fprintf(stderr, "impetus: error: --save stores the server's benchmark; it does not combine "
                             "with --concurrency or --multi-turn\n");
        *exit_code = 1;
        return;
      }
      HostOptions host = load->host;
      host.path = args->model;
      host.n_threads = args->n_threads;
      host.device = args->device;
      host.gpu_layers = args->gpu_layers;
      *exit_code = run_save_bench(*save, host, args->json);
    } else if (load_bench_requested(*load)) {
      load->host.path = args->model;
      load->host.n_threads = args->n_threads;
      load->host.device = args->device;
      load->host.gpu_layers = args->gpu_layers;
      load->json = args->json;
      *exit_code = run_load_bench(*load);
    } else {
      *exit_code = run_model_bench(*args);
    }
  });
}

}  // namespace impetus::app
