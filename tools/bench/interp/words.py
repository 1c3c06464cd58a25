base = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
words = []
i = 0
while i < 400000:
    words.append(base[(i * 7 + i // 3) % 10])
    i += 1
counts = {}
for w in words:
    counts[w] = counts.get(w, 0) + 1
print(len(counts), counts["alpha"])
