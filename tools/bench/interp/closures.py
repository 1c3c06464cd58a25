def compose(f, g):
    return lambda x: f(g(x))

def run(n):
    inc = lambda x: x + 1
    dbl = lambda x: x * 2
    both = compose(inc, dbl)
    total = 0
    rnd = 0
    while rnd < n:
        xs = [rnd, rnd + 1, rnd + 2, rnd + 3, rnd + 4, rnd + 5, rnd + 6, rnd + 7]
        ys = list(filter(lambda v: v % 3 != 0, map(both, xs)))
        for y in ys:
            total = total + y
        rnd += 1
    return total
print(run(300000))
