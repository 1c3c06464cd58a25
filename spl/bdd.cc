// The BDD DSL as builtins (docs/language.md, "The BDD test DSL"): describe/context print a heading
// and run their block, `it` runs hooks + block and prints "✓ name" or "✗ name" with the failure.
// `skip(name, block)` (and `xit`) beside `it` declares a skipped example, "○ name (skipped)";
// `skip("reason")` inside a running example stops it there (like RSpec's skip): its after_each
// hooks still run and it prints "○ name (skipped: reason)". expect(v) returns an expectation
// with .to / .not_to and the to_* methods; matchers are values (eq, contain, be_nil, ...).
#include "bdd.h"

#include "builtins_util.h"
#include "ops.h"

namespace spl {

std::unique_ptr<BddState> make_bdd_state() { return std::make_unique<BddState>(); }
void destroy_bdd_state(BddState* s) { delete s; }

namespace {

void out(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); }
std::string indent(int d) { return std::string(size_t(d) * 2, ' '); }

[[noreturn]] void expectation_failed(Interp& in, const Node* site, std::string msg) {
  auto info = in.make_error(site, std::move(msg));
  info->expectation = true;
  throw RuntimeError{info};
}

std::string block_name(Interp& in, CallArgs& a) {
  return a.argc ? in.to_display(a.argv[0]) : std::string("(unnamed)");
}

// An example (or hook) whose block returned Err(e) — directly or through `?` — failed: raise
// that as its error, with e's message.
void returned_err(Interp& in, const Value& r, const Node* site, const char* what) {
  if (!in.is_variant(r, 2, 1)) return;
  Value inner(r.as<EnumVal>()->payload);
  std::string msg;
  try {
    msg = in.error_message(inner);
  } catch (RuntimeError& e) {
    if (e.info->cancelled) throw;
    msg = repr(r);
  }
  throw RuntimeError{in.make_error(site, std::string(what) + " returned an error: " + msg)};
}

// Prints the headings of the groups around an example that is about to be shown.
void print_headings(BddState& st) {
  for (auto& h : st.headings) {
    if (h.printed) continue;
    out(indent(h.depth) + h.name + "\n");
    h.printed = true;
  }
}

// Whether the example `name` is selected by `spl test -k` (always, without a filter); counts
// it as deselected if not, and otherwise prints the headings it needs.
bool selected(BddState& st, const std::string& name) {
  if (!st.filter.empty()) {
    std::string full;
    for (auto& h : st.headings) full += h.name + " ";
    full += name;
    if (full.find(st.filter) == std::string::npos) {
      st.deselected++;
      return false;
    }
  }
  print_headings(st);
  return true;
}

Value b_describe(Interp& in, CallArgs& a) {
  want_args(in, a, 1, 2);
  BddState& st = in.bdd();
  st.headings.push_back({block_name(in, a), st.depth, false});
  if (st.filter.empty()) print_headings(st);
  struct PopHeading {
    BddState& st;
    ~PopHeading() { st.headings.pop_back(); }
  } pop{st};
  if (a.argc < 2) return Value();
  st.depth++;
  st.groups.push_back({});
  try {
    in.call0(a.argv[1]);
  } catch (RuntimeError& e) {
    if (e.info->cancelled) throw;  // (Ctrl-C, timeouts: never a test result)
    print_headings(st);
    st.failed++;
    in.flush_output();
    out(indent(st.depth) + "✗ error outside of an example\n");
    std::string r = e.info->render();
    out(r);
  }
  st.groups.pop_back();
  st.depth--;
  return Value();
}

Value b_it(Interp& in, CallArgs& a) {
  want_args(in, a, 1, 2);
  BddState& st = in.bdd();
  std::string name = block_name(in, a);
  if (st.in_example) in.error(a.site, "'it' cannot be nested inside another example");
  if (!selected(st, name)) return Value();
  if (a.argc < 2) {
    st.skipped++;
    out(indent(st.depth) + "○ " + name + " (pending)\n");
    return Value();
  }
  st.in_example = true;
  st.skip_signal = nullptr;
  std::shared_ptr<ErrorInfo> failure;
  try {
    for (auto& g : st.groups)
      for (auto& h : g.before_each) returned_err(in, in.call0(h), a.site, "a before_each hook");
    returned_err(in, in.call0(a.argv[1]), a.site, "the example");
  } catch (RuntimeError& e) {
    if (e.info->cancelled) {
      st.in_example = false;
      throw;
    }
    failure = e.info;
  }
  for (size_t gi = st.groups.size(); gi-- > 0;) {
    for (auto& h : st.groups[gi].after_each) {
      try {
        returned_err(in, in.call0(h), a.site, "an after_each hook");
      } catch (RuntimeError& e) {
        if (e.info->cancelled) throw;
        if (!failure) failure = e.info;
      }
    }
  }
  st.in_example = false;
  bool skipped = failure && failure == st.skip_signal;
  st.skip_signal = nullptr;
  if (skipped) {
    st.skipped++;
    out(indent(st.depth) + "○ " + name + " (skipped: " + failure->message + ")\n");
  } else if (!failure) {
    st.passed++;
    out(indent(st.depth) + "✓ " + name + "\n");
  } else {
    st.failed++;
    out(indent(st.depth) + "✗ " + name + "\n");
    std::string msg;
    if (failure->expectation) {
      msg = failure->message;
      if (failure->file) {
        int line, col;
        failure->file->line_col(failure->offset, &line, &col);
        msg += " (" + failure->file->path + ":" + std::to_string(line) + ")";
      }
    } else {
      msg = failure->render();
      while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    }
    size_t p = 0;
    while (p <= msg.size()) {
      size_t e = msg.find('\n', p);
      if (e == std::string::npos) e = msg.size();
      out(indent(st.depth + 2) + msg.substr(p, e - p) + "\n");
      p = e + 1;
    }
  }
  return Value();
}

Value b_skip(Interp& in, CallArgs& a) {
  want_args(in, a, 1, 2);
  BddState& st = in.bdd();
  if (st.in_example) {
    if (a.argc == 2)
      in.error(a.site, "'" + sym_name(a.name) +
                           "' with a block declares an example and cannot be nested inside another "
                           "example; call skip(\"reason\") to skip the running one");
    // Stops the running example. Raised like a failed expectation, so `with` blocks close
    // their resources and pass it on; `it` tells it from a failure by identity.
    auto info = in.make_error(a.site, in.to_display(a.argv[0]));
    info->expectation = true;
    st.skip_signal = info;
    throw RuntimeError{info};
  }
  std::string name = block_name(in, a);
  if (!selected(st, name)) return Value();
  st.skipped++;
  out(indent(st.depth) + "○ " + name + " (skipped)\n");
  return Value();
}

Value b_before_each(Interp& in, CallArgs& a) {
  want_args(in, a, 1, 1);
  in.bdd().groups.back().before_each.push_back(a.argv[0]);
  return Value();
}
Value b_after_each(Interp& in, CallArgs& a) {
  want_args(in, a, 1, 1);
  in.bdd().groups.back().after_each.push_back(a.argv[0]);
  return Value();
}

Value b_expect(Interp&, CallArgs& a) {
  Expectation* e = new Expectation();
  e->actual = a.argc ? a.argv[0] : Value();
  return Value(e);
}
Value b_expect_stmt(Interp& in, CallArgs& a) {
  const Value& v = a.argv[0];
  if (v.is(OK::Expectation)) return Value();
  if (!truthy(v)) expectation_failed(in, a.site, "expected a true condition, got " + repr(v));
  return Value();
}
Value b_fail(Interp& in, CallArgs& a) {
  expectation_failed(in, a.site, a.argc ? in.to_display(a.argv[0]) : std::string("failed"));
}

Value make_matcher(const char* kind, Value expected) {
  Matcher* m = new Matcher();
  m->kind = intern(kind);
  m->expected = std::move(expected);
  return Value(m);
}
#define MATCHER(fn, kind) \
  Value fn(Interp&, CallArgs& a) { return make_matcher(kind, a.argc ? a.argv[0] : Value()); }
MATCHER(m_eq, "eq")
MATCHER(m_be, "be")
MATCHER(m_contain, "contain")
MATCHER(m_gt, "gt")
MATCHER(m_lt, "lt")
MATCHER(m_gte, "gte")
MATCHER(m_lte, "lte")
MATCHER(m_have_length, "have_length")
MATCHER(m_start_with, "start_with")
MATCHER(m_end_with, "end_with")
MATCHER(m_be_nil, "be_nil")
MATCHER(m_be_true, "be_true")
MATCHER(m_be_false, "be_false")
MATCHER(m_be_empty, "be_empty")
MATCHER(m_be_some, "be_some")
MATCHER(m_be_none, "be_none")
MATCHER(m_be_ok, "be_ok")
MATCHER(m_be_err, "be_err")
MATCHER(m_be_truthy, "be_truthy")
MATCHER(m_be_falsy, "be_falsy")
MATCHER(m_raise_error, "raise_error")
#undef MATCHER

// Evaluates matcher `kind` against `actual`; fills `desc` ("equal 5").
bool check(Interp& in, const std::string& kind, const Value& actual, const Value& exp,
           const Node* site, std::string& desc) {
  auto len_of = [&](const Value& v) -> int64_t {
    Value self = v;
    Value n = in.call_method(self, intern("len"), nullptr, 0, site);
    return n.is_int() ? n.as_int() : -1;
  };
  if (kind == "eq" || kind == "be") {
    desc = "equal " + repr(exp);
    return values_equal(actual, exp);
  }
  if (kind == "contain") {
    desc = "contain " + repr(exp);
    return contains(in, actual, exp, site);
  }
  if (kind == "gt") {
    desc = "be greater than " + repr(exp);
    return less_than(in, exp, actual, site);
  }
  if (kind == "lt") {
    desc = "be less than " + repr(exp);
    return less_than(in, actual, exp, site);
  }
  if (kind == "gte") {
    desc = "be at least " + repr(exp);
    return !less_than(in, actual, exp, site);
  }
  if (kind == "lte") {
    desc = "be at most " + repr(exp);
    return !less_than(in, exp, actual, site);
  }
  if (kind == "have_length") {
    desc = "have length " + repr(exp);
    return exp.is_int() && len_of(actual) == exp.as_int();
  }
  if (kind == "start_with" || kind == "end_with") {
    desc = (kind == "start_with" ? "start with " : "end with ") + repr(exp);
    if (!actual.is(OK::Str) || !exp.is(OK::Str)) return false;
    std::string_view s = actual.as<Str>()->view();
    std::string_view p = exp.as<Str>()->view();
    if (p.size() > s.size()) return false;
    return kind == "start_with" ? s.compare(0, p.size(), p) == 0
                                : s.compare(s.size() - p.size(), p.size(), p) == 0;
  }
  if (kind == "be_nil") {
    desc = "be nil";
    return actual.is_nil() || in.is_variant(actual, 1, 1);
  }
  if (kind == "be_true") {
    desc = "be true";
    return actual.is_bool() && actual.as_bool();
  }
  if (kind == "be_false") {
    desc = "be false";
    return actual.is_bool() && !actual.as_bool();
  }
  if (kind == "be_truthy") {
    desc = "be truthy";
    return truthy(actual);
  }
  if (kind == "be_falsy") {
    desc = "be falsy";
    return !truthy(actual);
  }
  if (kind == "be_empty") {
    desc = "be empty";
    return len_of(actual) == 0;
  }
  if (kind == "be_some") {
    desc = "be Some(...)";
    return in.is_variant(actual, 1, 0);
  }
  if (kind == "be_none") {
    desc = "be None";
    return in.is_variant(actual, 1, 1) || actual.is_nil();
  }
  if (kind == "be_ok") {
    desc = "be Ok(...)";
    return in.is_variant(actual, 2, 0);
  }
  if (kind == "be_err") {
    desc = "be Err(...)";
    return in.is_variant(actual, 2, 1);
  }
  if (kind == "raise_error") {
    desc = "raise an error";
    try {
      in.call0(actual);
    } catch (RuntimeError& e) {
      if (e.info->expectation || e.info->cancelled) throw;
      if (exp.is(OK::Str)) {
        desc = "raise an error containing " + repr(exp);
        return e.info->message.find(exp.as<Str>()->view()) != std::string::npos;
      }
      return true;
    }
    return false;
  }
  in.error(site, "unknown matcher '" + kind + "'");
}

Value run_matcher(Interp& in, const Value& actual, const Value& m, bool negate, const Node* site) {
  std::string kind = "eq";
  Value exp = m;
  if (m.is(OK::Matcher)) {
    kind = sym_name(m.as<Matcher>()->kind);
    exp = m.as<Matcher>()->expected;
  }
  std::string desc;
  bool ok = check(in, kind, actual, exp, site, desc);
  if (ok == negate) {
    std::string what = kind == "raise_error" ? std::string("the block") : repr(actual);
    expectation_failed(in, site, "expected " + what + (negate ? " not to " : " to ") + desc);
  }
  return Value();
}

const Value& actual_of(const Value& self) {
  return self.is(OK::Expectation) ? self.as<Expectation>()->actual : self;
}

#define M(name) Value name(Interp& in, Value& self, CallArgs& a)
M(x_to) {
  want_args(in, a, 1, 1);
  return run_matcher(in, actual_of(self), a.argv[0], false, a.site);
}
M(x_not_to) {
  want_args(in, a, 1, 1);
  return run_matcher(in, actual_of(self), a.argv[0], true, a.site);
}
// to_<matcher>(expected?) and to_not_<matcher>
M(x_named) {
  std::string n = sym_name(a.name);
  bool negate = false;
  if (n.rfind("to_not_", 0) == 0 || n.rfind("not_to_", 0) == 0) {
    negate = true;
    n = n.substr(7);
  } else {
    n = n.substr(3);
  }
  static const std::unordered_map<std::string, std::string> alias = {
      {"equal", "eq"},
      {"eq", "eq"},
      {"be", "be"},
      {"contain", "contain"},
      {"include", "contain"},
      {"be_greater_than", "gt"},
      {"be_gt", "gt"},
      {"be_less_than", "lt"},
      {"be_lt", "lt"},
      {"be_gte", "gte"},
      {"be_greater_than_or_equal", "gte"},
      {"be_greater_or_equal", "gte"},
      {"be_lte", "lte"},
      {"be_less_than_or_equal", "lte"},
      {"be_less_or_equal", "lte"},
      {"start_with", "start_with"},
      {"end_with", "end_with"},
      {"be_nil", "be_nil"},
      {"be_none", "be_none"},
      {"be_some", "be_some"},
      {"be_ok", "be_ok"},
      {"be_err", "be_err"},
      {"be_true", "be_true"},
      {"be_false", "be_false"},
      {"be_truthy", "be_truthy"},
      {"be_falsy", "be_falsy"},
      {"be_empty", "be_empty"},
      {"have_length", "have_length"},
      {"raise", "raise_error"},
      {"raise_error", "raise_error"}};
  auto it = alias.find(n);
  if (it == alias.end()) in.error(a.site, "unknown expectation method '" + sym_name(a.name) + "'");
  return run_matcher(in, actual_of(self),
                     make_matcher(it->second.c_str(), a.argc ? a.argv[0] : Value()), negate,
                     a.site);
}
M(x_to_string) {
  (void)a;
  return make_str("expect(" + repr(actual_of(self)) + ")");
}
#undef M

}  // namespace

void install_bdd_builtins(Interp& in) {
  in.def_builtin("describe", b_describe, 1, 2);
  in.def_builtin("context", b_describe, 1, 2);
  in.def_builtin("feature", b_describe, 1, 2);
  in.def_builtin("it", b_it, 1, 2);
  in.def_builtin("example", b_it, 1, 2);
  in.def_builtin("skip", b_skip, 1, 2);
  in.def_builtin("xit", b_skip, 1, 2);
  in.def_builtin("before_each", b_before_each, 1, 1);
  in.def_builtin("after_each", b_after_each, 1, 1);
  in.def_builtin("expect", b_expect, 0, 1);
  in.def_builtin("__expect_stmt", b_expect_stmt, 1, 1);
  in.def_builtin("fail", b_fail, 0, 1);
  in.def_builtin("eq", m_eq, 1, 1);
  in.def_builtin("equal", m_eq, 1, 1);
  in.def_builtin("be", m_be, 1, 1);
  in.def_builtin("contain", m_contain, 1, 1);
  in.def_builtin("include", m_contain, 1, 1);
  in.def_builtin("gt", m_gt, 1, 1);
  in.def_builtin("lt", m_lt, 1, 1);
  in.def_builtin("gte", m_gte, 1, 1);
  in.def_builtin("lte", m_lte, 1, 1);
  in.def_builtin("have_length", m_have_length, 1, 1);
  in.def_builtin("start_with", m_start_with, 1, 1);
  in.def_builtin("end_with", m_end_with, 1, 1);
  in.def_builtin("be_nil", m_be_nil, 0, 0);
  in.def_builtin("be_true", m_be_true, 0, 0);
  in.def_builtin("be_false", m_be_false, 0, 0);
  in.def_builtin("be_truthy", m_be_truthy, 0, 0);
  in.def_builtin("be_falsy", m_be_falsy, 0, 0);
  in.def_builtin("be_empty", m_be_empty, 0, 0);
  in.def_builtin("be_some", m_be_some, 0, 0);
  in.def_builtin("be_none", m_be_none, 0, 0);
  in.def_builtin("be_ok", m_be_ok, 0, 0);
  in.def_builtin("be_err", m_be_err, 0, 0);
  in.def_builtin("raise_error", m_raise_error, 0, 1);

  MethodMap& x = in.methods_for(OK::Expectation);
  MethodMap& u = in.universal_methods();
  auto def = [&](const char* n, MethodFn f) {
    x[intern(n)] = f;
    u[intern(n)] = f;
  };
  def("to", x_to);
  def("not_to", x_not_to);
  def("to_not", x_not_to);
  for (const char* n : {"to_equal",
                        "to_eq",
                        "to_be",
                        "to_contain",
                        "to_include",
                        "to_be_greater_than",
                        "to_be_gt",
                        "to_be_less_than",
                        "to_be_lt",
                        "to_be_gte",
                        "to_be_greater_than_or_equal",
                        "to_be_greater_or_equal",
                        "to_be_lte",
                        "to_be_less_than_or_equal",
                        "to_be_less_or_equal",
                        "to_start_with",
                        "to_end_with",
                        "to_be_nil",
                        "to_be_none",
                        "to_be_some",
                        "to_be_ok",
                        "to_be_err",
                        "to_be_true",
                        "to_be_false",
                        "to_be_truthy",
                        "to_be_falsy",
                        "to_be_empty",
                        "to_have_length",
                        "to_raise",
                        "to_raise_error",
                        "to_not_equal",
                        "to_not_eq",
                        "to_not_be",
                        "to_not_contain",
                        "to_not_include",
                        "to_not_be_nil",
                        "to_not_be_none",
                        "to_not_be_empty",
                        "to_not_raise",
                        "to_not_raise_error",
                        "to_not_start_with",
                        "to_not_end_with"})
    def(n, x_named);
  x[intern("to_string")] = x_to_string;
}

}  // namespace spl
