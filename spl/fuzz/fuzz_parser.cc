// libFuzzer target for the lexer and parser: any input must produce tokens, an AST and
// diagnostics without crashing, hanging or tripping ASan/UBSan. Build with -DSPL_FUZZ=ON
// (clang), run: build-fuzz/spl/spl_fuzz_parser -max_total_time=600 spl/fuzz/corpus
#include <cstddef>
#include <cstdint>
#include <string>

#include "parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  spl::SourceFile file("fuzz.spl", std::string(reinterpret_cast<const char*>(data), size));
  spl::AstArena arena;
  std::vector<spl::Diagnostic> errors;
  spl::parse_file(file, arena, errors);
  for (auto& e : errors) (void)spl::format_diagnostic(e);
  return 0;
}
