// MappedFile: a read-only memory map of a whole file (RAII). Model weights
// are read straight from the mapping, so loading a model costs no copy and
// resident memory grows only with the pages actually touched.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/status.h"

namespace impetus {

// How a file's bytes reach memory: mapped (pages read on first touch, shared
// with the page cache) or read whole into private anonymous memory up front.
enum class FileLoadMode { kMmap, kRead };

class MappedFile {
 public:
  static StatusOr<std::unique_ptr<MappedFile>> open(const std::string& path,
                                                     FileLoadMode mode = FileLoadMode::kMmap);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }
  FileLoadMode mode() const { return mode_; }

 private:
  MappedFile() = default;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
  FileLoadMode mode_ = FileLoadMode::kMmap;
};

}  // namespace impetus
