/* Shared helpers of the robustness tests (checks: check.h): a seedable random source,
 * test signals and output pitch measurement. */
#ifndef ROBUST_H
#define ROBUST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"

/* xorshift32 */
uint32_t robust_rand(uint32_t *state);
/* Uniform in [0, 1). */
double robust_uniform(uint32_t *state);
/* Uniform integer in [lo, hi]. */
uint32_t robust_range(uint32_t *state, uint32_t lo, uint32_t hi);

/* A host-like block size in [0, max]: a third tiny (0..8), a third mid-size,
 * a third up to max, so that 0, 1 and max all occur. */
uint32_t robust_block(uint32_t *state, uint32_t max);

/* A sawtooth-like voiced tone: fundamental f0 Hz with three harmonics
 * (1, 1/2, 1/3), peak amplitude about amp, sample index start onwards.
 * The phase is computed from the absolute index in double precision, so any
 * length (an hour) stays exact. */
void robust_tone(float *x, size_t n, uint64_t start, double rate, double f0, double amp);

/* Output pitch: the strongest period of x near 1/f0_expected, found by
 * normalised autocorrelation over lags for f0_expected * [2^-1/2 .. 2^1/2]
 * and refined by parabolic interpolation. *corr receives the normalised
 * correlation at the chosen lag (1 = perfectly periodic). Returns Hz. */
double robust_period_pitch(const float *x, size_t n, double rate, double f0_expected, double *corr);

/* Precise frequency of the strongest partial of x near f0_guess (within
 * +-3 %): maximises the Hann-windowed DFT magnitude (coarse grid, then golden
 * section search). Resolution far below 0.01 Hz for a 1 s window. */
double robust_dft_pitch(const float *x, size_t n, double rate, double f0_guess);

/* How many samples of x are not finite. */
size_t robust_nonfinite(const float *x, size_t n);

/* Largest |x| and whether every sample is finite. */
float robust_peak(const float *x, size_t n, int *all_finite);

double robust_rms(const float *x, size_t n);

/* Cents from a to b. */
double robust_cents(double a, double b);

/* A number from an environment variable, or def. */
double robust_env(const char *name, double def);

/* The duration argument of a program run as "PROGRAM MODEL.hsm [NAME]" (NAME
 * says what it is, as SECONDS does): argv[2], or def without it; the
 * environment variable env overrides both. With another number of
 * arguments, prints the usage and exits with status 2 (as for a negative
 * time): every caller's main() stopped there. */
double robust_seconds_arg(int argc, char **argv, const char *name, const char *env, double def);

/* Monotonic clock, in seconds. */
double robust_now_s(void);

#endif
