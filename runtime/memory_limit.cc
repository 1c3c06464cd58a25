// MemoryLimit implementation (see memory_limit.h).
#include "runtime/memory_limit.h"

#include <sys/sysinfo.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace spl::rt {
namespace {

// The number in a cgroup limit file; 0 for "max", a missing file or anything unreadable.
uint64_t ReadLimit(const std::string& file) {
  std::ifstream in(file);
  std::string word;
  if (!(in >> word) || word == "max") return 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(word.c_str(), &end, 10);
  return (end != nullptr && *end == '\0') ? v : 0;
}

// The smallest limit set on dir or any folder above it up to base (v1 "unlimited" is a huge
// number, which never wins).
uint64_t SmallestUpFrom(const std::string& base, std::string rel, const char* file, uint64_t best) {
  for (;;) {
    uint64_t v = ReadLimit(base + rel + "/" + file);
    if (v != 0) best = std::min(best, v);
    if (rel.empty() || rel == "/") break;
    size_t slash = rel.rfind('/');
    rel = slash == std::string::npos || slash == 0 ? std::string() : rel.substr(0, slash);
  }
  return best;
}

}  // namespace

uint64_t MemoryLimitFrom(const std::string& proc_cgroup, const std::string& root, uint64_t ram) {
  uint64_t best = ram != 0 ? ram : UINT64_MAX;
  std::istringstream lines(proc_cgroup);
  std::string line;
  while (std::getline(lines, line)) {
    // "hierarchy-id:controllers:path"; v2 is "0::/path".
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    std::string controllers = line.substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    if (path == "/") path.clear();
    if (controllers.empty()) {
      best = SmallestUpFrom(root, path, "memory.max", best);
      best = SmallestUpFrom(root + "/unified", path, "memory.max", best);
    } else {
      std::istringstream names(controllers);
      std::string name;
      while (std::getline(names, name, ',')) {
        if (name == "memory") {
          best = SmallestUpFrom(root + "/memory", path, "memory.limit_in_bytes", best);
        }
      }
    }
  }
  return best == UINT64_MAX ? (uint64_t{1} << 30) : best;
}

uint64_t MemoryLimit() {
  struct sysinfo si {};
  uint64_t ram = 0;
  if (::sysinfo(&si) == 0) ram = static_cast<uint64_t>(si.totalram) * si.mem_unit;
  std::ifstream in("/proc/self/cgroup");
  std::stringstream text;
  text << in.rdbuf();
  return MemoryLimitFrom(text.str(), "/sys/fs/cgroup", ram);
}

}  // namespace spl::rt
