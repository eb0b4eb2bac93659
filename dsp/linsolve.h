/* The small dense linear solve of dsp/'s least-squares fits: the normal
 * equations of a handful of unknowns (the decimator's high-band weighting
 * filter in analysis.c, the glide landing in notes.c), by Gauss-Jordan
 * elimination with partial pivoting.
 *
 * [any thread] no allocation; n^3 steps, bounded by the caller's n. */
#ifndef HEIST_LINSOLVE_H
#define HEIST_LINSOLVE_H

/* Solves A x = b given the n x (n + 1) augmented matrix [A | b], row-major
 * with rows of n + 1 doubles, which it overwrites. Returns 1 with x[0..n)
 * finite; 0, x unspecified, when a pivot's magnitude is not above min_pivot
 * (a singular or nearly singular A, or a NaN in it) or a solution is not
 * finite. Pivot choice (the largest magnitude, the first of equals), the
 * order of the steps and the final x[i] = b'[i] / a'[i][i] are fixed: the
 * filters analysis.c designs with it are part of every render's bits. */
int heist_linsolve(double *m, int n, double min_pivot, double *x);

#endif
