#include "server/http/server_state.h"

#include <cstdio>
#include <exception>

#include "core/log.h"
#include "server/http/wire.h"

namespace impetus::http {

HttpResponse ServerState::error_response(int status, const std::string& message) const {
  if (options_.error_response) {
    try {
      return options_.error_response(status, message);
    } catch (const std::exception& e) {
      IMP_LOG(kError, "http: error_response hook threw: ", e.what());
    } catch (...) {
      IMP_LOG(kError, "http: error_response hook threw");
    }
  }
  HttpResponse response;
  response.status = status;
  response.body = default_error_body(status, message);
  return response;
}

void ServerState::request_done(const RequestRecord& record) const {
  if (options_.access_log && log_level() <= LogLevel::kInfo) {
    char ms[32];
    std::snprintf(ms, sizeof(ms), "%.3f", record.duration_s * 1e3);
    const std::string status = std::to_string(record.status);
    std::vector<LogField> fields = {{"method", record.method},
                                    {"path", record.path},
                                    {"route", record.pattern},
                                    {"status", status, true},
                                    {"duration_ms", ms, true},
                                    {"remote", record.remote}};
    if (record.client_gone) fields.push_back({"client_gone", "true", true});
    log_message(LogLevel::kInfo, record.request_id,
                "http: " + (record.method.empty() ? std::string("-") : record.method) + " " +
                    (record.path.empty() ? std::string("-") : record.path) + " " + status + " " +
                    ms + "ms" + (record.client_gone ? " (client gone)" : ""),
                fields);
  }
  if (!options_.on_request_done) return;
  try {
    options_.on_request_done(record);
  } catch (const std::exception& e) {
    IMP_LOG_REQ(kError, record.request_id, "http: on_request_done threw: ", e.what());
  } catch (...) {
    IMP_LOG_REQ(kError, record.request_id, "http: on_request_done threw");
  }
}

void ServerState::add_session(const std::shared_ptr<Connection>& session) {
  std::lock_guard lock(registry_mu_);
  sessions_[session.get()] = session;
}

void ServerState::remove_session(const Connection* session) {
  std::lock_guard lock(registry_mu_);
  if (sessions_.erase(session) > 0 && sessions_.empty()) registry_cv_.notify_all();
}

size_t ServerState::n_sessions() const {
  std::lock_guard lock(registry_mu_);
  return sessions_.size();
}

std::vector<std::shared_ptr<Connection>> ServerState::sessions() const {
  std::vector<std::shared_ptr<Connection>> out;
  std::lock_guard lock(registry_mu_);
  out.reserve(sessions_.size());
  for (const auto& [ptr, weak] : sessions_) {
    if (auto session = weak.lock()) out.push_back(std::move(session));
  }
  return out;
}

bool ServerState::wait_no_sessions(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(registry_mu_);
  return registry_cv_.wait_for(lock, timeout, [this] { return sessions_.empty(); });
}

}  // namespace impetus::http
