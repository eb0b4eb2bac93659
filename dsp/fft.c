/* Real FFT (fft.h): a complex FFT of m = n / 2 points on the even and odd
 * samples packed as z = x[2t] + i x[2t+1], then the usual split into the
 * spectrum of x. The complex FFT is a Stockham autosort decimation in
 * frequency: pass with radix r over length l and stride s (s l = m) maps
 *   y[q + s (r p + k)] = w_l^(p k) * sum_j x[q + s (p + j l / r)] w_r^(j k)
 * for p < l / r, q < s, k < r. Where s >= 8 the eight q of a vector are
 * contiguous in both arrays; the first passes (s < 8) gather eight p instead.
 */
#include "fft.h"
#include "mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "fastmath.h"
#include "shared.h"

#define FFT_MAX_STAGES 40

typedef struct {
	uint32_t r, l, s, m;  /* radix, length, stride, l / r */
	float *tw_re, *tw_im; /* [r - 1][m]: w_l^(p k), k = 1..r-1 */
	/* Strides 2..7: [r - 1][s m], the twiddle of p = u / s at u = s p + q
	 * (stage_small); NULL otherwise. */
	float *tu_re, *tu_im;
} fft_stage;

struct heist_rfft {
	uint32_t n, half, n_stages;
	fft_stage st[FFT_MAX_STAGES];
	float *ar, *ai, *br, *bi; /* [half] work buffers */
	float *post_re, *post_im; /* [half + 1]: e^(-2 pi i k / n) */
	void *block;              /* the work buffers */
	float *tables;            /* post_re, post_im, the twiddles: shared (shared.h) */
	int avx2;
};

/* Radices, largest first (fewer passes); 8 only as the first pass. */
static uint32_t plan_radices(uint32_t m, uint32_t *rad)
{
	uint32_t k = 0;
	if (m % 8 == 0 && m > 8) {
		rad[k++] = 8;
		m /= 8;
	}
	static const uint32_t order[] = {4, 5, 3, 2};
	for (int i = 0; i < 4 && k < FFT_MAX_STAGES; ++i) {
		while (m % order[i] == 0 && m > 1 && k < FFT_MAX_STAGES) {
			rad[k++] = order[i];
			m /= order[i];
		}
	}
	return m == 1 ? k : 0;
}

int heist_rfft_size_ok(uint32_t n)
{
	uint32_t rad[FFT_MAX_STAGES];
	return n >= 4 && n % 2 == 0 && n <= (1u << 24) && plan_radices(n / 2, rad) > 0;
}

static size_t alignf(size_t n)
{
	return (n + 15u) / 16u * 16u;
}

/* ---- butterflies on vectors of eight independent transforms ---------- */

#define C_MUL_RE(ar, ai, br, bi) ((ar) * (br) - (ai) * (bi))
#define C_MUL_IM(ar, ai, br, bi) ((ar) * (bi) + (ai) * (br))

FM_ALWAYS void dft4(fm_v8f *xr, fm_v8f *xi, int a, int b, int c, int d)
{
	/* Indices into xr/xi of the four inputs; outputs in the same slots in
	 * order 0, 1, 2, 3. */
	const fm_v8f t0r = xr[a] + xr[c], t0i = xi[a] + xi[c];
	const fm_v8f t1r = xr[a] - xr[c], t1i = xi[a] - xi[c];
	const fm_v8f t2r = xr[b] + xr[d], t2i = xi[b] + xi[d];
	const fm_v8f t3r = xi[b] - xi[d], t3i = xr[d] - xr[b]; /* -i (x_b - x_d) */
	xr[a] = t0r + t2r;
	xi[a] = t0i + t2i;
	xr[c] = t0r - t2r;
	xi[c] = t0i - t2i;
	xr[b] = t1r + t3r;
	xi[b] = t1i + t3i;
	xr[d] = t1r - t3r;
	xi[d] = t1i - t3i;
}

/* In place: x[k] = sum_j x[j] w_r^(j k). */
FM_ALWAYS void butterfly(uint32_t r, fm_v8f *xr, fm_v8f *xi)
{
	if (r == 2) {
		const fm_v8f ur = xr[0] - xr[1], ui = xi[0] - xi[1];
		xr[0] += xr[1];
		xi[0] += xi[1];
		xr[1] = ur;
		xi[1] = ui;
	} else if (r == 3) {
		const float h = 0.86602540378443865f; /* sin(2 pi / 3) */
		const fm_v8f sr = xr[1] + xr[2], si = xi[1] + xi[2];
		const fm_v8f dr = (xi[1] - xi[2]) * h,
		             di = (xr[2] - xr[1]) * h; /* -i h (x1 - x2) */
		const fm_v8f mr = xr[0] - 0.5f * sr, mi = xi[0] - 0.5f * si;
		xr[0] += sr;
		xi[0] += si;
		xr[1] = mr + dr;
		xi[1] = mi + di;
		xr[2] = mr - dr;
		xi[2] = mi - di;
	} else if (r == 4) {
		dft4(xr, xi, 0, 1, 2, 3);
	} else if (r == 5) {
		const float c1 = 0.30901699437494742f, c2 = -0.80901699437494742f;
		const float s1 = 0.95105651629515357f, s2 = 0.58778525229247313f;
		const fm_v8f b1r = xr[1] + xr[4], b1i = xi[1] + xi[4];
		const fm_v8f b2r = xr[2] + xr[3], b2i = xi[2] + xi[3];
		const fm_v8f d1r = xr[1] - xr[4], d1i = xi[1] - xi[4];
		const fm_v8f d2r = xr[2] - xr[3], d2i = xi[2] - xi[3];
		const fm_v8f t1r = xr[0] + c1 * b1r + c2 * b2r, t1i = xi[0] + c1 * b1i + c2 * b2i;
		const fm_v8f t2r = xr[0] + c2 * b1r + c1 * b2r, t2i = xi[0] + c2 * b1i + c1 * b2i;
		const fm_v8f u1r = s1 * d1r + s2 * d2r, u1i = s1 * d1i + s2 * d2i;
		const fm_v8f u2r = s2 * d1r - s1 * d2r, u2i = s2 * d1i - s1 * d2i;
		xr[0] = xr[0] + b1r + b2r;
		xi[0] = xi[0] + b1i + b2i;
		/* -i u = (u.im, -u.re); +i u = (-u.im, u.re) */
		xr[1] = t1r + u1i;
		xi[1] = t1i - u1r;
		xr[4] = t1r - u1i;
		xi[4] = t1i + u1r;
		xr[2] = t2r + u2i;
		xi[2] = t2i - u2r;
		xr[3] = t2r - u2i;
		xi[3] = t2i + u2r;
	} else { /* 8: two DFT4 of the even and odd inputs, then w_8^k */
		const float h = 0.70710678118654752f;
		dft4(xr, xi, 0, 2, 4, 6); /* E0..E3 in slots 0, 2, 4, 6 */
		dft4(xr, xi, 1, 3, 5, 7); /* O0..O3 in slots 1, 3, 5, 7 */
		/* w_8 O1 = h (re + im, im - re); w_8^2 O2 = -i O2; w_8^3 O3 = h (im - re, -re - im)
		 */
		const fm_v8f o1r = h * (xr[3] + xi[3]), o1i = h * (xi[3] - xr[3]);
		const fm_v8f o2r = xi[5], o2i = -xr[5];
		const fm_v8f o3r = h * (xi[7] - xr[7]), o3i = -h * (xr[7] + xi[7]);
		const fm_v8f e0r = xr[0], e0i = xi[0], e1r = xr[2], e1i = xi[2];
		const fm_v8f e2r = xr[4], e2i = xi[4], e3r = xr[6], e3i = xi[6];
		const fm_v8f o0r = xr[1], o0i = xi[1];
		xr[0] = e0r + o0r;
		xi[0] = e0i + o0i;
		xr[4] = e0r - o0r;
		xi[4] = e0i - o0i;
		xr[1] = e1r + o1r;
		xi[1] = e1i + o1i;
		xr[5] = e1r - o1r;
		xi[5] = e1i - o1i;
		xr[2] = e2r + o2r;
		xi[2] = e2i + o2i;
		xr[6] = e2r - o2r;
		xi[6] = e2i - o2i;
		xr[3] = e3r + o3r;
		xi[3] = e3i + o3i;
		xr[7] = e3r - o3r;
		xi[7] = e3i - o3i;
	}
}

/* Strides of 8 and more: eight consecutive q per vector, the twiddles of
 * each p broadcast. */
FM_ALWAYS void stage_wide(const fft_stage *S, const uint32_t r, const float *xr, const float *xi,
                          float *yr, float *yi)
{
	const uint32_t m = S->m, s = S->s;
	fm_v8f vr[8], vi[8];
	for (uint32_t p = 0; p < m; ++p) {
		float twr[7], twi[7];
		for (uint32_t k = 1; k < r; ++k) {
			twr[k - 1] = S->tw_re[(size_t)(k - 1) * m + p];
			twi[k - 1] = S->tw_im[(size_t)(k - 1) * m + p];
		}
		for (uint32_t q = 0; q + 8 <= s; q += 8) {
			for (uint32_t j = 0; j < r; ++j) {
				const size_t at = q + (size_t)s * (p + j * m);
				vr[j] = fm_load(xr + at);
				vi[j] = fm_load(xi + at);
			}
			butterfly(r, vr, vi);
			const size_t out = q + (size_t)s * r * p;
			fm_store(yr + out, vr[0]);
			fm_store(yi + out, vi[0]);
			for (uint32_t k = 1; k < r; ++k) {
				const float wr = twr[k - 1], wi = twi[k - 1];
				fm_store(yr + out + (size_t)s * k, C_MUL_RE(vr[k], vi[k], wr, wi));
				fm_store(yi + out + (size_t)s * k, C_MUL_IM(vr[k], vi[k], wr, wi));
			}
		}
	}
}

/* First pass (s == 1): eight consecutive p per vector (contiguous loads and
 * twiddles); outputs y[r p + k] are interleaved, so they go out through a
 * small transpose. Returns how many p it did (a multiple of 8). */
FM_ALWAYS uint32_t stage_first(const fft_stage *S, const uint32_t r, const float *xr,
                               const float *xi, float *yr, float *yi)
{
	const uint32_t m = S->m;
	fm_v8f vr[8], vi[8];
	float gr[8][8], gi[8][8];
	uint32_t p_done = 0;
	for (; p_done + 8 <= m; p_done += 8) {
		const uint32_t p = p_done;
		for (uint32_t j = 0; j < r; ++j) {
			vr[j] = fm_load(xr + p + (size_t)j * m);
			vi[j] = fm_load(xi + p + (size_t)j * m);
		}
		butterfly(r, vr, vi);
		fm_store(gr[0], vr[0]);
		fm_store(gi[0], vi[0]);
		for (uint32_t k = 1; k < r; ++k) {
			const fm_v8f twr = fm_load(S->tw_re + (size_t)(k - 1) * m + p);
			const fm_v8f twi = fm_load(S->tw_im + (size_t)(k - 1) * m + p);
			fm_store(gr[k], C_MUL_RE(vr[k], vi[k], twr, twi));
			fm_store(gi[k], C_MUL_IM(vr[k], vi[k], twr, twi));
		}
		for (uint32_t l = 0; l < 8; ++l) {
			for (uint32_t k = 0; k < r; ++k) {
				yr[(size_t)r * (p + l) + k] = gr[k][l];
				yi[(size_t)r * (p + l) + k] = gi[k][l];
			}
		}
	}
	return p_done;
}

/* The strides stage_small runs; the plan lays out, sizes and fills its
 * expanded twiddles for exactly these. */
static inline int small_stride(uint32_t s)
{
	return s > 1 && s < 8;
}

/* Strides 2..7: with u = s p + q, input j of every butterfly is
 * x[u + j s m], contiguous in u, so eight consecutive u make a vector (the
 * twiddles of their p from the expanded tables); outputs y[q + s (r p + k)]
 * are scattered through a small transpose. The last, partial vector is
 * gathered with zeros in its dead lanes. */
FM_ALWAYS void stage_small(const fft_stage *S, const uint32_t r, const float *xr, const float *xi,
                           float *yr, float *yi)
{
	const uint32_t s = S->s, sm = s * S->m;
	fm_v8f vr[8], vi[8];
	float gr[8][8], gi[8][8];
	for (uint32_t u = 0; u < sm; u += 8) {
		const uint32_t lanes = sm - u < 8 ? sm - u : 8;
		if (lanes == 8) {
			for (uint32_t j = 0; j < r; ++j) {
				vr[j] = fm_load(xr + u + (size_t)j * sm);
				vi[j] = fm_load(xi + u + (size_t)j * sm);
			}
		} else {
			for (uint32_t j = 0; j < r; ++j) {
				for (uint32_t l = 0; l < 8; ++l) {
					gr[j][l] = l < lanes ? xr[u + l + (size_t)j * sm] : 0.0f;
					gi[j][l] = l < lanes ? xi[u + l + (size_t)j * sm] : 0.0f;
				}
				vr[j] = fm_load(gr[j]);
				vi[j] = fm_load(gi[j]);
			}
		}
		butterfly(r, vr, vi);
		fm_store(gr[0], vr[0]);
		fm_store(gi[0], vi[0]);
		for (uint32_t k = 1; k < r; ++k) {
			fm_v8f twr, twi;
			if (lanes == 8) {
				twr = fm_load(S->tu_re + (size_t)(k - 1) * sm + u);
				twi = fm_load(S->tu_im + (size_t)(k - 1) * sm + u);
			} else {
				float tr[8] = {0}, ti[8] = {0};
				for (uint32_t l = 0; l < lanes; ++l) {
					tr[l] = S->tu_re[(size_t)(k - 1) * sm + u + l];
					ti[l] = S->tu_im[(size_t)(k - 1) * sm + u + l];
				}
				twr = fm_load(tr);
				twi = fm_load(ti);
			}
			fm_store(gr[k], C_MUL_RE(vr[k], vi[k], twr, twi));
			fm_store(gi[k], C_MUL_IM(vr[k], vi[k], twr, twi));
		}
		/* Lane l's output base q + s r p, stepped without divisions. */
		uint32_t q = u % s;
		size_t base = (size_t)(u - q) * r + q;
		for (uint32_t l = 0; l < lanes; ++l) {
			for (uint32_t k = 0; k < r; ++k) {
				yr[base + (size_t)s * k] = gr[k][l];
				yi[base + (size_t)s * k] = gi[k][l];
			}
			++base;
			if (++q == s) {
				q = 0;
				base += (size_t)s * (r - 1);
			}
		}
	}
}

/* Lanes are (p, q) pairs not covered by the two above: every q below
 * 8-aligned coverage, every p from p_done; gathered and scattered through
 * small arrays. */
FM_ALWAYS void stage_lanes(const fft_stage *S, const uint32_t r, const float *xr, const float *xi,
                           float *yr, float *yi, uint32_t p_done)
{
	const uint32_t m = S->m, s = S->s;
	fm_v8f vr[8], vi[8];
	float gr[8][8], gi[8][8], wr[8][8], wi[8][8];
	const uint32_t q0 = s >= 8 ? s / 8 * 8 : 0;
	uint32_t lp[8], lq[8], lanes = 0;
	const uint32_t pm = m - p_done; /* p_done > 0 only when s == 1 */
	const size_t total = (size_t)pm * (s - q0);
	for (size_t idx = 0; idx < total; ++idx) {
		lp[lanes] = p_done + (uint32_t)(idx % pm);
		lq[lanes] = q0 + (uint32_t)(idx / pm);
		++lanes;
		if (lanes < 8 && idx + 1 < total) {
			continue;
		}
		for (uint32_t l = 0; l < 8; ++l) {
			const int live = l < lanes;
			for (uint32_t j = 0; j < r; ++j) {
				const size_t at = live ? lq[l] + (size_t)s * (lp[l] + j * m) : 0;
				gr[j][l] = live ? xr[at] : 0.0f;
				gi[j][l] = live ? xi[at] : 0.0f;
			}
			for (uint32_t k = 1; k < r; ++k) {
				wr[k][l] = live ? S->tw_re[(size_t)(k - 1) * m + lp[l]] : 0.0f;
				wi[k][l] = live ? S->tw_im[(size_t)(k - 1) * m + lp[l]] : 0.0f;
			}
		}
		for (uint32_t j = 0; j < r; ++j) {
			vr[j] = fm_load(gr[j]);
			vi[j] = fm_load(gi[j]);
		}
		butterfly(r, vr, vi);
		fm_store(gr[0], vr[0]);
		fm_store(gi[0], vi[0]);
		for (uint32_t k = 1; k < r; ++k) {
			const fm_v8f twr = fm_load(wr[k]), twi = fm_load(wi[k]);
			fm_store(gr[k], C_MUL_RE(vr[k], vi[k], twr, twi));
			fm_store(gi[k], C_MUL_IM(vr[k], vi[k], twr, twi));
		}
		for (uint32_t l = 0; l < lanes; ++l) {
			for (uint32_t k = 0; k < r; ++k) {
				const size_t at = lq[l] + (size_t)s * (r * lp[l] + k);
				yr[at] = gr[k][l];
				yi[at] = gi[k][l];
			}
		}
		lanes = 0;
	}
}

/* One pass of radix r: whole vectors of q where the stride allows, whole
 * vectors of p in the first pass, of u = s p + q for strides 2..7, and the
 * rest lane by lane. */
FM_ALWAYS void run_stage_r(const fft_stage *S, const uint32_t r, const float *xr, const float *xi,
                           float *yr, float *yi)
{
	const uint32_t s = S->s;
	if (small_stride(s)) {
		stage_small(S, r, xr, xi, yr, yi);
		return;
	}
	if (s >= 8) {
		stage_wide(S, r, xr, xi, yr, yi);
		if (s % 8 == 0) {
			return;
		}
	}
	const uint32_t p_done = s == 1 ? stage_first(S, r, xr, xi, yr, yi) : 0;
	stage_lanes(S, r, xr, xi, yr, yi, p_done);
}

/* One pass with the radix a constant in each copy, so the butterfly's
 * vectors stay in registers and its loops unroll. */
FM_ALWAYS void run_stage(const fft_stage *S, const float *xr, const float *xi, float *yr, float *yi)
{
	switch (S->r) {
	case 8:
		run_stage_r(S, 8, xr, xi, yr, yi);
		break;
	case 5:
		run_stage_r(S, 5, xr, xi, yr, yi);
		break;
	case 4:
		run_stage_r(S, 4, xr, xi, yr, yi);
		break;
	case 3:
		run_stage_r(S, 3, xr, xi, yr, yi);
		break;
	default:
		run_stage_r(S, 2, xr, xi, yr, yi);
		break;
	}
}

/* Complex FFT of (ar, ai) in the plan's buffers; returns which pair holds
 * the result (0: a, 1: b). */
FM_ALWAYS int cfft(heist_rfft *f)
{
	float *xr = f->ar, *xi = f->ai, *yr = f->br, *yi = f->bi;
	for (uint32_t i = 0; i < f->n_stages; ++i) {
		run_stage(&f->st[i], xr, xi, yr, yi);
		float *t = xr;
		xr = yr;
		yr = t;
		t = xi;
		xi = yi;
		yi = t;
	}
	return xr != f->ar;
}

FM_ALWAYS void forward_body(heist_rfft *f, const float *x, float *re, float *im)
{
	const uint32_t h = f->half;
	float *restrict ar = f->ar, *restrict ai = f->ai;
#pragma omp simd
	for (uint32_t t = 0; t < h; ++t) {
		ar[t] = x[2 * t];
		ai[t] = x[2 * t + 1];
	}
	const int which = cfft(f);
	const float *zr = which ? f->br : f->ar, *zi = which ? f->bi : f->ai;
	/* X[k] = E + w^k O, E = (Z[k] + conj Z[h-k]) / 2,
	 * O = -i (Z[k] - conj Z[h-k]) / 2, w = e^(-2 pi i / n). */
	re[0] = zr[0] + zi[0];
	im[0] = 0.0f;
	re[h] = zr[0] - zi[0];
	im[h] = 0.0f;
	uint32_t k = 1;
	for (; k + 8 <= h; k += 8) {
		/* Bins k..k+7 pair with h-k..h-k-7: a reversed load. */
		const fm_v8f ar = fm_load(zr + k), ai = fm_load(zi + k);
		const fm_v8f br = fm_reverse(fm_load(zr + h - k - 7));
		const fm_v8f bi = -fm_reverse(fm_load(zi + h - k - 7));
		const fm_v8f er = 0.5f * (ar + br), ei = 0.5f * (ai + bi);
		const fm_v8f or_ = 0.5f * (ai - bi), oi = -0.5f * (ar - br);
		const fm_v8f wr = fm_load(f->post_re + k), wi = fm_load(f->post_im + k);
		fm_store(re + k, er + (or_ * wr - oi * wi));
		fm_store(im + k, ei + (or_ * wi + oi * wr));
	}
	for (; k < h; ++k) {
		const float ar = zr[k], ai = zi[k], br = zr[h - k], bi = -zi[h - k];
		const float er = 0.5f * (ar + br), ei = 0.5f * (ai + bi);
		const float or_ = 0.5f * (ai - bi), oi = -0.5f * (ar - br);
		const float wr = f->post_re[k], wi = f->post_im[k];
		re[k] = er + (or_ * wr - oi * wi);
		im[k] = ei + (or_ * wi + oi * wr);
	}
}

FM_ALWAYS void inverse_body(heist_rfft *f, const float *re, const float *im, float *x)
{
	const uint32_t h = f->half;
	/* Z[k] = (X[k] + conj X[h-k]) + i conj(w^k) (X[k] - conj X[h-k]);
	 * the inverse complex FFT as conj(FFT(conj Z)). */
	uint32_t k = 0;
	{
		/* k = 0 alone: im[0] and im[h] are taken as zero. */
		const float sr = re[0] + re[h], dr = re[0] - re[h];
		f->ar[0] = sr;
		f->ai[0] = -dr * f->post_re[0];
		k = 1;
	}
	for (; k + 8 <= h; k += 8) {
		const fm_v8f ar = fm_load(re + k), ai = fm_load(im + k);
		const fm_v8f br = fm_reverse(fm_load(re + h - k - 7));
		const fm_v8f bi = -fm_reverse(fm_load(im + h - k - 7));
		const fm_v8f sr = ar + br, si = ai + bi, dr = ar - br, di = ai - bi;
		const fm_v8f wr = fm_load(f->post_re + k), wi = -fm_load(f->post_im + k);
		const fm_v8f tr = dr * wr - di * wi, ti = dr * wi + di * wr;
		fm_store(f->ar + k, sr - ti);
		fm_store(f->ai + k, -(si + tr));
	}
	for (; k < h; ++k) {
		const float ar = re[k], ai = k == 0 ? 0.0f : im[k];
		const float br = re[h - k], bi = -(k == 0 ? 0.0f : im[h - k]);
		const float sr = ar + br, si = ai + bi, dr = ar - br, di = ai - bi;
		const float wr = f->post_re[k], wi = -f->post_im[k];
		const float tr = dr * wr - di * wi, ti = dr * wi + di * wr; /* conj(w)^k d */
		f->ar[k] = sr - ti;                                         /* + i t */
		f->ai[k] = -(si + tr);
	}
	const int which = cfft(f);
	const float *zr = which ? f->br : f->ar, *zi = which ? f->bi : f->ai;
#pragma omp simd
	for (uint32_t t = 0; t < h; ++t) {
		x[2 * t] = zr[t];
		x[2 * t + 1] = -zi[t];
	}
}

static void forward_generic(heist_rfft *f, const float *x, float *re, float *im)
{
	forward_body(f, x, re, im);
}

static void inverse_generic(heist_rfft *f, const float *re, const float *im, float *x)
{
	inverse_body(f, re, im, x);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define FFT_HAVE_AVX2 1
__attribute__((target("avx2,fma"))) static void forward_avx2(heist_rfft *f, const float *x,
                                                             float *re, float *im)
{
	forward_body(f, x, re, im);
}

__attribute__((target("avx2,fma"))) static void inverse_avx2(heist_rfft *f, const float *re,
                                                             const float *im, float *x)
{
	inverse_body(f, re, im, x);
}
#else
#define FFT_HAVE_AVX2 0
#endif

void heist_rfft_forward(heist_rfft *f, const float *x, float *re, float *im)
{
#if FFT_HAVE_AVX2
	if (f->avx2) {
		forward_avx2(f, x, re, im);
		return;
	}
#endif
	forward_generic(f, x, re, im);
}

void heist_rfft_inverse(heist_rfft *f, const float *re, const float *im, float *x)
{
#if FFT_HAVE_AVX2
	if (f->avx2) {
		inverse_avx2(f, re, im, x);
		return;
	}
#endif
	inverse_generic(f, re, im, x);
}

/* The tables of a plan (post-processing twiddles, then each stage's), laid
 * out as heist_rfft_new() reads them. */
static void plan_layout(heist_rfft *f, float *t)
{
	f->post_re = t;
	f->post_im = f->post_re + alignf(f->half + 1);
	t = f->post_im + alignf(f->half + 1);
	for (uint32_t i = 0; i < f->n_stages; ++i) {
		fft_stage *S = &f->st[i];
		const size_t cnt = (size_t)S->m * (S->r - 1);
		S->tw_re = t;
		S->tw_im = t + alignf(cnt);
		t += 2 * alignf(cnt);
		S->tu_re = S->tu_im = NULL;
		if (small_stride(S->s)) {
			const size_t ucnt = cnt * S->s;
			S->tu_re = t;
			S->tu_im = t + alignf(ucnt);
			t += 2 * alignf(ucnt);
		}
	}
}

static int fill_tables(float *block, size_t floats, const void *ctx)
{
	(void)floats;
	heist_rfft f = *(const heist_rfft *)ctx;
	plan_layout(&f, block);
	for (uint32_t k = 0; k <= f.half; ++k) {
		const double a = -2.0 * 3.14159265358979323846 * k / f.n;
		f.post_re[k] = (float)cos(a);
		f.post_im[k] = (float)sin(a);
	}
	for (uint32_t i = 0; i < f.n_stages; ++i) {
		const fft_stage *S = &f.st[i];
		for (uint32_t p = 0; p < S->m; ++p) {
			for (uint32_t k = 1; k < S->r; ++k) {
				const double a =
				    -2.0 * 3.14159265358979323846 * (double)p * k / S->l;
				S->tw_re[(size_t)(k - 1) * S->m + p] = (float)cos(a);
				S->tw_im[(size_t)(k - 1) * S->m + p] = (float)sin(a);
			}
		}
		if (S->tu_re) {
			const size_t sm = (size_t)S->s * S->m;
			for (uint32_t k = 1; k < S->r; ++k) {
				for (size_t u = 0; u < sm; ++u) {
					const size_t from = (size_t)(k - 1) * S->m + u / S->s;
					S->tu_re[(size_t)(k - 1) * sm + u] = S->tw_re[from];
					S->tu_im[(size_t)(k - 1) * sm + u] = S->tw_im[from];
				}
			}
		}
	}
	return 1;
}

static void place_work(heist_rfft *f, float *b)
{
	f->ar = b;
	f->ai = f->ar + alignf(f->half);
	f->br = f->ai + alignf(f->half);
	f->bi = f->br + alignf(f->half);
}

size_t heist_rfft_work_floats(const heist_rfft *f)
{
	return 4 * alignf(f->half);
}

void heist_rfft_share_work(heist_rfft *f, float *work)
{
	heist_mem_free(f->block);
	f->block = NULL;
	place_work(f, work);
}

static heist_rfft *rfft_create(uint32_t n, int own)
{
	if (!heist_rfft_size_ok(n)) {
		return NULL;
	}
	heist_rfft *f = heist_mem_calloc(1, sizeof *f);
	if (!f) {
		return NULL;
	}
	f->n = n;
	f->half = n / 2;
	uint32_t rad[FFT_MAX_STAGES];
	f->n_stages = plan_radices(f->half, rad);
	size_t tw = 0;
	uint32_t l = f->half, s = 1;
	for (uint32_t i = 0; i < f->n_stages; ++i) {
		fft_stage *S = &f->st[i];
		S->r = rad[i];
		S->l = l;
		S->s = s;
		S->m = l / S->r;
		tw += 2 * alignf((size_t)S->m * (S->r - 1));
		if (small_stride(s)) { /* stage_small's expanded twiddles */
			tw += 2 * alignf((size_t)S->m * (S->r - 1) * s);
		}
		l /= S->r;
		s *= S->r;
	}
	/* Work buffers per plan; the tables once per size in the process. */
	float *b = own ? heist_mem_alloc(heist_rfft_work_floats(f) * sizeof(float)) : NULL;
	const double key = n;
	f->tables = heist_shared_get("rfft", &key, 1, 2 * alignf(f->half + 1) + tw, fill_tables, f);
	if ((own && !b) || !f->tables) {
		heist_mem_free(b);
		heist_shared_put(f->tables);
		heist_mem_free(f);
		return NULL;
	}
	f->block = b;
	if (b) {
		place_work(f, b); /* 64-byte aligned */
	}
	plan_layout(f, f->tables);
#if FFT_HAVE_AVX2
	f->avx2 = heist_cpu_level() >= HEIST_CPU_AVX2;
#endif
	return f;
}

heist_rfft *heist_rfft_new(uint32_t n)
{
	return rfft_create(n, 1);
}

heist_rfft *heist_rfft_new_unbacked(uint32_t n)
{
	return rfft_create(n, 0);
}

void heist_rfft_free(heist_rfft *f)
{
	if (f) {
		heist_shared_put(f->tables);
		heist_mem_free(f->block);
		heist_mem_free(f);
	}
}
