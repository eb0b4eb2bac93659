/* Shared helpers of the robustness tests (see robust.h). */
#include "robust.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

#define TWO_PI 6.28318530717958647692

uint32_t robust_rand(uint32_t *state)
{
	uint32_t x = *state ? *state : 0x12345678u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

double robust_uniform(uint32_t *state)
{
	return (robust_rand(state) >> 8) / 16777216.0;
}

uint32_t robust_range(uint32_t *state, uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t)(robust_uniform(state) * ((double)hi - lo + 1.0));
}

uint32_t robust_block(uint32_t *state, uint32_t max)
{
	switch (robust_rand(state) % 3) {
	case 0:
		return robust_range(state, 0, 8 < max ? 8 : max);
	case 1:
		return robust_range(state, 0, 512 < max ? 512 : max);
	default:
		return robust_rand(state) % 8 == 0 ? max : robust_range(state, 0, max);
	}
}

void robust_tone(float *x, size_t n, uint64_t start, double rate, double f0, double amp)
{
	const double k = amp / 1.8333333333333333; /* 1 + 1/2 + 1/3 */
	for (size_t i = 0; i < n; ++i) {
		const double cycles = (double)(start + i) * f0 / rate;
		const double ph = TWO_PI * (cycles - floor(cycles));
		x[i] = (float)(k * (sin(ph) + 0.5 * sin(2.0 * ph) + sin(3.0 * ph) / 3.0));
	}
}

static double norm_corr(const float *x, size_t n, size_t lag)
{
	double xy = 0.0, xx = 0.0, yy = 0.0;
	for (size_t i = 0; i + lag < n; ++i) {
		xy += (double)x[i] * x[i + lag];
		xx += (double)x[i] * x[i];
		yy += (double)x[i + lag] * x[i + lag];
	}
	return xx > 0.0 && yy > 0.0 ? xy / sqrt(xx * yy) : 0.0;
}

double robust_period_pitch(const float *x, size_t n, double rate, double f0_expected, double *corr)
{
	const double period = rate / f0_expected;
	size_t lo = (size_t)floor(period / sqrt(2.0)), hi = (size_t)ceil(period * sqrt(2.0));
	if (lo < 2) {
		lo = 2;
	}
	if (hi + 1 >= n / 2) {
		hi = n / 2 - 2;
	}
	size_t best = lo;
	double best_c = -2.0;
	for (size_t lag = lo; lag <= hi; ++lag) {
		const double c = norm_corr(x, n, lag);
		if (c > best_c) {
			best_c = c;
			best = lag;
		}
	}
	double lag = (double)best;
	if (best > lo && best < hi) {
		const double a = norm_corr(x, n, best - 1), c = norm_corr(x, n, best + 1);
		const double den = a - 2.0 * best_c + c;
		if (den < 0.0) {
			lag += 0.5 * (a - c) / den;
		}
	}
	if (corr) {
		*corr = best_c;
	}
	return rate / lag;
}

static double dft_mag(const float *x, size_t n, double rate, double f)
{
	/* Phasor recursion in double: cheap and accurate enough for n ~ 1e5. */
	const double w = TWO_PI * f / rate;
	const double cw = cos(w), sw = sin(w);
	double c = 1.0, s = 0.0, re = 0.0, im = 0.0;
	for (size_t i = 0; i < n; ++i) {
		const double win = 0.5 - 0.5 * cos(TWO_PI * (i + 0.5) / n);
		re += win * x[i] * c;
		im -= win * x[i] * s;
		const double c2 = c * cw - s * sw;
		s = s * cw + c * sw;
		c = c2;
	}
	return sqrt(re * re + im * im);
}

double robust_dft_pitch(const float *x, size_t n, double rate, double f0_guess)
{
	const double lo = f0_guess * 0.97, hi = f0_guess * 1.03;
	const double step = rate / n / 4.0; /* quarter-bin grid */
	double best_f = lo, best_m = -1.0;
	for (double f = lo; f <= hi; f += step) {
		const double m = dft_mag(x, n, rate, f);
		if (m > best_m) {
			best_m = m;
			best_f = f;
		}
	}
	/* Golden section on [best_f - step, best_f + step]: unimodal there. */
	const double g = 0.6180339887498949;
	double a = best_f - step, b = best_f + step;
	double c = b - g * (b - a), d = a + g * (b - a);
	double mc = dft_mag(x, n, rate, c), md = dft_mag(x, n, rate, d);
	for (int it = 0; it < 40; ++it) {
		if (mc > md) {
			b = d;
			d = c;
			md = mc;
			c = b - g * (b - a);
			mc = dft_mag(x, n, rate, c);
		} else {
			a = c;
			c = d;
			mc = md;
			d = a + g * (b - a);
			md = dft_mag(x, n, rate, d);
		}
	}
	return 0.5 * (a + b);
}

size_t robust_nonfinite(const float *x, size_t n)
{
	size_t bad = 0;
	for (size_t i = 0; i < n; ++i) {
		bad += !isfinite(x[i]);
	}
	return bad;
}

float robust_peak(const float *x, size_t n, int *all_finite)
{
	float peak = 0.0f;
	int finite = 1;
	for (size_t i = 0; i < n; ++i) {
		if (!isfinite(x[i])) {
			finite = 0;
			continue;
		}
		const float a = fabsf(x[i]);
		peak = a > peak ? a : peak;
	}
	if (all_finite) {
		*all_finite = finite;
	}
	return peak;
}

double robust_rms(const float *x, size_t n)
{
	double s = 0.0;
	for (size_t i = 0; i < n; ++i) {
		s += (double)x[i] * x[i];
	}
	return n ? sqrt(s / n) : 0.0;
}

double robust_cents(double a, double b)
{
	return 1200.0 * log2(b / a);
}

double robust_env(const char *name, double def)
{
	const char *v = getenv(name);
	if (!v || !*v) {
		return def;
	}
	char *end;
	const double d = strtod(v, &end);
	return end != v ? d : def;
}

double robust_seconds_arg(int argc, char **argv, const char *name, const char *env, double def)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s MODEL.hsm [%s]\n", argc > 0 ? argv[0] : "test", name);
		exit(2);
	}
	const double s = robust_env(env, argc == 3 ? atof(argv[2]) : def);
	if (s < 0.0) {
		exit(2); /* as before the exit moved here: a negative time is no test */
	}
	return s;
}

double robust_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}
