// SHA-256 (store/sha256.h) against published test vectors and sha256sum,
// and the disk-space check (store/disk_space.h).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "store/disk_space.h"
#include "store/sha256.h"
#include "testing/paths.h"

namespace impetus {
namespace {

TEST(HubSha256, KnownVectors) {
  // FIPS 180-2 examples.
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(HubSha256, StreamingEqualsWholeAndResets) {
  std::string data(100000, '\0');
  std::mt19937 rng(7);
  for (char& c : data) c = static_cast<char>(rng());
  Sha256 h;
  for (size_t i = 0; i < data.size(); i += 997) h.update(data.substr(i, 997));
  EXPECT_EQ(h.hex_digest(), sha256_hex(data));
  h.update("abc");  // starts over after a digest
  EXPECT_EQ(h.hex_digest(), sha256_hex("abc"));
}

TEST(HubSha256, FilePrefixMatchesSha256sum) {
  const std::string dir = testing::scratch_dir("hub_sha256");
  const std::string path = dir + "/data.bin";
  std::string data(300000, '\0');
  std::mt19937 rng(11);
  for (char& c : data) c = static_cast<char>(rng());
  std::ofstream(path, std::ios::binary)
      .write(data.data(), static_cast<std::streamsize>(data.size()));
  Sha256 h;
  ASSERT_TRUE(sha256_update_from_file(h, path, data.size()).ok());
  const std::string ours = h.hex_digest();
  FILE* p = ::popen(("sha256sum " + path).c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[128] = {0};
  ASSERT_NE(std::fgets(buf, sizeof buf, p), nullptr);
  ::pclose(p);
  EXPECT_EQ(ours, std::string(buf, 64));
  ASSERT_TRUE(sha256_update_from_file(h, path, 1000).ok());
  EXPECT_EQ(h.hex_digest(), sha256_hex(data.substr(0, 1000)));
  EXPECT_EQ(sha256_update_from_file(h, path, data.size() + 1).code(), StatusCode::kDataLoss);
  EXPECT_TRUE(is_sha256_hex(ours));
  EXPECT_FALSE(is_sha256_hex(ours.substr(1)));
  EXPECT_FALSE(is_sha256_hex(std::string(64, 'g')));
}

TEST(HubDiskSpace, ChecksWithMargin) {
  EXPECT_TRUE(check_disk_space(1100, 1000, 1.1, "/m").ok());
  const Status st = check_disk_space(1099, 1000, 1.1, "/m");
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("/m"), std::string::npos);
  EXPECT_NE(st.message().find("10%"), std::string::npos);
  auto free = free_disk_bytes("/");
  ASSERT_TRUE(free.ok());
  EXPECT_GT(*free, 0u);
  EXPECT_FALSE(free_disk_bytes("/no/such/dir/here").ok());
}

}  // namespace
}  // namespace impetus
