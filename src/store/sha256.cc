#include "store/sha256.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <vector>

namespace impetus {

struct Sha256::Ctx {
  EVP_MD_CTX* md = nullptr;
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  IMP_CHECK(ctx_->md != nullptr, "EVP_MD_CTX_new failed");
  reset();
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_->md); }

void Sha256::reset() {
  IMP_CHECK(EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) == 1, "EVP_DigestInit_ex failed");
}

void Sha256::update(const void* data, size_t n) {
  if (n == 0) return;
  IMP_CHECK(EVP_DigestUpdate(ctx_->md, data, n) == 1, "EVP_DigestUpdate failed");
}

std::string Sha256::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  IMP_CHECK(EVP_DigestFinal_ex(ctx_->md, digest, &len) == 1, "EVP_DigestFinal_ex failed");
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  reset();
  return out;
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex_digest();
}

Status sha256_update_from_file(Sha256& hash, const std::string& path, uint64_t n_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return not_found("cannot open " + path + ": " + std::strerror(errno));
  std::vector<char> buf(1 << 20);
  uint64_t left = n_bytes;
  Status st;
  while (left > 0) {
    const size_t want = left < buf.size() ? static_cast<size_t>(left) : buf.size();
    const ssize_t got = ::read(fd, buf.data(), want);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      st = data_loss("cannot read " + path + ": " + std::strerror(errno));
      break;
    }
    if (got == 0) {
      st = data_loss(path + " is shorter than " + std::to_string(n_bytes) + " bytes");
      break;
    }
    hash.update(buf.data(), static_cast<size_t>(got));
    left -= static_cast<uint64_t>(got);
  }
  ::close(fd);
  return st;
}

bool is_sha256_hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace impetus
