// Module loading: finds `a.b.c` as a/b/c.spl or a/b/c/__init__.spl in the importing file's
// folder and its parents, then in the std_lib folder; `a.b.C` may also name item C of module
// a.b. Modules are parsed and resolved once and cached by real path; a module that imports
// itself (a cycle) sees the names declared so far instead of looping.
#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "interp.h"
#include "parser.h"
#include "resolver.h"

namespace spl {

static bool is_file(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

static std::string dirname_of(const std::string& p) {
  size_t s = p.rfind('/');
  if (s == std::string::npos) return ".";
  if (s == 0) return "/";
  return p.substr(0, s);
}

static std::string real_path(const std::string& p) {
  char buf[PATH_MAX];
  if (realpath(p.c_str(), buf)) return buf;
  return p;
}

Module* Interp::parse_module_file(const std::string& path, const std::string& name,
                                  std::vector<Diagnostic>& errors) {
  std::string text, why;
  if (!read_source_file(path, &text, &why)) {
    errors.push_back({nullptr, 0, "cannot read '" + path + "': " + why});
    return nullptr;
  }
  Module* m = new Module();
  std::string canon = real_path(path);
  modules_[canon] = Value(m);
  module_order_.push_back(m);
  m->name = name;
  m->dir = dirname_of(canon);
  m->file = std::make_unique<SourceFile>(path, std::move(text));
  size_t before = errors.size();
  m->body = parse_file(*m->file, m->arena, errors);
  if (errors.size() > before) m->has_errors = true;
  return m;
}

static bool is_dir_path(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The folder `rel` names as a module: rel.spl or rel/__init__.spl under `dir`, or "".
static std::string module_file(const std::string& dir, const std::string& rel) {
  for (const char* suffix : {".spl", "/__init__.spl"}) {
    std::string p = dir + "/" + rel + suffix;
    if (is_file(p)) return p;
  }
  return "";
}

// Where `use a.b.c` is looked up from a file in `from_dir` (docs/language.md, "Modules"):
//  1. the importing file's folder and up to 11 of its parents;
//  2. an upstream std_lib tree the file lives in: the nearest `simple/std_lib/src` or
//     `std_lib/src` above it;
//  3. this project's std_lib folder.
// A file inside one of the std_lib roots searches that root first (`use file` inside
// simple_std/cli/ means simple_std/file, not the sibling cli/file.spl).
std::vector<Interp::SearchDir> Interp::module_search_dirs(const std::string& from_dir) {
  std::vector<SearchDir> dirs;
  std::string d = from_dir;
  std::string upstream_root;
  for (int i = 0; i < 12; i++) {
    dirs.push_back({d, false});
    if (upstream_root.empty()) {
      for (const char* sub : {"/simple/std_lib/src", "/std_lib/src"}) {
        if (is_dir_path(d + sub)) {
          upstream_root = real_path(d + sub);
          break;
        }
      }
    }
    std::string up = dirname_of(d);
    if (up == d) break;
    d = up;
  }
  auto inside = [&](const std::string& root) {
    std::string r = root + "/";
    return (from_dir + "/").compare(0, r.size(), r) == 0;
  };
  for (const std::string& root : {upstream_root, stdlib_dir_}) {
    if (root.empty()) continue;
    if (inside(root))
      dirs.insert(dirs.begin(), {root, true});
    else
      dirs.push_back({root, true});
  }
  return dirs;
}

Module* Interp::load_module(const std::vector<Sym>& path, Module* from, const Node* site,
                            std::vector<Diagnostic>& errors, Sym* item_out) {
  *item_out = 0;
  auto join = [](const std::vector<Sym>& p, size_t b, size_t e, char sep) {
    std::string out;
    for (size_t i = b; i < e; i++) {
      if (i > b) out += sep;
      out += sym_name(p[i]);
    }
    return out;
  };
  std::string dotted = join(path, 0, path.size(), '.');
  std::vector<SearchDir> dirs = module_search_dirs(from ? from->dir : ".");
  // (A leading `std.`, as upstream writes `use std.spec`, is dropped by the parser.)
  auto find_in = [&](const SearchDir& dir, size_t count) {
    return module_file(dir.path, join(path, 0, count, '/'));
  };
  // First the whole path as a module everywhere, then `a.b.C` as item C of module a.b.
  std::string found;
  bool as_item = false;
  for (auto& dir : dirs)
    if (!(found = find_in(dir, path.size())).empty()) break;
  if (found.empty() && path.size() > 1) {
    for (auto& dir : dirs) {
      if (!(found = find_in(dir, path.size() - 1)).empty()) {
        as_item = true;
        break;
      }
    }
  }
  const SourceFile* sf = from ? from->file.get() : nullptr;
  uint32_t off = site ? site->off : 0;
  if (found.empty()) {
    // Last: a folder without __init__.spl is an empty module (a namespace, as upstream treats
    // `import test.*` for its test/ folder). Only after every file candidate, so a folder never
    // hides a module file further up the search path.
    for (auto& dir : dirs) {
      std::string folder = dir.path + "/" + join(path, 0, path.size(), '/');
      if (!is_dir_path(folder)) continue;
      std::string canon = real_path(folder);
      if (Module* m = module_by_path(canon)) return m;
      Module* m = new Module();
      modules_[canon] = Value(m);
      module_order_.push_back(m);
      m->name = dotted;
      m->dir = canon;
      m->file = std::make_unique<SourceFile>(folder, std::string());
      m->body = m->arena.make<Block>();
      m->state = Module::State::Resolved;
      return m;
    }
    std::string upstream;
    for (auto& d : dirs)
      if (d.is_stdlib && d.path != stdlib_dir_) upstream = ", the std_lib tree " + d.path;
    // "did you mean": modules next to where the last name was looked for.
    std::vector<std::string> cands;
    std::string parent = join(path, 0, path.size() - 1, '/');
    for (auto& d : dirs) {
      std::string folder = parent.empty() ? d.path : d.path + "/" + parent;
      if (DIR* dir = opendir(folder.c_str())) {
        while (dirent* e = readdir(dir)) {
          std::string n = e->d_name;
          if (n[0] == '.' || n == "__init__.spl") continue;
          if (n.size() > 4 && n.compare(n.size() - 4, 4, ".spl") == 0)
            cands.push_back(n.substr(0, n.size() - 4));
          else if (is_dir_path(folder + "/" + n))
            cands.push_back(n);
        }
        closedir(dir);
      }
    }
    std::string hint = closest_name(sym_name(path.back()), cands);
    if (!hint.empty())
      hint = " (did you mean '" +
             (parent.empty() ? hint : join(path, 0, path.size() - 1, '.') + "." + hint) + "'?)";
    errors.push_back({sf, off,
                      "cannot find module '" + dotted + "'" + hint +
                          " (searched the importing file's folder, its parents" + upstream +
                          (stdlib_dir_.empty() ? std::string(")")
                                               : ", and the std_lib folder " + stdlib_dir_ + ")")});
    return nullptr;
  }
  if (as_item) {
    *item_out = path.back();
    dotted = dotted.substr(0, dotted.rfind('.'));
  }
  std::string canon = real_path(found);
  if (Module* m = module_by_path(canon)) {
    if (m->has_errors) {
      errors.push_back({sf, off, "module '" + dotted + "' has errors"});
      return nullptr;
    }
    return m;  // cached (or being resolved: a cycle)
  }
  std::vector<Diagnostic> own;
  Module* m = parse_module_file(found, dotted, own);
  if (!m) {
    for (auto& e : own) errors.push_back(e);
    return nullptr;
  }
  if (!m->has_errors) resolve_module(*this, m, own);
  for (auto& e : own) errors.push_back(e);
  if (m->has_errors || !own.empty()) {
    m->has_errors = true;
    errors.push_back(
        {sf, off, "module '" + dotted + "' could not be loaded because of the errors above"});
    return nullptr;
  }
  return m;
}

}  // namespace spl
