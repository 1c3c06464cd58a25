def build(n):
    parts = []
    i = 0
    while i < n:
        parts.append(f"item {i}")
        i += 1
    return ",".join(parts)
print(len(build(300000)))
