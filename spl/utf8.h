// UTF-8 helpers for text indexed by code point (utf8.cc). No interpreter state: the parser's
// fuzz target links them without the evaluator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spl {

bool is_ascii(std::string_view s);
size_t utf8_length(std::string_view s);
std::vector<std::string> utf8_chars(std::string_view s);
std::string utf8_substr(std::string_view s, int64_t start,
                        int64_t end);  // code points [start,end)

}  // namespace spl
