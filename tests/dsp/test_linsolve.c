/* The small linear solve (dsp/linsolve.h): a known system, systems that need
 * their rows swapped, and the failures (singular, nearly singular against
 * min_pivot, non-finite input). */
#include <math.h>
#include <string.h>

#include "check.h"
#include "linsolve.h"

/* Copies the n x (n + 1) system in, solves it and checks x against want
 * within tol; returns heist_linsolve()'s result. */
static int solve_check(const char *what, const double *sys, int n, double min_pivot,
                       const double *want, double tol)
{
	double m[4 * 5], x[4];
	memcpy(m, sys, sizeof(double) * (size_t)(n * (n + 1)));
	const int ok = heist_linsolve(m, n, min_pivot, x);
	CHECK(ok, "%s: solved", what);
	for (int i = 0; ok && i < n; ++i) {
		CHECK(fabs(x[i] - want[i]) <= tol, "%s: x[%d] = %.17g, want %.17g", what, i, x[i],
		      want[i]);
	}
	return ok;
}

static int solve_fails(const double *sys, int n, double min_pivot)
{
	double m[4 * 5], x[4];
	memcpy(m, sys, sizeof(double) * (size_t)(n * (n + 1)));
	return !heist_linsolve(m, n, min_pivot, x);
}

int main(void)
{
	/* Integer answer (2, 3, -1); the arithmetic is exact to a few ulps. */
	static const double known[3 * 4] = {2, 1, -1, 8, -3, -1, 2, -11, -2, 1, 2, -3};
	solve_check("known 3x3", known, 3, 0.0, (const double[]){2, 3, -1}, 1e-14);

	/* A zero in the first pivot place: without a row swap the elimination
	 * divides by zero. */
	static const double zero_pivot[2 * 3] = {0, 1, 2, 1, 0, 3};
	solve_check("zero pivot", zero_pivot, 2, 0.0, (const double[]){3, 2}, 0.0);

	/* A tiny first pivot: without the swap 1 - 1e20 swallows the second
	 * row and x[0] comes out 0 instead of 1 (1 / (1 - 1e-20) = 1 in
	 * doubles). */
	static const double tiny_pivot[2 * 3] = {1e-20, 1, 1, 1, 1, 2};
	solve_check("tiny pivot", tiny_pivot, 2, 0.0, (const double[]){1, 1}, 1e-15);

	/* 4 x 4 whose every column's largest entry lies below the diagonal:
	 * a swap at each step, answer (1, -2, 0.5, 4). */
	static const double order[4 * 5] = {
	    1, 2, 3, 10, 38.5, 2, 1, 20, 3, 22, 40, 3, 2, 1, 39, 4, 30, 1, 2, -47.5,
	};
	solve_check("row order", order, 4, 0.0, (const double[]){1, -2, 0.5, 4}, 1e-13);

	/* Singular (second row twice the first): the second pivot is 0. */
	static const double singular[2 * 3] = {1, 2, 3, 2, 4, 6};
	CHECK(solve_fails(singular, 2, 0.0), "singular: reports failure");
	/* Nearly singular: solvable, but its second pivot (1e-12) is not above
	 * a min_pivot of 1e-9, the tracker's. */
	static const double near[2 * 3] = {1, 1, 2, 1, 1 + 1e-12, 2};
	CHECK(!solve_fails(near, 2, 0.0), "nearly singular: solved with min_pivot 0");
	CHECK(solve_fails(near, 2, 1e-9), "nearly singular: fails under min_pivot 1e-9");
	/* A NaN in the matrix or on the right: no non-finite answer. */
	static const double nan_a[2 * 3] = {NAN, 1, 1, 1, 1, 2};
	CHECK(solve_fails(nan_a, 2, 0.0), "NaN in A: reports failure");
	static const double nan_b[2 * 3] = {2, 1, NAN, 1, 3, 2};
	CHECK(solve_fails(nan_b, 2, 0.0), "NaN in b: reports failure");
	static const double inf_b[2 * 3] = {2, 1, INFINITY, 1, 3, 2};
	CHECK(solve_fails(inf_b, 2, 0.0), "infinite b: reports failure");
	return check_exit("test_linsolve");
}
