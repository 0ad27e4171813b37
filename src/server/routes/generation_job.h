// GenerationJob: one API request's generation, from submission to the last
// byte: submits one engine request per choice (n), gathers their events and
// answers either with one JSON response or as a stream of server-sent
// events. Lives in shared_ptrs held by the engine sinks and the stream's
// disconnect handler, so it outlives the handler that started it. A client
// that goes away cancels every choice (and frees their KV blocks) at once.
//
// With a GenerationTelemetry it also publishes generation_started /
// generation_complete events (room "metrics", docs/events.md) and records
// the time-to-first-token and time-per-output-token histograms.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/engine_client.h"
#include "server/http/http_types.h"
#include "server/openai/generation_params.h"
#include "server/openai/responses.h"

namespace impetus {

class EventHub;
class ServerMetrics;

// Where a job reports what it did; null members are skipped.
struct GenerationTelemetry {
  EventHub* events = nullptr;
  ServerMetrics* metrics = nullptr;
  std::string request_id;  // the HTTP request's X-Request-Id
};

class GenerationJob : public std::enable_shared_from_this<GenerationJob> {
 public:
  // prefix: text put before each choice's output (completions "echo").
  static void start(EngineClient& engine, ResponseHeader header, const GenerationParams& params,
                    std::vector<int32_t> prompt, std::string prefix,
                    std::shared_ptr<http::Responder> responder, GenerationTelemetry telemetry = {});

 private:
  GenerationJob(EngineClient& engine, ResponseHeader header, const GenerationParams& params,
                std::string prefix, std::shared_ptr<http::Responder> responder,
                GenerationTelemetry telemetry);
  Status submit_all(const std::vector<int32_t>& prompt);
  void on_event(int index, GenerationEvent&& ev);
  void cancel_all();
  void send(const nlohmann::json& j);  // one SSE "data:" line (mu_ held)
  void finish_locked();
  void publish_started();
  void publish_complete_locked(const Status& error);  // mu_ held

  EngineClient& engine_;
  ResponseHeader header_;
  GenerationParams params_;
  std::string prefix_;
  std::shared_ptr<http::Responder> responder_;
  std::shared_ptr<http::StreamWriter> writer_;
  const GenerationTelemetry telemetry_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();

  std::mutex mu_;
  std::vector<RequestId> ids_;
  std::vector<ChoiceResult> choices_;
  std::vector<size_t> text_offsets_;
  Usage usage_;
  int remaining_ = 0;
  bool failed_ = false;
  bool answered_ = false;
  bool first_output_seen_ = false;
  std::chrono::steady_clock::time_point first_output_;  // the first event of any choice
};

}  // namespace impetus
