#include "server/http/http_server.h"

#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "core/log.h"
#include "server/http/server_state.h"
#include "server/http/session.h"

namespace impetus::http {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

std::string endpoint_string(const tcp::endpoint& ep) {
  const std::string address = ep.address().to_string();
  const std::string port = std::to_string(ep.port());
  return ep.address().is_v6() ? "[" + address + "]:" + port : address + ":" + port;
}

// A periodic callback on the I/O threads (HttpServer::add_timer).
class PeriodicTimer {
 public:
  PeriodicTimer(net::io_context& io, const std::shared_ptr<ServerState>& state,
                std::chrono::milliseconds period, std::function<void()> fn)
      : state_(state),
        timer_(net::make_strand(io)),
        period_(std::max(period, std::chrono::milliseconds(1))),
        fn_(std::move(fn)) {}

  // Owned by the server's Impl, which outlives every callback it runs (the
  // I/O threads are joined before the timers are destroyed).
  void arm() {
    timer_.expires_after(period_);
    timer_.async_wait([this](error_code ec) {
      if (ec || state_->stopping()) return;
      try {
        fn_();
      } catch (const std::exception& e) {
        IMP_LOG(kError, "http: timer callback threw: ", e.what());
      } catch (...) {
        IMP_LOG(kError, "http: timer callback threw");
      }
      arm();
    });
  }

 private:
  const std::shared_ptr<ServerState> state_;
  net::steady_timer timer_;
  const std::chrono::milliseconds period_;
  const std::function<void()> fn_;
};

}  // namespace

struct HttpServer::Impl {
  Impl(HttpServerOptions options, Router router)
      : state(std::make_shared<ServerState>(std::move(options), std::move(router))) {}

  StatusOr<tcp::endpoint> resolve();
  void do_accept();
  void on_accept(error_code ec, const std::shared_ptr<Session>& session);
  void run_io();

  std::shared_ptr<ServerState> state;
  // Destroyed in reverse order: the I/O objects go before the io_context.
  net::io_context io;
  Session::Strand acceptor_strand{net::make_strand(io)};
  tcp::acceptor acceptor{acceptor_strand};
  net::steady_timer retry_timer{acceptor_strand};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::unique_ptr<PeriodicTimer>> timers;  // guarded by lifecycle_mu
  std::vector<std::thread> threads;
  uint16_t port = 0;
  std::mutex lifecycle_mu;  // start() / stop()
  bool started = false;
  bool stopped = false;
};

StatusOr<tcp::endpoint> HttpServer::Impl::resolve() {
  const HttpServerOptions& options = state->options();
  error_code ec;
  const net::ip::address address = net::ip::make_address(options.host, ec);
  if (!ec) return tcp::endpoint(address, options.port);
  tcp::resolver resolver(io);
  const auto results = resolver.resolve(options.host, std::to_string(options.port),
                                        tcp::resolver::passive, ec);
  if (ec || results.empty()) {
    return invalid_argument("cannot resolve host '" + options.host + "': " + ec.message());
  }
  return results.begin()->endpoint();
}

void HttpServer::Impl::do_accept() {
  auto session = std::make_shared<Session>(net::make_strand(io), state);
  acceptor.async_accept(session->socket(),
                        [this, session](error_code ec) { on_accept(ec, session); });
}

void HttpServer::Impl::on_accept(error_code ec, const std::shared_ptr<Session>& session) {
  if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
  if (ec) {
    // Out of descriptors and the like: back off instead of spinning.
    IMP_LOG(kWarn, "http: accept failed: ", ec.message());
    retry_timer.expires_after(std::chrono::milliseconds(100));
    retry_timer.async_wait([this](error_code wec) {
      if (!wec && acceptor.is_open()) do_accept();
    });
    return;
  }
  if (state->stopping()) return;  // the session closes its socket when destroyed
  error_code ep_ec;
  const tcp::endpoint remote = session->socket().remote_endpoint(ep_ec);
  std::string remote_text = ep_ec ? std::string() : endpoint_string(remote);
  net::post(session->strand(), [session, remote_text = std::move(remote_text)]() mutable {
    session->start(std::move(remote_text));
  });
  do_accept();
}

void HttpServer::Impl::run_io() {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception& e) {
      IMP_LOG(kError, "http: I/O thread caught: ", e.what());
    } catch (...) {
      IMP_LOG(kError, "http: I/O thread caught an unknown exception");
    }
  }
}

HttpServer::HttpServer(HttpServerOptions options, Router router)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(router))) {}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start() {
  Impl& m = *impl_;
  std::lock_guard lock(m.lifecycle_mu);
  if (m.started) return failed_precondition("the HTTP server was already started");
  IMP_ASSIGN_OR_RETURN(const tcp::endpoint endpoint, m.resolve());
  error_code ec;
  m.acceptor.open(endpoint.protocol(), ec);
  if (!ec) m.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) m.acceptor.bind(endpoint, ec);
  if (!ec) m.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    m.acceptor.close(ignored);
    return unavailable("cannot listen on " + endpoint_string(endpoint) + ": " + ec.message());
  }
  m.port = m.acceptor.local_endpoint(ec).port();
  m.state->set_gate_open(true);
  m.work.emplace(m.io.get_executor());
  net::post(m.acceptor_strand, [&m] { m.do_accept(); });
  for (auto& timer : m.timers) timer->arm();
  const int n_threads = std::max(1, m.state->options().n_threads);
  for (int i = 0; i < n_threads; ++i) m.threads.emplace_back([&m] { m.run_io(); });
  m.started = true;
  return ok_status();
}

uint16_t HttpServer::port() const { return impl_->port; }

size_t HttpServer::n_connections() const { return impl_->state->n_sessions(); }

void HttpServer::add_timer(std::chrono::milliseconds period, std::function<void()> fn) {
  Impl& m = *impl_;
  std::lock_guard lock(m.lifecycle_mu);
  if (m.stopped || !fn) return;
  m.timers.push_back(std::make_unique<PeriodicTimer>(m.io, m.state, period, std::move(fn)));
  if (m.started) m.timers.back()->arm();
}

void HttpServer::stop() {
  Impl& m = *impl_;
  std::lock_guard lock(m.lifecycle_mu);
  if (!m.started || m.stopped) return;
  m.stopped = true;
  m.state->set_stopping();
  net::post(m.acceptor_strand, [&m] {
    error_code ignored;
    m.acceptor.close(ignored);
    m.retry_timer.cancel();
  });
  // Idle connections close now; busy ones once their exchange completes.
  for (auto& session : m.state->sessions()) {
    net::post(session->strand(), [session] { session->server_stopping(); });
  }
  const auto grace = std::chrono::milliseconds(std::max(0, m.state->options().shutdown_grace_ms));
  if (!m.state->wait_no_sessions(grace)) {
    for (auto& session : m.state->sessions()) {
      net::post(session->strand(), [session] { session->force_close(); });
    }
    if (!m.state->wait_no_sessions(std::chrono::milliseconds(1000))) {
      IMP_LOG(kWarn, "http: ", m.state->n_sessions(), " connections still open at shutdown");
    }
  }
  m.state->set_gate_open(false);  // responders that outlive us post nothing more
  m.work.reset();
  m.io.stop();
  for (std::thread& thread : m.threads) thread.join();
  m.threads.clear();
}

}  // namespace impetus::http
