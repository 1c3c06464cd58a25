class Vec2:
    def __init__(self, x, y):
        self.x = x
        self.y = y
    def add(self, o):
        return Vec2(self.x + o.x, self.y + o.y)
    def dot(self, o):
        return self.x * o.x + self.y * o.y

def run(n):
    acc = Vec2(0.0, 0.0)
    step = Vec2(1.0, 0.5)
    total = 0.0
    i = 0
    while i < n:
        acc = acc.add(step)
        total = total + acc.dot(step)
        i += 1
    return total
print(run(1500000))
