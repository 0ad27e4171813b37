// Sha256: streaming SHA-256 over OpenSSL's EVP interface, used to verify
// downloaded model files against the digest the Hugging Face Hub publishes
// for LFS files (the "lfs.oid" of a tree entry, the X-Linked-Etag header).
//
//   Sha256 h;
//   h.update(chunk1); h.update(chunk2);
//   std::string hex = h.hex_digest();  // 64 lower-case hex digits
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace impetus {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, size_t n);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // Ends the hash and returns it as lower-case hex; the object starts over afterwards.
  std::string hex_digest();
  // Forgets everything hashed so far.
  void reset();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// SHA-256 of a string, as lower-case hex.
std::string sha256_hex(std::string_view data);

// Hashes the first `n_bytes` bytes of the file at `path` into `hash` (the
// prefix of a partial download, when resuming). Fails if the file is shorter.
Status sha256_update_from_file(Sha256& hash, const std::string& path, uint64_t n_bytes);

// True if `s` is 64 hex digits (either case).
bool is_sha256_hex(std::string_view s);

}  // namespace impetus
