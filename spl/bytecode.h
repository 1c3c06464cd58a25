// The compiled form of Simple code: a register machine. Each function (and each module's top
// level) compiles once into a Proto: 8-byte instructions over a window of registers that
// lives on the running task's native stack (its fiber), constants, and side tables for inline
// caches and the rarer instructions' operands. This file is the one place the instruction set
// is documented; the compiler (compiler.cc) writes it, the VM (vm.cc) runs it, disasm.cc
// prints it (`spl run --dump`). No execution logic here.
//
// Registers: R[0..nlocals) are the resolver's local slots (for methods R[0] is self, then the
// parameters in order), temporaries follow. A captured local holds a Cell in its register.
// K[i] are constants, G[i] pointers to global storage (module names, builtins).
//
// Conditional jumps come in pairs (as in Lua): a test instruction followed by a JMP. The test
// either falls through to the JMP (the jump is taken) or skips it. "jump if false" below means:
// the JMP is taken when the condition does not hold.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ast.h"
#include "value.h"

namespace spl {

class Interp;
struct Module;

#define SPL_OPCODES(X)                                                                          \
  /* moves and constants */                                                                     \
  X(MOVE)      /* R[a] = R[b] */                                                                \
  X(LOADK)     /* R[a] = K[bx] */                                                               \
  X(LOADI)     /* R[a] = int sbx */                                                             \
  X(LOADNIL)   /* R[a] .. R[a+b] = nil */                                                       \
  X(LOADBOOL)  /* R[a] = bool b */                                                              \
  X(GETGLOBAL) /* R[a] = *G[bx] (error when not yet assigned) */                                \
  X(SETGLOBAL) /* *G[bx] = R[a] */                                                              \
  X(GETNAME)   /* R[a] = the late-bound name K[bx] (error if unknown; then GETGLOBAL) */        \
  X(GETCELL)   /* R[a] = R[b].cell (error naming K[c] when not yet assigned) */                 \
  X(SETCELL)   /* R[a].cell = R[b] */                                                           \
  X(GETUPV)    /* R[a] = captures[b].cell (error naming K[c] when not yet assigned) */          \
  X(SETUPV)    /* captures[b].cell = R[a] */                                                    \
  X(GETCAP)    /* R[a] = captures[b], a captured value (error naming K[c] when not assigned) */ \
  X(MKCELL)    /* R[a] = new Cell holding R[a] (captured locals, at function entry) */          \
  /* arithmetic and comparisons (ints fast, everything else through ops.cc) */                  \
  X(ADD) /* R[a] = R[b] + R[c] */                                                               \
  X(SUB)                                                                                        \
  X(MUL)                                                                                        \
  X(DIV)                                                                                        \
  X(MOD)                                                                                        \
  X(POW)                                                                                        \
  X(FLOORDIV)                                                                                   \
  X(BAND)                                                                                       \
  X(BOR)                                                                                        \
  X(BXOR)                                                                                       \
  X(SHL)                                                                                        \
  X(SHR)                                                                                        \
  X(ADDI) /* R[a] = R[b] + int16 c */                                                           \
  X(MULI) /* R[a] = R[b] * int16 c */                                                           \
  X(MODI) /* R[a] = R[b] % int16 c */                                                           \
  X(EQI)  /* R[a] = R[b] == int16 c (and the same for != < <= > >=) */                          \
  X(NEI)                                                                                        \
  X(LTI)                                                                                        \
  X(LEI)                                                                                        \
  X(GTI)                                                                                        \
  X(GEI)                                                                                        \
  X(EQ) /* R[a] = R[b] == R[c] */                                                               \
  X(NE)                                                                                         \
  X(LT) /* R[a] = R[b] < R[c] (> and >= swap operands) */                                       \
  X(LE)                                                                                         \
  X(IN) /* R[a] = R[b] in R[c] */                                                               \
  X(NOTIN)                                                                                      \
  X(IS)                                                                                         \
  X(NEG)   /* R[a] = -R[b] */                                                                   \
  X(NOT)   /* R[a] = not R[b] */                                                                \
  X(BNOT)  /* R[a] = ~R[b] */                                                                   \
  X(BINOP) /* R[a] = R[b] op R[c], op = Op(k) (the rarer operators) */                          \
  /* jumps (sbx: offset from the next instruction) */                                           \
  X(JMP) /* jump sbx; every backward jump (a loop's, taken by any jump or test-and-branch       \
            instruction) also checks for Ctrl-C */                                              \
  X(JF)  /* if not R[a]: jump sbx */                                                            \
  X(JT)  /* if R[a]: jump sbx */                                                                \
  X(BEQ) /* compare R[a] op R[b]; the next JMP is taken when the result == k */                 \
  X(BNE)                                                                                        \
  X(BLT)                                                                                        \
  X(BLE)                                                                                        \
  X(BEQI) /* compare R[a] op int16 b; the next JMP is taken when the result == k */             \
  X(BNEI)                                                                                       \
  X(BLTI)                                                                                       \
  X(BLEI)                                                                                       \
  X(BGTI)                                                                                       \
  X(BGEI)                                                                                       \
  /* calls */                                                                                   \
  X(CALL)     /* R[a] = R[a](R[a+1] .. R[a+b]) */                                               \
  X(CALLG)    /* R[a] = globals[c](R[a+1] .. R[a+b]): a module-level function called by name */ \
  X(CALLCAP)  /* R[a] = captures[b](R[a+1] .. R[a+k]): a captured value called (name K[c]) */   \
  X(CALLX)    /* R[a] = R[a](args) with named/spread args: shape in calls[c] */                 \
  X(CALLM)    /* R[a] = R[a].K[c](R[a+1] .. R[a+b]) with an inline cache at this pc; k=1:       \
                 a `split` whose result the next instruction (a GETINDEXI) indexes: a text      \
                 receiver may make that one piece into the GETINDEXI's R[a] and skip it */      \
  X(CALLMX)   /* method call with named/spread args: method and shape in calls[c] */            \
  X(MOVERECV) /* R[a] = R[b]: the receiver of the CALLM right after (a plain local, its         \
                 arguments already in place); a text, array, dict, tuple or range whose         \
                 builtin method that CALLM's cache holds is called here with R[b] itself as     \
                 self, and the CALLM is skipped (no copy of the receiver) */                    \
  X(RETURN)   /* return R[a] */                                                                 \
  X(RETNIL)   /* return nil */                                                                  \
  X(TRY)      /* `?`: Ok(v)/Some(v) in R[b]: R[a] = v, skip the next JMP; else R[a] =           \
                 R[b] and the next JMP (to the early-return path) is taken */                   \
  X(TRYRET)   /* leave with R[a] (an Err/None) as the result of `?` */                          \
  X(AWAIT)    /* R[a] = await R[b] */                                                           \
  /* values */                                                                                  \
  X(NEWARRAY)  /* R[a] = [R[b] .. R[b+c-1]] */                                                  \
  X(NEWTUPLE)  /* R[a] = (R[b] .. R[b+c-1]) */                                                  \
  X(NEWDICT)   /* R[a] = {R[b]: R[b+1], ...} with c pairs */                                    \
  X(NEWRANGE)  /* R[a] = R[b]..R[b+1] (k: inclusive) */                                         \
  X(CLOSURE)   /* R[a] = new function of lambdas[bx] capturing from this frame */               \
  X(INTERP)    /* R[a] = interpolation interps[c] of R[b] .. */                                 \
  X(GETFIELD)  /* R[a] = R[b].K[c] (inline cache at this pc) */                                 \
  X(SETFIELD)  /* R[a].K[c] = R[b] (inline cache at this pc) */                                 \
  X(GETINDEX)  /* R[a] = R[b][R[c]] */                                                          \
  X(GETINDEXI) /* R[a] = R[b][int16 c] */                                                       \
  X(SETINDEX)  /* R[a][R[b]] = R[c] */                                                          \
  X(SLICE)     /* R[a] = R[b][R[b+1] : R[b+2] : R[b+3]] (nil = open) */                         \
  X(CAST)      /* R[a] = R[b] as type K[c] */                                                   \
  X(UNPACK)    /* R[a] .. R[a+c-1] = the c items of the array/tuple R[b] */                     \
  X(TEXTMUT)   /* text mutator (push/pop/...): R[a].K[c](R[a+1] ..), result R[a], the           \
                  receiver (possibly replaced) into R[b] */                                     \
  /* patterns */                                                                                \
  X(MATCH) /* does R[a] match patterns[bx] (binding names)? k=0: the next JMP is taken          \
              when not; k=1: not matching is an error */                                        \
  /* loops */                                                                                   \
  X(FORPREP) /* iteration over R[a]: state in R[a] .. R[a+2] */                                 \
  X(FORNEXT) /* next item of the iteration at R[a] into R[b]; the next JMP (back to the loop's  \
                body) is taken when there is one */                                             \
  /* with / async with (exceptions inside run the exit handler; see Proto::handlers) */         \
  X(WITHENTER) /* resource R[a]: R[a+1] = exit fn, R[a+2] = entered value; k: async; an         \
                  Err resource takes the next JMP (early return) */                             \
  X(WITHEXIT)  /* normal exit of the with at R[a] (k: async) */                                 \
  /* declarations */                                                                            \
  X(DECLARE) /* run declaration stmts[bx] (struct, enum, trait, impl, use) in this frame */     \
  X(DEFAULT) /* parameter R[a] not given: compute its default (the code after this), or         \
                jump sbx when it was given */                                                   \
  X(PANIC)   /* runtime error K[bx] (a message) at this instruction */                          \
  /* array methods that call back per item (map, filter, each), run by the VM: only in the      \
     loop protos of vm_loop_proto(), whose frames are hidden (see Proto::hidden) */             \
  X(LOOP) /* R0 items, R1 callback, R2 index (nil: start), R3 result array, R4 the last         \
             callback's result: take R4 (map: push it; filter: push the item if it is true;     \
             k: 0 map, 1 filter, 2 each), then call R1(next item) into R4, returning to this    \
             instruction, or at the end R0 = the result and go to the RETURN after it */

enum class Opc : uint8_t {
#define SPL_OP_ENUM(name) name,
  SPL_OPCODES(SPL_OP_ENUM)
#undef SPL_OP_ENUM
      Count
};

const char* opcode_name(Opc op);

struct Instr {
  Opc op;
  uint8_t k = 0;  // small flag operand
  uint16_t a = 0;
  union {
    struct {
      uint16_t b, c;
    };
    int32_t sbx;
    uint32_t bx;
  };
  Instr() : op(Opc::MOVE), b(0), c(0) {}
};
static_assert(sizeof(Instr) == 8, "instructions are 8 bytes");

// Inline cache of one GETFIELD / SETFIELD / CALLM site.
struct InlineCache {
  const void* type = nullptr;  // StructType (fields, user methods) or a value kind tag
  uint32_t index = 0;          // field index
  Obj* fn = nullptr;           // user method (Function), pinned
  void* native = nullptr;      // builtin method (MethodFn)
  uint8_t native_kind = 255;   // OK of the receiver for `native`
  uint8_t loop = 255;          // `native` is map (0), filter (1) or each (2) of arrays
  Value* slot = nullptr;       // CALLM on a module (type == the Module): the item's storage
};

// Shape of a call with named or spread arguments (CALLX / CALLMX).
struct CallShape {
  Sym method = 0;               // CALLMX
  bool struct_literal = false;  // `T { a: 1 }` (T may also be an enum variant `E.V`)
  std::vector<Arg> args;        // names and spread flags (values are in registers)
  bool has_named = false;
  bool has_spread = false;
  const Node* site = nullptr;
  // Construction cache: the struct type last constructed here (pinned) when it has no
  // __init__, the arguments set each of its fields at most once, and every field they leave
  // out has no default or a literal one (StructType::default_values); ctor_fields[i] is
  // argument i's field.
  mutable Value ctor_type;
  mutable std::vector<uint32_t> ctor_fields;
};

// One `{...}` interpolation: literal pieces and how the expression registers are formatted.
struct InterpShape {
  const InterpExpr* expr;  // parts: text, or expression (+ spec) taken from registers in order
};

// `with` regions: an error raised by an instruction in [begin, end) runs the exit handler of
// the with whose registers start at `reg`; if it suppresses the error, execution goes on at
// `after`.
struct WithHandler {
  uint32_t begin, end, after;
  uint16_t reg;
  bool is_async;
};

struct Proto {
  std::string name;        // for dumps and traces
  FnDecl* decl = nullptr;  // null for a module's top level
  Module* module = nullptr;
  std::vector<Instr> code;
  std::vector<uint32_t> offs;  // source offset of each instruction
  std::vector<Value> consts;
  std::vector<Value*> globals;
  std::vector<Sym> global_names;    // for "used before it is assigned"
  std::vector<InlineCache> caches;  // by pc (only field/method sites use theirs)
  std::vector<FnDecl*> lambdas;
  std::vector<CallShape> calls;
  std::vector<InterpShape> interps;
  std::vector<Pattern*> patterns;
  std::vector<Stmt*> stmts;
  std::vector<WithHandler> handlers;
  std::vector<NameExpr*> late_names;                          // GETNAME operands
  std::vector<std::pair<const Expr*, Value>> pattern_consts;  // folded pattern literals
  uint32_t nregs = 0;
  uint32_t nlocals = 0;      // R[0..nlocals) are named locals (cleared when a call starts)
  uint32_t nparams = 0;      // parameters (self not counted)
  uint32_t first_param = 0;  // 1 for methods (R[0] is self)
  uint32_t body_pc = 0;      // first instruction after the parameter defaults
  bool variadic = false;
  bool is_module = false;
  // Every instruction is one that marks its frame dirty whenever it puts a reference in a
  // register (moves, arithmetic, comparisons, jumps, plain calls, returns: see vm.cc): a
  // flat call of it whose arguments are no references starts clean, and a clean frame's
  // return skips the release scan of its registers.
  bool numbers_only = false;
  // Builtin code (the loop protos): its frames are left out of stack traces and error
  // locations, as a native method's C++ frame is.
  bool hidden = false;
  // Drops the values this Proto holds (shutdown: before the heap is freed).
  void clear_values() {
    consts.clear();
    pattern_consts.clear();
    for (CallShape& c : calls) c.ctor_type = Value();  // (construction caches pin a type)
  }
  ~Proto();
};

// Compiles a function's body (once; the Proto is kept by the FnDecl), or a module's top-level
// statements other than the declarations exec_module runs first.
Proto* compile_function(Interp& in, FnDecl* d);
Proto* compile_module_body(Interp& in, Module* m, const std::vector<Stmt*>& stmts);
// A single expression evaluated in a module's context (struct field defaults).
Proto* compile_expression(Interp& in, Module* m, Expr* e);

// The code the VM runs for the array methods map (kind 0), filter (1) and each (2) when they
// call back a function: LOOP in a hidden frame whose registers start at the receiver (the
// callback is a flat call, not a new entry into the VM per item).
const Proto* vm_loop_proto(int kind);

// Human-readable listing of a Proto and the lambdas it creates (compiling them), and of a whole
// module: its top-level code and every function and method it declares (`spl run --dump`).
std::string disassemble(Interp& in, const Proto& p);
std::string dump_module(Interp& in, Module* m);

}  // namespace spl
