s = ""
i = 0
while i < 300000:
    s += f"item {i},"
    i += 1
print(len(s))
