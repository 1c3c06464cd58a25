// UTF-8 helpers for text indexed by code point: character counts, splitting into characters,
// substrings by code-point range. Pure functions of bytes; no validation (texts are valid
// UTF-8 by the time they reach these) and no interpreter state.
#include "utf8.h"

#include <cstdint>
#include <cstring>

namespace spl {

bool is_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c & 0x80) return false;
  return true;
}

size_t utf8_length(std::string_view s) {
  // The character count is the byte count less the continuation bytes (those whose top two
  // bits are 10), which are counted 8 bytes at a time.
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0, cont = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    uint64_t hi = w & 0x8080808080808080ULL;
    if (!hi) continue;  // (all ASCII)
    // a continuation byte has bit 7 set and bit 6 clear
    uint64_t c = hi & ~((w << 1) & 0x8080808080808080ULL);
    cont += size_t(__builtin_popcountll(c));
  }
  for (; i < n; i++)
    if ((p[i] & 0xC0) == 0x80) cont++;
  return n - cont;
}

std::vector<std::string> utf8_chars(std::string_view s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    size_t j = i + 1;
    while (j < s.size() && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) j++;
    out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string utf8_substr(std::string_view s, int64_t start, int64_t end) {
  if (is_ascii(s)) {
    if (start >= end) return "";
    return std::string(s.substr(size_t(start), size_t(end - start)));
  }
  size_t cp = 0, b = s.size(), e = s.size();
  for (size_t i = 0; i <= s.size(); i++) {
    if (i == s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (int64_t(cp) == start) b = i;
      if (int64_t(cp) == end) {
        e = i;
        break;
      }
      cp++;
    }
  }
  if (b >= e) return "";
  return std::string(s.substr(b, e - b));
}

}  // namespace spl
