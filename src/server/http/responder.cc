#include "server/http/responder.h"

#include "server/http/session.h"

namespace impetus::http {

ResponderImpl::~ResponderImpl() {
  if (!ex_->answered()) respond(state_->error_response(500, "the request was not answered"));
}

void ResponderImpl::respond(HttpResponse response) {
  if (!ex_->try_answer()) return;
  const bool posted = post_to_session(
      state_, session_, [ex = ex_, response = std::move(response)](Session& s) mutable {
        s.send_response(ex, std::move(response));
      });
  if (!posted) ex_->mark_gone_quietly();
}

std::shared_ptr<StreamWriter> ResponderImpl::start_stream(
    int status, const std::string& content_type,
    std::vector<std::pair<std::string, std::string>> headers) {
  if (!ex_->try_answer()) {
    // A second answer: hand back a writer that is already disconnected.
    auto dead = std::make_shared<Exchange>(0);
    dead->try_answer();
    dead->mark_gone_quietly();
    return std::make_shared<StreamWriterImpl>(state_, std::weak_ptr<Session>(), std::move(dead));
  }
  const bool posted = post_to_session(
      state_, session_,
      [ex = ex_, status, content_type, headers = std::move(headers)](Session& s) mutable {
        s.begin_stream(ex, status, std::move(content_type), std::move(headers));
      });
  if (!posted) ex_->mark_gone_quietly();
  return std::make_shared<StreamWriterImpl>(state_, session_, ex_);
}

bool ResponderImpl::accept_websocket(std::shared_ptr<WebSocketHandler> handler) {
  if (!upgradable_ || !handler || !ex_->try_answer()) return false;
  const bool posted = post_to_session(
      state_, session_, [ex = ex_, handler = std::move(handler)](Session& s) mutable {
        s.upgrade(ex, std::move(handler));
      });
  if (!posted) ex_->mark_gone_quietly();
  return true;
}

bool StreamWriterImpl::write(std::string data) {
  if (ex_->gone() || ex_->stream_closed()) return false;
  if (data.empty()) return true;
  const size_t n = data.size();
  if (!ex_->add_queued(n)) {
    // The client is too far behind: drop it rather than buffer without bound.
    if (!post_to_session(state_, session_, [ex = ex_](Session& s) { s.drop_client(ex); })) {
      ex_->mark_gone_quietly();
    }
    return false;
  }
  const bool posted = post_to_session(
      state_, session_,
      [ex = ex_, data = std::move(data)](Session& s) mutable { s.stream_data(ex, std::move(data)); });
  if (!posted) {
    ex_->sub_queued(n);
    ex_->mark_gone_quietly();
    return false;
  }
  return true;
}

void StreamWriterImpl::close() {
  if (!ex_->try_close_stream()) return;
  post_to_session(state_, session_, [ex = ex_](Session& s) { s.stream_close(ex); });
}

}  // namespace impetus::http
