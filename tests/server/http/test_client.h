// Helpers for the HTTP server tests: a real server on 127.0.0.1 with an
// ephemeral port, a blocking client on Boost.Beast (whole responses, or a
// chunked body read chunk by chunk), raw-socket helpers with timeouts for
// malformed input and disconnects, and a bag of handler threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "server/http/http_server.h"

namespace impetus::http::test {

// Starts a server on 127.0.0.1:0 with `options` (host and port overridden);
// fails the current test (and returns null) if it cannot start.
std::unique_ptr<HttpServer> start_server(Router router, HttpServerOptions options = {});

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool keep_alive = false;
  std::string header(const std::string& name) const;
};

class Client {
 public:
  explicit Client(uint16_t port);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // One request/response on this connection (throws on a transport error).
  Reply request(const std::string& method, const std::string& target, const std::string& body = "",
                const std::vector<std::pair<std::string, std::string>>& headers = {});
  void send_raw(std::string_view bytes);
  // Everything the server sends until it closes the connection or `timeout`
  // passes (then timed_out, if given, is set).
  std::string read_until_close(std::chrono::milliseconds timeout, bool* timed_out = nullptr);
  // True if the server closes the connection within `timeout`.
  bool wait_closed(std::chrono::milliseconds timeout);
  // True if bytes (or EOF) become readable within `timeout`.
  bool wait_readable(std::chrono::milliseconds timeout);
  void close();

  boost::asio::ip::tcp::socket& socket() { return socket_; }
  boost::beast::flat_buffer& buffer() { return buffer_; }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

// Reads a chunked response incrementally with Beast's own parser.
class ChunkReader {
 public:
  // Reads the response header of a request already sent on `client`.
  explicit ChunkReader(Client& client);
  ChunkReader(const ChunkReader&) = delete;
  ChunkReader& operator=(const ChunkReader&) = delete;

  int status() const;
  std::string header(const std::string& name) const;
  bool chunked() const;
  // The next chunk; nullopt at the end of the body (or on an error, then
  // error() says which).
  std::optional<std::string> next();
  bool done() const { return parser_.is_done(); }
  const std::string& error() const { return error_; }

 private:
  Client& client_;
  // Beast keeps a reference to the chunk callback: it lives here, before the parser.
  std::function<std::size_t(std::uint64_t, boost::beast::string_view, boost::system::error_code&)>
      on_chunk_body_;
  boost::beast::http::response_parser<boost::beast::http::empty_body> parser_;
  std::string chunk_;
  std::string error_;
};

// Runs a shell command; returns its standard output.
std::string run_command(const std::string& command);

// Threads started by handlers, joined when the bag goes.
class ThreadBag {
 public:
  ~ThreadBag();
  template <typename Fn>
  void spawn(Fn fn) {
    std::lock_guard lock(mu_);
    threads_.emplace_back(std::move(fn));
  }

 private:
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

// Polls `pred` every few milliseconds until it holds or `timeout` passes.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace impetus::http::test
