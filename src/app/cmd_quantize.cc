// `impetus quantize IN OUT TYPE`: converts a model's weights to another type.
#include <cstdio>
#include <thread>

#include "app/commands.h"
#include "app/loaded_model.h"
#include "model/quantizer.h"

namespace impetus::app {
namespace {

struct QuantizeArgs {
  std::string in, out, type;
  int n_threads = 0;
};

int run_quantize(const QuantizeArgs& a) {
  const int threads = a.n_threads > 0 ? a.n_threads
                                      : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto stats = quantize_model(a.in, a.out, a.type, threads);
  if (!stats.ok()) return report_error(stats.status());
  std::printf("quantized %d tensors, kept %d; %.1f MiB -> %.1f MiB\n", stats->n_quantized,
              stats->n_kept, static_cast<double>(stats->bytes_in) / (1 << 20),
              static_cast<double>(stats->bytes_out) / (1 << 20));
  return 0;
}

}  // namespace

void register_quantize(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<QuantizeArgs>();
  auto* cmd = app.add_subcommand("quantize", "Convert a model's weights to another type");
  cmd->add_option("input", args->in, "input GGUF model")->required();
  cmd->add_option("output", args->out, "output GGUF model")->required();
  cmd->add_option("type", args->type,
                  "Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K, Q4_K_M, Q5_K_M, F16, BF16, F32")
      ->required();
  cmd->add_option("-t,--threads", args->n_threads, "threads (0 = all)");
  cmd->callback([args, exit_code] { *exit_code = run_quantize(*args); });
}

}  // namespace impetus::app
