// A WebSocket client for the server tests, on Boost.Beast: connects to
// 127.0.0.1:<port>, handshakes (optionally with extra request headers),
// sends text, and reads messages with a timeout. It has no thread: its
// io_context runs only inside read() and send(), so between calls it
// neither reads nor answers pings -- a "slow client" is one that does not
// call read(). A read that times out stays pending and is resumed by the
// next read(), so no message is lost.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace impetus::http::test {

class WsClient {
 public:
  // Connects and handshakes; ok() says whether it worked.
  explicit WsClient(uint16_t port, const std::string& target = "/ws",
                    const std::vector<std::pair<std::string, std::string>>& headers = {},
                    int receive_buffer_bytes = 0);
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;
  ~WsClient();

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  // A header of the handshake response (name lower-cased), "" if absent.
  std::string response_header(const std::string& name) const;

  void send(const std::string& text);
  void send_binary(const std::string& bytes);
  // The next message, or nullopt on timeout or once the connection ended
  // (then closed() is true and close_code() says why, 0 if no close frame).
  std::optional<std::string> read(std::chrono::milliseconds timeout);
  // The next message parsed as JSON (nullopt as for read()).
  std::optional<nlohmann::json> read_json(std::chrono::milliseconds timeout);
  // Reads until a message of this "type" (skipping others) or the timeout.
  std::optional<nlohmann::json> read_type(const std::string& type,
                                          std::chrono::milliseconds timeout);
  bool closed() const { return closed_; }
  int close_code() const { return close_code_; }
  // Sends a close frame and waits (briefly) for the server's.
  void close();

 private:
  void write(const std::string& data, bool binary);

  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
  boost::beast::flat_buffer buffer_;
  std::map<std::string, std::string> response_headers_;
  bool ok_ = false;
  std::string error_;
  bool reading_ = false;  // an async_read is pending
  bool got_message_ = false;
  bool closed_ = false;
  int close_code_ = 0;
};

// Counts the threads of this process (/proc/self/status).
int thread_count();

}  // namespace impetus::http::test
