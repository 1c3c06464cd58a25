// Resolver: binds every name in a module to a slot before it runs: function locals (plain or
// boxed in a cell when an inner function captures them), upvalues, module globals (including
// names imported with use/import/export) and builtins. Unknown names are errors with a
// "did you mean" hint. Imports are loaded (and resolved) on the way. Nothing is executed.
#pragma once

#include <vector>

#include "interp.h"

namespace spl {

// Resolves `m` (which must be parsed). Appends problems to `errors`.
void resolve_module(Interp& in, Module* m, std::vector<Diagnostic>& errors);

}  // namespace spl
