/* Proves spl/file.h compiles as C and the library links from a C program: loads this test's
 * own source file synchronously and asynchronously and checks a few answers. Exit 0 = pass. */
#include <spl/file.h>
#include <stdio.h>
#include <string.h>

#define CHECK(cond)                                                                \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      fprintf(stderr, "%s:%d: check failed: %s (%s)\n", __FILE__, __LINE__, #cond, \
              spl_last_error());                                                   \
      return 1;                                                                    \
    }                                                                              \
  } while (0)

int main(int argc, char** argv) {
  spl_open_options_t opts;
  spl_handle_t h = 0, a = 0;
  uint64_t len = 0, lines = 0;
  const char* path = argc > 1 ? argv[1] : __FILE__;
  spl_open_options_init(&opts);
  CHECK(spl_open_sync(path, &opts, &h) == 0);
  CHECK(spl_region_len(h, &len) == 0 && len > 0);
  CHECK(spl_scan_count_lines(h, 0, len, &lines) == 0 && lines > 10);
  CHECK(spl_submit(path, NULL, &a) == 0);
  CHECK(spl_file_wait(a, 10000) == 0);
  CHECK(spl_file_is_ready(a) == 1);
  CHECK(spl_file_close(a) == 0);
  {
    const char* many[2];
    spl_handle_t got[2] = {0, 0};
    many[0] = path;
    many[1] = path;
    CHECK(spl_submit_many(many, 2, NULL, got) == 0);
    CHECK(spl_file_wait(got[0], 10000) == 0 && spl_file_wait(got[1], 10000) == 0);
    CHECK(spl_file_run_if_cached(got[0]) == 1);
    CHECK(spl_handle_count() == 3);
    CHECK(spl_file_close(got[0]) == 0 && spl_file_close(got[1]) == 0);
  }
  CHECK(spl_file_close(h) == 0);
  CHECK(spl_file_close(h) == SPL_ECLOSED);
  CHECK(spl_open_sync("/nonexistent", NULL, &h) == SPL_ENOENT);
  CHECK(strcmp(spl_err_name(SPL_ENOENT), "ENOENT") == 0);
  printf("c_api_test: %llu bytes, %llu lines\n", (unsigned long long)len,
         (unsigned long long)lines);
  return 0;
}
