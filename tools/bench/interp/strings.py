def build(n):
    s = ""
    i = 0
    while i < n:
        s += f"item {i},"
        i += 1
    return s
print(len(build(300000)))
