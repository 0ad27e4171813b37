#include "server/http/request_id.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <thread>

namespace impetus::http {

bool is_sane_request_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char ch : id) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

std::string new_request_id() {
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    const uint64_t seed =
        (static_cast<uint64_t>(rd()) << 32) ^ rd() ^
        std::hash<std::thread::id>()(std::this_thread::get_id()) ^
        static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    return seed;
  }());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "req_";
  const uint64_t a = rng();
  const uint64_t b = rng();
  for (int i = 0; i < 16; ++i) id.push_back(kHex[(a >> (4 * i)) & 0xF]);
  for (int i = 0; i < 8; ++i) id.push_back(kHex[(b >> (4 * i)) & 0xF]);
  return id;
}

std::string request_id_from_header(std::string_view header_value) {
  return is_sane_request_id(header_value) ? std::string(header_value) : new_request_id();
}

}  // namespace impetus::http
