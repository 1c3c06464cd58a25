// Entry points of the VM (vm.cc), which runs compiled code (bytecode.h). The interpreter calls
// vm_execute for every Simple function call and vm_run_module for a module's top level when
// the VM engine is selected (Interp::use_vm).
#pragma once

#include <vector>

#include "interp.h"

namespace spl {

struct Proto;

// Calls a compiled (on first use) function: binds the arguments (errors are the caller's),
// runs its body in a new frame whose registers live on this native stack.
Value vm_execute(Interp& in, Function* fn, Value* argv, int argc, const Value* self,
                 const std::vector<Arg>* names, const Node* site);
// Runs a module-level Proto (top-level statements, or an expression thunk).
Value vm_run_module(Interp& in, Module* m, Proto* p);
// Evaluates an expression in a module's context (struct field defaults), compiled once.
Value vm_eval_expression(Interp& in, Module* m, Expr* e);
// `T { a: 1 }` construction (a struct, a class, or an enum variant `E.V { a: 1 }`).
Value vm_struct_literal(Interp& in, const Value& type, Value* argv, int argc,
                        const std::vector<Arg>* names, const Node* site);

}  // namespace spl
