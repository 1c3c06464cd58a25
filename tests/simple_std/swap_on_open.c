/* An LD_PRELOAD shim that plays the attacker of CVE-2022-21658 at the worst moment: right
 * before the process opens a directory whose last path component is "swapme", the directory
 * is moved away (into $SPL_SWAP_PARK) and a symlink to $SPL_SWAP_TARGET put in its place. A
 * tree walk that follows symlinks then deletes files in the target; one that opens by
 * descriptor with O_NOFOLLOW unlinks the link. Wraps open, open64, openat, openat64 and
 * opendir. Inactive unless both variables are set. Tests only (remove_tree_swap.sh). */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void MaybeSwap(int dirfd, const char* path) {
  static int count = 0;
  const char* target = getenv("SPL_SWAP_TARGET");
  const char* park = getenv("SPL_SWAP_PARK");
  if (target == NULL || park == NULL || path == NULL) return;
  const char* base = strrchr(path, '/');
  base = base != NULL ? base + 1 : path;
  if (strcmp(base, "swapme") != 0) return;
  struct stat st;
  if (fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) return;
  char moved[4096];
  snprintf(moved, sizeof moved, "%s/swapme.%d", park, ++count);
  if (renameat(dirfd, path, AT_FDCWD, moved) != 0) return;
  if (symlinkat(target, dirfd, path) == 0) {
    fprintf(stderr, "swap_on_open: %s is now a symlink to %s\n", path, target);
  }
}

static mode_t ModeArg(int flags, va_list ap) {
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

#define WRAP_OPEN(name)                                                        \
  int name(const char* path, int flags, ...) {                                 \
    va_list ap;                                                                \
    va_start(ap, flags);                                                       \
    mode_t mode = ModeArg(flags, ap);                                          \
    va_end(ap);                                                                \
    MaybeSwap(AT_FDCWD, path);                                                 \
    int (*real)(const char*, int, ...) = dlsym(RTLD_NEXT, #name);              \
    return real(path, flags, mode);                                            \
  }
#define WRAP_OPENAT(name)                                                      \
  int name(int dirfd, const char* path, int flags, ...) {                      \
    va_list ap;                                                                \
    va_start(ap, flags);                                                       \
    mode_t mode = ModeArg(flags, ap);                                          \
    va_end(ap);                                                                \
    MaybeSwap(dirfd, path);                                                    \
    int (*real)(int, const char*, int, ...) = dlsym(RTLD_NEXT, #name);         \
    return real(dirfd, path, flags, mode);                                     \
  }

WRAP_OPEN(open)
WRAP_OPEN(open64)
WRAP_OPENAT(openat)
WRAP_OPENAT(openat64)

DIR* opendir(const char* name) {
  MaybeSwap(AT_FDCWD, name);
  DIR* (*real)(const char*) = dlsym(RTLD_NEXT, "opendir");
  return real(name);
}
