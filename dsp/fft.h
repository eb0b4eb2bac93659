/* Real FFT for the analysis and the noise grains: sizes n = 2 m with
 * m = 2^a 3^b 5^c, split real/imaginary spectra, no allocation after
 * heist_rfft_new(). Same conventions as kissfft's kiss_fftr / kiss_fftri
 * (forward e^{-2 pi i k t / n}, unscaled inverse: n times the signal).
 *
 * Stockham autosort passes of radix 8, 5, 4, 3 and 2 over split-complex
 * arrays, eight butterflies per vector (fastmath.h vectors); baseline and
 * AVX2+FMA builds chosen at run time (ARCHITECTURE.md, "Instruction sets"). */
#ifndef HEIST_FFT_H
#define HEIST_FFT_H

#include <stddef.h>
#include <stdint.h>

typedef struct heist_rfft heist_rfft;

/* [main] NULL when n is not supported or out of memory. */
heist_rfft *heist_rfft_new(uint32_t n);
void heist_rfft_free(heist_rfft *f);

/* [any] Floats of work memory one transform of f uses (dead between calls). */
size_t heist_rfft_work_floats(const heist_rfft *f);

/* [main] A plan without work memory: it transforms nothing until
 * heist_rfft_share_work() gives it some. */
heist_rfft *heist_rfft_new_unbacked(uint32_t n);

/* [main] Use work (heist_rfft_work_floats() floats, 64-byte aligned, owned
 * by the caller and outliving f) instead of f's own, which is freed: plans
 * that never transform at the same time can share one. */
void heist_rfft_share_work(heist_rfft *f, float *work);

/* [any] Whether heist_rfft_new(n) accepts n. */
int heist_rfft_size_ok(uint32_t n);

/* [audio] re[n/2+1], im[n/2+1] = rfft(x[n]). */
void heist_rfft_forward(heist_rfft *f, const float *x, float *re, float *im);

/* [audio] x[n] = n * irfft(re, im) (im[0] and im[n/2] are ignored). */
void heist_rfft_inverse(heist_rfft *f, const float *re, const float *im, float *x);

#endif
