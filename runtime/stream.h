// ReadToEnd: reads a descriptor to EOF into an owned buffer, for what cannot be mapped:
// pseudo files (/proc, /sys: size 0), and non-seekable inputs (pipes, FIFOs, character
// devices such as /dev/null or a terminal, standard input). It waits with poll(2), so a FIFO
// with no writer yet or a terminal with nothing typed is waited for, not taken as EOF, and a
// wait can be cancelled (checked every 100 ms). Past `limit` bytes it fails with TooLarge.
// It does not decide which files take this path: strategy.h does.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "runtime/status.h"

namespace spl::rt {

struct ReadBuffer {
  std::unique_ptr<uint8_t[]> data;
  size_t size = 0;
};

// `what` names the kind of input in the TooLarge message ("a pseudo file", "a stream").
// cancel may be null (then only EOF or an error ends the read); when it becomes true the read
// ends with Cancelled.
Result<ReadBuffer> ReadToEnd(int fd, const std::string& path, uint64_t limit, const char* what,
                             const std::atomic<bool>* cancel);

}  // namespace spl::rt
