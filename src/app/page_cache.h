// The kernel's page cache for one file: how much of it is resident, and
// asking the kernel to drop it, so that load benchmarks can start cold (or
// say that they could not).
#pragma once

#include <cstdint>
#include <string>

namespace impetus::app {

// Bytes of the file now in the page cache (mincore over a fresh mapping); 0 on error.
uint64_t page_cache_resident_bytes(const std::string& path);
// posix_fadvise(DONTNEED) after a sync; true when the kernel took the advice
// (pages mapped by a running process stay resident regardless).
bool drop_page_cache(const std::string& path);

}  // namespace impetus::app
