// Parser: tokens -> AST for one file. Recovers at statement boundaries so one run reports
// several errors; nesting deeper than a fixed limit is an error, not a crash. Does not resolve
// names or know anything about other modules.
#pragma once

#include <vector>

#include "ast.h"
#include "lexer.h"
#include "source.h"

namespace spl {

// Parses a whole file. Errors (lexer and parser) are appended to `errors`; the returned block
// holds every statement that parsed.
Block* parse_file(const SourceFile& file, AstArena& arena, std::vector<Diagnostic>& errors);

}  // namespace spl
