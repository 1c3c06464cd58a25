// A loaded module: its source, AST, global variable storage and the names it makes visible
// (its own top-level names plus imported aliases). Loading and resolving live elsewhere.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "ast.h"
#include "source.h"
#include "value.h"

namespace spl {

struct Module : Obj {
  SPL_OBJ_BYTES(Module)
  enum class State { Parsed, Resolving, Resolved, Executing, Done, Failed };
  std::string name;  // dotted module name, or the script path for the main program
  std::string dir;   // folder of the file (module search starts here)
  std::unique_ptr<SourceFile> file;
  AstArena arena;
  Block* body = nullptr;
  std::deque<Value> globals;                         // stable addresses
  std::unordered_map<Sym, Value*> names;             // visible at module level (own + imported)
  std::unordered_map<Sym, Value*> own;               // declared in this module
  std::unordered_map<const Value*, Sym> slot_names;  // for "used before assignment" messages
  State state = State::Parsed;
  bool has_errors = false;
  // Names unknown when the module was resolved: looked up again when the code runs (late
  // binding); the message (with its "did you mean") is the error if they are still unknown.
  std::unordered_map<const NameExpr*, std::string> late_names;
  std::vector<struct Proto*> protos;  // compiled code of this module (owned; see ~Module)

  Module() : Obj(OK::Module) {}
  ~Module() override;  // (in compiler.cc, where Proto is complete)
  Value* declare(Sym s) {
    auto it = own.find(s);
    if (it != own.end()) return it->second;
    globals.push_back(Value::undef());
    Value* slot = &globals.back();
    own[s] = slot;
    names[s] = slot;
    slot_names[slot] = s;
    return slot;
  }
  void clear_refs() override;
};

}  // namespace spl
