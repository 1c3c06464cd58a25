/* A C host of spl/file.h under memory pressure: no C++ exception may cross the C ABI (it would
 * abort this C program), and loads that cannot start say so with an error code. Driven by
 * low_memory.sh, which also runs it under `ulimit -v`. Modes:
 *   any FILE     load FILE sync and async; any outcome but a crash passes (for ulimit -v runs)
 *   as-limit FILE  cap the address space just above what the process uses: the first
 *                spl_submit cannot start a loader thread and returns SPL_ENOMEM; with the
 *                cap lifted the next spl_submit starts the loader and loads FILE
 *   maps FILE    use up the kernel's mappings per process (vm.max_map_count): spl_submit
 *                returns SPL_ENOMEM, spl_open_sync of a big FILE says "out of memory mapping";
 *                with the mappings released both work
 * Exit 0 = pass, 1 = a check failed, 77 = skipped (printed why). */
#define _GNU_SOURCE
#include <spl/file.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define CHECK(cond)                                                                      \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      fprintf(stderr, "%s:%d: check failed: %s (last error: %s)\n", __FILE__, __LINE__, \
              #cond, spl_last_error());                                                  \
      return 1;                                                                          \
    }                                                                                    \
  } while (0)

/* A load through both entry points; any result is fine as long as it is a code. */
static int LoadAny(const char* path) {
  spl_handle_t h = 0;
  int rc = spl_open_sync(path, NULL, &h);
  printf("spl_open_sync: %d %s %s\n", rc, spl_err_name(rc), rc < 0 ? spl_last_error() : "");
  if (rc == 0) CHECK(spl_file_close(h) == 0);
  rc = spl_submit(path, NULL, &h);
  printf("spl_submit: %d %s %s\n", rc, spl_err_name(rc), rc < 0 ? spl_last_error() : "");
  if (rc == 0) {
    rc = spl_file_wait(h, -1);
    printf("spl_file_wait: %d %s\n", rc, spl_err_name(rc));
    CHECK(spl_file_close(h) == 0);
  } else {
    CHECK(rc == SPL_ENOMEM && spl_last_error()[0] != '\0');
  }
  return 0;
}

/* Virtual size of this process in bytes. */
static unsigned long long VmSize(void) {
  unsigned long long pages = 0;
  FILE* f = fopen("/proc/self/statm", "r");
  if (f == NULL) return 0;
  if (fscanf(f, "%llu", &pages) != 1) pages = 0;
  fclose(f);
  return pages * (unsigned long long)sysconf(_SC_PAGESIZE);
}

static int AsLimit(const char* path) {
  struct rlimit old;
  CHECK(getrlimit(RLIMIT_AS, &old) == 0);
  unsigned long long now = VmSize();
  CHECK(now > 0);
  /* 4 MiB of room: enough for small allocations, not for one 8 MiB thread stack. */
  struct rlimit cap = old;
  cap.rlim_cur = now + (4u << 20);
  if (setrlimit(RLIMIT_AS, &cap) != 0) {
    printf("SKIP: cannot lower RLIMIT_AS\n");
    return 77;
  }
  spl_handle_t h = 0;
  int rc = spl_submit(path, NULL, &h);
  printf("capped spl_submit: %d %s: %s\n", rc, spl_err_name(rc), spl_last_error());
  CHECK(rc == SPL_ENOMEM);
  CHECK(strstr(spl_last_error(), "out of memory starting loader threads") != NULL);
  rc = spl_loader_threads();
  CHECK(rc == SPL_ENOMEM);
  CHECK(setrlimit(RLIMIT_AS, &old) == 0);
  CHECK(spl_submit(path, NULL, &h) == 0);
  CHECK(spl_file_wait(h, -1) == 0);
  CHECK(spl_file_close(h) == 0);
  CHECK(spl_loader_threads() > 0);
  printf("as-limit: ENOMEM while capped, loaded after\n");
  return 0;
}

static int Maps(const char* path) {
  long page = sysconf(_SC_PAGESIZE);
  size_t cap = 1u << 17, n = 0;
  void** maps = malloc(cap * sizeof *maps);
  CHECK(maps != NULL);
  /* Alternate protections so the kernel cannot merge neighbours into one mapping. */
  for (;;) {
    if (n == cap) break; /* vm.max_map_count above 128k: cannot use them all up here */
    void* p = mmap(NULL, (size_t)page, (n % 2) ? PROT_READ : PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) break;
    maps[n++] = p;
  }
  if (n == cap) {
    printf("SKIP: more than %zu mappings allowed\n", cap);
    return 77;
  }
  spl_handle_t h = 0;
  int rc = spl_submit(path, NULL, &h);
  int sync_rc = spl_open_sync(path, NULL, &h);
  char sync_msg[512];
  snprintf(sync_msg, sizeof sync_msg, "%s", spl_last_error());
  for (size_t i = 0; i < n; ++i) munmap(maps[i], (size_t)page);
  free(maps);
  printf("with %zu mappings taken: spl_submit %d %s, spl_open_sync %d %s: %s\n", n, rc,
         spl_err_name(rc), sync_rc, spl_err_name(sync_rc), sync_msg);
  CHECK(rc == SPL_ENOMEM);
  CHECK(sync_rc == SPL_ENOMEM);
  CHECK(strstr(sync_msg, "out of memory mapping ") != NULL);
  CHECK(strstr(sync_msg, path) != NULL);
  CHECK(spl_submit(path, NULL, &h) == 0);
  CHECK(spl_file_wait(h, -1) == 0);
  CHECK(spl_file_close(h) == 0);
  CHECK(spl_open_sync(path, NULL, &h) == 0);
  CHECK(spl_file_close(h) == 0);
  printf("maps: ENOMEM while the mappings were taken, loaded after\n");
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s any|as-limit|maps FILE\n", argv[0]);
    return 2;
  }
  setvbuf(stdout, NULL, _IONBF, 0); /* no buffer to allocate later */
  if (strcmp(argv[1], "any") == 0) return LoadAny(argv[2]);
  if (strcmp(argv[1], "as-limit") == 0) return AsLimit(argv[2]);
  if (strcmp(argv[1], "maps") == 0) return Maps(argv[2]);
  fprintf(stderr, "unknown mode %s\n", argv[1]);
  return 2;
}
