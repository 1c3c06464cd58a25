# `grep -nF PATTERN FILE` in CPython, as users write it: the file's lines in binary mode,
# numbered, the ones holding the pattern written out. Usage: python3 grep_nf.py PATTERN FILE
import sys

pattern = sys.argv[1].encode()
out = sys.stdout.buffer
found = False
with open(sys.argv[2], 'rb') as f:
    for n, line in enumerate(f, 1):
        if pattern in line:
            out.write(b'%d:%s' % (n, line if line.endswith(b'\n') else line + b'\n'))
            found = True
sys.exit(0 if found else 1)
