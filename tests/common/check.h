/* The checks of every C test program: CHECK(cond, printf-style message)
 * counts a failure and says where, what and why, and the test goes on; main()
 * returns check_exit(), which says "ok" or how many checks failed.
 * check.c holds the counter, so that every file of a program counts into
 * the same one. */
#ifndef HEIST_TEST_CHECK_H
#define HEIST_TEST_CHECK_H

#include <stddef.h>
#include <stdio.h>

/* Failed checks so far (CHECK adds one; a test may add its own). */
extern int check_failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			++check_failures;                                                          \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)

/* meson's "skipped" exit status. */
#define CHECK_SKIP 77

/* The largest |a[i] - b[i]|; NaN if any difference is NaN, so that a NaN
 * never passes a bound. */
float check_max_diff(const float *a, const float *b, size_t n);

/* The largest |x[i]| (NaNs passed over: a test bounds them on its own). */
double check_peak(const float *x, size_t n);

/* Prints "NAME: ok" or "NAME: N check(s) failed" on stdout; returns the exit
 * status, 0 or 1. */
int check_exit(const char *name);

#endif
