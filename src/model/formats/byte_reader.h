// ByteReader: bounds-checked little-endian reads from an untrusted buffer.
// Every read either succeeds within the buffer or returns DATA_LOSS naming
// what was being read and where; nothing here can read out of bounds.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "core/status.h"

namespace impetus {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  size_t position() const { return pos_; }
  size_t remaining() const { return bytes_.size() - pos_; }

  template <typename T>
  Status read(T* out, const char* what) {
    if (remaining() < sizeof(T)) return truncated(what, sizeof(T));
    std::memcpy(out, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return ok_status();
  }

  // A GGUF string: u64 length then that many bytes (not NUL-terminated).
  Status read_string(std::string* out, const char* what, uint64_t max_len) {
    uint64_t len = 0;
    IMP_RETURN_IF_ERROR(read(&len, what));
    if (len > max_len) {
      return data_loss(std::string(what) + ": string length " + std::to_string(len) +
                       " exceeds the limit of " + std::to_string(max_len) + " at offset " +
                       std::to_string(pos_ - 8));
    }
    if (len > remaining()) return truncated(what, len);
    out->assign(reinterpret_cast<const char*>(bytes_.data() + pos_), static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return ok_status();
  }

 private:
  Status truncated(const char* what, uint64_t need) const {
    return data_loss(std::string("file truncated while reading ") + what + " at offset " +
                     std::to_string(pos_) + " (need " + std::to_string(need) + " bytes, " +
                     std::to_string(remaining()) + " left)");
  }

  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

}  // namespace impetus
