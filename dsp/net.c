/* Heist network runtime: the GRU + dense network of model.h, one frame per
 * call (PyTorch GRU semantics, gate order r, z, n). Weight packing, the four
 * kernels and why they are fast: ARCHITECTURE.md, "The network"; at load
 * heist_net_tune() times them on the model and the fastest runs. */
#include "net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu.h"
#include "fastmath.h"
#include "mem.h"

#define NET_ALIGN 64u
#define NET_MAX_INPUTS (3u + 64u)          /* 3 + max embed_dim (model.h) */
#define NET_MAX_OUTPUTS (1u + 256u + 256u) /* 1 + max NH + max NN */
#define NET_ROWS 8u                        /* rows per packed block */
#define NET_HALF_ROWS 16u                  /* rows per half-precision block */
#define NET_PANEL 6u                       /* 8-row blocks per single-precision panel */

/* exp_sigmoid's floor: also the value emitted for a frame that went bad. */
#define NET_EXP_SIGMOID_FLOOR 1e-7f

static size_t align_floats(size_t n)
{
	const size_t per = NET_ALIGN / sizeof(float);
	return (n + per - 1u) / per * per;
}

static size_t round8(size_t n)
{
	return (n + NET_ROWS - 1u) / NET_ROWS * NET_ROWS;
}

/* Every layer output is padded to whole 16-row blocks (the half-precision
 * kernels write that many; the single-precision ones whole 8-row blocks). */
static size_t round16(size_t n)
{
	return (n + NET_HALF_ROWS - 1u) / NET_HALF_ROWS * NET_HALF_ROWS;
}

typedef struct {
	float *w;           /* panels of up to 4 blocks, each [cols][8 x blocks] (block_at) */
	float *b;           /* [round16(rows)], zero in the padding rows */
	const uint16_t *hw; /* NULL, or the same weights in binary16: [hblocks][cols][16] */
	uint32_t blocks, hblocks, cols;
} packed_layer;

struct heist_net_weights {
	packed_layer rz; /* 2H rows over concat(h, x): W_hh, W_ih of r and z */
	packed_layer nh; /* H rows over h: W_hn, b_hn */
	packed_layer nx; /* H rows over x: W_in, b_in */
	packed_layer d1; /* D rows over concat(h, x) */
	packed_layer d2; /* O rows over y1 */
	void *block;
	uint16_t *half; /* the binary16 copies (NULL: some weight is not exact in binary16) */
	int tuned;      /* 1 + the kernel heist_net_tune() chose; 0 = not tuned */
};

/* One source of columns for a packed layer: rows of `cols` values. */
typedef struct {
	const float *w;
	uint32_t cols;
} pack_src;

static size_t layer_floats(uint32_t rows, uint32_t cols)
{
	return align_floats(round8(rows) * (size_t)cols) + align_floats(round16(rows));
}

/* 2-byte values of a layer's binary16 copy (64-byte aligned). */
static size_t half_count(uint32_t rows, uint32_t cols)
{
	return (round16(rows) * (size_t)cols + 31u) / 32u * 32u;
}

/* The value of row r, column c of a layer made of the columns of a then b. */
static float layer_weight(pack_src a, pack_src b, uint32_t r, uint32_t c)
{
	return c < a.cols ? a.w[(size_t)r * a.cols + c] : b.w[(size_t)r * b.cols + (c - a.cols)];
}

/* Where block blk's column 0 lies in a packed layer and (*step) the floats
 * from one of its columns to the next. Blocks are grouped in panels of
 * NET_PANEL (the last panel may hold fewer), each panel [cols][8 x its
 * blocks]: a kernel running a whole panel streams one pointer. */
static size_t block_at(uint32_t blocks, uint32_t cols, uint32_t blk, size_t *step)
{
	const uint32_t first = blk / NET_PANEL * NET_PANEL;
	const uint32_t nb = blocks - first < NET_PANEL ? blocks - first : NET_PANEL;
	*step = (size_t)nb * NET_ROWS;
	return (size_t)first * cols * NET_ROWS + (size_t)(blk - first) * NET_ROWS;
}

/* Fill a packed layer at *at: columns of a, then of b (b.w may be NULL);
 * bias = ba + bb (bb may be NULL). */
static float *pack_layer(packed_layer *L, float *at, uint32_t rows, pack_src a, pack_src b,
                         const float *ba, const float *bb)
{
	const uint32_t cols = a.cols + (b.w ? b.cols : 0u);
	L->blocks = (uint32_t)(round8(rows) / NET_ROWS);
	L->cols = cols;
	L->w = at;
	L->b = at + align_floats(round8(rows) * (size_t)cols);
	for (uint32_t r = 0; r < L->blocks * NET_ROWS; ++r) {
		size_t step;
		float *dst = L->w + block_at(L->blocks, cols, r / NET_ROWS, &step) + r % NET_ROWS;
		for (uint32_t c = 0; c < cols; ++c) {
			dst[(size_t)c * step] = r < rows ? layer_weight(a, b, r, c) : 0.0f;
		}
	}
	for (uint32_t r = 0; r < round16(rows); ++r) {
		L->b[r] = r < rows ? ba[r] + (bb ? bb[r] : 0.0f) : 0.0f;
	}
	return at + layer_floats(rows, cols);
}

/* Half-precision weights. A model whose weights are all exact binary16
 * values (train/export.py rounds them so by default) is also packed with
 * 2-byte weights: the network reads half the bytes per frame, which is what
 * bounds a matrix-vector product of this size (the weights stream from L2),
 * and F16C widens them back exactly, so the results are those of the same
 * weights in single precision up to the order of the additions. */
#if defined(__x86_64__) && defined(__GNUC__)
#define NET_HAVE_HALF 1
#else
#define NET_HAVE_HALF 0
#endif

/* The binary16 bits of v into *bits when v is exactly a binary16 value
 * (integer operations on the float32 bits: the pack runs once per load, on
 * any CPU, and software conversions would double the load time). */
static int half_bits(float v, uint16_t *bits)
{
	uint32_t u;
	memcpy(&u, &v, sizeof u);
	const uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
	const int e = (int)((u >> 23) & 0xffu) - 127; /* unbiased exponent */
	const uint32_t m = u & 0x7fffffu;
	if ((u & 0x7fffffffu) == 0) { /* +-0 */
		*bits = sign;
		return 1;
	}
	if (e >= -14 && e <= 15) { /* a binary16 normal: 10 mantissa bits kept */
		if (m & 0x1fffu) {
			return 0;
		}
		*bits = (uint16_t)(sign | (uint32_t)(e + 15) << 10 | m >> 13);
		return 1;
	}
	if (e >= -24 && e < -14) { /* a binary16 subnormal: k * 2^-24, k < 1024 */
		const uint32_t full = m | 0x800000u;
		const int drop = 13 + (-14 - e); /* bits of full below 2^-24 */
		if (full & ((1u << drop) - 1u)) {
			return 0;
		}
		*bits = (uint16_t)(sign | full >> drop);
		return 1;
	}
	return 0; /* too large, too small, Inf or NaN */
}

/* Binary16 copy of a layer at *at: [hblocks][cols][16]. Returns the next
 * free place, or NULL when some weight is not exact in binary16. */
static uint16_t *pack_half(packed_layer *L, uint16_t *at, uint32_t rows, pack_src a, pack_src b)
{
	const uint32_t cols = L->cols;
	L->hblocks = (uint32_t)(round16(rows) / NET_HALF_ROWS);
	for (uint32_t r = 0; r < L->hblocks * NET_HALF_ROWS; ++r) {
		uint16_t *dst =
		    at + (size_t)(r / NET_HALF_ROWS) * cols * NET_HALF_ROWS + r % NET_HALF_ROWS;
		for (uint32_t c = 0; c < cols; ++c) {
			uint16_t bits = 0;
			if (r < rows && !half_bits(layer_weight(a, b, r, c), &bits)) {
				return NULL;
			}
			dst[(size_t)c * NET_HALF_ROWS] = bits;
		}
	}
	L->hw = at;
	return at + half_count(rows, cols);
}

/* One layer to pack: its rows over the columns of a then b, bias ba + bb. */
typedef struct {
	packed_layer *L;
	uint32_t rows;
	pack_src a, b;
	const float *ba, *bb;
} layer_spec;

#define NET_LAYERS 5

static void layer_specs(const heist_model *m, struct heist_net_weights *pw,
                        layer_spec spec[NET_LAYERS])
{
	const uint32_t H = m->gru_hidden, I = m->n_inputs, D = m->dense_hidden, O = m->n_outputs;
	const pack_src none = {NULL, 0};
	spec[0] = (layer_spec){&pw->rz,          2u * H,      {m->gru_w_hh, H},
	                       {m->gru_w_ih, I}, m->gru_b_ih, m->gru_b_hh};
	spec[1] = (layer_spec){
	    &pw->nh, H, {m->gru_w_hh + 2u * (size_t)H * H, H}, none, m->gru_b_hh + 2u * H, NULL};
	spec[2] = (layer_spec){
	    &pw->nx, H, {m->gru_w_ih + 2u * (size_t)H * I, I}, none, m->gru_b_ih + 2u * H, NULL};
	spec[3] = (layer_spec){&pw->d1, D, {m->dense1_w, H + I}, none, m->dense1_b, NULL};
	spec[4] = (layer_spec){&pw->d2, O, {m->dense2_w, D}, none, m->dense2_b, NULL};
}

static uint32_t spec_cols(const layer_spec *s)
{
	return s->a.cols + (s->b.w ? s->b.cols : 0u);
}

/* The binary16 copies, when every weight is exact in binary16. */
static void pack_all_half(struct heist_net_weights *pw, const layer_spec spec[NET_LAYERS])
{
	if (!NET_HAVE_HALF) {
		return;
	}
	size_t n = 0;
	for (int i = 0; i < NET_LAYERS; ++i) {
		n += half_count(spec[i].rows, spec_cols(&spec[i]));
	}
	uint16_t *at = aligned_alloc(NET_ALIGN, n * sizeof(uint16_t));
	pw->half = at;
	for (int i = 0; at && i < NET_LAYERS; ++i) {
		at = pack_half(spec[i].L, at, spec[i].rows, spec[i].a, spec[i].b);
	}
	if (!at) { /* out of memory, or a weight that binary16 does not hold */
		free(pw->half);
		pw->half = NULL;
		for (int i = 0; i < NET_LAYERS; ++i) {
			spec[i].L->hw = NULL;
		}
	}
}

struct heist_net_weights *heist_net_pack(const heist_model *m)
{
	struct heist_net_weights *pw = calloc(1, sizeof *pw);
	if (!pw) {
		return NULL;
	}
	layer_spec spec[NET_LAYERS];
	layer_specs(m, pw, spec);
	size_t n = 0;
	for (int i = 0; i < NET_LAYERS; ++i) {
		n += layer_floats(spec[i].rows, spec_cols(&spec[i]));
	}
	float *at = aligned_alloc(NET_ALIGN, n * sizeof(float));
	if (!at) {
		free(pw);
		return NULL;
	}
	pw->block = at;
	for (int i = 0; i < NET_LAYERS; ++i) {
		at = pack_layer(spec[i].L, at, spec[i].rows, spec[i].a, spec[i].b, spec[i].ba,
		                spec[i].bb);
	}
	pack_all_half(pw, spec);
	return pw;
}

int heist_net_half(const heist_model *m)
{
	return m && m->packed && m->packed->half;
}

void heist_net_unpack(struct heist_net_weights *w)
{
	if (w) {
		free(w->block);
		free(w->half);
		free(w);
	}
}

double heist_net_flops(const heist_model *m)
{
	const double H = m->gru_hidden, I = m->n_inputs, D = m->dense_hidden, O = m->n_outputs;
	return 2.0 * (3.0 * H * I + 3.0 * H * H + D * (H + I) + O * D);
}

/* The rows of one panel (NB blocks of 8, NB = 1..4: a constant after
 * inlining) = b + W v, in 8-float vectors (AVX builds). Each row is two
 * chains, over the even columns (from the bias) and the odd ones, added at
 * the end: eight independent multiply-add chains in a full panel, enough to
 * cover the FMA latency. */
FM_ALWAYS void matvec_panel(float *restrict y, const float *restrict w, const float *restrict b,
                            uint32_t C, int NB, const float *restrict v)
{
	const size_t step = (size_t)NB * NET_ROWS;
	fm_v8f a[NET_PANEL], o[NET_PANEL];
	for (int k = 0; k < NB; ++k) {
		a[k] = fm_load(b + NET_ROWS * k);
		o[k] = fm_splat(0.0f);
	}
	uint32_t c = 0;
	for (; c + 2u <= C; c += 2u, w += 2u * step) {
		const float x0 = v[c], x1 = v[c + 1u];
		for (int k = 0; k < NB; ++k) {
			a[k] += fm_load(w + NET_ROWS * k) * x0;
			o[k] += fm_load(w + step + NET_ROWS * k) * x1;
		}
	}
	if (c < C) {
		for (int k = 0; k < NB; ++k) {
			a[k] += fm_load(w + NET_ROWS * k) * v[c];
		}
	}
	for (int k = 0; k < NB; ++k) {
		fm_store(y + NET_ROWS * k, a[k] + o[k]);
	}
}

/* y[rows padded to 8] = b + W v (AVX builds), a panel at a time. */
FM_ALWAYS void matvec(float *restrict y, const packed_layer *L, const float *restrict v)
{
	const uint32_t C = L->cols, full = L->blocks / NET_PANEL * NET_PANEL;
	const size_t panel = (size_t)NET_PANEL * NET_ROWS * C;
	for (uint32_t blk = 0; blk < full; blk += NET_PANEL) {
		matvec_panel(y + blk * NET_ROWS, L->w + blk / NET_PANEL * panel,
		             L->b + blk * NET_ROWS, C, NET_PANEL, v);
	}
	const float *w = L->w + full / NET_PANEL * panel, *b = L->b + full * NET_ROWS;
	float *out = y + full * NET_ROWS;
	switch (L->blocks - full) {
	case 5:
		matvec_panel(out, w, b, C, 5, v);
		break;
	case 4:
		matvec_panel(out, w, b, C, 4, v);
		break;
	case 3:
		matvec_panel(out, w, b, C, 3, v);
		break;
	case 2:
		matvec_panel(out, w, b, C, 2, v);
		break;
	case 1:
		matvec_panel(out, w, b, C, 1, v);
		break;
	default:
		break;
	}
}

/* The portable kernel in vectors of 4 floats, which every target holds in
 * one register (SSE2, NEON): 256-bit generic vectors would live on the stack
 * there. A full panel is 32 rows in eight accumulators, one broadcast per
 * column, one chain per row: SSE2 has no FMA, so a column's multiplies and
 * adds (16 + 1 broadcast) keep the four FP pipes busier than the add
 * latency; the weights are read in order through one pointer, 16-byte
 * aligned (so SSE2 folds each load into its multiply). */
/* p is 16-byte aligned (panels start 64-byte aligned, columns 32 bytes apart). */
FM_ALWAYS fm_v4f load4a(const float *p)
{
	fm_v4f v;
	memcpy(&v, __builtin_assume_aligned(p, 16), sizeof v);
	return v;
}

/* The rows of one panel of NB blocks (NB = 1..4, a constant after inlining). */
FM_ALWAYS void matvec4_panel(float *restrict y, const float *restrict w, const float *restrict b,
                             uint32_t C, int NB, const float *restrict v)
{
	fm_v4f a[2u * NET_PANEL];
	for (int k = 0; k < 2 * NB; ++k) {
		a[k] = fm_load4(b + 4 * k);
	}
	for (uint32_t c = 0; c < C; ++c, w += (size_t)NB * NET_ROWS) {
		const fm_v4f x = {v[c], v[c], v[c], v[c]};
		for (int k = 0; k < 2 * NB; ++k) {
			a[k] += load4a(w + 4 * k) * x;
		}
	}
	for (int k = 0; k < 2 * NB; ++k) {
		fm_store4(y + 4 * k, a[k]);
	}
}

FM_ALWAYS void matvec4(float *restrict y, const packed_layer *L, const float *restrict v)
{
	const uint32_t C = L->cols, full = L->blocks / NET_PANEL * NET_PANEL;
	const size_t panel = (size_t)NET_PANEL * NET_ROWS * C;
	for (uint32_t blk = 0; blk < full; blk += NET_PANEL) {
		matvec4_panel(y + blk * NET_ROWS, L->w + blk / NET_PANEL * panel,
		              L->b + blk * NET_ROWS, C, NET_PANEL, v);
	}
	const float *w = L->w + full / NET_PANEL * panel, *b = L->b + full * NET_ROWS;
	float *out = y + full * NET_ROWS;
	switch (L->blocks - full) {
	case 5:
		matvec4_panel(out, w, b, C, 5, v);
		break;
	case 4:
		matvec4_panel(out, w, b, C, 4, v);
		break;
	case 3:
		matvec4_panel(out, w, b, C, 3, v);
		break;
	case 2:
		matvec4_panel(out, w, b, C, 2, v);
		break;
	case 1:
		matvec4_panel(out, w, b, C, 1, v);
		break;
	default:
		break;
	}
}

/* y[rows padded to 16] = b + W v from the binary16 weights, 16 rows a block.
 * Each row is two partial sums, over the even and the odd columns (the
 * first starting from the bias), added at the end: the same operations in
 * the same order per row in the AVX2 and AVX-512 versions, so that the two
 * give the same bits. */
#if NET_HAVE_HALF
#include <immintrin.h>

#define HALF8(p) _mm256_cvtph_ps(_mm_load_si128((const __m128i *)(const void *)(p)))
#define HALF16(p) _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(const void *)(p)))

/* Two 16-row blocks at a time as four 8-row quarters: eight multiply-add
 * chains, two broadcasts per eight. An odd last block is run as its own
 * pair (the same operations per row) and stored once. */
__attribute__((target("avx2,fma,f16c"))) static void
matvec_half_avx2(float *restrict y, const packed_layer *L, const float *restrict v)
{
	const uint32_t C = L->cols;
	const size_t stride = (size_t)C * NET_HALF_ROWS;
	for (uint32_t blk = 0; blk < L->hblocks; blk += 2u) {
		const int pair = blk + 1u < L->hblocks;
		const uint16_t *w = L->hw + blk * stride, *u = pair ? w + stride : w;
		const float *b = L->b + blk * NET_HALF_ROWS, *bu = pair ? b + NET_HALF_ROWS : b;
		__m256 a0 = _mm256_loadu_ps(b), a1 = _mm256_loadu_ps(b + 8);
		__m256 a2 = _mm256_loadu_ps(bu), a3 = _mm256_loadu_ps(bu + 8);
		__m256 o0 = _mm256_setzero_ps(), o1 = o0, o2 = o0, o3 = o0;
		uint32_t c = 0;
		for (; c + 2u <= C; c += 2u, w += 2u * NET_HALF_ROWS, u += 2u * NET_HALF_ROWS) {
			const __m256 x0 = _mm256_broadcast_ss(v + c),
			             x1 = _mm256_broadcast_ss(v + c + 1);
			a0 = _mm256_fmadd_ps(HALF8(w), x0, a0);
			a1 = _mm256_fmadd_ps(HALF8(w + 8), x0, a1);
			a2 = _mm256_fmadd_ps(HALF8(u), x0, a2);
			a3 = _mm256_fmadd_ps(HALF8(u + 8), x0, a3);
			o0 = _mm256_fmadd_ps(HALF8(w + 16), x1, o0);
			o1 = _mm256_fmadd_ps(HALF8(w + 24), x1, o1);
			o2 = _mm256_fmadd_ps(HALF8(u + 16), x1, o2);
			o3 = _mm256_fmadd_ps(HALF8(u + 24), x1, o3);
		}
		if (c < C) {
			const __m256 x0 = _mm256_broadcast_ss(v + c);
			a0 = _mm256_fmadd_ps(HALF8(w), x0, a0);
			a1 = _mm256_fmadd_ps(HALF8(w + 8), x0, a1);
			a2 = _mm256_fmadd_ps(HALF8(u), x0, a2);
			a3 = _mm256_fmadd_ps(HALF8(u + 8), x0, a3);
		}
		float *out = y + blk * NET_HALF_ROWS;
		_mm256_storeu_ps(out, _mm256_add_ps(a0, o0));
		_mm256_storeu_ps(out + 8, _mm256_add_ps(a1, o1));
		if (pair) {
			_mm256_storeu_ps(out + 16, _mm256_add_ps(a2, o2));
			_mm256_storeu_ps(out + 24, _mm256_add_ps(a3, o3));
		}
	}
}

/* Four 16-row blocks at a time in 512-bit registers: eight chains again;
 * the last one to three blocks one at a time. */
__attribute__((target("avx2,fma,f16c,avx512f,avx512vl"))) static void
matvec_half_avx512(float *restrict y, const packed_layer *L, const float *restrict v)
{
	const uint32_t C = L->cols;
	const size_t stride = (size_t)C * NET_HALF_ROWS;
	uint32_t blk = 0;
	for (; blk + 4u <= L->hblocks; blk += 4u) {
		const uint16_t *w0 = L->hw + blk * stride, *w1 = w0 + stride, *w2 = w1 + stride,
		               *w3 = w2 + stride;
		const float *b = L->b + blk * NET_HALF_ROWS;
		__m512 a0 = _mm512_loadu_ps(b), a1 = _mm512_loadu_ps(b + 16);
		__m512 a2 = _mm512_loadu_ps(b + 32), a3 = _mm512_loadu_ps(b + 48);
		__m512 o0 = _mm512_setzero_ps(), o1 = o0, o2 = o0, o3 = o0;
		size_t o = 0;
		uint32_t c = 0;
		for (; c + 2u <= C; c += 2u, o += 2u * NET_HALF_ROWS) {
			const __m512 x0 = _mm512_set1_ps(v[c]), x1 = _mm512_set1_ps(v[c + 1]);
			a0 = _mm512_fmadd_ps(HALF16(w0 + o), x0, a0);
			a1 = _mm512_fmadd_ps(HALF16(w1 + o), x0, a1);
			a2 = _mm512_fmadd_ps(HALF16(w2 + o), x0, a2);
			a3 = _mm512_fmadd_ps(HALF16(w3 + o), x0, a3);
			o0 = _mm512_fmadd_ps(HALF16(w0 + o + 16), x1, o0);
			o1 = _mm512_fmadd_ps(HALF16(w1 + o + 16), x1, o1);
			o2 = _mm512_fmadd_ps(HALF16(w2 + o + 16), x1, o2);
			o3 = _mm512_fmadd_ps(HALF16(w3 + o + 16), x1, o3);
		}
		if (c < C) {
			const __m512 x0 = _mm512_set1_ps(v[c]);
			a0 = _mm512_fmadd_ps(HALF16(w0 + o), x0, a0);
			a1 = _mm512_fmadd_ps(HALF16(w1 + o), x0, a1);
			a2 = _mm512_fmadd_ps(HALF16(w2 + o), x0, a2);
			a3 = _mm512_fmadd_ps(HALF16(w3 + o), x0, a3);
		}
		float *out = y + blk * NET_HALF_ROWS;
		_mm512_storeu_ps(out, _mm512_add_ps(a0, o0));
		_mm512_storeu_ps(out + 16, _mm512_add_ps(a1, o1));
		_mm512_storeu_ps(out + 32, _mm512_add_ps(a2, o2));
		_mm512_storeu_ps(out + 48, _mm512_add_ps(a3, o3));
	}
	for (; blk < L->hblocks; ++blk) {
		const uint16_t *w = L->hw + blk * stride;
		__m512 a0 = _mm512_loadu_ps(L->b + blk * NET_HALF_ROWS), o0 = _mm512_setzero_ps();
		uint32_t c = 0;
		for (; c + 2u <= C; c += 2u, w += 2u * NET_HALF_ROWS) {
			a0 = _mm512_fmadd_ps(HALF16(w), _mm512_set1_ps(v[c]), a0);
			o0 = _mm512_fmadd_ps(HALF16(w + 16), _mm512_set1_ps(v[c + 1]), o0);
		}
		if (c < C) {
			a0 = _mm512_fmadd_ps(HALF16(w), _mm512_set1_ps(v[c]), a0);
		}
		_mm512_storeu_ps(y + blk * NET_HALF_ROWS, _mm512_add_ps(a0, o0));
	}
}
#endif

/* Which matrix-vector product a step body uses (a constant in each clone). */
enum { MV_GENERIC, MV_SINGLE, MV_HALF_AVX2, MV_HALF_AVX512 };

FM_ALWAYS void layer(int kind, float *restrict y, const packed_layer *L, const float *restrict v)
{
#if NET_HAVE_HALF
	if (kind == MV_HALF_AVX2) {
		matvec_half_avx2(y, L, v);
		return;
	}
	if (kind == MV_HALF_AVX512) {
		matvec_half_avx512(y, L, v);
		return;
	}
#endif
	if (kind == MV_GENERIC) {
		matvec4(y, L, v);
	} else {
		matvec(y, L, v);
	}
}

/* Scratch inside the per-network block (each 64-byte aligned, lengths padded
 * so that 8-wide loads and stores past the logical end stay inside). */
typedef struct {
	float *rz, *nh, *nx, *hnew, *out;
} net_scratch;

static net_scratch scratch_of(const heist_net *net)
{
	const heist_model *m = net->model;
	const size_t H = m->gru_hidden;
	float *p = net->gates;
	net_scratch s;
	s.rz = p;
	p += align_floats(round16(2u * H) + NET_HALF_ROWS);
	s.nh = p;
	p += align_floats(round16(H));
	s.nx = p;
	p += align_floats(round16(H));
	s.hnew = p;
	p += align_floats(round8(H));
	s.out = p;
	return s;
}

static size_t scratch_floats(size_t H, size_t O)
{
	return align_floats(round16(2u * H) + NET_HALF_ROWS) + 2u * align_floats(round16(H)) +
	       align_floats(round8(H)) + align_floats(round8(O));
}

/* The step, compiled once per target below. */
FM_ALWAYS void step_body(heist_net *net, const float *in, float *out, int kind)
{
	const heist_model *m = net->model;
	const struct heist_net_weights *pw = m->packed;
	const uint32_t H = m->gru_hidden;
	const uint32_t I = m->n_inputs;
	const uint32_t D = m->dense_hidden;
	const uint32_t O = m->n_outputs;
	float *h = net->h;
	float *xin = net->x + H;
	const net_scratch s = scratch_of(net);
	/* The baseline build compares in 4-float halves (fastmath.h, fm_lt). */
	const int split = kind == MV_GENERIC;

	for (uint32_t i = 0; i < I; ++i) {
		xin[i] = isfinite(in[i]) ? in[i] : 0.0f;
	}

	/* GRU: r|z = W_h{r,z} h + W_i{r,z} x + b; n parts kept apart for r. */
	layer(kind, s.rz, &pw->rz, net->x);
	layer(kind, s.nh, &pw->nh, h);
	layer(kind, s.nx, &pw->nx, xin);
	fm_v8f hsum = fm_splat(0.0f);
	for (uint32_t j = 0; j < H; j += NET_ROWS) {
		const fm_v8f r = fm_sigmoid_s(fm_load(s.rz + j), split);
		const fm_v8f z = fm_sigmoid_s(fm_load(s.rz + H + j), split);
		const fm_v8f n = fm_tanh_s(fm_load(s.nx + j) + r * fm_load(s.nh + j), split);
		const fm_v8f hn = (1.0f - z) * n + z * fm_load(h + j);
		/* h[j..j+8) is read only here, so whole vectors go straight into
		 * it; a partial last one (H not a multiple of 8) would overwrite
		 * the input after h and goes through hnew. No memcpy: glibc's
		 * AVX-512 copy leaves the upper register state dirty, and on Zen 4
		 * every SSE instruction after it then runs ~3x slower (measured). */
		if (j + NET_ROWS <= H) {
			fm_store(h + j, hn);
		} else {
			fm_store(s.hnew + j, hn);
			for (uint32_t t = j; t < H; ++t) {
				h[t] = s.hnew[t];
			}
		}
		hsum += hn;
	}
	/* A finite h lies in [-1, 1] (the padding lanes too: gates of zero rows
	 * over finite inputs), so the sum is finite iff every value is; summed in
	 * vectors, not a serial chain of H scalar adds. */
	if (!isfinite(fm_hsum(hsum))) {
		heist_net_reset(net);
	}

	/* Dense layers: x already holds concat(h, input) since h aliases it. */
	layer(kind, net->y1, &pw->d1, net->x);
	for (uint32_t k = 0; k < D; k += NET_ROWS) {
		const fm_v8f v = fm_load(net->y1 + k);
		fm_store(net->y1 + k,
		         fm_select(fm_lt(fm_splat(0.0f), v, split), v, fm_splat(0.0f)));
	}
	layer(kind, net->y, &pw->d2, net->y1);

	/* Outputs lie in [1e-7, 2 + 1e-7] when finite, so again the sum tells
	 * (the padding lanes are zero rows: finite unless y1 is not, and then
	 * the frame is bad anyway). */
	fm_v8f osum = fm_splat(0.0f);
	for (uint32_t k = 0; k < O; k += NET_ROWS) {
		const fm_v8f e = fm_exp_sigmoid_s(fm_load(net->y + k), split);
		if (k + NET_ROWS <= O) {
			fm_store(out + k, e);
		} else {
			fm_store(s.out + k, e);
			for (uint32_t t = k; t < O; ++t) {
				out[t] = s.out[t];
			}
		}
		osum += e;
	}
	if (!isfinite(fm_hsum(osum))) {
		for (uint32_t k = 0; k < O; ++k) {
			out[k] = NET_EXP_SIGMOID_FLOOR;
		}
	}
}

static void step_generic(heist_net *net, const float *in, float *out)
{
	heist_cpu_clear_upper();
	step_body(net, in, out, MV_GENERIC);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define NET_HAVE_AVX2 1
__attribute__((target("avx2,fma"))) static void step_avx2(heist_net *net, const float *in,
                                                          float *out)
{
	step_body(net, in, out, MV_SINGLE);
}
#else
#define NET_HAVE_AVX2 0
#endif

#if NET_HAVE_HALF
__attribute__((target("avx2,fma,f16c"))) static void step_avx2_half(heist_net *net, const float *in,
                                                                    float *out)
{
	step_body(net, in, out, MV_HALF_AVX2);
}

/* The gates and dense activations stay 8 wide: only the products pay for
 * 512-bit registers. */
__attribute__((target("avx2,fma,f16c,avx512f,avx512vl"))) static void
step_avx512_half(heist_net *net, const float *in, float *out)
{
	step_body(net, in, out, MV_HALF_AVX512);
}
#endif

/* Whether this CPU (at the level cpu.h runs) and this model have a kernel. */
static int isa_available(const heist_model *m, heist_net_isa isa)
{
	const heist_cpu_level_t level = heist_cpu_level();
	switch (isa) {
	case HEIST_NET_ISA_GENERIC:
		return 1;
	case HEIST_NET_ISA_AVX2:
		return NET_HAVE_AVX2 && level >= HEIST_CPU_AVX2;
	case HEIST_NET_ISA_AVX2_HALF:
		return NET_HAVE_HALF && level >= HEIST_CPU_AVX2 && heist_net_half(m);
	case HEIST_NET_ISA_AVX512_HALF:
		return NET_HAVE_HALF && level >= HEIST_CPU_AVX512 && heist_net_half(m);
	}
	return 0;
}

/* The best kernel by the order of preference alone. */
static heist_net_isa preferred_isa(const heist_model *m)
{
	heist_net_isa isa = HEIST_NET_ISA_AVX512_HALF;
	while (!isa_available(m, isa)) {
		--isa;
	}
	return isa;
}

heist_net_isa heist_net_best_isa(const heist_model *m)
{
	if (m && m->packed && m->packed->tuned > 0 &&
	    isa_available(m, (heist_net_isa)(m->packed->tuned - 1))) {
		return (heist_net_isa)(m->packed->tuned - 1);
	}
	return preferred_isa(m);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#define TUNE_ROUNDS 7  /* rounds, kernels interleaved; each kernel's best round counts */
#define TUNE_FRAMES 16 /* frames per round: a few microseconds each */
/* A kernel replaces the preferred one only when this much faster: kernels of
 * equal speed then never trade places from run to run on timing noise (the
 * float32 and binary16 kernels differ in the last bits). */
#define TUNE_MARGIN 0.90

void heist_net_tune(heist_model *m)
{
	if (!m || !m->packed) {
		return;
	}
	m->packed->tuned = 0;
	heist_net *net = heist_net_new(m);
	if (!net) {
		return;
	}
	float in[NET_MAX_INPUTS], out[NET_MAX_OUTPUTS];
	for (uint32_t i = 0; i < m->n_inputs; ++i) { /* features of a plausible size */
		in[i] = 0.5f - (float)((i * 37u) % 17u) / 16.0f;
	}
	double best[HEIST_NET_ISA_AVX512_HALF + 1];
	for (int k = 0; k <= HEIST_NET_ISA_AVX512_HALF; ++k) {
		best[k] = 1e30;
	}
	for (int r = 0; r < TUNE_ROUNDS; ++r) {
		for (int k = 0; k <= HEIST_NET_ISA_AVX512_HALF; ++k) {
			if (!isa_available(m, (heist_net_isa)k)) {
				continue;
			}
			heist_net_set_isa(net, (heist_net_isa)k);
			heist_net_step(net, in, out); /* the kernel's code and weights into cache */
			const double t0 = now_s();
			for (int f = 0; f < TUNE_FRAMES; ++f) {
				heist_net_step(net, in, out);
			}
			const double t = now_s() - t0;
			best[k] = t < best[k] ? t : best[k];
		}
	}
	heist_net_free(net);
	const heist_net_isa preferred = preferred_isa(m);
	heist_net_isa fastest = preferred;
	for (int k = 0; k <= HEIST_NET_ISA_AVX512_HALF; ++k) {
		fastest = best[k] < best[fastest] ? (heist_net_isa)k : fastest;
	}
	const int faster = best[fastest] < TUNE_MARGIN * best[preferred];
	m->packed->tuned = 1 + (int)(faster ? fastest : preferred);
}

const char *heist_net_isa_name(heist_net_isa isa)
{
	switch (isa) {
	case HEIST_NET_ISA_AVX2:
		return "AVX2+FMA, single-precision weights";
	case HEIST_NET_ISA_AVX2_HALF:
		return "AVX2+FMA+F16C, binary16 weights";
	case HEIST_NET_ISA_AVX512_HALF:
		return "AVX-512, binary16 weights";
	default:
		return "baseline x86-64, single-precision weights";
	}
}

heist_net_isa heist_net_set_isa(heist_net *net, heist_net_isa isa)
{
	if (isa > HEIST_NET_ISA_AVX512_HALF) {
		isa = HEIST_NET_ISA_AVX512_HALF;
	}
	while (!isa_available(net->model, isa)) {
		--isa;
	}
	net->isa = isa;
	net->step = step_generic;
#if NET_HAVE_AVX2
	if (isa == HEIST_NET_ISA_AVX2) {
		net->step = step_avx2;
	}
#endif
#if NET_HAVE_HALF
	if (isa == HEIST_NET_ISA_AVX2_HALF) {
		net->step = step_avx2_half;
	} else if (isa == HEIST_NET_ISA_AVX512_HALF) {
		net->step = step_avx512_half;
	}
#endif
	return isa;
}

/* [main] See heist.h. Buffer layout inside the block (each 64-byte aligned):
 * x [H + I] (h aliases its first H values), gate scratch, y1 [D], y [O],
 * padded to whole 8- or 16-float vectors, then the engine's frame slots. */
heist_net *heist_net_new(const heist_model *model)
{
	if (!model || !model->packed) {
		return NULL;
	}
	const size_t H = model->gru_hidden;
	const size_t I = model->n_inputs;
	const size_t D = model->dense_hidden;
	const size_t O = model->n_outputs;
	if (I > NET_MAX_INPUTS || O > NET_MAX_OUTPUTS) {
		return NULL;
	}

	const size_t x_off = 0;
	const size_t gates_off = x_off + align_floats(H + I + NET_ROWS);
	const size_t y1_off = gates_off + scratch_floats(H, O);
	const size_t y_off = y1_off + align_floats(round16(D));
	const size_t frames_off = y_off + align_floats(round16(O));
	const size_t n_floats = frames_off + align_floats(HEIST_NET_FRAME_SLOTS * O);

	heist_net *net = heist_mem_calloc(1, sizeof *net);
	float *block = heist_mem_calloc(n_floats, sizeof(float)); /* NET_ALIGN (64) aligned */
	if (!net || !block) {
		heist_mem_free(net);
		heist_mem_free(block);
		return NULL;
	}
	/* heist_mem_calloc touched every page: the audio thread never faults one in. */

	net->model = model;
	net->block = block;
	net->x = block + x_off;
	net->h = net->x;
	net->gates = block + gates_off;
	net->y1 = block + y1_off;
	net->y = block + y_off;
	net->frames = block + frames_off;
	heist_net_set_isa(net, heist_net_best_isa(model));

	/* Pre-warm: one frame on zeros pulls the weights into cache, then the
	 * state goes back to zero. */
	float in[NET_MAX_INPUTS] = {0};
	float out[NET_MAX_OUTPUTS];
	heist_net_step(net, in, out);
	heist_net_reset(net);
	return net;
}
/* [main] See heist.h. NULL is fine. */
void heist_net_free(heist_net *net)
{
	if (net) {
		heist_mem_free(net->block);
		heist_mem_free(net);
	}
}

/* [audio] See net.h. */
void heist_net_reset(heist_net *net)
{
	memset(net->h, 0, net->model->gru_hidden * sizeof(float));
}

/* [audio] See net.h. morph is clamped to [0, 1] (NaN reads as 0). morph 0 and
 * 1 give the pure styles bit-exactly. */
void heist_net_embed(const heist_model *m, uint32_t a, uint32_t b, float morph, float *emb)
{
	const uint32_t E = m->embed_dim;
	const uint32_t last = m->n_styles - 1u;
	a = a > last ? last : a;
	b = b > last ? last : b;
	if (!(morph >= 0.0f)) {
		morph = 0.0f;
	} else if (morph > 1.0f) {
		morph = 1.0f;
	}
	const float *ea = m->embedding + (size_t)a * E;
	const float *eb = m->embedding + (size_t)b * E;
	const float keep = 1.0f - morph;
	for (uint32_t i = 0; i < E; ++i) {
		emb[i] = keep * ea[i] + morph * eb[i];
	}
}

/* [audio] See net.h. Non-finite inputs are read as 0, and a state that turns
 * non-finite (e.g. from overflow on huge inputs) is zeroed before the dense
 * layers, so the frame's output comes from a fresh state. If the output still
 * is not finite, the frame is emitted as silence (every value at the
 * exp_sigmoid floor). */
void heist_net_step(heist_net *net, const float *in, float *out)
{
	net->step(net, in, out);
}
