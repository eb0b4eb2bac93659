/* dsp/fft.c against a double-precision DFT: every size the engine uses
 * (analysis spans for each lowest-pitch floor at 44.1, 48 and 96 kHz, noise
 * grains) and odd factorisations, forward and unscaled inverse, for the
 * baseline and the AVX2+FMA build (whichever the CPU runs). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpu_level.h"
#include "fft.h"

#define TWO_PI 6.28318530717958647692

static int failures;

static void check_size(uint32_t n)
{
	heist_rfft *f = heist_rfft_new(n);
	if (!f) {
		printf("FAIL n=%u refused\n", n);
		++failures;
		return;
	}
	const uint32_t h = n / 2;
	float *x = malloc(n * sizeof(float)), *re = malloc((h + 1) * sizeof(float)),
	      *im = malloc((h + 1) * sizeof(float)), *y = malloc(n * sizeof(float));
	uint32_t rng = n;
	double norm = 0.0;
	for (uint32_t i = 0; i < n; ++i) {
		rng = rng * 1664525u + 1013904223u;
		x[i] = (float)((rng >> 8) / 8388608.0 - 1.0);
		norm += (double)x[i] * x[i];
	}
	heist_rfft_forward(f, x, re, im);
	double worst = 0.0;
	for (uint32_t k = 0; k <= h; ++k) {
		double sr = 0.0, si = 0.0;
		for (uint32_t t = 0; t < n; ++t) {
			const double a = -TWO_PI * (double)((uint64_t)k * t % n) / n;
			sr += x[t] * cos(a);
			si += x[t] * sin(a);
		}
		worst = fmax(worst, hypot(re[k] - sr, im[k] - si));
	}
	/* float32 FFT error grows like eps * log2(n) * ||x||: relative to the
	 * spectrum's rms (sqrt(n) ||x|| / sqrt(n)), 2e-6 is ~10x that. */
	const double rel_f = worst / sqrt(norm);
	heist_rfft_inverse(f, re, im, y);
	double worst_i = 0.0;
	for (uint32_t t = 0; t < n; ++t) {
		worst_i = fmax(worst_i, fabs(y[t] / n - x[t]));
	}
	const int ok = rel_f < 2e-6 && worst_i < 2e-6;
	printf("n=%5u: forward error %.2e of ||x||, round trip %.2e%s\n", n, rel_f, worst_i,
	       ok ? "" : "  FAIL");
	failures += !ok;
	free(x);
	free(re);
	free(im);
	free(y);
	heist_rfft_free(f);
}

int main(void)
{
	test_cpu_level("test_fft");
	/* spans at 44.1/48/96 kHz for floors 50..300 Hz, grains, and others. */
	const uint32_t sizes[] = {4,    6,    8,    10,  16,  30,  64,   128,  256,  300,
	                          320,  512,  600,  640, 900, 960, 1200, 1280, 1800, 1920,
	                          2400, 2560, 3840, 150, 450, 250, 1250, 2250, 4096, 1000};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; ++i) {
		check_size(sizes[i]);
	}
	const uint32_t bad[] = {0, 2, 7, 14, 22, 1922};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
		if (heist_rfft_size_ok(bad[i]) || heist_rfft_new(bad[i])) {
			printf("FAIL n=%u accepted\n", bad[i]);
			++failures;
		}
	}
	printf("%s\n", failures ? "FAIL" : "ok");
	return failures ? 1 : 0;
}
