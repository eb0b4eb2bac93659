/* Error bounds of the vectorised approximations in dsp/fastmath.h against
 * double-precision libm, for both compilations the network uses (x86-64
 * baseline and AVX2+FMA, where the CPU has it). The bounds asserted here are
 * the ones documented in fastmath.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cpu.h"
#include "fastmath.h"
#include "net.h"

static int failures;

typedef enum { F_EXP, F_LOG, F_SIGMOID, F_TANH, F_EXP_SIGMOID, F_COUNT } fn;
static const char *names[] = {"exp", "log", "sigmoid", "tanh", "exp_sigmoid"};

/* One 8-lane evaluation; always-inline helpers take the caller's target.
 * split: comparisons in 4-float halves (fm_lt), as the baseline network
 * step and speq run them. */
#define EVAL_BODY(split)                                                                           \
	const fm_v8f v = fm_load(x);                                                               \
	fm_store(y, f == F_EXP       ? fm_exp_s(v, split)                                          \
	            : f == F_LOG     ? fm_log_s(v, split)                                          \
	            : f == F_SIGMOID ? fm_sigmoid_s(v, split)                                      \
	            : f == F_TANH    ? fm_tanh_s(v, split)                                         \
	                             : fm_exp_sigmoid_s(v, split))

static void eval_generic(fn f, const float *x, float *y)
{
	EVAL_BODY(1);
}

/* The baseline compilation with whole 8-float comparisons (what the other
 * baseline callers run): must give the same bits as the split one. */
static void eval_generic_whole(fn f, const float *x, float *y)
{
	EVAL_BODY(0);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2,fma"))) static void eval_avx2(fn f, const float *x, float *y)
{
	EVAL_BODY(0);
}
#endif

static double reference(fn f, double x)
{
	switch (f) {
	case F_EXP:
		return exp(x);
	case F_LOG:
		return log(x);
	case F_SIGMOID:
		return 1.0 / (1.0 + exp(-x));
	case F_TANH:
		return tanh(x);
	default:
		return 2.0 * pow(1.0 / (1.0 + exp(-x)), log(10.0)) + 1e-7;
	}
}

typedef struct {
	double lo, hi;    /* input range (log: geometric) */
	double abs_tol;   /* bound on |approx - exact| */
	double rel_tol;   /* bound on |approx - exact| / |exact| ... */
	double rel_from;  /* ... where |exact| >= rel_from */
	double abs_below; /* the absolute bound holds where |exact| < abs_below */
} bound;

/* Bounds with their reasons:
 * exp: 7-term Taylor (5e-9) + Cody-Waite reduction + ~3 float roundings:
 *      measured ~1.2e-7, bound 2e-7 relative.
 * log: series to s^9 (4e-10) + a division and ~3 roundings: 2e-7 relative,
 *      1e-7 absolute near x = 1 where log itself goes to 0.
 * sigmoid: exp's 2e-7 divided down by 1 + e^-x, plus the division:
 *      4e-7 relative, 1.5e-7 absolute.
 * tanh: 2 sigmoid(2x) - 1 doubles sigmoid's absolute error: 3e-7 absolute.
 * exp_sigmoid: exp(-ln10 * softplus) with outputs up to 2: the absolute
 *      error of softplus (~1e-7 near 0) times ln 10 times 2, 1e-6 bound. */
static const bound bounds[F_COUNT] = {
    [F_EXP] = {-87.0, 88.0, 0.0, 2e-7, 0.0, 0.0},
    [F_LOG] = {1e-37, 1e37, 1e-7, 2e-7, 0.5, 0.5},
    [F_SIGMOID] = {-60.0, 60.0, 1.5e-7, 4e-7, 1e-30, INFINITY},
    [F_TANH] = {-20.0, 20.0, 3e-7, 0.0, INFINITY, INFINITY},
    [F_EXP_SIGMOID] = {-80.0, 80.0, 1e-6, 0.0, INFINITY, INFINITY},
};

/* y = f(x) by the AVX2+FMA or the baseline compilation. */
static void eval_at(fn f, int avx2, const float *x, float *y)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (avx2) {
		eval_avx2(f, x, y);
		return;
	}
#endif
	(void)avx2;
	eval_generic(f, x, y);
}

static void check(fn f, int avx2)
{
	const bound b = bounds[f];
	const long n = 2000000;
	double worst_abs = 0.0, worst_rel = 0.0, at_abs = 0.0, at_rel = 0.0;
	float x[8], y[8];
	long split_diff = 0; /* baseline batches where split and whole differ */
	for (long i = 0; i < n; i += 8) {
		for (int l = 0; l < 8; ++l) {
			const double t = (double)(i + l) / (n - 1);
			x[l] = (float)(f == F_LOG ? b.lo * pow(b.hi / b.lo, t)
			                          : b.lo + (b.hi - b.lo) * t);
		}
		eval_at(f, avx2, x, y);
		if (!avx2) {
			float w[8];
			eval_generic_whole(f, x, w);
			split_diff += memcmp(w, y, sizeof w) != 0;
		}
		for (int l = 0; l < 8; ++l) {
			const double want = reference(f, x[l]), err = fabs(y[l] - want);
			if (fabs(want) < b.abs_below && err > worst_abs) {
				worst_abs = err;
				at_abs = x[l];
			}
			if (fabs(want) >= b.rel_from && err / fabs(want) > worst_rel) {
				worst_rel = err / fabs(want);
				at_rel = x[l];
			}
		}
	}
	const int abs_ok = b.abs_tol == 0.0 || worst_abs <= b.abs_tol;
	const int rel_ok = b.rel_tol == 0.0 || worst_rel <= b.rel_tol;
	printf("%-8s %-12s max abs %.3g (x=%.4g)%s, max rel %.3g (x=%.4g)%s\n",
	       avx2 ? "avx2+fma" : "baseline", names[f], worst_abs, at_abs, abs_ok ? "" : " FAIL",
	       worst_rel, at_rel, rel_ok ? "" : " FAIL");
	failures += !abs_ok + !rel_ok;
	if (split_diff) {
		printf("FAIL %s: split and whole comparisons differ in %ld batches\n", names[f],
		       split_diff);
		++failures;
	}

	/* NaN in, NaN out (the network's finiteness checks rely on it); huge
	 * arguments saturate instead of producing Inf or NaN. */
	for (int l = 0; l < 8; ++l) {
		x[l] = l < 4 ? NAN : (f == F_LOG ? 1e38f : (l & 1 ? 1e30f : -1e30f));
	}
	eval_at(f, avx2, x, y);
	for (int l = 0; l < 8; ++l) {
		const int ok = l < 4 ? isnan(y[l]) : isfinite(y[l]) || f == F_EXP;
		if (!ok) {
			printf("FAIL %s(%g) = %g\n", names[f], (double)x[l], (double)y[l]);
			++failures;
		}
	}
}

int main(void)
{
	const int has_avx2 = heist_cpu_level() >= HEIST_CPU_AVX2;
	for (int avx2 = 0; avx2 <= has_avx2; ++avx2) {
		for (int f = 0; f < F_COUNT; ++f) {
			check((fn)f, avx2);
		}
	}
	if (!has_avx2) {
		printf("no AVX2+FMA on this CPU: baseline only\n");
	}
	printf("%s\n", failures ? "FAIL" : "ok");
	return failures ? 1 : 0;
}
