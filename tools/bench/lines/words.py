# Lines of a file: split each on " " and count the first words in a dict.
import sys

counts = {}
for line in open(sys.argv[1]):
    w = line.split(" ")[0]
    counts[w] = counts.get(w, 0) + 1
print(len(counts), counts["w7"])
