// A WebSocket that records what is sent to it, for EventHub / EventSocket
// tests without a network.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "server/http/websocket.h"

namespace impetus::testing {

class FakeSocket : public http::WebSocket {
 public:
  struct Sent {
    std::string text;
    std::string key;
    nlohmann::json json() const { return nlohmann::json::parse(text); }
  };

  bool send(std::shared_ptr<const std::string> text, std::string_view key) override {
    std::lock_guard lock(mu_);
    if (closed_ || refuse_) return false;
    sent_.push_back({*text, std::string(key)});
    return true;
  }
  void close(uint16_t code, std::string reason) override {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    close_code_ = code;
    close_reason_ = std::move(reason);
  }
  bool closed() const override {
    std::lock_guard lock(mu_);
    return closed_;
  }
  const std::string& request_id() const override { return id_; }
  const std::string& remote() const override { return remote_; }

  void refuse() {
    std::lock_guard lock(mu_);
    refuse_ = true;
  }
  std::vector<Sent> sent() const {
    std::lock_guard lock(mu_);
    return sent_;
  }
  std::vector<nlohmann::json> messages() const {
    std::vector<nlohmann::json> out;
    for (const Sent& s : sent()) out.push_back(s.json());
    return out;
  }
  std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const auto& j : messages()) out.push_back(j["type"]);
    return out;
  }
  void clear() {
    std::lock_guard lock(mu_);
    sent_.clear();
  }
  uint16_t close_code() const {
    std::lock_guard lock(mu_);
    return close_code_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Sent> sent_;
  bool closed_ = false;
  bool refuse_ = false;
  uint16_t close_code_ = 0;
  std::string close_reason_;
  const std::string id_ = "req_fake";
  const std::string remote_ = "127.0.0.1:1";
};

}  // namespace impetus::testing
