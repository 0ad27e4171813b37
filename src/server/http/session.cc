#include "server/http/session.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <limits>

#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "core/log.h"
#include "server/http/request_id.h"
#include "server/http/responder.h"
#include "server/http/url.h"
#include "server/http/wire.h"
#include "server/http/ws_session.h"

namespace impetus::http {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

namespace {

constexpr size_t kWatchChunk = 4096;         // bytes read per watch read
constexpr size_t kMaxPipelined = 64u << 10;  // stop watching when this much is buffered
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr const char* kUnmatched = "unmatched";  // the route pattern of unrouted requests

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view view(boost::beast::string_view s) { return {s.data(), s.size()}; }

bool is_parse_error(const error_code& ec) {
  return &ec.category() == &bhttp::make_error_code(bhttp::error::bad_target).category();
}

// The handler's headers without any X-Request-Id, then ours.
void set_request_id_header(std::vector<std::pair<std::string, std::string>>* headers,
                           const std::string& id) {
  std::erase_if(*headers, [](const auto& h) { return lower(h.first) == "x-request-id"; });
  headers->emplace_back("X-Request-Id", id);
}

}  // namespace

Session::Session(Strand strand, std::shared_ptr<ServerState> state)
    : strand_(strand),
      state_(std::move(state)),
      socket_(strand_),
      timer_(strand_),
      buffer_(state_->options().max_header_bytes + (64u << 10)) {}

Session::~Session() {
  if (registered_) state_->remove_session(this);
  // Only when the server stopped with this exchange's handlers still queued.
  if (ex_) ex_->mark_gone();
}

void Session::start(std::string remote) {
  remote_ = std::move(remote);
  state_->add_session(shared_from_this());
  registered_ = true;
  error_code ignored;
  socket_.set_option(net::ip::tcp::no_delay(true), ignored);
  do_read();
}

void Session::server_stopping() {
  if (phase_ == Phase::kIdle || phase_ == Phase::kRead) close_socket();
}

void Session::force_close() { close_socket(); }

// ---- reading a request ------------------------------------------------------

void Session::do_read() {
  if (phase_ == Phase::kClosed) return;
  if (state_->stopping()) {
    close_socket();
    return;
  }
  phase_ = Phase::kRead;
  http10_ = false;
  head_ = false;
  keep_alive_ = true;
  const HttpServerOptions& options = state_->options();
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(
      std::min<size_t>(options.max_header_bytes, std::numeric_limits<uint32_t>::max())));
  parser_->body_limit(static_cast<uint64_t>(options.max_body_bytes));
  if (buffer_.size() == 0 && buffer_.capacity() > (256u << 10)) buffer_.shrink_to_fit();
  arm_timer(std::chrono::seconds(std::max(1, options.idle_timeout_s)));
  bhttp::async_read_header(socket_, buffer_, *parser_,
                           [self = shared_from_this()](error_code ec, size_t) {
                             self->on_header(ec);
                           });
}

void Session::on_header(error_code ec) {
  if (phase_ == Phase::kClosed) return;
  if (ec) {
    on_read_error(ec);
    return;
  }
  if (parser_->is_done()) {
    on_request();
    return;
  }
  const auto& req = parser_->get();
  if (req.version() >= 11 && boost::beast::iequals(req[bhttp::field::expect], "100-continue")) {
    net::async_write(socket_, net::buffer(kContinue.data(), kContinue.size()),
                     [self = shared_from_this()](error_code wec, size_t) {
                       if (self->phase_ == Phase::kClosed) return;
                       if (wec) {
                         self->close_socket();
                       } else {
                         self->read_body();
                       }
                     });
    return;
  }
  read_body();
}

void Session::read_body() {
  bhttp::async_read(socket_, buffer_, *parser_, [self = shared_from_this()](error_code ec, size_t) {
    if (self->phase_ == Phase::kClosed) return;
    if (ec) {
      self->on_read_error(ec);
    } else {
      self->on_request();
    }
  });
}

// A request that cannot be read is still answered (413, 431, 400) and
// recorded, with what its header says when it was read.
void Session::record_unreadable_request() {
  if (!parser_ || !parser_->is_header_done()) {
    begin_record("", "", new_request_id());
    return;
  }
  const auto& req = parser_->get();
  std::string path;
  std::map<std::string, std::string> query;
  if (!parse_target(std::string(view(req.target())), &path, &query)) path.clear();
  begin_record(std::string(view(req.method_string())), std::move(path),
               request_id_from_header(view(req["x-request-id"])));
}

void Session::on_read_error(error_code ec) {
  disarm_timer();
  const bool client_closed =
      ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message;
  const bool replies =
      !client_closed && (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit ||
                         ec == bhttp::error::buffer_overflow || is_parse_error(ec));
  if (replies) record_unreadable_request();
  if (ec == bhttp::error::body_limit) {
    reply_error(413, "request body too large", true);
  } else if (ec == bhttp::error::header_limit) {
    reply_error(431, "request header too large", true);
  } else if (ec == bhttp::error::buffer_overflow) {
    if (parser_ && parser_->is_header_done()) {
      reply_error(413, "request body too large", true);
    } else {
      reply_error(431, "request header too large", true);
    }
  } else if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
    close_socket();  // the client closed the connection
  } else if (is_parse_error(ec)) {
    reply_error(400, "malformed HTTP request: " + ec.message(), true);
  } else {
    close_socket();  // reset, timeout, ...
  }
}

void Session::on_request() {
  disarm_timer();
  bhttp::request<bhttp::string_body> msg = parser_->release();
  parser_.reset();
  started_ = std::chrono::steady_clock::now();
  HttpRequest request;
  request.method = std::string(view(msg.method_string()));
  request.target = std::string(view(msg.target()));
  keep_alive_ = msg.keep_alive();
  http10_ = msg.version() < 11;
  head_ = msg.method() == bhttp::verb::head;
  for (const auto& field : msg) {
    std::string name = lower(view(field.name_string()));
    const std::string_view value = view(field.value());
    auto [it, inserted] = request.headers.try_emplace(std::move(name), value);
    if (!inserted) {
      it->second += ", ";
      it->second.append(value);
    }
  }
  request.body = std::move(msg.body());
  request.remote = remote_;
  request.request_id = request_id_from_header(request.header("x-request-id"));
  const bool target_ok = parse_target(request.target, &request.path, &request.query);
  begin_record(request.method, target_ok ? request.path : std::string(), request.request_id);
  if (!target_ok) {
    reply_error(400, "malformed request target", false);
    return;
  }
  request.websocket_upgrade = boost::beast::websocket::is_upgrade(msg);
  if (request.websocket_upgrade) upgrade_request_.emplace(std::move(msg));
  dispatch(std::move(request));
}

void Session::dispatch(HttpRequest request) {
  Router::Match match = state_->router().match(request.method, request.path);
  if (match.handler == nullptr) {
    if (match.path_known) {
      reply_error(405, "method " + request.method + " not allowed for " + request.path, false);
    } else {
      reply_error(404, "no route for " + request.method + " " + request.path, false);
    }
    return;
  }
  request.path_params = std::move(match.params);
  record_.pattern = *match.pattern;
  ex_ = std::make_shared<Exchange>(state_->options().max_stream_buffer_bytes);
  self_ = shared_from_this();
  phase_ = Phase::kHandler;
  start_watch();
  auto responder =
      std::make_shared<ResponderImpl>(state_, weak_from_this(), ex_, request.websocket_upgrade);
  LogRequestScope log_scope(request.request_id);
  try {
    (*match.handler)(request, responder);
  } catch (const std::exception& e) {
    IMP_LOG(kError, "http: handler for ", request.method, " ", request.path, " threw: ", e.what());
    responder->respond(state_->error_response(500, "internal error"));
  } catch (...) {
    IMP_LOG(kError, "http: handler for ", request.method, " ", request.path, " threw");
    responder->respond(state_->error_response(500, "internal error"));
  }
}

void Session::begin_record(std::string method, std::string path, std::string request_id) {
  if (!record_active_) started_ = std::chrono::steady_clock::now();
  record_ = RequestRecord{};
  record_.method = std::move(method);
  record_.path = std::move(path);
  record_.pattern = kUnmatched;
  record_.request_id = std::move(request_id);
  record_.remote = remote_;
  record_active_ = true;
}

void Session::end_record(bool client_gone) {
  if (!record_active_) return;
  record_active_ = false;
  if (record_.status == 0) record_.status = 499;  // nothing was sent: the client left first
  record_.client_gone = client_gone;
  record_.duration_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  state_->request_done(record_);
}

void Session::reply_error(int status, const std::string& message, bool close) {
  if (close) {
    keep_alive_ = false;
    linger_ = true;
  }
  ex_ = std::make_shared<Exchange>(state_->options().max_stream_buffer_bytes);
  ex_->try_answer();
  send_response(ex_, state_->error_response(status, message));
}

// ---- watching the client while an answer is pending ---------------------------

void Session::start_watch() {
  if (watching_ || phase_ == Phase::kClosed) return;
  const size_t room = buffer_.max_size() - buffer_.size();
  if (buffer_.size() >= kMaxPipelined || room == 0) return;  // bounded: stop watching
  watching_ = true;
  socket_.async_read_some(buffer_.prepare(std::min(kWatchChunk, room)),
                          [self = shared_from_this()](error_code ec, size_t n) {
                            self->on_watch(ec, n);
                          });
}

void Session::on_watch(error_code ec, size_t n) {
  watching_ = false;
  if (phase_ == Phase::kClosed) return;
  buffer_.commit(n);  // pipelined bytes of the next request
  if (phase_ == Phase::kUpgrade) {
    if (ec && ec != net::error::operation_aborted) {
      close_socket();
    } else {
      do_upgrade();
    }
    return;
  }
  if (ec && ec != net::error::operation_aborted) {
    close_socket();  // EOF or reset: the client has gone
    return;
  }
  if (phase_ == Phase::kDone) {
    do_read();
    return;
  }
  if (!ec) start_watch();
}

// ---- writing ----------------------------------------------------------------

void Session::send_response(const std::shared_ptr<Exchange>& ex, HttpResponse response) {
  if ((phase_ != Phase::kRead && phase_ != Phase::kHandler) || ex != ex_) return;
  phase_ = Phase::kRespond;
  const int status = response.status >= 200 && response.status <= 599 ? response.status : 500;
  const bool no_body = head_ || status == 204 || status == 304;
  ResponseHead head;
  head.status = status;
  head.content_type = std::move(response.content_type);
  head.headers = std::move(response.headers);
  set_request_id_header(&head.headers, record_.request_id);
  record_.status = status;
  if (status != 204) head.content_length = no_body && !head_ ? 0 : response.body.size();
  keep_alive_ = keep_alive_ && !state_->stopping();
  head.keep_alive = keep_alive_;
  std::string bytes = serialize_head(head);
  if (!no_body) bytes += response.body;
  end_after_flush_ = true;
  queue(std::move(bytes), 0);
}

void Session::begin_stream(const std::shared_ptr<Exchange>& ex, int status,
                           std::string content_type, Headers headers) {
  if (phase_ != Phase::kHandler || ex != ex_) return;
  if (status < 200 || status > 599) status = 500;
  phase_ = Phase::kStream;
  chunked_ = !http10_;
  keep_alive_ = keep_alive_ && chunked_ && !state_->stopping();
  ResponseHead head;
  head.status = status;
  head.content_type = std::move(content_type);
  head.headers = std::move(headers);
  set_request_id_header(&head.headers, record_.request_id);
  record_.status = status;
  head.chunked = chunked_;
  head.keep_alive = keep_alive_;
  queue(serialize_head(head), 0);
}

void Session::stream_data(const std::shared_ptr<Exchange>& ex, std::string data) {
  const size_t n = data.size();
  if (phase_ != Phase::kStream || ex != ex_ || end_after_flush_ || head_) {
    ex->sub_queued(n);
    return;
  }
  queue(chunked_ ? frame_chunk(data) : std::move(data), n);
}

void Session::stream_close(const std::shared_ptr<Exchange>& ex) {
  if (phase_ != Phase::kStream || ex != ex_ || end_after_flush_) return;
  end_after_flush_ = true;
  if (chunked_ && !head_) {
    queue(std::string(kLastChunk), 0);
  } else if (!writing_ && pending_.empty()) {
    finish_exchange();
  }
}

void Session::drop_client(const std::shared_ptr<Exchange>& ex) {
  if (ex == ex_) close_socket();
}

// ---- WebSocket upgrade --------------------------------------------------------

void Session::upgrade(const std::shared_ptr<Exchange>& ex,
                      std::shared_ptr<WebSocketHandler> handler) {
  if (phase_ != Phase::kHandler || ex != ex_ || !upgrade_request_ || !handler) return;
  if (state_->stopping()) {
    close_socket();
    return;
  }
  upgrade_handler_ = std::move(handler);
  phase_ = Phase::kUpgrade;
  if (watching_) {
    error_code ignored;
    socket_.cancel(ignored);  // on_watch() continues with do_upgrade()
    return;
  }
  do_upgrade();
}

// Hands the socket to a WsSession, which answers the handshake (and writes
// the access record), then ends this session. Bytes the client sent after
// its upgrade request, before our 101, break the protocol and are dropped.
void Session::do_upgrade() {
  disarm_timer();
  record_active_ = false;
  auto ws = std::make_shared<WsSession>(std::move(socket_), state_, strand_,
                                        std::move(upgrade_handler_), std::move(record_), started_);
  const std::shared_ptr<Session> keep = std::move(self_);
  const std::shared_ptr<Exchange> ex = std::move(ex_);
  phase_ = Phase::kClosed;
  ws->start(std::move(*upgrade_request_));  // registers the WebSocket before we leave
  upgrade_request_.reset();
  if (registered_) {
    registered_ = false;
    state_->remove_session(this);
  }
  if (ex) ex->finish();
}

void Session::queue(std::string bytes, size_t payload) {
  if (pending_.empty()) {
    pending_ = std::move(bytes);
  } else {
    pending_ += bytes;
  }
  pending_payload_ += payload;
  pump();
}

void Session::pump() {
  if (writing_ || pending_.empty() || phase_ == Phase::kClosed) return;
  inflight_.swap(pending_);
  pending_.clear();
  inflight_payload_ = pending_payload_;
  pending_payload_ = 0;
  writing_ = true;
  arm_timer(std::chrono::seconds(std::max(1, state_->options().write_timeout_s)));
  net::async_write(socket_, net::buffer(inflight_),
                   [self = shared_from_this()](error_code ec, size_t) { self->on_written(ec); });
}

void Session::on_written(error_code ec) {
  writing_ = false;
  if (phase_ == Phase::kClosed) return;
  disarm_timer();
  if (ec) {
    close_socket();  // the client has gone
    return;
  }
  if (ex_) ex_->sub_queued(inflight_payload_);
  inflight_payload_ = 0;
  if (inflight_.capacity() > (256u << 10)) {
    std::string().swap(inflight_);
  } else {
    inflight_.clear();
  }
  if (!pending_.empty()) {
    pump();
  } else if (end_after_flush_) {
    finish_exchange();
  }
}

void Session::finish_exchange() {
  end_after_flush_ = false;
  chunked_ = false;
  if (ex_) ex_->finish();
  ex_.reset();
  upgrade_request_.reset();
  end_record(false);
  const std::shared_ptr<Session> keep = std::move(self_);
  phase_ = Phase::kDone;
  if (!keep_alive_ || state_->stopping()) {
    if (linger_ && !watching_) {
      linger_close();
    } else {
      error_code ignored;
      socket_.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
      close_socket();
    }
    return;
  }
  if (watching_) {
    error_code ignored;
    socket_.cancel(ignored);  // on_watch() continues with do_read()
  } else {
    do_read();
  }
}

// ---- closing ----------------------------------------------------------------

void Session::linger_close() {
  phase_ = Phase::kLinger;
  error_code ignored;
  socket_.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  arm_timer(kLingerTime);
  linger_read();
}

void Session::linger_read() {
  socket_.async_read_some(net::buffer(discard_), [self = shared_from_this()](error_code ec, size_t) {
    if (self->phase_ == Phase::kClosed) return;
    if (ec) {
      self->close_socket();
    } else {
      self->linger_read();
    }
  });
}

void Session::close_socket() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  disarm_timer();
  error_code ignored;
  socket_.close(ignored);
  pending_.clear();
  pending_payload_ = 0;
  parser_.reset();
  upgrade_request_.reset();
  end_record(true);
  const std::shared_ptr<Exchange> ex = std::move(ex_);
  const std::shared_ptr<Session> keep = std::move(self_);
  if (registered_) {
    registered_ = false;
    state_->remove_session(this);
  }
  if (ex) ex->mark_gone();  // runs on_disconnect, outside any lock
}

void Session::arm_timer(std::chrono::steady_clock::duration after) {
  const uint64_t generation = ++timer_generation_;
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this(), generation](error_code ec) {
    if (ec || generation != self->timer_generation_) return;
    self->close_socket();
  });
}

void Session::disarm_timer() {
  ++timer_generation_;
  timer_.cancel();
}

}  // namespace impetus::http
