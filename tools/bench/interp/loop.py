i = 0
acc = 0
while i < 3000000:
    if i % 3 == 0:
        acc = acc + i
    else:
        acc = acc - 1
    i = i + 1
print(acc)
