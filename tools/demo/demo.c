/* spl_demo: the main job until the interpreter lands. Loads the files named on the command
 * line in the background through the C ABI (spl/file.h), then counts their lines and checks
 * they are valid UTF-8 with the guarded scans, and prints what it measured.
 * `spl_demo --generate DIR N MB` writes N text files of MB mebibytes each into DIR first.
 * It is a demo of the ABI, not a benchmark: tools/bench holds those. */
#define _POSIX_C_SOURCE 200809L
#include <spl/file.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int generate(const char* dir, int files, int mib) {
  static const char* words[] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta",
                                "eta",   "theta", "iota", "kappa", "lambda", "mu",
                                "caf\xc3\xa9", "na\xc3\xafve", "\xce\xb1\xce\xb2", "end"};
  char path[4096], line[256];
  unsigned seed = 12345;
  for (int f = 0; f < files; ++f) {
    snprintf(path, sizeof path, "%s/data-%02d.txt", dir, f);
    FILE* out = fopen(path, "wb");
    if (out == NULL) {
      perror(path);
      return 1;
    }
    long long target = (long long)mib << 20, written = 0;
    while (written < target) {
      size_t len = 0;
      int nwords = 3 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 12;
      for (int w = 0; w < nwords; ++w) {
        seed = seed * 1103515245u + 12345u;
        len += (size_t)snprintf(line + len, sizeof line - len, w ? " %s" : "%s",
                                words[(seed >> 16) % 16]);
      }
      line[len++] = '\n';
      fwrite(line, 1, len, out);
      written += (long long)len;
    }
    fclose(out);
  }
  return 0;
}

int main(int argc, char** argv) {
  int first = 1;
  if (argc > 1 && strcmp(argv[1], "--generate") == 0) {
    if (argc < 5) {
      fprintf(stderr, "usage: spl_demo --generate DIR FILES MIB [FILE...]\n");
      return 2;
    }
    if (generate(argv[2], atoi(argv[3]), atoi(argv[4])) != 0) return 1;
    first = 5;
  }
  int n = argc - first;
  if (n <= 0) {
    fprintf(stderr, "usage: spl_demo [--generate DIR FILES MIB] FILE...\n");
    return 2;
  }
  spl_handle_t* hs = calloc((size_t)n, sizeof *hs);
  double t0 = now_ms();
  for (int i = 0; i < n; ++i) {
    int rc = spl_submit(argv[first + i], NULL, &hs[i]);
    if (rc < 0) {
      fprintf(stderr, "spl_demo: %s\n", spl_last_error());
      return 1;
    }
  }
  double submitted = now_ms();
  printf("submitted %d loads in %.3f ms (%.1f us each) on %d loader threads\n", n,
         submitted - t0, (submitted - t0) * 1e3 / n, spl_loader_threads());
  int status = 0;
  unsigned long long total_bytes = 0, total_lines = 0;
  for (int i = 0; i < n; ++i) {
    const char* path = argv[first + i];
    int rc = spl_file_wait(hs[i], -1);
    double ready = now_ms();
    if (rc < 0) {
      fprintf(stderr, "spl_demo: %s\n", spl_last_error());
      status = 1;
      spl_file_close(hs[i]);
      continue;
    }
    uint64_t len = 0, lines = 0, bad = 0;
    spl_region_len(hs[i], &len);
    double s0 = now_ms();
    rc = spl_scan_count_lines(hs[i], 0, len, &lines);
    double s1 = now_ms();
    int utf8 = spl_scan_validate_utf8(hs[i], 0, len, &bad);
    double s2 = now_ms();
    if (rc < 0) {
      fprintf(stderr, "spl_demo: %s\n", spl_last_error());
      status = 1;
    } else {
      static const char* strategies[] = {"empty", "mmap", "read", "read-to-eof"};
      printf("%-28s %10llu bytes %9llu lines  %-5s ready at %7.1f ms  lines %6.1f ms (%5.2f GB/s)"
             "  utf8 %s %6.1f ms\n",
             path, (unsigned long long)len, (unsigned long long)lines,
             strategies[spl_file_strategy(hs[i])], ready - t0, s1 - s0,
             s1 > s0 ? len / ((s1 - s0) * 1e6) : 0.0, utf8 == 0 ? "ok " : "BAD", s2 - s1);
      total_bytes += len;
      total_lines += lines;
    }
    spl_file_close(hs[i]);
  }
  printf("total: %llu bytes, %llu lines, %.1f ms\n", total_bytes, total_lines, now_ms() - t0);
  free(hs);
  return status;
}
