/* Harmonic bank and filtered noise (definitions in synth.h). */
#include "synth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "fastmath.h"
#include "fft.h"
#include "mem.h"
#include "shared.h"
#include "util.h"

/* The harmonic bank, 8 samples at a time (one vector lane each): the phase
 * accumulates in double, sample by sample, exactly as the definition; each
 * lane then gets sin and 2 cos of its phase (fastmath.h) and runs the
 * Chebyshev recursion sin((h+1)x) = 2 cos(x) sin(hx) - sin((h-1)x) in float
 * across the harmonics. Rounding grows with the harmonic count: below 2e-5
 * of the amplitude sum at 60 harmonics (the parity bound is 1e-4 of full
 * scale). Every lane is computed on its own, so the samples do not depend on
 * where a run is split or how lanes are grouped: a run goes in groups of
 * MAXV vectors, its last samples in groups of 2 or 1. Both loops are
 * latency-bound chains (the phase: one addition a sample; the recursion:
 * one FMA a harmonic), so the more vectors side by side the better, as far
 * as the registers go: 2 with AVX2's 16, 4 with AVX-512's 32, 1 in the
 * baseline build (a vector of 8 is two SSE registers there; with 2 the
 * chains spilled to the stack and the bank ran at half the speed). */
#define HARM_MAX_VECS 4u

/* Harmonics sounding at f0: h (1-based) while h * f0 < band_limit. */
static inline uint32_t active_harmonics(double f0, double band_limit, uint32_t n_harm)
{
	if (!(f0 > 0.0)) {
		return 0;
	}
	const double top = ceil(band_limit / f0) - 1.0;
	return top >= n_harm ? n_harm : top > 0.0 ? (uint32_t)top : 0;
}

/* The recursion over the harmonics for V vectors of lanes: r[] the phases
 * (cycles, in [-0.5, 0.5]), tl[] the interpolation times, act[] the sounding
 * harmonic counts (lo and hi their extremes); 8 V sums into out. V is a
 * constant at every call, so the chains stay in registers. */
FM_ALWAYS void harmonic_lanes(const float *ha, const float *dh, uint32_t V, const float *r,
                              const float *tl, const int32_t *act, uint32_t lo, uint32_t hi,
                              float *out)
{
	fm_v8f s[HARM_MAX_VECS], c2[HARM_MAX_VECS], p[HARM_MAX_VECS], acc[HARM_MAX_VECS],
	    t[HARM_MAX_VECS];
	fm_v8i av[HARM_MAX_VECS];
	for (uint32_t v = 0; v < V; ++v) {
		fm_v8f c;
		fm_sincos_cycles(fm_load(r + 8 * v), &s[v], &c);
		c2[v] = c + c;
		t[v] = fm_load(tl + 8 * v);
		av[v] = fm_load_i(act + 8 * v);
		p[v] = (fm_v8f){0};
		acc[v] = (fm_v8f){0};
	}
	uint32_t h = 0;
	for (; h < lo; ++h) {
		for (uint32_t v = 0; v < V; ++v) {
			acc[v] += (ha[h] + dh[h] * t[v]) * s[v];
			const fm_v8f nx = c2[v] * s[v] - p[v];
			p[v] = s[v];
			s[v] = nx;
		}
	}
	for (; h < hi; ++h) {
		const fm_v8i hv = {(int32_t)h, (int32_t)h, (int32_t)h, (int32_t)h,
		                   (int32_t)h, (int32_t)h, (int32_t)h, (int32_t)h};
		for (uint32_t v = 0; v < V; ++v) {
			acc[v] += fm_select(hv < av[v], ha[h] + dh[h] * t[v], (fm_v8f){0}) * s[v];
			const fm_v8f nx = c2[v] * s[v] - p[v];
			p[v] = s[v];
			s[v] = nx;
		}
	}
	for (uint32_t v = 0; v < V; ++v) {
		fm_store(out + 8 * v, acc[v]);
	}
}

/* harmonic_lanes for one vector of lanes in the baseline build. There a
 * vector of 8 floats is no register type: gcc keeps fm_v8f variables in
 * stack memory, so every step of the chains went through a store and a load
 * (measured: the bank at 0.6x the speed). The 8 lanes run here as two
 * 4-float vectors, each in registers, with the same operations per lane. */
FM_ALWAYS void harmonic_lanes_v4(const float *ha, const float *dh, const float *r, const float *tl,
                                 const int32_t *act, uint32_t lo, uint32_t hi, float *out)
{
	fm_v8f s8, c8;
	fm_sincos_cycles(fm_load(r), &s8, &c8);
	fm_v4f s[2], c2[2], p[2], acc[2], t[2];
	fm_v4i av[2];
	memcpy(s, &s8, sizeof s);
	memcpy(c2, &c8, sizeof c2);
	memcpy(t, tl, sizeof t);
	memcpy(av, act, sizeof av);
	for (int k = 0; k < 2; ++k) {
		c2[k] += c2[k];
		p[k] = (fm_v4f){0};
		acc[k] = (fm_v4f){0};
	}
	uint32_t h = 0;
	for (; h < lo; ++h) {
		for (int k = 0; k < 2; ++k) {
			acc[k] += (ha[h] + dh[h] * t[k]) * s[k];
			const fm_v4f nx = c2[k] * s[k] - p[k];
			p[k] = s[k];
			s[k] = nx;
		}
	}
	for (; h < hi; ++h) {
		for (int k = 0; k < 2; ++k) {
			/* h < act as a mask from the sign of h - act (both small and
			 * non-negative): an integer comparison would be scalar code. */
			const fm_v4i on = ((fm_v4i){0} + (int32_t)h - av[k]) >> 31;
			acc[k] += (fm_v4f)((fm_v4i)(ha[h] + dh[h] * t[k]) & on) * s[k];
			const fm_v4f nx = c2[k] * s[k] - p[k];
			p[k] = s[k];
			s[k] = nx;
		}
	}
	memcpy(out, acc, sizeof acc);
}

FM_ALWAYS void harmonic_run_body(double *phase, float f0a, float f0b, const float *ha,
                                 const float *hb, uint32_t n_harm, double pos0, double ca,
                                 double inv_len, double sample_rate, double band_limit, float *out,
                                 uint32_t n, uint32_t MAXV)
{
	if (n == 0) {
		return;
	}
	double p = *phase;
	const double inv_rate = 1.0 / sample_rate;
	float dh[HEIST_SYNTH_MAX_HARMONICS];
	for (uint32_t h = 0; h < n_harm; ++h) {
		dh[h] = hb[h] - ha[h];
	}
	/* f0 is linear in the sample index, so the count of sounding harmonics
	 * is monotonic: equal at both ends means equal throughout. */
	const double t_first = (pos0 - ca) * inv_len, t_last = (pos0 + (n - 1) - ca) * inv_len;
	const double f0_first = f0a + (f0b - f0a) * t_first, f0_last = f0a + (f0b - f0a) * t_last;
	const uint32_t act_first = active_harmonics(f0_first, band_limit, n_harm);
	const int constant = act_first == active_harmonics(f0_last, band_limit, n_harm);
	/* With 0 <= f0 < sample_rate at both ends (so throughout) and the phase
	 * in [0, 1), p + f0 / sample_rate lies in [0, 2): p - floor(p) is then
	 * exactly p or p - 1, so the floor leaves the chain. */
	const int wrap_once = p >= 0.0 && p < 1.0 && f0_first >= 0.0 && f0_last >= 0.0 &&
	                      f0_first < sample_rate && f0_last < sample_rate;
	enum { G = 8 * HARM_MAX_VECS };
	for (uint32_t i0 = 0; i0 < n;) {
		const uint32_t left = n - i0;
		const uint32_t V = left >= 8 * MAXV ? MAXV : left > 8 ? 2 : 1;
		const uint32_t lanes = 8 * V, real = left < lanes ? left : lanes;
		float r[G], tl[G], acc[G];
		double f0l[G];
		int32_t act[G];
		uint32_t lo = n_harm, hi = 0;
		/* Each lane's time and f0, a vector at a time; then the counts;
		 * then the phase, the one chain from lane to lane. */
		for (uint32_t l = 0; l < lanes; ++l) {
			const double t = (pos0 + (i0 + l) - ca) * inv_len;
			f0l[l] = f0a + (f0b - f0a) * t;
			tl[l] = (float)t;
		}
		for (uint32_t l = 0; l < lanes; ++l) {
			uint32_t active =
			    constant ? act_first : active_harmonics(f0l[l], band_limit, n_harm);
			if (l >= real) {
				active = 0; /* padding lane */
			}
			act[l] = (int32_t)active;
			lo = active < lo ? active : lo;
			hi = active > hi ? active : hi;
		}
		for (uint32_t l = 0; l < lanes; ++l) {
			r[l] = (float)(p - floor(p + 0.5));
			if (l < real) {
				p += f0l[l] * inv_rate;
				if (wrap_once) {
					p = p >= 1.0 ? p - 1.0 : p;
				} else {
					p -= floor(p);
				}
			}
		}
		if (MAXV == 1) { /* the baseline build: V is 1 */
			harmonic_lanes_v4(ha, dh, r, tl, act, lo, hi, acc);
		} else if (V == 4) {
			harmonic_lanes(ha, dh, 4, r, tl, act, lo, hi, acc);
		} else if (V == 2) {
			harmonic_lanes(ha, dh, 2, r, tl, act, lo, hi, acc);
		} else {
			harmonic_lanes(ha, dh, 1, r, tl, act, lo, hi, acc);
		}
		memcpy(out + i0, acc, real * sizeof(float));
		i0 += real;
	}
	*phase = p;
}

static void harmonic_run_generic(double *phase, float f0a, float f0b, const float *ha,
                                 const float *hb, uint32_t n_harm, double pos0, double ca,
                                 double inv_len, double sample_rate, double band_limit, float *out,
                                 uint32_t n)
{
	harmonic_run_body(phase, f0a, f0b, ha, hb, n_harm, pos0, ca, inv_len, sample_rate,
	                  band_limit, out, n, 1);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2,fma"))) static void
harmonic_run_avx2(double *phase, float f0a, float f0b, const float *ha, const float *hb,
                  uint32_t n_harm, double pos0, double ca, double inv_len, double sample_rate,
                  double band_limit, float *out, uint32_t n)
{
	harmonic_run_body(phase, f0a, f0b, ha, hb, n_harm, pos0, ca, inv_len, sample_rate,
	                  band_limit, out, n, 2);
}

/* 32 vector registers: four chains of vectors without spilling. */
__attribute__((target("avx2,fma,avx512f,avx512vl"))) static void
harmonic_run_avx512(double *phase, float f0a, float f0b, const float *ha, const float *hb,
                    uint32_t n_harm, double pos0, double ca, double inv_len, double sample_rate,
                    double band_limit, float *out, uint32_t n)
{
	harmonic_run_body(phase, f0a, f0b, ha, hb, n_harm, pos0, ca, inv_len, sample_rate,
	                  band_limit, out, n, 4);
}
#endif

void heist_synth_harmonic_run(double *phase, float f0a, float f0b, const float *ha, const float *hb,
                              uint32_t n_harm, double pos0, double ca, double inv_len,
                              double sample_rate, double band_limit, float *out, uint32_t n)
{
	if (n_harm > HEIST_SYNTH_MAX_HARMONICS) {
		n_harm = HEIST_SYNTH_MAX_HARMONICS;
	}
#if defined(__x86_64__) && defined(__GNUC__)
	if (heist_cpu_level() >= HEIST_CPU_AVX512) {
		harmonic_run_avx512(phase, f0a, f0b, ha, hb, n_harm, pos0, ca, inv_len, sample_rate,
		                    band_limit, out, n);
		return;
	}
	if (heist_cpu_level() >= HEIST_CPU_AVX2) {
		harmonic_run_avx2(phase, f0a, f0b, ha, hb, n_harm, pos0, ca, inv_len, sample_rate,
		                  band_limit, out, n);
		return;
	}
#endif
	harmonic_run_generic(phase, f0a, f0b, ha, hb, n_harm, pos0, ca, inv_len, sample_rate,
	                     band_limit, out, n);
}

uint32_t heist_synth_harmonic_render(const float *f0, const float *amps, uint32_t n_frames,
                                     uint32_t n_harm, double sample_rate, double frame_rate,
                                     double band_limit, float *out)
{
	if (n_frames < 2) {
		return 0;
	}
	double phase = 0.0;
	uint32_t n = 0;
	for (uint32_t k = 0; k + 1 < n_frames; ++k) {
		const double ca = (double)k * sample_rate / frame_rate;
		const double cb = (double)(k + 1) * sample_rate / frame_rate;
		/* Samples n with ca <= n < cb. */
		const uint32_t end = (uint32_t)ceil(cb);
		if (end > n) {
			heist_synth_harmonic_run(
			    &phase, f0[k], f0[k + 1], amps + (size_t)k * n_harm,
			    amps + (size_t)(k + 1) * n_harm, n_harm, n, ca, 1.0 / (cb - ca),
			    sample_rate, band_limit, out + n, end - n);
			n = end;
		}
	}
	return n;
}

struct heist_noise {
	uint32_t hop, size; /* grain length N = 2 hop */
	uint32_t n_bands, max_bands;
	double sample_rate;
	float scale;     /* sqrt(fs / model_rate) / N */
	uint32_t rng[8]; /* eight xorshift32 streams, one per vector lane */
	heist_rfft *fft;
	float *grain;             /* [N] */
	float *spec_re, *spec_im; /* [N/2+1, padded to 8]; spec_re first holds the gains */
	const float *window;      /* [N] (shared) */
	uint16_t *bin_band;       /* [N/2+1] lower band of each bin (UINT16_MAX: silent) */
	float *bin_frac;          /* [N/2+1] */
	float *ola;               /* [2N] overlap-add ring */
};

uint32_t heist_synth_noise_hop(double sample_rate)
{
	return 1u << (uint32_t)lround(log2(sample_rate / 375.0));
}

/* The grain window sin(pi (n + 0.5) / N) over floats = N samples. */
static int fill_window(float *w, size_t floats, const void *ctx)
{
	(void)ctx;
	for (uint32_t i = 0; i < floats; ++i) {
		w[i] = (float)sin(HEIST_PI * (i + 0.5) / floats);
	}
	return 1;
}

heist_noise *heist_noise_new(double sample_rate, uint32_t max_bands)
{
	if (!(sample_rate >= 4000.0 && sample_rate <= 768000.0) || max_bands < 2 ||
	    max_bands > 4096) {
		return NULL;
	}
	heist_noise *nz = heist_mem_calloc(1, sizeof(*nz));
	if (!nz) {
		return NULL;
	}
	nz->sample_rate = sample_rate;
	nz->hop = heist_synth_noise_hop(sample_rate);
	nz->size = 2 * nz->hop;
	nz->max_bands = max_bands;
	const uint32_t nb = nz->size / 2 + 1;
	nz->fft = heist_rfft_new(nz->size);
	nz->grain = heist_mem_calloc(nz->size, sizeof(float));
	const uint32_t nbp = (nb + 7) / 8 * 8; /* vector loops run to here */
	nz->spec_re = heist_mem_calloc(nbp, sizeof(float));
	nz->spec_im = heist_mem_calloc(nbp, sizeof(float));
	const double key = nz->size;
	nz->window = heist_shared_get("grain_window", &key, 1, nz->size, fill_window, NULL);
	nz->bin_band = heist_mem_calloc(nb, sizeof(uint16_t));
	nz->bin_frac = heist_mem_calloc(nb, sizeof(float));
	nz->ola = heist_mem_calloc(2 * nz->size, sizeof(float));
	if (!nz->fft || !nz->grain || !nz->spec_re || !nz->spec_im || !nz->window ||
	    !nz->bin_band || !nz->bin_frac || !nz->ola) {
		heist_noise_free(nz);
		return NULL;
	}
	heist_noise_set_bands(nz, 2, sample_rate);
	heist_noise_reset(nz);
	return nz;
}

void heist_noise_free(heist_noise *nz)
{
	if (!nz) {
		return;
	}
	heist_rfft_free(nz->fft);
	heist_mem_free(nz->grain);
	heist_mem_free(nz->spec_re);
	heist_mem_free(nz->spec_im);
	heist_shared_put(nz->window);
	heist_mem_free(nz->bin_band);
	heist_mem_free(nz->bin_frac);
	heist_mem_free(nz->ola);
	heist_mem_free(nz);
}

void heist_noise_set_bands(heist_noise *nz, uint32_t n_bands, double model_rate)
{
	heist_noise_set_bands_ext(nz, n_bands, model_rate, 0.5 * model_rate);
}

uint32_t heist_noise_set_bands_ext(heist_noise *nz, uint32_t n_bands, double model_rate,
                                   double top_hz)
{
	n_bands = n_bands < 2 ? 2 : n_bands > nz->max_bands ? nz->max_bands : n_bands;
	const double nyquist = 0.5 * model_rate;
	const double spacing = nyquist / (n_bands - 1);
	/* Bands above the model's continue at its spacing up to top_hz. */
	double last = ceil(top_hz / spacing - 1e-9);
	last = last < n_bands - 1         ? n_bands - 1
	       : last > nz->max_bands - 1 ? nz->max_bands - 1
	                                  : last;
	n_bands = (uint32_t)last + 1u;
	nz->n_bands = n_bands;
	const double top = last * spacing;
	for (uint32_t i = 0; i <= nz->size / 2; ++i) {
		const double f = (double)i * nz->sample_rate / nz->size;
		if (f > top) {
			nz->bin_band[i] = UINT16_MAX;
			nz->bin_frac[i] = 0.0f;
			continue;
		}
		double pos = f / spacing;
		uint32_t b = (uint32_t)pos;
		if (b >= n_bands - 1) {
			b = n_bands - 2;
		}
		nz->bin_band[i] = (uint16_t)b;
		nz->bin_frac[i] = (float)(pos - b);
	}
	nz->scale = (float)(sqrt(nz->sample_rate / model_rate) / nz->size);
	return n_bands;
}

void heist_noise_reset(heist_noise *nz)
{
	memset(nz->ola, 0, 2 * nz->size * sizeof(float));
	for (uint32_t l = 0; l < 8; ++l) {
		nz->rng[l] = 0x9E3779B9u * (2u * l + 1u);
	}
}

typedef uint32_t fm_v8u __attribute__((vector_size(32)));

/* Eight xorshift32 steps (one per lane) to uniform values in [-1, 1). */
FM_ALWAYS fm_v8f noise_uniform8(fm_v8u *x)
{
	fm_v8u v = *x;
	v ^= v << 13;
	v ^= v >> 17;
	v ^= v << 5;
	*x = v;
	return __builtin_convertvector((fm_v8i)(v >> 8), fm_v8f) * (2.0f / 16777216.0f) - 1.0f;
}

/* The spectrum of a grain of white noise u is drawn directly instead of
 * transforming u: rfft of N uniform values in [-1, 1) has bins whose real
 * and imaginary parts are zero-mean with variance N/6 (N/3 and real at DC
 * and Nyquist), uncorrelated; uniform values in [-a, a) with a^2 / 3 equal
 * to that variance give the same power spectrum, so the filtered grain has
 * the same PSD as the definition (tests/parity compares it with the training
 * code's) at one inverse FFT per grain instead of two transforms. The
 * uniforms come from eight xorshift32 streams, a vector at a time. */
FM_ALWAYS void noise_grain_body(heist_noise *nz, uint64_t start, const float *mags)
{
	const uint32_t n = nz->size, nb = n / 2 + 1, mask = 2 * n - 1;
	const float a_mid = sqrtf(0.5f * (float)n), a_end = sqrtf((float)n);
	/* The per-bin gains, in spec_re until each is used (one buffer fewer
	 * for an instance to bring into cache). Its padding past nb holds 0. */
	for (uint32_t i = 0; i < nb; ++i) {
		const uint16_t b = nz->bin_band[i];
		nz->spec_re[i] =
		    b != UINT16_MAX ? mags[b] + (mags[b + 1] - mags[b]) * nz->bin_frac[i] : 0.0f;
	}
	fm_v8u st;
	memcpy(&st, nz->rng, sizeof st);
	for (uint32_t i = 0; i < nb; i += 8) { /* buffers padded to whole vectors */
		const fm_v8f g = fm_load(nz->spec_re + i) * a_mid;
		const fm_v8f re = noise_uniform8(&st), im = noise_uniform8(&st);
		fm_store(nz->spec_re + i, g * re);
		fm_store(nz->spec_im + i, g * im);
	}
	memcpy(nz->rng, &st, sizeof st);
	nz->spec_re[0] *= a_end / a_mid;
	nz->spec_re[nb - 1] *= a_end / a_mid;
	nz->spec_im[0] = 0.0f;
	nz->spec_im[nb - 1] = 0.0f;
	heist_rfft_inverse(nz->fft, nz->spec_re, nz->spec_im, nz->grain);
	const float scale = nz->scale;
	const uint32_t at = (uint32_t)(start & mask);
	/* The ring is 2N long: a grain wraps at most once, so two plain loops. */
	float *restrict dst = nz->ola + at;
	const float *restrict gr = nz->grain, *restrict w = nz->window;
	const uint32_t first = at + n <= 2 * n ? n : 2 * n - at;
#pragma omp simd
	for (uint32_t i = 0; i < first; ++i) {
		dst[i] += gr[i] * w[i] * scale;
	}
	float *restrict head = nz->ola;
#pragma omp simd
	for (uint32_t i = first; i < n; ++i) {
		head[i - first] += gr[i] * w[i] * scale;
	}
}

static void noise_grain_generic(heist_noise *nz, uint64_t start, const float *mags)
{
	noise_grain_body(nz, start, mags);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2,fma"))) static void noise_grain_avx2(heist_noise *nz, uint64_t start,
                                                                 const float *mags)
{
	noise_grain_body(nz, start, mags);
}
#endif

void heist_noise_grain(heist_noise *nz, uint64_t start, const float *mags)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (heist_cpu_level() >= HEIST_CPU_AVX2) {
		noise_grain_avx2(nz, start, mags);
		return;
	}
#endif
	noise_grain_generic(nz, start, mags);
}

float heist_noise_take(heist_noise *nz, uint64_t pos)
{
	const uint32_t mask = 2 * nz->size - 1;
	const float v = nz->ola[pos & mask];
	nz->ola[pos & mask] = 0.0f;
	return v;
}

void heist_noise_take_add(heist_noise *nz, uint64_t pos, float *out, uint32_t n)
{
	const uint32_t mask = 2 * nz->size - 1;
	uint32_t i = 0;
	while (i < n) {
		const uint32_t at = (uint32_t)((pos + i) & mask);
		const uint32_t len = n - i < mask + 1 - at ? n - i : mask + 1 - at;
		float *restrict src = nz->ola + at;
		float *restrict dst = out + i;
#pragma omp simd
		for (uint32_t j = 0; j < len; ++j) {
			dst[j] += src[j];
			src[j] = 0.0f;
		}
		i += len;
	}
}
