// MemoryLimit: how much memory this process may use, for sizing one-pass scans: the smallest
// of the machine's RAM and every memory cgroup limit above the process (cgroup v2
// memory.max and v1 memory.limit_in_bytes, read through /proc/self/cgroup and walking up to
// the root of the hierarchy, since a parent's limit binds its children too).
// It does not watch the limit change, and does not count what is already in use.
#pragma once

#include <cstdint>
#include <string>

namespace spl::rt {

// The limit in bytes; never 0 (the RAM size when nothing else is known).
uint64_t MemoryLimit();

// The parsing behind MemoryLimit, with the files' locations given: for tests.
// proc_cgroup: the text of /proc/self/cgroup; root: where cgroup file systems are mounted
// (normally "/sys/fs/cgroup"); ram: the machine's RAM.
uint64_t MemoryLimitFrom(const std::string& proc_cgroup, const std::string& root, uint64_t ram);

}  // namespace spl::rt
