// Internal side of the native tables: lookup by extern name and the Value that an
// `extern fn` declaration binds to. Native modules use native_api.h instead.
#pragma once

#include "../interp.h"
#include "native_api.h"

namespace spl {

const NativeReg* find_native(const std::string& name);
Value extern_function_value(Interp& in, FnDecl* d);
std::vector<std::pair<std::string, const NativeReg*>> all_natives();

}  // namespace spl
