#include "server/http/server_state.h"

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

void ServerState::add_session(const std::shared_ptr<Session>& session) {
  std::lock_guard lock(registry_mu_);
  sessions_[session.get()] = session;
}

void ServerState::remove_session(const Session* session) {
  std::lock_guard lock(registry_mu_);
  if (sessions_.erase(session) > 0 && sessions_.empty()) registry_cv_.notify_all();
}

size_t ServerState::n_sessions() const {
  std::lock_guard lock(registry_mu_);
  return sessions_.size();
}

std::vector<std::shared_ptr<Session>> ServerState::sessions() const {
  std::vector<std::shared_ptr<Session>> out;
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
