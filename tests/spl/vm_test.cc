// The VM (spl/vm.cc) and its compiler: every instruction is exercised by a golden program,
// and running code releases what it allocates (a computed goto skips destructors, so a
// handler holding a Value would leak on every execution).
#include <gtest/gtest.h>

#include <set>

#include "bytecode.h"
#include "test_util.h"

namespace spl {
namespace {

using test::run_source;

TEST(Vm, EveryInstructionIsUsedByAGoldenProgram) {
  std::set<std::string> seen;
  for (const char* name : {"vm_instructions.spl", "vm_binop.spl", "vm_panic.spl",
                           "vm_immediates.spl", "vm_split_index.spl"}) {
    Interp in;
    std::vector<Diagnostic> errors;
    Module* m = in.load_main(std::string(SPL_TEST_PROGRAMS) + "/" + name, errors);
    ASSERT_NE(m, nullptr) << name;
    std::string listing = dump_module(in, m);
    for (unsigned op = 0; op < unsigned(Opc::Count); op++) {
      std::string word = std::string(" ") + opcode_name(Opc(op)) + " ";
      if (listing.find(word) != std::string::npos) seen.insert(opcode_name(Opc(op)));
    }
  }
  // The loops of map, filter and each are not in any program's code: the VM runs them from
  // its own protos when a program calls those methods, as vm_loops.spl (and its _err_
  // programs, which check that errors never show these frames) do on both engines.
  {
    Interp in;
    std::vector<Diagnostic> errors;
    ASSERT_NE(in.load_main(std::string(SPL_TEST_PROGRAMS) + "/vm_loops.spl", errors), nullptr);
    for (int kind = 0; kind < 3; kind++) {
      std::string listing = disassemble(in, *vm_loop_proto(kind));
      for (const char* op : {"LOOP", "RETURN"})
        if (listing.find(std::string(" ") + op + " ") != std::string::npos) seen.insert(op);
    }
  }
  for (unsigned op = 0; op < unsigned(Opc::Count); op++)
    EXPECT_TRUE(seen.count(opcode_name(Opc(op))))
        << "no golden program uses " << opcode_name(Opc(op));
}

// `text.split(sep)[k]` with a constant k marks its CALLM (the piece may be made alone); a
// computed index or another method does not.
TEST(Vm, SplitWithAConstantIndexMarksItsCall) {
  auto path = test::write_temp(
      "fn main():\n    val i = 1\n    print(\"a b\".split(\" \")[-1])\n"
      "    print(\"a b\".split(\" \")[i], \"a b\".lines()[0])\n");
  Interp in;
  std::vector<Diagnostic> errors;
  Module* m = in.load_main(path, errors);
  ASSERT_NE(m, nullptr);
  std::string listing = dump_module(in, m);
  size_t marked = 0;
  for (size_t at = 0; (at = listing.find("(piece for the GETINDEXI)", at)) != std::string::npos;
       at++)
    marked++;
  EXPECT_EQ(marked, 1u) << listing;
  EXPECT_NE(listing.find(" GETINDEXI "), std::string::npos) << listing;
}

// Live objects after running `body` n times (as a loop in a function).
size_t live_after(const std::string& body, int n) {
  std::string src = "struct P:\n    x: i64\nfn work(i):\n" + body +
                    "\nfn main():\n    var i = 0\n"
                    "    while i < " +
                    std::to_string(n) + ":\n        work(i)\n        i += 1\n";
  auto path = test::write_temp(src);
  Interp in;
  std::vector<Diagnostic> errors;
  Module* m = in.load_main(path, errors);
  EXPECT_NE(m, nullptr);
  if (!m) return 0;
  EXPECT_EQ(in.run_main(m), 0);
  return heap_live_objects();
}

TEST(Vm, RunningCodeReleasesWhatItAllocates) {
  // Each body allocates in a different instruction (arrays, tuples, dicts, closures, fields,
  // method calls on builtins, interpolation, slices, casts, unpacking, await, with).
  const char* bodies[] = {
      "    let xs = [i, i + 1].map(\\x: x * 2)\n    xs.len()",
      // (the VM's own loops: a copy of the items, the result, each callback's value)
      "    let ys = [i, i + 1].filter(\\x: x > 0).map(\\x: [x, \"t\"])\n"
      "    ys.each(\\y: y.len())\n    ys.len()",
      "    let t = (i, \"a\")\n    let (a, b) = t\n    a",
      "    let d = {\"k\": [i]}\n    d[\"k\"].len()",
      "    let p = P(x: i)\n    p.x = p.x + 1\n    \"{p.x}:{i}\"",
      "    let s = \"abcdef\"\n    s[1:3] + (i as text)",
      "    var s = \"x\"\n    s.push(\"y\")\n    s.pop()",
      // (one piece of a split made alone, replacing the receiver's register)
      "    var s = \"a,{i},c\"\n    s = s.split(\",\")[1]\n    s.split(\",\")[-1]",
  };
  for (const char* body : bodies) {
    size_t small = live_after(body, 100);
    size_t big = live_after(body, 2000);
    EXPECT_EQ(small, big) << "objects leak per iteration in:\n" << body;
  }
}

}  // namespace
}  // namespace spl
