def run(n):
    base = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
    words = []
    i = 0
    while i < n:
        words.append(base[(i * 7 + i // 3) % 10])
        i += 1
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return counts
c = run(2000000)
print(len(c), c["alpha"])
