// Interned identifiers: every name in a program becomes a small integer (Sym) so that fields,
// methods and variants compare and hash as integers. Not thread-safe (one interpreter thread).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace spl {

using Sym = uint32_t;  // 0 is "no name"

Sym intern(std::string_view s);
const std::string& sym_name(Sym s);

}  // namespace spl
