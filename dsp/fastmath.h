/* Vectorised exp, log, sigmoid, tanh and exp_sigmoid on 8-float vectors
 * (GCC/clang vector extensions), compiled once per instruction set by the
 * kernels that inline them (ARCHITECTURE.md, "Instruction sets").
 *
 * Error bounds (measured by tests/dsp/test_fastmath.c against double, for
 * both the baseline and the AVX2+FMA compilation):
 *   fm_exp         relative 2e-7 on [-87, 88]; clamps outside (no inf/denormal)
 *   fm_log         relative 2e-7 (absolute 1e-7 near 1) for normal x > 0
 *   fm_sigmoid     absolute 1.5e-7, relative 4e-7 where sigmoid > 1e-30
 *   fm_tanh        absolute 3e-7 (2 * sigmoid(2x) - 1: relative is looser
 *                  only where tanh itself is below ~1e-6)
 *   fm_exp_sigmoid absolute 1e-6 (outputs lie in [1e-7, 2 + 1e-7])
 * NaN in gives NaN out, so the network's finiteness checks still see it.
 *
 * Everything is static inline so each including function's target applies. */
#ifndef HEIST_FASTMATH_H
#define HEIST_FASTMATH_H

#include <stdint.h>
#include <string.h>

/* 32-byte vectors passed between always-inline helpers never cross a real
 * call, so the psABI note about AVX argument passing does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"

typedef float fm_v8f __attribute__((vector_size(32)));
typedef int32_t fm_v8i __attribute__((vector_size(32)));

#define FM_ALWAYS static inline __attribute__((always_inline))

FM_ALWAYS fm_v8f fm_load(const float *p)
{
	fm_v8f v;
	memcpy(&v, p, sizeof v);
	return v;
}

FM_ALWAYS fm_v8i fm_load_i(const int32_t *p)
{
	fm_v8i v;
	memcpy(&v, p, sizeof v);
	return v;
}

FM_ALWAYS void fm_store(float *p, fm_v8f v)
{
	memcpy(p, &v, sizeof v);
}

FM_ALWAYS fm_v8f fm_splat(float x)
{
	return (fm_v8f){x, x, x, x, x, x, x, x};
}

/* The sum of the lanes (pairwise: a few shuffles, no serial chain). */
FM_ALWAYS float fm_hsum(fm_v8f v)
{
	float l[8];
	memcpy(l, &v, sizeof l);
	return ((l[0] + l[4]) + (l[1] + l[5])) + ((l[2] + l[6]) + (l[3] + l[7]));
}

/* Lanes in reverse order. */
FM_ALWAYS fm_v8f fm_reverse(fm_v8f v)
{
#if defined(__clang__)
	return __builtin_shufflevector(v, v, 7, 6, 5, 4, 3, 2, 1, 0);
#else
	return __builtin_shuffle(v, (fm_v8i){7, 6, 5, 4, 3, 2, 1, 0});
#endif
}

/* mask ? a : b, mask from a vector comparison (all ones or zero per lane). */
FM_ALWAYS fm_v8f fm_select(fm_v8i mask, fm_v8f a, fm_v8f b)
{
	return (fm_v8f)(((fm_v8i)a & mask) | ((fm_v8i)b & ~mask));
}

/* Comparisons. A build without 8-float registers (baseline x86-64, i.e.
 * SSE2, or NEON) runs 8-float arithmetic as two 4-float halves, but gcc 12
 * lowers an 8-float comparison lane by lane into scalar compares and moves
 * (measured: a quarter of the baseline network step). With split = 1 (a
 * constant at each call) a comparison is two 4-float ones, which those
 * builds have; the AVX clones pass 0 and keep one 256-bit compare (split,
 * they would pay two 128-bit compares and an insert). Same results. */
typedef float fm_v4f __attribute__((vector_size(16)));
typedef int32_t fm_v4i __attribute__((vector_size(16)));

/* fm_load and fm_store at 4 floats: the baseline build's registers. */
FM_ALWAYS fm_v4f fm_load4(const float *p)
{
	fm_v4f v;
	memcpy(&v, p, sizeof v);
	return v;
}

FM_ALWAYS void fm_store4(float *p, fm_v4f v)
{
	memcpy(p, &v, sizeof v);
}

/* a < b per lane (all ones or zero). */
FM_ALWAYS fm_v8i fm_lt(fm_v8f a, fm_v8f b, int split)
{
	if (!split) {
		return a < b;
	}
	fm_v4f a2[2], b2[2];
	fm_v4i r2[2];
	memcpy(a2, &a, sizeof a2);
	memcpy(b2, &b, sizeof b2);
	r2[0] = a2[0] < b2[0];
	r2[1] = a2[1] < b2[1];
	fm_v8i r;
	memcpy(&r, r2, sizeof r);
	return r;
}

/* x is NaN per lane (all ones or zero). */
FM_ALWAYS fm_v8i fm_isnan(fm_v8f x, int split)
{
	if (!split) {
		return x != x;
	}
	fm_v4f x2[2];
	fm_v4i r2[2];
	memcpy(x2, &x, sizeof x2);
	r2[0] = x2[0] != x2[0];
	r2[1] = x2[1] != x2[1];
	fm_v8i r;
	memcpy(&r, r2, sizeof r);
	return r;
}

/* Clamp keeping NaN (comparisons with NaN are false); split: fm_lt. */
FM_ALWAYS fm_v8f fm_clamp_s(fm_v8f x, float lo, float hi, int split)
{
	x = fm_select(fm_lt(x, fm_splat(lo), split), fm_splat(lo), x);
	return fm_select(fm_lt(fm_splat(hi), x, split), fm_splat(hi), x);
}

FM_ALWAYS fm_v8f fm_clamp(fm_v8f x, float lo, float hi)
{
	return fm_clamp_s(x, lo, hi, 0);
}

/* e^x: x = n ln2 + r, |r| <= ln2 / 2, e^r by its Taylor series to r^7/7!
 * (truncation 5e-9 relative), 2^n built in the exponent bits. */
FM_ALWAYS fm_v8f fm_exp_s(fm_v8f x, int split)
{
	const float shifter = 12582912.0f; /* 1.5 * 2^23: rounds to integer */
	x = fm_clamp_s(x, -87.0f, 88.0f, split);
	const fm_v8f t = x * 1.44269504088896341f + shifter;
	const fm_v8f n = t - shifter;
	fm_v8f r = x - n * 0.693145751953125f; /* ln2 split: exact high part */
	r = r - n * 1.42860682030941723e-6f;
	fm_v8f p = r * (1.0f / 5040.0f) + (1.0f / 720.0f);
	p = p * r + (1.0f / 120.0f);
	p = p * r + (1.0f / 24.0f);
	p = p * r + (1.0f / 6.0f);
	p = p * r + 0.5f;
	p = p * r + 1.0f;
	p = p * r + 1.0f;
	/* t's low mantissa bits hold n + 2^22: subtracting the shifter's bits
	 * leaves n, shifted into the exponent. NaN lanes stay NaN through p. */
	const fm_v8i e = ((fm_v8i)t - (fm_v8i)fm_splat(shifter) + 127) << 23;
	return p * (fm_v8f)e;
}

FM_ALWAYS fm_v8f fm_exp(fm_v8f x)
{
	return fm_exp_s(x, 0);
}

/* log x for normal x > 0: x = 2^k m, m in [sqrt(1/2), sqrt(2)),
 * log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.172, series to s^9
 * (truncation 4e-10). */
FM_ALWAYS fm_v8f fm_log_s(fm_v8f x, int split)
{
	const fm_v8i bits = (fm_v8i)x;
	fm_v8i k = ((bits >> 23) & 0xff) - 127;
	fm_v8f m = (fm_v8f)((bits & 0x007fffff) | 0x3f800000);
	const fm_v8i big = fm_lt(fm_splat(1.41421356237f), m, split);
	m = fm_select(big, m * 0.5f, m);
	k = k - big; /* big is -1 where set */
	const fm_v8f s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
	fm_v8f p = s2 * (1.0f / 9.0f) + (1.0f / 7.0f);
	p = p * s2 + (1.0f / 5.0f);
	p = p * s2 + (1.0f / 3.0f);
	p = p * s2 + 1.0f;
	const fm_v8f kf = __builtin_convertvector(k, fm_v8f);
	const fm_v8f lm = (s + s) * p;
	const fm_v8f res = kf * 0.693145751953125f + (kf * 1.42860682030941723e-6f + lm);
	return fm_select(fm_isnan(x, split), x, res); /* NaN stays NaN */
}

FM_ALWAYS fm_v8f fm_log(fm_v8f x)
{
	return fm_log_s(x, 0);
}

FM_ALWAYS fm_v8f fm_sigmoid_s(fm_v8f x, int split)
{
	return 1.0f / (1.0f + fm_exp_s(-x, split));
}

FM_ALWAYS fm_v8f fm_sigmoid(fm_v8f x)
{
	return fm_sigmoid_s(x, 0);
}

FM_ALWAYS fm_v8f fm_tanh_s(fm_v8f x, int split)
{
	return 2.0f / (1.0f + fm_exp_s(-2.0f * x, split)) - 1.0f;
}

FM_ALWAYS fm_v8f fm_tanh(fm_v8f x)
{
	return fm_tanh_s(x, 0);
}

/* 2 * sigmoid(v)^ln(10) + 1e-7 = 2 exp(-ln(10) log(1 + e^-v)) + 1e-7
 * (DDSP's exp_sigmoid, train/heist_model.py). */
FM_ALWAYS fm_v8f fm_exp_sigmoid_s(fm_v8f v, int split)
{
	const fm_v8f softplus = fm_log_s(1.0f + fm_exp_s(-v, split), split);
	return 2.0f * fm_exp_s(-2.302585092994046f * softplus, split) + 1e-7f;
}

FM_ALWAYS fm_v8f fm_exp_sigmoid(fm_v8f v)
{
	return fm_exp_sigmoid_s(v, 0);
}

/* sin and cos of 2 pi r for r in [-0.5, 0.5] (cycles): quarter-cycle
 * reduction to |theta| <= pi/4, Taylor series to theta^9 / theta^10
 * (truncation below 2e-9), quadrant by selection. Absolute error ~1e-7. */
FM_ALWAYS void fm_sincos_cycles(fm_v8f r, fm_v8f *s_out, fm_v8f *c_out)
{
	const float shifter = 12582912.0f;
	const fm_v8f qt = r * 4.0f + shifter;
	const fm_v8f q = qt - shifter; /* nearest quarter, -2..2 */
	const fm_v8f th = (r - q * 0.25f) * 6.28318530717958648f;
	const fm_v8f t2 = th * th;
	fm_v8f sp = t2 * (1.0f / 362880.0f) - (1.0f / 5040.0f);
	sp = sp * t2 + (1.0f / 120.0f);
	sp = sp * t2 - (1.0f / 6.0f);
	const fm_v8f sn = th + th * t2 * sp;
	fm_v8f cp = t2 * (-1.0f / 3628800.0f) + (1.0f / 40320.0f);
	cp = cp * t2 - (1.0f / 720.0f);
	cp = cp * t2 + (1.0f / 24.0f);
	cp = cp * t2 - 0.5f;
	const fm_v8f cs = 1.0f + t2 * cp;
	const fm_v8i qi = ((fm_v8i)qt - (fm_v8i)fm_splat(shifter)) & 3;
	/* Masks by negating a bit, not by comparing (see fm_lt: a comparison
	 * would be scalar code in the baseline build). */
	const fm_v8i swap = -(qi & 1);
	const fm_v8f s1 = fm_select(swap, cs, sn), c1 = fm_select(swap, -sn, cs);
	const fm_v8i neg = -((qi >> 1) & 1);
	*s_out = fm_select(neg, -s1, s1);
	*c_out = fm_select(neg, -c1, c1);
}

#endif
