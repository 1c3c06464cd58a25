// `spl run --dump`: a listing of compiled code (bytecode.h), one instruction per line with its
// source line, operands, and the constant, global, field or method name it refers to. The
// lambdas a function creates are listed after it. Debugging aid; nothing runs here.
#include <cstdio>

#include "bytecode.h"
#include "module.h"

namespace spl {

namespace {

std::string const_text(const Proto& p, uint32_t k) {
  if (k >= p.consts.size()) return "?";
  return repr(p.consts[k]);
}

std::string sym_const(const Proto& p, uint32_t k) {
  if (k >= p.consts.size() || !p.consts[k].is_int()) return "?";
  return sym_name(Sym(p.consts[k].as_int()));
}

void list(const Proto& p, std::string& out, std::vector<const FnDecl*>& nested) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s %s: %u registers, %u parameters%s, body at %u%s\n",
                p.is_module ? "module" : "fn", p.name.c_str(), p.nregs, p.nparams,
                p.variadic ? " (variadic)" : "", p.body_pc,
                p.numbers_only && !p.is_module ? ", numbers only" : "");
  out += buf;
  for (size_t i = 0; i < p.code.size(); i++) {
    const Instr& in = p.code[i];
    int line = 0, col = 0;
    if (p.module && p.module->file) p.module->file->line_col(p.offs[i], &line, &col);
    std::snprintf(buf, sizeof buf, "  %4zu  %4d  %-10s a=%-4u", i, line, opcode_name(in.op),
                  unsigned(in.a));
    std::string s = buf;
    switch (in.op) {
      case Opc::LOADK:
        s += " " + const_text(p, in.bx);
        break;
      case Opc::LOADI:
        s += " " + std::to_string(in.sbx);
        break;
      case Opc::GETGLOBAL:
      case Opc::SETGLOBAL:
        s += " G" + std::to_string(in.bx) +
             (in.bx < p.global_names.size() && p.global_names[in.bx]
                  ? " (" + sym_name(p.global_names[in.bx]) + ")"
                  : "");
        break;
      case Opc::CALLG:
        s += " b=" + std::to_string(in.b) + " G" + std::to_string(in.c) +
             (in.c < p.global_names.size() && p.global_names[in.c]
                  ? " (" + sym_name(p.global_names[in.c]) + ")"
                  : "");
        break;
      case Opc::CALLCAP:
        s += " b=" + std::to_string(in.b) + " args=" + std::to_string(in.k) + " " +
             sym_const(p, in.c);
        break;
      case Opc::GETNAME:
        s += " " + sym_name(p.late_names[in.bx]->name) + " (late-bound)";
        break;
      case Opc::JMP:
      case Opc::JF:
      case Opc::JT:
      case Opc::DEFAULT:
        s += " -> " + std::to_string(int64_t(i) + 1 + in.sbx);
        break;
      case Opc::GETFIELD:
      case Opc::SETFIELD:
      case Opc::CAST:
      case Opc::TEXTMUT:
      case Opc::GETCELL:
      case Opc::GETUPV:
      case Opc::GETCAP:
        s += " b=" + std::to_string(in.b) + " " + sym_const(p, in.c);
        break;
      case Opc::CLOSURE:
        s += " " + sym_name(p.lambdas[in.bx]->name);
        nested.push_back(p.lambdas[in.bx]);
        break;
      case Opc::MATCH:
        s += " pattern " + std::to_string(in.bx) + (in.k ? " (or error)" : "");
        break;
      case Opc::DECLARE:
        s += " declaration " + std::to_string(in.bx);
        break;
      case Opc::PANIC:
        s += " " + const_text(p, in.bx);
        break;
      case Opc::BEQI:
      case Opc::BNEI:
      case Opc::BLTI:
      case Opc::BLEI:
      case Opc::BGTI:
      case Opc::BGEI:
        s += " imm=" + std::to_string(int16_t(in.b)) + " jump-if=" + std::to_string(in.k);
        break;
      case Opc::BEQ:
      case Opc::BNE:
      case Opc::BLT:
      case Opc::BLE:
        s += " b=" + std::to_string(in.b) + " jump-if=" + std::to_string(in.k);
        break;
      case Opc::CALLM:
        s += " b=" + std::to_string(in.b) + " " + sym_const(p, in.c) +
             (in.k ? " (piece for the GETINDEXI)" : "");
        break;
      case Opc::GETINDEXI:
      case Opc::ADDI:
      case Opc::MULI:
      case Opc::MODI:
      case Opc::EQI:
      case Opc::NEI:
      case Opc::LTI:
      case Opc::LEI:
      case Opc::GTI:
      case Opc::GEI:
        s += " b=" + std::to_string(in.b) + " imm=" + std::to_string(int16_t(in.c));
        break;
      default:
        s += " b=" + std::to_string(in.b) + " c=" + std::to_string(in.c);
        if (in.k) s += " k=" + std::to_string(in.k);
        break;
    }
    out += s + "\n";
  }
  for (auto& h : p.handlers) {
    std::snprintf(buf, sizeof buf, "  with handler: [%u, %u) registers %u.. -> %u%s\n", h.begin,
                  h.end, unsigned(h.reg), h.after, h.is_async ? " (async)" : "");
    out += buf;
  }
}

}  // namespace

std::string disassemble(Interp& in, const Proto& p) {
  std::string out;
  std::vector<const FnDecl*> nested;
  list(p, out, nested);
  for (size_t i = 0; i < nested.size(); i++) {
    FnDecl* d = const_cast<FnDecl*>(nested[i]);
    if (!d->body) continue;
    out += "\n";
    list(*compile_function(in, d), out, nested);
  }
  return out;
}

std::string dump_module(Interp& in, Module* m) {
  std::string out;
  std::vector<Stmt*> top;
  auto fns = [&](const std::vector<FnDecl*>& methods) {
    for (FnDecl* f : methods)
      if (f->body) out += "\n" + disassemble(in, *compile_function(in, f));
  };
  for (Stmt* s : m->body->stmts) {
    switch (s->kind) {
      case SK::Fn:
        if (!static_cast<FnDecl*>(s)->is_extern) fns({static_cast<FnDecl*>(s)});
        if (!static_cast<FnDecl*>(s)->decorators.empty()) top.push_back(s);
        break;
      case SK::Struct:
        fns(static_cast<StructDecl*>(s)->methods);
        break;
      case SK::Enum:
        fns(static_cast<EnumDecl*>(s)->methods);
        break;
      case SK::Trait:
        fns(static_cast<TraitDecl*>(s)->methods);
        break;
      case SK::Impl:
        fns(static_cast<ImplDecl*>(s)->methods);
        break;
      case SK::Use:
      case SK::Export:
        break;
      default:
        top.push_back(s);
    }
  }
  return disassemble(in, *compile_module_body(in, m, top)) + out;
}

}  // namespace spl
