/* Real-time guard (see rt_guard.h): symbol interposition in the test
 * executable. The allocator forwards to glibc's __libc_* entry points (no
 * dlsym needed, so no recursion); everything else forwards to the next
 * definition found with dlsym(RTLD_NEXT). */
#define _GNU_SOURCE
#include "rt_guard.h"

#if RT_GUARD_AVAILABLE

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t size);

/* The project builds with -fvisibility=hidden: the interposers must be
 * exported for the plugin (and other libraries) to bind to them. */
#define EXPORT __attribute__((visibility("default")))

static _Thread_local int guard_depth;
/* rt_guard_refuse_from(): 0, or the size from which allocations fail. */
static atomic_size_t refuse_from;
static atomic_uint_fast64_t refused;
static atomic_uint_fast64_t guarded[RT_CALL_COUNT];
static atomic_uint_fast64_t seen[RT_CALL_COUNT];

static const char *const names[RT_CALL_COUNT] = {
    [RT_MALLOC] = "malloc",
    [RT_CALLOC] = "calloc",
    [RT_REALLOC] = "realloc",
    [RT_FREE] = "free",
    [RT_ALIGNED_ALLOC] = "aligned_alloc/posix_memalign/memalign/valloc",
    [RT_MUTEX_LOCK] = "pthread_mutex_lock/trylock/timedlock",
    [RT_MUTEX_UNLOCK] = "pthread_mutex_unlock",
    [RT_RWLOCK] = "pthread_rwlock_*",
    [RT_SPIN_LOCK] = "pthread_spin_lock/trylock",
    [RT_COND] = "pthread_cond_*",
    [RT_SEM] = "sem_wait/timedwait/trywait/post",
    [RT_SLEEP] = "nanosleep/usleep/sleep/sched_yield",
    [RT_FILE_IO] = "fopen/read/write/fwrite/fputs/puts/printf family",
};

static void note(rt_call c)
{
	atomic_fetch_add_explicit(&seen[c], 1, memory_order_relaxed);
	if (guard_depth > 0) {
		atomic_fetch_add_explicit(&guarded[c], 1, memory_order_relaxed);
	}
}

void rt_guard_begin(void)
{
	++guard_depth;
}

void rt_guard_end(void)
{
	--guard_depth;
}

uint64_t rt_guard_count(rt_call c)
{
	return atomic_load(&guarded[c]);
}

uint64_t rt_guard_seen(rt_call c)
{
	return atomic_load(&seen[c]);
}

uint64_t rt_guard_total(void)
{
	uint64_t n = 0;
	for (int c = 0; c < RT_CALL_COUNT; ++c) {
		n += atomic_load(&guarded[c]);
	}
	return n;
}

void rt_guard_reset(void)
{
	for (int c = 0; c < RT_CALL_COUNT; ++c) {
		atomic_store(&guarded[c], 0);
	}
}

const char *rt_guard_name(rt_call c)
{
	return (unsigned)c < RT_CALL_COUNT ? names[c] : "?";
}

void rt_guard_print(FILE *f)
{
	for (int c = 0; c < RT_CALL_COUNT; ++c) {
		const uint64_t n = atomic_load(&guarded[c]);
		if (n) {
			fprintf(f, "  %s %llu\n", names[c], (unsigned long long)n);
		}
	}
}

void rt_guard_refuse_from(size_t min_bytes)
{
	atomic_store(&refuse_from, min_bytes);
}

uint64_t rt_guard_refused(void)
{
	return atomic_load(&refused);
}

/* ---- allocator ---------------------------------------------------------- */

/* Whether an allocation of size bytes is to fail (counted), with errno set
 * as glibc sets it. */
static bool refuse(size_t size)
{
	const size_t from = atomic_load_explicit(&refuse_from, memory_order_relaxed);
	if (from == 0 || size < from) {
		return false;
	}
	atomic_fetch_add_explicit(&refused, 1, memory_order_relaxed);
	errno = ENOMEM;
	return true;
}

EXPORT void *malloc(size_t size)
{
	note(RT_MALLOC);
	return refuse(size) ? NULL : __libc_malloc(size);
}

EXPORT void *calloc(size_t n, size_t size)
{
	note(RT_CALLOC);
	/* an overflowing n * size is glibc's to refuse */
	const bool overflow = size != 0 && n > SIZE_MAX / size;
	return !overflow && refuse(n * size) ? NULL : __libc_calloc(n, size);
}

EXPORT void *realloc(void *p, size_t size)
{
	note(RT_REALLOC);
	return refuse(size) ? NULL : __libc_realloc(p, size);
}

EXPORT void free(void *p)
{
	note(RT_FREE);
	__libc_free(p);
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
	note(RT_ALIGNED_ALLOC);
	return refuse(size) ? NULL : __libc_memalign(align, size);
}

EXPORT void *memalign(size_t align, size_t size)
{
	note(RT_ALIGNED_ALLOC);
	return refuse(size) ? NULL : __libc_memalign(align, size);
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	note(RT_ALIGNED_ALLOC);
	if (align < sizeof(void *) || (align & (align - 1)) != 0) {
		return 22; /* EINVAL */
	}
	void *p = refuse(size) ? NULL : __libc_memalign(align, size);
	if (!p && size) {
		return 12; /* ENOMEM */
	}
	*out = p;
	return 0;
}

EXPORT void *valloc(size_t size)
{
	note(RT_ALIGNED_ALLOC);
	return refuse(size) ? NULL : __libc_memalign((size_t)sysconf(_SC_PAGESIZE), size);
}

/* ---- everything else: forward to the next definition ---------------------- */

/* Resolve once; function pointers come back from dlsym as void *, which ISO C
 * cannot convert directly, hence the memcpy. */
#define FORWARD(ret, name, params)                                                                 \
	static ret(*real_##name) params;                                                           \
	static void resolve_##name(void)                                                           \
	{                                                                                          \
		if (!real_##name) {                                                                \
			void *sym = dlsym(RTLD_NEXT, #name);                                       \
			if (!sym) {                                                                \
				abort();                                                           \
			}                                                                          \
			memcpy(&real_##name, &sym, sizeof sym);                                    \
		}                                                                                  \
	}

FORWARD(int, pthread_mutex_lock, (pthread_mutex_t *))
FORWARD(int, pthread_mutex_trylock, (pthread_mutex_t *))
FORWARD(int, pthread_mutex_timedlock, (pthread_mutex_t *, const struct timespec *))
FORWARD(int, pthread_mutex_unlock, (pthread_mutex_t *))
FORWARD(int, pthread_rwlock_rdlock, (pthread_rwlock_t *))
FORWARD(int, pthread_rwlock_wrlock, (pthread_rwlock_t *))
FORWARD(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t *))
FORWARD(int, pthread_rwlock_trywrlock, (pthread_rwlock_t *))
FORWARD(int, pthread_rwlock_unlock, (pthread_rwlock_t *))
FORWARD(int, pthread_spin_lock, (pthread_spinlock_t *))
FORWARD(int, pthread_spin_trylock, (pthread_spinlock_t *))
FORWARD(int, pthread_cond_wait, (pthread_cond_t *, pthread_mutex_t *))
FORWARD(int, pthread_cond_timedwait, (pthread_cond_t *, pthread_mutex_t *, const struct timespec *))
FORWARD(int, pthread_cond_signal, (pthread_cond_t *))
FORWARD(int, pthread_cond_broadcast, (pthread_cond_t *))
FORWARD(int, sem_wait, (sem_t *))
FORWARD(int, sem_timedwait, (sem_t *, const struct timespec *))
FORWARD(int, sem_trywait, (sem_t *))
FORWARD(int, sem_post, (sem_t *))
FORWARD(int, nanosleep, (const struct timespec *, struct timespec *))
FORWARD(int, usleep, (useconds_t))
FORWARD(unsigned, sleep, (unsigned))
FORWARD(int, sched_yield, (void))
FORWARD(FILE *, fopen, (const char *, const char *))
FORWARD(ssize_t, read, (int, void *, size_t))
FORWARD(ssize_t, write, (int, const void *, size_t))
FORWARD(size_t, fwrite, (const void *, size_t, size_t, FILE *))
FORWARD(int, fputs, (const char *, FILE *))
FORWARD(int, fputc, (int, FILE *))
FORWARD(int, puts, (const char *))
FORWARD(int, vfprintf, (FILE *, const char *, va_list))
FORWARD(int, __vfprintf_chk, (FILE *, int, const char *, va_list))

/* One definition per wrapped function: count, resolve, call. */
#define WRAP(kind, ret, name, params, args)                                                        \
	EXPORT ret name params                                                                     \
	{                                                                                          \
		note(kind);                                                                        \
		resolve_##name();                                                                  \
		return real_##name args;                                                           \
	}

WRAP(RT_MUTEX_LOCK, int, pthread_mutex_lock, (pthread_mutex_t * m), (m))
WRAP(RT_MUTEX_LOCK, int, pthread_mutex_trylock, (pthread_mutex_t * m), (m))
WRAP(RT_MUTEX_LOCK, int, pthread_mutex_timedlock, (pthread_mutex_t * m, const struct timespec *t),
     (m, t))
WRAP(RT_MUTEX_UNLOCK, int, pthread_mutex_unlock, (pthread_mutex_t * m), (m))
WRAP(RT_RWLOCK, int, pthread_rwlock_rdlock, (pthread_rwlock_t * l), (l))
WRAP(RT_RWLOCK, int, pthread_rwlock_wrlock, (pthread_rwlock_t * l), (l))
WRAP(RT_RWLOCK, int, pthread_rwlock_tryrdlock, (pthread_rwlock_t * l), (l))
WRAP(RT_RWLOCK, int, pthread_rwlock_trywrlock, (pthread_rwlock_t * l), (l))
WRAP(RT_RWLOCK, int, pthread_rwlock_unlock, (pthread_rwlock_t * l), (l))
WRAP(RT_SPIN_LOCK, int, pthread_spin_lock, (pthread_spinlock_t * l), (l))
WRAP(RT_SPIN_LOCK, int, pthread_spin_trylock, (pthread_spinlock_t * l), (l))
WRAP(RT_COND, int, pthread_cond_wait, (pthread_cond_t * c, pthread_mutex_t *m), (c, m))
WRAP(RT_COND, int, pthread_cond_timedwait,
     (pthread_cond_t * c, pthread_mutex_t *m, const struct timespec *t), (c, m, t))
WRAP(RT_COND, int, pthread_cond_signal, (pthread_cond_t * c), (c))
WRAP(RT_COND, int, pthread_cond_broadcast, (pthread_cond_t * c), (c))
WRAP(RT_SEM, int, sem_wait, (sem_t * s), (s))
WRAP(RT_SEM, int, sem_timedwait, (sem_t * s, const struct timespec *t), (s, t))
WRAP(RT_SEM, int, sem_trywait, (sem_t * s), (s))
WRAP(RT_SEM, int, sem_post, (sem_t * s), (s))
WRAP(RT_SLEEP, int, nanosleep, (const struct timespec *t, struct timespec *rem), (t, rem))
WRAP(RT_SLEEP, int, usleep, (useconds_t us), (us))
WRAP(RT_SLEEP, unsigned, sleep, (unsigned s), (s))
WRAP(RT_SLEEP, int, sched_yield, (void), ())
WRAP(RT_FILE_IO, FILE *, fopen, (const char *path, const char *mode), (path, mode))
WRAP(RT_FILE_IO, ssize_t, read, (int fd, void *buf, size_t n), (fd, buf, n))
WRAP(RT_FILE_IO, ssize_t, write, (int fd, const void *buf, size_t n), (fd, buf, n))
WRAP(RT_FILE_IO, size_t, fwrite, (const void *p, size_t size, size_t n, FILE *f), (p, size, n, f))
WRAP(RT_FILE_IO, int, fputs, (const char *s, FILE *f), (s, f))
WRAP(RT_FILE_IO, int, fputc, (int ch, FILE *f), (ch, f))
WRAP(RT_FILE_IO, int, puts, (const char *s), (s))
WRAP(RT_FILE_IO, int, vfprintf, (FILE * f, const char *fmt, va_list ap), (f, fmt, ap))
WRAP(RT_FILE_IO, int, __vfprintf_chk, (FILE * f, int flag, const char *fmt, va_list ap),
     (f, flag, fmt, ap))

EXPORT int fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const int r = vfprintf(f, fmt, ap);
	va_end(ap);
	return r;
}

EXPORT int printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const int r = vfprintf(stdout, fmt, ap);
	va_end(ap);
	return r;
}

EXPORT int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const int r = __vfprintf_chk(f, flag, fmt, ap);
	va_end(ap);
	return r;
}

EXPORT int __printf_chk(int flag, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const int r = __vfprintf_chk(stdout, flag, fmt, ap);
	va_end(ap);
	return r;
}

#else

/* Sanitizer build: no interposition; the tests skip before using these. */
void rt_guard_begin(void) {}

void rt_guard_end(void) {}

uint64_t rt_guard_count(rt_call c)
{
	(void)c;
	return 0;
}

uint64_t rt_guard_seen(rt_call c)
{
	(void)c;
	return 0;
}

uint64_t rt_guard_total(void)
{
	return 0;
}

void rt_guard_reset(void) {}

const char *rt_guard_name(rt_call c)
{
	(void)c;
	return "?";
}

void rt_guard_print(FILE *f)
{
	(void)f;
}

void rt_guard_refuse_from(size_t min_bytes)
{
	(void)min_bytes;
}

uint64_t rt_guard_refused(void)
{
	return 0;
}

#endif
