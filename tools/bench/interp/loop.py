def run(n):
    i = 0
    acc = 0
    while i < n:
        if i % 3 == 0:
            acc = acc + i
        elif i % 3 == 1:
            acc = acc - 1
        else:
            acc = acc + 2
        i = i + 1
    return acc
print(run(10000000))
