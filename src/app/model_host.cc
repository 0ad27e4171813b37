#include "app/model_host.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/backend_select.h"
#include "core/log.h"

namespace impetus::app {
namespace {

StatusOr<std::shared_ptr<const ChatTemplate>> load_template(const HostOptions& o, const Tokenizer& tok,
                                                            std::string* source) {
  std::string text;
  if (!o.chat_template_file.empty()) {
    std::ifstream in(o.chat_template_file, std::ios::binary);
    if (!in) return not_found("cannot read chat template '" + o.chat_template_file + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
    *source = "file";
  } else if (!tok.chat_template().empty()) {
    text = tok.chat_template();
    *source = "model";
  } else {
    text = default_chat_template();
    *source = "default";
  }
  auto parsed = ChatTemplate::parse(text);
  if (!parsed.ok()) return parsed.status().with_context("cannot parse the " + *source + " chat template");
  return std::shared_ptr<const ChatTemplate>(std::make_shared<ChatTemplate>(std::move(*parsed)));
}

}  // namespace

std::string model_id_from_path(const std::string& path) {
  return std::filesystem::path(path).stem().string();
}

ServedModel HostedModel::served() const {
  ServedModel m;
  m.id = id;
  // Not owning: the caller keeps this HostedModel alive while it is served.
  m.engine = std::shared_ptr<EngineClient>(engine.get(), [](EngineClient*) {});
  m.chat_template = chat_template;
  m.chat_template_source = chat_template_source;
  m.created = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  return m;
}

StatusOr<std::unique_ptr<HostedModel>> host_model(const HostOptions& o) {
  auto h = std::make_unique<HostedModel>();
  h->id = o.id.empty() ? model_id_from_path(o.path) : o.id;
  const DeviceOptions device{o.device, o.gpu_layers, o.n_threads, std::nullopt};
  IMP_ASSIGN_OR_RETURN(h->model, load_on_devices(o.path, device, &h->backend, &h->host_backend,
                                                 o.use_mmap ? FileLoadMode::kMmap : FileLoadMode::kRead));
  IMP_ASSIGN_OR_RETURN(h->tokenizer, Tokenizer::from_gguf(h->model->gguf()));
  IMP_ASSIGN_OR_RETURN(h->chat_template, load_template(o, *h->tokenizer, &h->chat_template_source));
  EngineOptions eo;
  eo.model_id = h->id;
  eo.scheduler.max_context = o.n_ctx > 0 ? o.n_ctx : std::min(h->model->config().n_ctx_train, 4096);
  eo.scheduler.max_running = o.max_running;
  eo.scheduler.max_batch_tokens = o.max_batch_tokens;
  eo.kv_cache_bytes = o.kv_cache_bytes;
  eo.kv_type = o.kv_type;
  IMP_ASSIGN_OR_RETURN(h->engine, Engine::create(*h->model, *h->tokenizer, eo));
  IMP_LOG(kInfo, "loaded '", h->id, "' (", h->model->config().arch, ", ",
          h->model->weight_bytes() >> 20, " MiB of weights, context ", eo.scheduler.max_context,
          ", KV cache ", h->engine->info().kv_cache_bytes >> 20, " MiB, chat template: ",
          h->chat_template_source, ")");
  return h;
}

}  // namespace impetus::app
