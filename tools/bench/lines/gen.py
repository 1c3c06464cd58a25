#!/usr/bin/python3
# Writes the line benchmark's input: ~N MiB of ASCII lines (a first word from a vocabulary of
# 1000, then words; every 97th line holds "needle"). usage: gen.py PATH [MIB]
import sys

path = sys.argv[1]
mib = int(sys.argv[2]) if len(sys.argv) > 2 else 100
target = mib * 1024 * 1024
words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
with open(path, "w") as f:
    size = 0
    i = 0
    while size < target:
        extra = " needle" if i % 97 == 0 else ""
        line = f"w{i % 1000} {words[i % 10]} {words[(i * 7) % 10]} item {i} of the set{extra} end\n"
        f.write(line)
        size += len(line)
        i += 1
