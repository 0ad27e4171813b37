#include "test_client.h"

#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cctype>
#include <cstdio>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <gtest/gtest.h>

namespace impetus::http::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string str(beast::string_view s) { return std::string(s.data(), s.size()); }

}  // namespace

std::unique_ptr<HttpServer> start_server(Router router, HttpServerOptions options) {
  options.host = "127.0.0.1";
  options.port = 0;
  auto server = std::make_unique<HttpServer>(std::move(options), std::move(router));
  const Status status = server->start();
  EXPECT_TRUE(status.ok()) << status.to_string();
  if (!status.ok()) return nullptr;
  EXPECT_NE(server->port(), 0);
  return server;
}

std::string Reply::header(const std::string& name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

Client::Client(uint16_t port) : socket_(io_) {
  socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
}

Reply Client::request(const std::string& method, const std::string& target,
                      const std::string& body,
                      const std::vector<std::pair<std::string, std::string>>& headers) {
  bhttp::request<bhttp::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(bhttp::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) req.insert(name, value);
  req.body() = body;
  if (!body.empty() || method == "POST") req.prepare_payload();
  bhttp::write(socket_, req);
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(1u << 30);
  if (method == "HEAD") parser.skip(true);
  bhttp::read(socket_, buffer_, parser);
  const auto& res = parser.get();
  Reply reply;
  reply.status = static_cast<int>(res.result_int());
  for (const auto& field : res) reply.headers[lower(str(field.name_string()))] = str(field.value());
  reply.body = res.body();
  reply.keep_alive = res.keep_alive();
  return reply;
}

void Client::send_raw(std::string_view bytes) {
  net::write(socket_, net::buffer(bytes.data(), bytes.size()));
}

bool Client::wait_readable(std::chrono::milliseconds timeout) {
  if (buffer_.size() > 0) return true;
  pollfd pfd{socket_.native_handle(), POLLIN, 0};
  return ::poll(&pfd, 1, static_cast<int>(timeout.count())) > 0;
}

std::string Client::read_until_close(std::chrono::milliseconds timeout, bool* timed_out) {
  std::string out(static_cast<const char*>(buffer_.data().data()), buffer_.size());
  buffer_.consume(buffer_.size());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (timed_out != nullptr) *timed_out = false;
  std::array<char, 16384> chunk;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !wait_readable(left)) {
      if (timed_out != nullptr) *timed_out = true;
      return out;
    }
    const ssize_t n = ::recv(socket_.native_handle(), chunk.data(), chunk.size(), 0);
    if (n <= 0) return out;  // EOF or reset
    out.append(chunk.data(), static_cast<size_t>(n));
  }
}

bool Client::wait_closed(std::chrono::milliseconds timeout) {
  bool timed_out = false;
  read_until_close(timeout, &timed_out);
  return !timed_out;
}

void Client::close() {
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

ChunkReader::ChunkReader(Client& client) : client_(client) {
  parser_.body_limit(boost::none);
  on_chunk_body_ = [this](std::uint64_t remain, beast::string_view body,
                          boost::system::error_code& ec) -> std::size_t {
    chunk_.append(body.data(), body.size());
    if (remain == body.size()) ec = bhttp::error::end_of_chunk;
    return body.size();
  };
  parser_.on_chunk_body(on_chunk_body_);
  bhttp::read_header(client_.socket(), client_.buffer(), parser_);
}

int ChunkReader::status() const { return static_cast<int>(parser_.get().result_int()); }

std::string ChunkReader::header(const std::string& name) const {
  const auto it = parser_.get().find(name);
  return it == parser_.get().end() ? std::string() : str(it->value());
}

bool ChunkReader::chunked() const { return parser_.chunked(); }

std::optional<std::string> ChunkReader::next() {
  chunk_.clear();
  while (!parser_.is_done()) {
    boost::system::error_code ec;
    bhttp::read(client_.socket(), client_.buffer(), parser_, ec);
    if (ec == bhttp::error::end_of_chunk) return chunk_;
    if (ec) {
      error_ = ec.message();
      return std::nullopt;
    }
  }
  if (!chunk_.empty()) return chunk_;
  return std::nullopt;
}

std::string run_command(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  ::pclose(pipe);
  return out;
}

ThreadBag::~ThreadBag() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    threads.swap(threads_);
  }
  for (std::thread& t : threads) t.join();
}

}  // namespace impetus::http::test
