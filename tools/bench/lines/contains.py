# Lines of a file: count those containing "needle", sum the line lengths (without "\n").
import sys

n = 0
total = 0
for line in open(sys.argv[1]):
    if "needle" in line:
        n += 1
    total += len(line) - 1
print(n, total)
