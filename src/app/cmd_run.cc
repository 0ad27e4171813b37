// `impetus run MODEL [PROMPT]`: a chat in the terminal. Streams each answer
// as it is generated and keeps the conversation; /exit (or end of input)
// quits; Ctrl-C stops the current answer, not the program. With PROMPT it
// answers once and exits.
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <iostream>
#include <mutex>

#include "app/backend_select.h"
#include "app/commands.h"
#include "app/loaded_model.h"
#include "app/model_host.h"
#include "server/chat_prompt.h"

namespace impetus::app {
namespace {

std::atomic<bool> g_interrupted{false};

void on_sigint(int) { g_interrupted.store(true); }

struct RunArgs {
  HostOptions host;
  std::string prompt;
  std::string system;
  float temperature = 0.8f;
  int32_t max_tokens = -1;
  std::optional<uint64_t> seed;
};

// Streams one answer to stdout; returns its text ("" and false on error).
bool answer(HostedModel& h, const ServedModel& served, const nlohmann::json& messages,
            const RunArgs& a, std::string* text) {
  auto prompt = chat_prompt_tokens(served, messages);
  if (!prompt.ok()) {
    report_error(prompt.status());
    return false;
  }
  GenerationRequest req;
  req.prompt = std::move(*prompt);
  req.sampling.temperature = a.temperature;
  req.sampling.seed = a.seed;
  req.max_tokens = a.max_tokens;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<GenerationEvent> events;
  auto id = h.engine->submit(std::move(req), [&](GenerationEvent&& ev) {
    std::lock_guard<std::mutex> lock(mu);
    events.push_back(std::move(ev));
    cv.notify_one();
  });
  if (!id.ok()) {
    report_error(id.status());
    return false;
  }
  g_interrupted.store(false);
  for (bool done = false; !done;) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return !events.empty(); });
    if (g_interrupted.exchange(false)) h.engine->cancel(*id);
    while (!events.empty()) {
      GenerationEvent ev = std::move(events.front());
      events.pop_front();
      std::fputs(ev.text.c_str(), stdout);
      std::fflush(stdout);
      *text += ev.text;
      if (ev.done()) {
        done = true;
        if (ev.finish == FinishReason::kCancelled) std::fputs(" [stopped]", stdout);
        if (ev.finish == FinishReason::kError) report_error(ev.error);
      }
    }
  }
  std::fputs("\n", stdout);
  std::fflush(stdout);
  return true;
}

int run_chat(RunArgs a) {
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  auto hosted = host_model(a.host);
  if (!hosted.ok()) return report_error(hosted.status());
  HostedModel& h = **hosted;
  const ServedModel served = h.served();
  nlohmann::json messages = nlohmann::json::array();
  if (!a.system.empty()) messages.push_back({{"role", "system"}, {"content", a.system}});
  if (!a.prompt.empty()) {
    messages.push_back({{"role", "user"}, {"content", a.prompt}});
    std::string text;
    return answer(h, served, messages, a, &text) ? 0 : 1;
  }
  std::fprintf(stderr, "Chatting with %s. /exit quits, Ctrl-C stops an answer.\n", h.id.c_str());
  for (;;) {
    std::fputs("> ", stdout);
    std::fflush(stdout);
    std::string line;
    if (!std::getline(std::cin, line)) break;
    if (g_interrupted.exchange(false) && line.empty()) continue;
    if (line == "/exit" || line == "/quit" || line == "/bye") break;
    if (line.empty()) continue;
    messages.push_back({{"role", "user"}, {"content", line}});
    std::string text;
    if (!answer(h, served, messages, a, &text)) {
      messages.erase(messages.end() - 1);
      continue;
    }
    messages.push_back({{"role", "assistant"}, {"content", text}});
  }
  h.engine->shutdown();
  return 0;
}

}  // namespace

void register_run(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand("run", "Chat with a model in the terminal");
  cmd->add_option("model", a->host.path, "GGUF model file")->required();
  cmd->add_option("prompt", a->prompt, "answer this one message and exit");
  cmd->add_option("--system", a->system, "system prompt");
  cmd->add_option("--temp", a->temperature, "temperature (0 = greedy)")->check(CLI::Range(0.0, 2.0));
  cmd->add_option("-n,--max-tokens", a->max_tokens, "longest answer in tokens (-1 = no limit)");
  cmd->add_option("--seed", a->seed, "random seed");
  cmd->add_option("-t,--threads", a->host.n_threads, "CPU threads (0 = all)");
  cmd->add_option("-c,--ctx-size", a->host.n_ctx, "context size in tokens");
  add_device_options(*cmd, &a->host.device, &a->host.gpu_layers);
  cmd->add_option("--chat-template", a->host.chat_template_file, "Jinja chat template file");
  cmd->callback([a, exit_code] { *exit_code = run_chat(*a); });
}

}  // namespace impetus::app
