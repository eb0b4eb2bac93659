/* Real-time guard for tests: the test executable defines malloc, calloc,
 * realloc, free (and the aligned variants), the pthread lock and wait
 * functions and the common stdio/file calls itself, forwarding them to glibc.
 * Calls made by the thread that is inside rt_guard_begin() .. rt_guard_end()
 * are counted by function. The plugin, dlopen()ed by lilv, resolves these
 * symbols to the executable's (it is linked with --export-dynamic), so its
 * calls are counted too. A test may also make every allocation from a size
 * on fail, as out of memory (rt_guard_refuse_from()).
 *
 * Sanitizer builds (ASan, TSan) replace the allocator themselves; there the
 * guard is not compiled (RT_GUARD_AVAILABLE is 0) and the tests skip (77).
 */
#ifndef RT_GUARD_H
#define RT_GUARD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RT_GUARD_AVAILABLE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define RT_GUARD_AVAILABLE 0
#endif
#endif
#ifndef RT_GUARD_AVAILABLE
#define RT_GUARD_AVAILABLE 1
#endif

typedef enum {
	RT_MALLOC,
	RT_CALLOC,
	RT_REALLOC,
	RT_FREE,
	RT_ALIGNED_ALLOC, /* aligned_alloc, posix_memalign, memalign, valloc, pvalloc */
	RT_MUTEX_LOCK,    /* pthread_mutex_lock, _trylock, _timedlock */
	RT_MUTEX_UNLOCK,
	RT_RWLOCK, /* rdlock, wrlock, try*, unlock */
	RT_SPIN_LOCK,
	RT_COND,    /* pthread_cond_wait, _timedwait, _signal, _broadcast */
	RT_SEM,     /* sem_wait, sem_timedwait, sem_trywait, sem_post */
	RT_SLEEP,   /* nanosleep, usleep, sleep, sched_yield */
	RT_FILE_IO, /* open, fopen, read, write, fread, fwrite, printf family, puts */
	RT_CALL_COUNT
} rt_call;

/* [test thread] Start / stop counting the calls of this thread. Nestable. */
void rt_guard_begin(void);
void rt_guard_end(void);

/* Calls counted inside guards so far (all threads), per kind and in total. */
uint64_t rt_guard_count(rt_call c);
uint64_t rt_guard_total(void);
void rt_guard_reset(void);

/* Calls of each kind by any thread, guarded or not: lets a test prove that
 * the interposition reaches the code under test (e.g. instantiate()). */
uint64_t rt_guard_seen(rt_call c);

const char *rt_guard_name(rt_call c);

/* [test thread] From now on every allocation (malloc, calloc, realloc and
 * the aligned ones) of at least min_bytes, by any thread, guarded or not,
 * fails as out of memory (NULL, errno ENOMEM; realloc keeps the old block);
 * 0 lets them through again. */
void rt_guard_refuse_from(size_t min_bytes);
/* Allocations refused so far. */
uint64_t rt_guard_refused(void);

/* Print the non-zero guarded counts, one "name n" per line. */
void rt_guard_print(FILE *f);

#endif
