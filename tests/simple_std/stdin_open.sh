#!/usr/bin/env bash
# "-" is standard input for file.open / open_sync / open_with and for ArgParser file
# arguments with async loading: read to EOF on a loader thread from a pipe or a terminal,
# loaded from its position when it is a redirected regular file, empty for /dev/null, capped
# by read_limit; two "-" loads get the data once, in order. Checks the program's output.
# Usage: stdin_open.sh SPL
set -u
spl=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/open.spl" <<'SPL'
# Loads "-" in the way named by the first argument and prints what it got.
use cli
use file
fn show(r):
    match r:
        case Ok(region):
            print("{region.path} {region.strategy} {region.len()} [{region.as_str().unwrap_or("?").trim()}]")
            region.close()
        case Err(e): print("error: {e.message()}")
async fn main():
    val how = sys_get_args()[1]
    if how == "sync":
        show(file.open_sync("-"))
    elif how == "async":
        val h = (await file.open("-")).unwrap()
        show(await h.wait())
    elif how == "twice":
        val a = (await file.open("-")).unwrap()
        val b = (await file.open("-")).unwrap()
        show(await a.wait())
        show(await b.wait())
    elif how == "limit":
        show(file.open_sync_with("-", file.OpenOptions::new().read_limit(10)))
    elif how == "args":
        val p = cli.ArgParser::new("t", "test").file_positional("files", "files", required: true).with_async_loading(true)
        val args = p.parse(sys_get_args()[2..sys_get_args().len()]).unwrap()
        print("staged: {args.files.staged().map(\i: i.kind).join(",")}")
        for h in args.files.handles():
            show(await h.wait())
SPL
printf 'other file\n' > "$tmp/other.txt"
printf 'skip\nfrom a file\n' > "$tmp/in.txt"
fail=0
expect() {  # NAME WANT GOT
  if [ "$2" != "$3" ]; then
    echo "FAIL $1:"; echo " want: $2"; echo " got:  $3"; fail=1
  else
    echo "ok $1"
  fi
}
run() { "$spl" run "$tmp/open.spl" "$@" 2>&1; }
expect "sync from a pipe" "- stream 11 [hello pipe]" "$(printf 'hello pipe\n' | run sync)"
expect "async from a pipe" "- stream 11 [hello pipe]" "$(printf 'hello pipe\n' | run async)"
expect "async from a slow pipe" "- stream 4 [a
b]" "$( (printf 'a\n'; sleep 0.3; printf 'b\n') | run async)"
expect "/dev/null" "- stream 0 []" "$(run async < /dev/null)"
expect "a redirected file, from its position" "- read 17 [skip
from a file]" "$(run sync < "$tmp/in.txt")"
expect "a redirected file already read in part" "- read 12 [from a file]" \
  "$( (read -r _; run async) < "$tmp/in.txt")"
expect "two loads: the first gets it all" "- stream 5 [first]
- stream 0 []" "$(printf 'first' | run twice)"
expect "past the read limit" \
  "error: more than the read limit of 10 bytes (OpenOptions.read_limit): -" \
  "$(printf 'more than ten bytes' | run limit)"
expect "ArgParser - and a file" "staged: stdin,file
- stream 9 [via args]
$tmp/other.txt read 11 [other file]" "$(printf 'via args\n' | run args - "$tmp/other.txt")"
exit $fail
