// Module loading: finds `a.b.c` as a/b/c.spl or a/b/c/__init__.spl in the importing file's
// folder and its parents, then in the std_lib folder; `a.b.C` may also name item C of module
// a.b. Modules are parsed and resolved once and cached by real path; a module that imports
// itself (a cycle) sees the names declared so far instead of looping.
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

Module* Interp::load_module(const std::vector<Sym>& path, Module* from, const Node* site,
                            std::vector<Diagnostic>& errors, Sym* item_out) {
  *item_out = 0;
  std::string rel, dotted;
  for (size_t i = 0; i < path.size(); i++) {
    if (i) {
      rel += '/';
      dotted += '.';
    }
    rel += sym_name(path[i]);
    dotted += sym_name(path[i]);
  }
  std::string parent_rel = rel.substr(0, rel.rfind('/') == std::string::npos ? 0 : rel.rfind('/'));
  std::vector<std::string> dirs;
  std::string d = from ? from->dir : ".";
  for (int i = 0; i < 12; i++) {
    dirs.push_back(d);
    std::string up = dirname_of(d);
    if (up == d) break;
    d = up;
  }
  if (!stdlib_dir_.empty()) {
    // A std_lib module names other std_lib modules from the std_lib's root (`use file`
    // inside simple_std/cli/ means simple_std/file, not the sibling cli/file.spl), so for
    // importers inside the std_lib the root is searched first.
    const std::string root = stdlib_dir_ + "/";
    if (from && (from->dir + "/").compare(0, root.size(), root) == 0) {
      dirs.insert(dirs.begin(), stdlib_dir_);
    } else {
      dirs.push_back(stdlib_dir_);
    }
  }
  std::string found;
  bool as_item = false;
  for (auto& dir : dirs) {
    for (const char* suffix : {".spl", "/__init__.spl"}) {
      std::string p = dir + "/" + rel + suffix;
      if (is_file(p)) {
        found = p;
        break;
      }
    }
    if (!found.empty()) break;
    if (path.size() > 1) {
      for (const char* suffix : {".spl", "/__init__.spl"}) {
        std::string p = dir + "/" + parent_rel + suffix;
        if (is_file(p)) {
          found = p;
          as_item = true;
          break;
        }
      }
      if (!found.empty()) break;
    }
  }
  const SourceFile* sf = from ? from->file.get() : nullptr;
  uint32_t off = site ? site->off : 0;
  if (found.empty()) {
    errors.push_back({sf, off,
                      "cannot find module '" + dotted +
                          "' (searched the importing file's folder, its parents" +
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
