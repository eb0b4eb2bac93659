/* What the bench programs share: their clock (this thread's CPU time, so
 * other processes on a busy machine do not count) and sorting of samples
 * for medians and quantiles. Header-only: each bench is one .c file. */
#ifndef HEIST_BENCH_UTIL_H
#define HEIST_BENCH_UTIL_H

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* [main] This thread's CPU time in seconds. */
static inline double cpu_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static inline int cmp_double(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* [main] Sorts v ascending. */
static inline void sort_doubles(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
}

/* [main] When argv[*i] is the option `name` and a value follows: moves *i to
 * the value and answers 1; else 0. */
static inline int option_arg(int argc, char **argv, int *i, const char *name)
{
	if (strcmp(argv[*i], name) || *i + 1 >= argc) {
		return 0;
	}
	++*i;
	return 1;
}

/* [main] The same, with the value read into *out (atof, atoi). */
static inline int double_arg(int argc, char **argv, int *i, const char *name, double *out)
{
	return option_arg(argc, argv, i, name) ? (*out = atof(argv[*i]), 1) : 0;
}

static inline int int_arg(int argc, char **argv, int *i, const char *name, int *out)
{
	return option_arg(argc, argv, i, name) ? (*out = atoi(argv[*i]), 1) : 0;
}

#endif
