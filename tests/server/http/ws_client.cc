#include "ws_client.h"

#include <boost/asio/connect.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <fstream>

namespace impetus::http::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

WsClient::WsClient(uint16_t port, const std::string& target,
                   const std::vector<std::pair<std::string, std::string>>& headers,
                   int receive_buffer_bytes)
    : ws_(io_) {
  boost::system::error_code ec;
  auto& sock = ws_.next_layer();
  sock.open(tcp::v4(), ec);
  if (!ec && receive_buffer_bytes > 0)
    sock.set_option(net::socket_base::receive_buffer_size(receive_buffer_bytes), ec);
  if (!ec) sock.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  if (ec) {
    error_ = "connect: " + ec.message();
    return;
  }
  ws_.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    for (const auto& [name, value] : headers) req.set(name, value);
  }));
  websocket::response_type res;
  ws_.handshake(res, "127.0.0.1", target, ec);
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    response_headers_[name] = std::string(field.value());
  }
  if (ec) {
    error_ = "handshake: " + ec.message() + " (status " + std::to_string(res.result_int()) + ")";
    return;
  }
  ok_ = true;
}

WsClient::~WsClient() {
  boost::system::error_code ignored;
  ws_.next_layer().close(ignored);
  io_.restart();
  io_.run_for(std::chrono::milliseconds(100));  // let cancelled handlers finish
}

std::string WsClient::response_header(const std::string& name) const {
  auto it = response_headers_.find(name);
  return it == response_headers_.end() ? std::string() : it->second;
}

void WsClient::write(const std::string& data, bool binary) {
  if (!ok_ || closed_) return;
  ws_.binary(binary);
  bool done = false;
  ws_.async_write(net::buffer(data), [&done](boost::system::error_code, size_t) { done = true; });
  io_.restart();
  while (!done && io_.run_one_for(std::chrono::seconds(5)) > 0) {
  }
  ws_.text(true);
}

void WsClient::send(const std::string& text) { write(text, false); }

void WsClient::send_binary(const std::string& bytes) { write(bytes, true); }

std::optional<std::string> WsClient::read(std::chrono::milliseconds timeout) {
  if (!ok_) return std::nullopt;
  if (!got_message_ && !reading_ && !closed_) {
    reading_ = true;
    ws_.async_read(buffer_, [this](boost::system::error_code ec, size_t) {
      reading_ = false;
      if (ec) {
        closed_ = true;
        close_code_ = static_cast<int>(ws_.reason().code);
        return;
      }
      got_message_ = true;
    });
  }
  io_.restart();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (reading_ && std::chrono::steady_clock::now() < deadline) {
    io_.run_one_until(deadline);
  }
  if (!got_message_) return std::nullopt;
  got_message_ = false;
  std::string message = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  return message;
}

std::optional<nlohmann::json> WsClient::read_json(std::chrono::milliseconds timeout) {
  auto text = read(timeout);
  if (!text) return std::nullopt;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return nlohmann::json{{"unparsable", *text}};
  return j;
}

std::optional<nlohmann::json> WsClient::read_type(const std::string& type,
                                                  std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto j = read_json(left);
    if (!j) return std::nullopt;
    if (j->value("type", "") == type) return j;
  }
}

void WsClient::close() {
  if (closed_ || !ok_) return;
  boost::system::error_code ec;
  ws_.async_close(websocket::close_code::normal, [](boost::system::error_code) {});
  io_.restart();
  io_.run_for(std::chrono::milliseconds(200));
  closed_ = true;
}

int thread_count() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

}  // namespace impetus::http::test
