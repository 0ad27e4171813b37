#include "store/disk_space.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace impetus {
namespace {

std::string gb(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GB", bytes / 1e9);
  return buf;
}

}  // namespace

StatusOr<uint64_t> free_disk_bytes(const std::string& dir) {
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) != 0) {
    return not_found("cannot stat the file system of " + dir + ": " + std::strerror(errno));
  }
  return static_cast<uint64_t>(vfs.f_bavail) * static_cast<uint64_t>(vfs.f_frsize);
}

Status check_disk_space(uint64_t available, uint64_t needed, double margin,
                        const std::string& dir) {
  const double want = std::ceil(static_cast<double>(needed) * margin);
  if (static_cast<double>(available) >= want) return ok_status();
  const int pct = static_cast<int>(std::lround((margin - 1.0) * 100.0));
  return resource_exhausted("not enough disk space: the download needs " + gb(want) + " (with " +
                            std::to_string(pct) + "% margin), " +
                            gb(static_cast<double>(available)) + " free in " + dir);
}

}  // namespace impetus
