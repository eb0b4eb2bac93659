/* Real FFT (fft.h): a complex FFT of m = n / 2 points on the even and odd
 * samples packed as z = x[2t] + i x[2t+1], then the usual split into the
 * spectrum of x. The complex FFT is a Stockham autosort decimation in
 * frequency: pass with radix r over length l and stride s (s l = m) maps
 *   y[q + s (r p + k)] = w_l^(p k) * sum_j x[q + s (p + j l / r)] w_r^(j k)
 * for p < l / r, q < s, k < r. Where s >= 8 the q of a vector (eight, four
 * in the baseline build: fft_passes.h) are contiguous in both arrays; the
 * first passes (s < 8) gather p instead.
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

#define C_MUL_RE(ar, ai, br, bi) ((ar) * (br) - (ai) * (bi))
#define C_MUL_IM(ar, ai, br, bi) ((ar) * (bi) + (ai) * (br))

/* The strides stage_small runs; the plan lays out, sizes and fills its
 * expanded twiddles for exactly these. */
static inline int small_stride(uint32_t s)
{
	return s > 1 && s < 8;
}

/* 4-float vectors for the baseline build (SSE2, NEON): registers there. */
FM_ALWAYS fm_v4f reverse_v4(fm_v4f v)
{
#if defined(__clang__)
	return __builtin_shufflevector(v, v, 3, 2, 1, 0);
#else
	return __builtin_shuffle(v, (fm_v4i){3, 2, 1, 0});
#endif
}

#if defined(__clang__)
#define FFT_SHUFFLE2(T, IT, a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
#define FFT_SHUFFLE2(T, IT, a, b, ...) __builtin_shuffle(a, b, (IT){__VA_ARGS__})
#endif

/* Lanes 0, 2, 4, ... and 1, 3, 5, ... of (a, b) as one vector; a's and b's
 * lanes alternating, from the first and from the second halves. */
FM_ALWAYS fm_v4f evens_v4(fm_v4f a, fm_v4f b)
{
	return FFT_SHUFFLE2(fm_v4f, fm_v4i, a, b, 0, 2, 4, 6);
}

FM_ALWAYS fm_v4f odds_v4(fm_v4f a, fm_v4f b)
{
	return FFT_SHUFFLE2(fm_v4f, fm_v4i, a, b, 1, 3, 5, 7);
}

FM_ALWAYS fm_v4f zip_lo_v4(fm_v4f a, fm_v4f b)
{
	return FFT_SHUFFLE2(fm_v4f, fm_v4i, a, b, 0, 4, 1, 5);
}

FM_ALWAYS fm_v4f zip_hi_v4(fm_v4f a, fm_v4f b)
{
	return FFT_SHUFFLE2(fm_v4f, fm_v4i, a, b, 2, 6, 3, 7);
}

FM_ALWAYS fm_v8f evens_v8(fm_v8f a, fm_v8f b)
{
	return FFT_SHUFFLE2(fm_v8f, fm_v8i, a, b, 0, 2, 4, 6, 8, 10, 12, 14);
}

FM_ALWAYS fm_v8f odds_v8(fm_v8f a, fm_v8f b)
{
	return FFT_SHUFFLE2(fm_v8f, fm_v8i, a, b, 1, 3, 5, 7, 9, 11, 13, 15);
}

FM_ALWAYS fm_v8f zip_lo_v8(fm_v8f a, fm_v8f b)
{
	return FFT_SHUFFLE2(fm_v8f, fm_v8i, a, b, 0, 8, 1, 9, 2, 10, 3, 11);
}

FM_ALWAYS fm_v8f zip_hi_v8(fm_v8f a, fm_v8f b)
{
	return FFT_SHUFFLE2(fm_v8f, fm_v8i, a, b, 4, 12, 5, 13, 6, 14, 7, 15);
}

#define load_v8 fm_load
#define store_v8 fm_store
#define reverse_v8 fm_reverse
#define load_v4 fm_load4
#define store_v4 fm_store4

/* The passes twice (fft_passes.h): 8-float vectors for the AVX2 clones,
 * 4-float ones for the baseline. */
#define FP(name) name##_v8
#define FV fm_v8f
#define FW 8
#include "fft_passes.h"
#undef FP
#undef FV
#undef FW
#define FP(name) name##_v4
#define FV fm_v4f
#define FW 4
#include "fft_passes.h"
#undef FP
#undef FV
#undef FW

static void forward_generic(heist_rfft *f, const float *x, float *re, float *im)
{
	forward_body_v4(f, x, re, im);
}

static void inverse_generic(heist_rfft *f, const float *re, const float *im, float *x)
{
	inverse_body_v4(f, re, im, x);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define FFT_HAVE_AVX2 1
__attribute__((target("avx2,fma"))) static void forward_avx2(heist_rfft *f, const float *x,
                                                             float *re, float *im)
{
	forward_body_v8(f, x, re, im);
}

__attribute__((target("avx2,fma"))) static void inverse_avx2(heist_rfft *f, const float *re,
                                                             const float *im, float *x)
{
	inverse_body_v8(f, re, im, x);
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
