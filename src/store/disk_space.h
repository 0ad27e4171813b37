// Free disk space, checked before a download starts so that a model that
// cannot fit is refused at once (RESOURCE_EXHAUSTED, which the download
// routes answer with HTTP 507) rather than failing hours later.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/status.h"

namespace impetus {

// Bytes available to an unprivileged user on the file system holding `dir`
// (statvfs f_bavail * f_frsize). `dir` must exist.
StatusOr<uint64_t> free_disk_bytes(const std::string& dir);

// How the download manager learns the free space; tests inject a fake.
using FreeSpaceFn = std::function<StatusOr<uint64_t>(const std::string& dir)>;

// OK if `available` >= `needed` * `margin`; otherwise RESOURCE_EXHAUSTED
// with both figures in the message ("needs 4.37 GB (with 10% margin), 1.20 GB free in DIR").
Status check_disk_space(uint64_t available, uint64_t needed, double margin, const std::string& dir);

}  // namespace impetus
