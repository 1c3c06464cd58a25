test -k pops
