#include "server/routes/generation_job.h"

#include "server/api_error.h"
#include "server/events/event_hub.h"
#include "server/metrics/server_metrics.h"

namespace impetus {
namespace {

bool header_is_chat(const ResponseHeader& h) { return h.kind == ApiKind::kChat; }

double seconds_between(std::chrono::steady_clock::time_point a,
                       std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

GenerationJob::GenerationJob(EngineClient& engine, ResponseHeader header,
                             const GenerationParams& params, std::string prefix,
                             std::shared_ptr<http::Responder> responder,
                             GenerationTelemetry telemetry)
    : engine_(engine),
      header_(std::move(header)),
      params_(params),
      prefix_(std::move(prefix)),
      responder_(std::move(responder)),
      telemetry_(std::move(telemetry)) {}

void GenerationJob::start(EngineClient& engine, ResponseHeader header,
                          const GenerationParams& params, std::vector<int32_t> prompt,
                          std::string prefix, std::shared_ptr<http::Responder> responder,
                          GenerationTelemetry telemetry) {
  std::shared_ptr<GenerationJob> job(new GenerationJob(engine, std::move(header), params,
                                                       std::move(prefix), std::move(responder),
                                                       std::move(telemetry)));
  const int n = params.n;
  job->choices_.resize(static_cast<size_t>(n));
  job->text_offsets_.assign(static_cast<size_t>(n), job->prefix_.size());
  for (auto& c : job->choices_) {
    c.want_logprobs = params.logprobs >= 0;
    c.text = job->prefix_;
  }
  job->remaining_ = n;
  job->usage_.prompt_tokens = static_cast<int32_t>(prompt.size());
  if (params.stream) {
    job->writer_ = job->responder_->start_stream(
        200, "text/event-stream", {{"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}});
    std::weak_ptr<GenerationJob> weak = job;
    job->writer_->on_disconnect([weak] {
      if (auto j = weak.lock()) j->cancel_all();
    });
    std::lock_guard<std::mutex> lock(job->mu_);
    for (int i = 0; i < n; ++i) {
      job->send(stream_chunk(job->header_, i, header_is_chat(job->header_), job->prefix_, nullptr,
                             FinishReason::kNone, 0));
    }
  }
  job->publish_started();
  Status s = job->submit_all(prompt);
  if (!s.ok()) {
    job->cancel_all();
    std::lock_guard<std::mutex> lock(job->mu_);
    job->failed_ = true;
    job->publish_complete_locked(s);
    if (job->writer_) {
      job->send(nlohmann::json::parse(error_response(s).body));
      job->writer_->write("data: [DONE]\n\n");
      job->writer_->close();
    } else {
      job->responder_->respond(error_response(s));
    }
    job->answered_ = true;
  }
}

Status GenerationJob::submit_all(const std::vector<int32_t>& prompt) {
  for (int i = 0; i < params_.n; ++i) {
    GenerationRequest r;
    r.prompt = prompt;
    r.sampling = params_.sampling;
    if (r.sampling.seed && i > 0) r.sampling.seed = *r.sampling.seed + static_cast<uint64_t>(i);
    r.max_tokens = params_.max_tokens.value_or(-1);
    r.stop = params_.stop;
    r.n_logprobs = params_.logprobs;
    if (i == 0) r.conversation_id = params_.conversation_id;
    auto self = shared_from_this();
    auto id = engine_.submit(std::move(r), [self, i](GenerationEvent&& ev) {
      self->on_event(i, std::move(ev));
    });
    if (!id.ok()) return id.status();
    std::lock_guard<std::mutex> lock(mu_);
    ids_.push_back(*id);
  }
  return ok_status();
}

void GenerationJob::cancel_all() {
  std::vector<RequestId> ids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ids = ids_;
  }
  for (RequestId id : ids) engine_.cancel(id);
}

void GenerationJob::send(const nlohmann::json& j) { writer_->write("data: " + to_wire(j) + "\n\n"); }

void GenerationJob::on_event(int index, GenerationEvent&& ev) {
  bool cancel = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!first_output_seen_) {
      first_output_seen_ = true;
      first_output_ = std::chrono::steady_clock::now();
    }
    ChoiceResult& c = choices_[static_cast<size_t>(index)];
    if (ev.finish == FinishReason::kError && !failed_) {
      failed_ = true;
      cancel = true;
      if (writer_) {
        send(nlohmann::json::parse(error_response(ev.error).body));
      } else if (!answered_) {
        responder_->respond(error_response(ev.error));
        answered_ = true;
      }
    }
    if (writer_ && !failed_ && (!ev.text.empty() || !ev.logprobs.empty() || ev.done())) {
      const bool lp = c.want_logprobs && !ev.logprobs.empty();
      send(stream_chunk(header_, index, false, ev.text, lp ? &ev.logprobs : nullptr,
                        ev.done() ? ev.finish : FinishReason::kNone, text_offsets_[index]));
    }
    text_offsets_[index] += ev.text.size();
    c.text += ev.text;
    for (auto& l : ev.logprobs) c.logprobs.push_back(std::move(l));
    if (!writer_ && responder_->disconnected()) cancel = true;
    if (ev.done()) {
      c.finish = ev.finish;
      c.completion_tokens = ev.completion_tokens;
      usage_.completion_tokens += ev.completion_tokens;
      usage_.cached_tokens = std::max(usage_.cached_tokens, ev.cached_prompt_tokens);
      if (--remaining_ == 0) {
        publish_complete_locked(ev.finish == FinishReason::kError ? ev.error : Status());
        finish_locked();
      }
    }
  }
  if (cancel) cancel_all();
}

void GenerationJob::finish_locked() {
  if (answered_) {
    if (writer_) writer_->close();
    return;
  }
  answered_ = true;
  if (writer_) {
    if (!failed_ && params_.include_usage) send(usage_chunk(header_, usage_));
    writer_->write("data: [DONE]\n\n");
    writer_->close();
    return;
  }
  if (failed_) return;
  http::HttpResponse r;
  r.body = to_wire(full_response(header_, choices_, usage_));
  responder_->respond(std::move(r));
}

}  // namespace impetus

namespace impetus {

void GenerationJob::publish_started() {
  if (telemetry_.events == nullptr) return;
  telemetry_.events->publish_lazy(rooms::kMetrics, "generation_started", [&] {
    return nlohmann::json{{"model", header_.model},
                          {"request_id", telemetry_.request_id},
                          {"response_id", header_.id},
                          {"prompt_tokens", usage_.prompt_tokens},
                          {"completion_tokens", 0},
                          {"ttft_ms", nullptr},
                          {"n", params_.n},
                          {"stream", params_.stream}};
  });
}

void GenerationJob::publish_complete_locked(const Status& error) {
  const auto now = std::chrono::steady_clock::now();
  const double ttft_s = first_output_seen_ ? seconds_between(started_, first_output_) : -1.0;
  int32_t longest = 0;  // choices run in parallel: time per token follows the longest
  for (const ChoiceResult& c : choices_) longest = std::max(longest, c.completion_tokens);
  const double tpot_s = first_output_seen_ && longest > 1
                            ? seconds_between(first_output_, now) / static_cast<double>(longest - 1)
                            : -1.0;
  const bool ok = error.ok() && !failed_;
  if (telemetry_.metrics != nullptr && ok)
    telemetry_.metrics->record_generation(header_.model, ttft_s, tpot_s);
  if (telemetry_.events == nullptr) return;
  telemetry_.events->publish_lazy(rooms::kMetrics, "generation_complete", [&] {
    const double duration_s = seconds_between(started_, now);
    nlohmann::json j = {
        {"model", header_.model},
        {"request_id", telemetry_.request_id},
        {"response_id", header_.id},
        {"prompt_tokens", usage_.prompt_tokens},
        {"completion_tokens", usage_.completion_tokens},
        {"cached_tokens", usage_.cached_tokens},
        {"ttft_ms", ttft_s >= 0 ? nlohmann::json(ttft_s * 1e3) : nlohmann::json()},
        {"duration_ms", duration_s * 1e3},
        {"tokens_per_second", tpot_s > 0 ? nlohmann::json(1.0 / tpot_s) : nlohmann::json()},
        {"finish_reason", choices_.empty() ? "error" : finish_reason_name(choices_[0].finish)}};
    if (!ok) {
      j["finish_reason"] = "error";
      j["error"] = error.ok() ? "the generation failed" : error.message();
    }
    return j;
  });
}

}  // namespace impetus
