// Runtime error objects: a message, the location where it happened and a Simple-level stack
// trace. Thrown as C++ exceptions inside the interpreter only; never across the natives API.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "source.h"
#include "value.h"

namespace spl {

struct TraceEntry {
  const SourceFile* file;
  uint32_t offset;
  std::string function;
};

struct ErrorInfo {
  std::string message;
  const SourceFile* file = nullptr;
  uint32_t offset = 0;
  std::vector<TraceEntry> trace;  // innermost first
  Value payload;                  // the Err value for `with` Err(e) propagation, else nil
  bool expectation = false;       // a failed BDD expectation
  bool cancelled = false;         // the task was cancelled (shutdown, timeout, Ctrl-C)
  std::string render() const;     // diagnostic + "stack trace" lines
};

struct RuntimeError {
  std::shared_ptr<ErrorInfo> info;
};

// `?` on Err/None: unwinds to the enclosing function, which returns `value`.
struct TryReturn {
  Value value;
};

// sys_exit(code): unwinds everything and ends the program.
struct ExitRequest {
  int code;
};

}  // namespace spl
