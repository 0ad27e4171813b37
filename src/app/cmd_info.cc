// `impetus info -m MODEL`: what a GGUF file holds: architecture, sizes,
// tensor types, tokenizer, chat template. `impetus info --hardware`: the
// machine (app/hardware_info.h).
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/hardware_info.h"
#include "app/loaded_model.h"
#include "model/arch/arch.h"
#include "model/formats/gguf_reader.h"

namespace impetus::app {
namespace {

struct InfoArgs {
  std::string model;
  bool json = false;
  bool all_metadata = false;
  bool hardware = false;
};

nlohmann::json describe(const GgufFile& g) {
  nlohmann::json j;
  j["file"] = g.path();
  j["gguf_version"] = g.version();
  j["file_size"] = g.file_size();
  const std::string arch = g.get_string_or("general.architecture", "").value();
  j["architecture"] = arch;
  j["supported"] = find_arch_family(arch) != nullptr;
  j["name"] = g.get_string_or("general.name", "").value();
  for (const char* k : {"context_length", "embedding_length", "block_count", "feed_forward_length",
                        "attention.head_count", "attention.head_count_kv"}) {
    auto v = g.get_int_or(arch + "." + k, -1);
    if (v.ok() && *v >= 0) j["hparams"][k] = *v;
  }
  std::map<std::string, std::pair<int, uint64_t>> types;
  uint64_t n_params = 0, n_bytes = 0;
  for (const auto& t : g.tensors()) {
    auto& e = types[std::string(dtype_name(t.type))];
    ++e.first;
    e.second += t.n_bytes;
    n_params += static_cast<uint64_t>(t.n_elements());
    n_bytes += t.n_bytes;
  }
  j["n_tensors"] = g.tensors().size();
  j["n_params"] = n_params;
  j["tensor_bytes"] = n_bytes;
  for (const auto& [name, e] : types) j["tensor_types"][name] = {{"count", e.first}, {"bytes", e.second}};
  j["tokenizer"]["model"] = g.get_string_or("tokenizer.ggml.model", "").value();
  j["tokenizer"]["pre"] = g.get_string_or("tokenizer.ggml.pre", "").value();
  if (const GgufValue* toks = g.find("tokenizer.ggml.tokens")) j["tokenizer"]["n_tokens"] = toks->array.size();
  j["chat_template"] = g.find("tokenizer.chat_template") != nullptr;
  return j;
}

int run_hardware(const InfoArgs& a) {
  const nlohmann::json hw = describe_hardware();
  if (a.json) {
    std::puts(hw.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    print_hardware(hw);
  }
  return 0;
}

int run_info(const InfoArgs& a) {
  if (a.hardware) return run_hardware(a);
  if (a.model.empty()) return report_error(invalid_argument("info needs -m MODEL or --hardware"));
  auto g = GgufFile::open(a.model);
  if (!g.ok()) return report_error(g.status());
  nlohmann::json j = describe(**g);
  if (a.json) {
    std::puts(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  std::printf("file:          %s (GGUF v%u, %.2f MiB)\n", a.model.c_str(), (*g)->version(),
              static_cast<double>((*g)->file_size()) / (1 << 20));
  std::printf("architecture:  %s%s\n", j["architecture"].get<std::string>().c_str(),
              j["supported"].get<bool>() ? "" : " (not supported)");
  std::printf("name:          %s\n", j["name"].get<std::string>().c_str());
  if (j.contains("hparams")) {
    for (auto& [k, v] : j["hparams"].items()) std::printf("  %-22s %lld\n", k.c_str(), v.get<long long>());
  }
  std::printf("parameters:    %.2f M in %zu tensors\n", j["n_params"].get<double>() / 1e6,
              j["n_tensors"].get<size_t>());
  if (j.contains("tensor_types")) {
    for (auto& [k, v] : j["tensor_types"].items()) {
      std::printf("  %-6s %4d tensors, %.2f MiB\n", k.c_str(), v["count"].get<int>(),
                  v["bytes"].get<double>() / (1 << 20));
    }
  }
  std::printf("tokenizer:     %s (pre: %s)\n", j["tokenizer"]["model"].get<std::string>().c_str(),
              j["tokenizer"]["pre"].get<std::string>().c_str());
  std::printf("chat template: %s\n", j["chat_template"].get<bool>() ? "present" : "absent");
  if (a.all_metadata) {
    for (const auto& kv : (*g)->metadata()) {
      std::printf("  %s = %s\n", kv.key.c_str(), kv.value.to_display_string().c_str());
    }
  }
  return 0;
}

}  // namespace

void register_info(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<InfoArgs>();
  auto* cmd = app.add_subcommand("info", "Describe a GGUF model file, or this machine");
  auto* model = cmd->add_option("-m,--model", args->model, "GGUF file");
  auto* hardware = cmd->add_flag("--hardware", args->hardware,
                                 "describe the CPU and the kernels it runs instead");
  model->excludes(hardware);
  cmd->add_flag("--metadata", args->all_metadata, "also list every metadata key");
  cmd->add_flag("--json", args->json, "print JSON");
  cmd->callback([args, exit_code] { *exit_code = run_info(*args); });
}

}  // namespace impetus::app
