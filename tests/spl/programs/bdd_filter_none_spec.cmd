test -k zzz
