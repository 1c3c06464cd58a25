/* spl/file.h: the C ABI of the spl_file runtime. Compiles as C11 and C++.
 *
 * Loads files in the background (open, classify, mmap or read, prefault on the loader's own
 * threads) and gives guarded, zero-copy access to the result. Every function returns 0 or a
 * positive value on success and a negative SPL_E* code on failure (libuv style); see
 * spl_err_name() / spl_strerror(), and spl_last_error() for the full message of the last
 * failure on the calling thread ("permission denied: /etc/shadow").
 *
 * Handles are 64-bit ids with a generation: a closed or stale id returns SPL_ECLOSED and never
 * touches freed memory. All functions are thread-safe unless a REQUIRES line says otherwise.
 * No C++ exception ever leaves a spl_ function: running out of memory (or of threads the
 * system will create) is SPL_ENOMEM, any other internal failure SPL_EIO.
 * This header does not expose C++ types; the runtime behind it is runtime/ (C++20).
 */
#ifndef SPL_FILE_H
#define SPL_FILE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define SPL_EXTERN __attribute__((visibility("default")))
#else
#define SPL_EXTERN
#endif

#define SPL_VERSION_MAJOR 0
#define SPL_VERSION_MINOR 2

/* Error codes: negated errno values, plus project codes from -4001 down. */
/* clang-format off */
#define SPL_ERRNO_MAP(XX)                                              \
  XX(ENOENT, -ENOENT, "no such file or directory")                     \
  XX(EACCES, -EACCES, "permission denied")                             \
  XX(EPERM, -EPERM, "operation not permitted")                         \
  XX(EISDIR, -EISDIR, "is a directory")                                \
  XX(ENOTDIR, -ENOTDIR, "a path component is not a directory")         \
  XX(ELOOP, -ELOOP, "too many levels of symbolic links")               \
  XX(ENAMETOOLONG, -ENAMETOOLONG, "file name too long")                \
  XX(EINVAL, -EINVAL, "invalid argument")                              \
  XX(ENOMEM, -ENOMEM, "out of memory")                                 \
  XX(EMFILE, -EMFILE, "too many open files")                           \
  XX(ENFILE, -ENFILE, "too many open files in system")                 \
  XX(EIO, -EIO, "i/o error")                                           \
  XX(ENODEV, -ENODEV, "no such device")                                \
  XX(EOVERFLOW, -EOVERFLOW, "value too large")                         \
  XX(EROFS, -EROFS, "read-only file system")                           \
  XX(EFBIG, -EFBIG, "larger than the read limit")                      \
  XX(EBADF, -EBADF, "descriptor not open")                             \
  XX(ETRUNCATED, -4001, "file truncated while mapped")                 \
  XX(ECLOSED, -4002, "handle closed or stale")                         \
  XX(ETIMEDOUT, -4003, "timed out")                                    \
  XX(ECANCELED, -4004, "load cancelled")                               \
  XX(EUTF8, -4005, "invalid UTF-8")                                    \
  XX(EUNSUPPORTED, -4006, "unsupported file kind (FIFO, socket, device)") \
  XX(ERANGE, -4007, "range out of bounds")                             \
  XX(ENOTREADY, -4008, "load not finished")                            \
  XX(EREADONLY, -4009, "region is not writable")

typedef enum {
#define SPL_XX_(name, value, msg) SPL_##name = (value),
  SPL_ERRNO_MAP(SPL_XX_)
#undef SPL_XX_
  SPL_OK = 0
} spl_errno_t;
/* clang-format on */

/* "ENOENT", "ETRUNCATED", ... ("UNKNOWN" for codes outside the table). Static storage. */
SPL_EXTERN const char* spl_err_name(int code);
/* Generic message for a code. Static storage. */
SPL_EXTERN const char* spl_strerror(int code);
/* Full message of the last failure on this thread, naming the path and cause; "" if none.
 * Valid until the next spl_ call on this thread. */
SPL_EXTERN const char* spl_last_error(void);

typedef uint64_t spl_handle_t; /* 0 is never a valid handle */

/* For hosts whose strings carry a length and may hold NUL bytes (which a C string would
 * silently cut: "small.txt\0.png" would open small.txt): 0 if the len bytes at path can be
 * passed as a path, SPL_EINVAL naming the problem in spl_last_error() otherwise ("path
 * contains a NUL byte at offset 9: small.txt\0.png"). */
SPL_EXTERN int spl_path_check(const char* path, size_t len);

typedef enum {
  SPL_MODE_READ_ONLY = 0,
  SPL_MODE_READ_WRITE = 1,
  SPL_MODE_COPY_ON_WRITE = 2
} spl_map_mode_t;
typedef enum {
  SPL_ADVICE_NORMAL = 0,
  SPL_ADVICE_SEQUENTIAL = 1,
  SPL_ADVICE_RANDOM = 2,
  SPL_ADVICE_WILLNEED = 3,
  SPL_ADVICE_DONTNEED = 4,
  SPL_ADVICE_HUGEPAGE = 5
} spl_advice_t;
typedef enum {
  SPL_STATE_PENDING = 0,
  SPL_STATE_LOADING = 1,
  SPL_STATE_READY = 2,
  SPL_STATE_FAILED = 3
} spl_state_t;
typedef enum {
  SPL_STRATEGY_EMPTY = 0,       /* zero-length: no mapping */
  SPL_STRATEGY_MMAP = 1,        /* mapped, descriptor closed */
  SPL_STRATEGY_READ = 2,        /* small file read into a buffer */
  SPL_STRATEGY_READ_TO_EOF = 3, /* size-0 pseudo file (/proc, /sys) read to EOF */
  SPL_STRATEGY_STREAM = 4       /* pipe, FIFO, character device, socket read to EOF */
} spl_strategy_t;
typedef enum {
  SPL_PREFAULT_NONE = 0,
  SPL_PREFAULT_POPULATE_READ = 1,     /* MADV_POPULATE_READ only */
  SPL_PREFAULT_TOUCH = 2,             /* MADV_WILLNEED + one read per page (old kernels) */
  SPL_PREFAULT_POPULATE_AND_TOUCH = 3 /* both (default; see docs/design.md) */
} spl_prefault_method_t;

typedef struct spl_open_options {
  int mode;                  /* spl_map_mode_t; default READ_ONLY */
  int prefault;              /* non-zero: prefault after mapping; default 1 */
  int prefault_touch;        /* non-zero: also read one byte per page after populating; 1 */
  int advice;                /* spl_advice_t applied after mapping; default NORMAL */
  int nofollow;              /* non-zero: refuse a symlink as last component; default 0 */
  uint64_t offset;           /* start of the range to load; default 0 */
  uint64_t length;           /* 0: to the end of the file; default 0 */
  uint64_t mmap_threshold;   /* read-only files smaller than this are read, not mapped; 1 MiB */
  uint64_t prefault_chunk;   /* bytes per prefault step (cancel checkpoint); 8 MiB */
  uint32_t prefault_workers; /* loader threads that may prefault one file at once; 2 */
  uint64_t read_limit;       /* most bytes read from an input read to EOF (pseudo files such
                              * as /proc/self/status, streams) before SPL_EFBIG; 0: 64 MiB */
  uint32_t streams;          /* SPL_STREAM_* bits: non-seekable files named by path that are
                              * read to EOF (SPL_STRATEGY_STREAM) instead of refused with
                              * SPL_EUNSUPPORTED; default 0 (such a read may wait long: a FIFO
                              * for its writer, a terminal for its user; it is cancellable) */
  uint64_t stream_threshold; /* mapped files at least this big are READY as soon as they are
                              * mapped and prefaulted in the background, ahead of the scans,
                              * which read what has not arrived themselves: a scan starts at
                              * once; 64 MiB; 0: never (prefault all first) */
  uint64_t memory_window;    /* a READ_ONLY mapping bigger than this streams: one-pass scans drop
                              * the pages they have read (MADV_DONTNEED and POSIX_FADV_DONTNEED),
                              * read ahead themselves (sequential advice) and are not prefaulted
                              * in the background; 0 (default): a quarter of the memory the
                              * process may use (RAM, or the memory cgroup's limit) */
} spl_open_options_t;

#define SPL_STREAM_CHAR_DEVICES 1u /* /dev/null, /dev/zero (up to read_limit), a terminal */
#define SPL_STREAM_FIFOS 2u        /* named pipes: waits until a writer connects and closes */

/* Fills *opts with the defaults above. */
SPL_EXTERN void spl_open_options_init(spl_open_options_t* opts);

/* Sets the loader pool size. REQUIRES: called before the first load; SPL_EINVAL after. */
SPL_EXTERN int spl_loader_configure(unsigned threads);
/* Number of loader threads (starts the loader if needed): fewer than configured when the
 * system refused some; SPL_ENOMEM when it refused them all (the next call tries again). */
SPL_EXTERN int spl_loader_threads(void);

/* Opens, maps or reads, and prefaults on the calling thread. opts may be NULL (defaults).
 * On success *out is a READY handle. */
SPL_EXTERN int spl_open_sync(const char* path, const spl_open_options_t* opts, spl_handle_t* out);
/* Loads from a descriptor the caller has open (it is duplicated: the caller keeps and closes
 * its own), such as 0 for standard input; name is what messages call it ("-"). Pipes, FIFOs,
 * character devices and sockets are read to EOF whatever opts->streams says (the caller
 * chose this input); a regular file is loaded from the descriptor's current position, which
 * then moves past what was loaded. Loads from descriptors run one at a time, so two loads of
 * standard input never interleave (the second finds EOF). SPL_EBADF when fd is not open. */
SPL_EXTERN int spl_open_sync_fd(int fd, const char* name, const spl_open_options_t* opts,
                                spl_handle_t* out);
SPL_EXTERN int spl_submit_fd(int fd, const char* name, const spl_open_options_t* opts,
                             spl_handle_t* out);
/* Queues a background load and returns at once with a PENDING handle in *out. The first call
 * starts the loader's threads: SPL_ENOMEM, with nothing queued, when the system refuses every
 * one of them (address-space limit, mappings used up); a later call tries again. */
SPL_EXTERN int spl_submit(const char* path, const spl_open_options_t* opts, spl_handle_t* out);
/* As spl_submit, for a host about to wait for the load: when it can be done at once without
 * waiting for a disk (as spl_file_run_if_cached decides: a small regular file all in the page
 * cache, an empty file, or a load that fails at once such as a missing file), it is done on
 * the calling thread and *out is already READY or FAILED; otherwise it is queued as by
 * spl_submit. A program that opens and waits for files one by one then costs no more than
 * synchronous opens. A load done here is not announced to an attached loop (see
 * spl_loop_attach), and needs no loader: the loader's threads start with the first load that
 * is queued. The descriptor of a file read here is closed at once for a process's first 128
 * such loads, and after that on a background thread, in batches (at most a quarter of the
 * process's descriptor limit wait meanwhile, and none for long: a group is closed 10 ms after
 * its first). */
SPL_EXTERN int spl_submit_or_load(const char* path, const spl_open_options_t* opts,
                                  spl_handle_t* out);
/* Queues `count` background loads with the same options and returns at once: out[i] is the
 * PENDING handle of paths[i]. The batch is handed to the loader's threads together (one lock,
 * one wake-up), which is what makes many small files cheap. All or nothing: on an error
 * (SPL_EINVAL for a NULL path, SPL_ENOMEM) no load is queued and out is untouched. A path
 * that cannot be loaded still gets a handle, whose wait gives the error, as with spl_submit. */
SPL_EXTERN int spl_submit_many(const char* const* paths, size_t count,
                               const spl_open_options_t* opts, spl_handle_t* out);

/* spl_state_t (>= 0) or an error. */
SPL_EXTERN int spl_file_state(spl_handle_t h);
/* 1 if READY, 0 if not (yet), or an error. */
SPL_EXTERN int spl_file_is_ready(spl_handle_t h);
/* Bytes prefaulted (or loaded) so far and the total; done == total once READY. */
SPL_EXTERN int spl_file_progress(spl_handle_t h, uint64_t* done, uint64_t* total);
/* Blocks until the load ends or timeout_ms passes (timeout_ms < 0: no limit; values too large
 * to count in nanoseconds, about 292 years and up such as INT64_MAX, are no limit as well).
 * 0 when READY, the load's error when FAILED, SPL_ETIMEDOUT when the time ran out (the load
 * goes on). */
SPL_EXTERN int spl_file_wait(spl_handle_t h, int64_t timeout_ms);
/* 0 when READY, the load's error when FAILED, SPL_ENOTREADY while it runs. */
SPL_EXTERN int spl_file_result(spl_handle_t h);
/* For a host about to wait: when no loader thread has started the load yet and it can be done
 * at once without waiting for a disk (a regular file below mmap_threshold whose bytes are all
 * in the page cache, an empty file, or a load that fails at once such as a missing file),
 * does it on the calling thread, which costs far less than a hand-over to a loader thread and
 * back. 1 when the load has ended (here or before), 0 when it is still queued or running. A
 * load done here is not announced to an attached loop (see spl_loop_attach). */
SPL_EXTERN int spl_file_run_if_cached(spl_handle_t h);
/* Cancels the load: before it starts it never runs; during prefault it stops at the next
 * chunk and releases everything; once finished it is a no-op. Returns 1 if the load ends
 * cancelled, 0 if it had already finished, or an error. */
SPL_EXTERN int spl_file_cancel(spl_handle_t h);
/* spl_strategy_t that ran (meaningful once READY). */
SPL_EXTERN int spl_file_strategy(spl_handle_t h);
/* spl_prefault_method_t that ran (meaningful once READY). */
SPL_EXTERN int spl_file_prefault_method(spl_handle_t h);
/* Releases the handle: cancels a running load, unmaps a region. The id becomes stale. */
SPL_EXTERN int spl_file_close(spl_handle_t h);
/* How many handles are open (not closed) in the process: for hosts checking that they release
 * what they load. 0 when the library cannot even set up its state (no memory). */
SPL_EXTERN uint64_t spl_handle_count(void);

/* Region access. REQUIRES: the handle is READY (else SPL_ENOTREADY or the load's error). */
SPL_EXTERN int spl_region_len(spl_handle_t h, uint64_t* len);
/* spl_map_mode_t of the region. */
SPL_EXTERN int spl_region_mode(spl_handle_t h);
/* Unguarded escape hatch: the bytes themselves. The pointer is valid until spl_file_close;
 * reading a mapping whose file was truncated raises SIGBUS: prefer the guarded calls. */
SPL_EXTERN int spl_region_data(spl_handle_t h, const uint8_t** data, uint64_t* len);
/* madvise on [offset, offset+length); length 0: to the end. */
SPL_EXTERN int spl_region_advise(spl_handle_t h, int advice, uint64_t offset, uint64_t length);
/* msync for READ_WRITE regions; length 0: to the end. */
SPL_EXTERN int spl_region_flush(spl_handle_t h, uint64_t offset, uint64_t length);
/* Guarded write (READ_WRITE reaches the file, COPY_ON_WRITE stays private). */
SPL_EXTERN int spl_region_write(spl_handle_t h, uint64_t offset, const void* src, size_t n);
/* 1 if the file on disk is no longer what was loaded, 0 if it is, or an error. */
SPL_EXTERN int spl_region_is_stale(spl_handle_t h);

/* Guarded scans over [offset, offset+length) of a READY region; a file truncated underneath
 * gives SPL_ETRUNCATED, never a crash. */
/* Non-overlapping occurrences of needle (like Python's bytes.count). */
SPL_EXTERN int spl_scan_count(spl_handle_t h, uint64_t offset, uint64_t length, const void* needle,
                              size_t needle_len, uint64_t* count);
/* First occurrence at or after `from` (absolute offset, inside the range): *pos is its
 * absolute offset, or -1 when there is none. */
SPL_EXTERN int spl_scan_find(spl_handle_t h, uint64_t offset, uint64_t length, uint64_t from,
                             const void* needle, size_t needle_len, int64_t* pos);
/* Number of '\n' bytes (what `wc -l` prints). */
SPL_EXTERN int spl_scan_count_lines(spl_handle_t h, uint64_t offset, uint64_t length,
                                    uint64_t* count);
/* 0 if the range is valid UTF-8; SPL_EUTF8 with *bad_offset = absolute offset of the first
 * bad byte otherwise. bad_offset may be NULL. */
SPL_EXTERN int spl_scan_validate_utf8(spl_handle_t h, uint64_t offset, uint64_t length,
                                      uint64_t* bad_offset);
/* What GNU `wc -lwmc` prints for the range, in a UTF-8 locale. */
typedef struct spl_wc_counts {
  uint64_t lines; /* '\n' bytes */
  uint64_t words; /* runs of printable non-space characters */
  uint64_t chars; /* decoded characters (invalid bytes are not characters) */
  uint64_t bytes;
} spl_wc_counts_t;
SPL_EXTERN int spl_scan_wc(spl_handle_t h, uint64_t offset, uint64_t length, spl_wc_counts_t* out);
/* Copies the range into dst (which must hold `length` bytes). */
SPL_EXTERN int spl_scan_copy(spl_handle_t h, uint64_t offset, uint64_t length, void* dst);
/* Copies `count` ranges [starts[i], starts[i]+lengths[i]) into dsts[i], in one guarded pass
 * (for hosts that copy many lines: far cheaper than a call per range). */
SPL_EXTERN int spl_scan_copy_ranges(spl_handle_t h, const uint64_t* starts, const uint64_t* lengths,
                                    size_t count, void* const* dsts);

/* The lines of [offset, offset+length) that hold `needle`, as `grep -F` selects them: the range
 * is cut into lines at '\n' (a last line without one counts), so it should start at a line's
 * start and end after a '\n' or at the end of the input. An empty needle selects every line; a
 * needle holding '\n' is SPL_EINVAL (grep reads that as several patterns). Big ranges are
 * searched in parallel on the loader's threads (line-aligned chunks), and the lines are given
 * to cb in order, in batches, on the calling thread: each with its offset in the region, its
 * length without the '\n', its line number (the line at `offset` is number first_line) and
 * flags. cb returns 0 to go on; anything else stops the search, which then returns 1. With cb
 * NULL the lines are only counted (in stats: memory stays flat whatever matches). When it is
 * not stopped it returns 0 and, if stats is not NULL, fills it: the lines selected, the '\n'
 * bytes of the range (the next range's first line is first_line + newlines) and, with
 * SPL_FIND_CHECK_NUL, where the first NUL byte is (what makes grep call a file binary). */
#define SPL_FIND_IGNORE_CASE 1u /* fold case as GNU grep -i does in a UTF-8 locale */
#define SPL_FIND_CHECK_UTF8 2u  /* flag the lines that are not valid UTF-8 */
#define SPL_FIND_CHECK_NUL 4u   /* look for NUL bytes in the whole range */
#define SPL_LINE_INVALID_UTF8 1u
typedef struct spl_find_lines_stats {
  uint64_t newlines; /* '\n' bytes in the range */
  int64_t first_nul; /* offset in the region of the first NUL byte of the range, or -1 */
  uint64_t selected; /* lines that hold the needle (all of them, also when cb is NULL) */
} spl_find_lines_stats_t;
typedef struct spl_line_match {
  uint64_t start;  /* offset of the line's first byte in the region */
  uint64_t length; /* bytes, without the '\n' */
  uint64_t number; /* line number */
  uint32_t flags;  /* SPL_LINE_INVALID_UTF8 (with SPL_FIND_CHECK_UTF8) */
  uint32_t reserved;
} spl_line_match_t;
typedef int (*spl_lines_cb)(void* user, const spl_line_match_t* lines, size_t count);
SPL_EXTERN int spl_scan_find_lines(spl_handle_t h, uint64_t offset, uint64_t length,
                                   const void* needle, size_t needle_len, uint32_t flags,
                                   uint64_t first_line, spl_lines_cb cb, void* user,
                                   spl_find_lines_stats_t* stats);

/* Completion delivery on a libuv loop. After attaching, `cb` runs on the loop thread for
 * every handle whose load ends, with its final state, except a load that spl_submit_or_load
 * or spl_file_run_if_cached did on the calling thread: that caller learns it ended from the
 * call (a host that also waits for such a handle through its callback does the callback's
 * work itself). REQUIRES: called on the loop thread;
 * one loop at a time; call spl_loop_detach (on the loop thread) and run the loop once more
 * before closing it. */
struct uv_loop_s;
typedef void (*spl_completion_cb)(spl_handle_t h, int state, void* user_data);
SPL_EXTERN int spl_loop_attach(struct uv_loop_s* loop, spl_completion_cb cb, void* user_data);
/* The attached loop's handle starts unreferenced, so it alone never keeps uv_run going. A host
 * that waits for a completion calls spl_loop_ref(1), and spl_loop_ref(0) when nothing waits.
 * REQUIRES: called on the loop thread. SPL_EINVAL when no loop is attached. */
SPL_EXTERN int spl_loop_ref(int keep_alive);
/* Runs the completion callback now for every load that ended and waits for the loop's next
 * wake-up (the loader wakes the loop once for a batch of completions): a host deciding
 * whether to start more loads learns of every load that ended. Returns how many callbacks ran.
 * REQUIRES: called on the loop thread. SPL_EINVAL when no loop is attached. */
SPL_EXTERN int spl_loop_poll(void);
SPL_EXTERN int spl_loop_detach(void);

#ifdef __cplusplus
}
#endif
#endif /* SPL_FILE_H */
