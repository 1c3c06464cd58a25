// Test helper: a temporary directory removed with its contents at the end of the test, plus
// small helpers to write files of a given content or size. Tests only.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace spl::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "spl-test-XXXXXX").string();
    char* made = ::mkdtemp(tmpl.data());
    path_ = made != nullptr ? made : "";
    ::chmod(path_.c_str(), 0755);  // so a test child running as nobody can traverse it
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

  std::string Write(const std::string& name, const std::string& content) const {
    std::string p = Join(name);
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  // A file of `size` bytes: lines of "line NNNNNN\n" repeated, cut at size.
  std::string WriteSized(const std::string& name, uint64_t size) const {
    std::string p = Join(name);
    std::ofstream out(p, std::ios::binary);
    std::string block;
    for (int i = 0; block.size() < (1 << 16); ++i) block += "line " + std::to_string(i) + "\n";
    uint64_t left = size;
    while (left > 0) {
      uint64_t n = left < block.size() ? left : block.size();
      out.write(block.data(), static_cast<std::streamsize>(n));
      left -= n;
    }
    return p;
  }

 private:
  std::string path_;
};

// Number of open descriptors of this process.
inline int OpenFdCount() {
  int n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

}  // namespace spl::testing
