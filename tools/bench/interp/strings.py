def build(n):
    parts = []
    i = 0
    while i < n:
        parts.append(f"item {i} of {n}")
        i += 1
    return ",".join(parts)
print(len(build(1500000)))
