// Symbol table storage (see symbols.h).
#include "symbols.h"

#include <deque>
#include <unordered_map>

namespace spl {

namespace {
struct Table {
  std::deque<std::string> names{""};
  std::unordered_map<std::string_view, Sym> ids{{std::string_view(), 0}};
};
Table& table() {
  static Table t;
  return t;
}
}  // namespace

Sym intern(std::string_view s) {
  Table& t = table();
  auto it = t.ids.find(s);
  if (it != t.ids.end()) return it->second;
  t.names.emplace_back(s);
  Sym id = Sym(t.names.size() - 1);
  t.ids.emplace(std::string_view(t.names.back()), id);
  return id;
}

const std::string& sym_name(Sym s) { return table().names[s]; }

}  // namespace spl
