// Static checks that `spl check` runs after a module has resolved (spl run does not pay for
// them): calls to known functions and constructors with the wrong number of arguments or an
// unknown named argument (errors), and struct literals naming a field the struct does not
// declare (warnings: at run time such a field lives on that instance only). Only calls whose
// callee is a module-level `fn`/`struct`/`class` name are checked; anything dynamic is not.
#pragma once

#include <vector>

#include "interp.h"

namespace spl {

void check_module_calls(Interp& in, Module* m, std::vector<Diagnostic>& out);

}  // namespace spl
