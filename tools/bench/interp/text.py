def run(n):
    lines = []
    i = 0
    while i < n:
        lines.append(f"user{i % 97} GET /page/{i % 13}.html 200 {i % 5000}")
        i += 1
    hits = {}
    nbytes = 0
    for line in lines:
        parts = line.split(" ")
        page = parts[2].replace(".html", "")
        hits[page] = hits.get(page, 0) + 1
        nbytes = nbytes + int(parts[4])
    return (len(hits), nbytes)
print(run(600000))
