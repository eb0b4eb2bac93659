/* Harmonic bank and filtered noise (definitions in synth.h). */
#include "synth.h"

#include <kiss_fftr.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void heist_synth_harmonic_run(double *phase, float f0a, float f0b, const float *ha, const float *hb,
                              uint32_t n_harm, double pos0, double ca, double inv_len,
                              double sample_rate, double band_limit, float *out, uint32_t n)
{
	double p = *phase;
	const double inv_rate = 1.0 / sample_rate;
	for (uint32_t i = 0; i < n; ++i) {
		const double t = (pos0 + i - ca) * inv_len;
		const double f0 = f0a + (f0b - f0a) * t;
		/* Harmonic h sounds while h * f0 < band_limit. */
		uint32_t active = 0;
		if (f0 > 0.0) {
			const double top = ceil(band_limit / f0) - 1.0;
			active = top >= n_harm ? n_harm : top > 0.0 ? (uint32_t)top : 0;
		}
		/* sin(h x) by the Chebyshev recursion s_h = 2 cos(x) s_(h-1) - s_(h-2),
		 * in double so the error stays far below 1e-6 up to 256 harmonics. */
		const double x = HEIST_TWO_PI * p;
		const double c2 = 2.0 * cos(x);
		double s_prev = 0.0, s = sin(x), acc = 0.0;
		for (uint32_t h = 0; h < active; ++h) {
			const double a = ha[h] + (hb[h] - ha[h]) * t;
			acc += a * s;
			const double s_next = c2 * s - s_prev;
			s_prev = s;
			s = s_next;
		}
		out[i] = (float)acc;
		p += f0 * inv_rate;
		p -= floor(p);
	}
	*phase = p;
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
	float scale; /* sqrt(fs / model_rate) / N */
	uint32_t rng;
	kiss_fftr_cfg fwd, inv;
	float *grain;       /* [N] */
	kiss_fft_cpx *spec; /* [N/2+1] */
	float *window;      /* [N] */
	uint16_t *bin_band; /* [N/2+1] lower band of each bin (UINT16_MAX: silent) */
	float *bin_frac;    /* [N/2+1] */
	float *ola;         /* [2N] overlap-add ring */
};

uint32_t heist_synth_noise_hop(double sample_rate)
{
	return 1u << (uint32_t)lround(log2(sample_rate / 375.0));
}

heist_noise *heist_noise_new(double sample_rate, uint32_t max_bands)
{
	if (!(sample_rate >= 4000.0 && sample_rate <= 768000.0) || max_bands < 2 ||
	    max_bands > 4096) {
		return NULL;
	}
	heist_noise *nz = calloc(1, sizeof(*nz));
	if (!nz) {
		return NULL;
	}
	nz->sample_rate = sample_rate;
	nz->hop = heist_synth_noise_hop(sample_rate);
	nz->size = 2 * nz->hop;
	nz->max_bands = max_bands;
	const uint32_t nb = nz->size / 2 + 1;
	nz->fwd = kiss_fftr_alloc((int)nz->size, 0, NULL, NULL);
	nz->inv = kiss_fftr_alloc((int)nz->size, 1, NULL, NULL);
	nz->grain = calloc(nz->size, sizeof(float));
	nz->spec = calloc(nb, sizeof(kiss_fft_cpx));
	nz->window = calloc(nz->size, sizeof(float));
	nz->bin_band = calloc(nb, sizeof(uint16_t));
	nz->bin_frac = calloc(nb, sizeof(float));
	nz->ola = calloc(2 * nz->size, sizeof(float));
	if (!nz->fwd || !nz->inv || !nz->grain || !nz->spec || !nz->window || !nz->bin_band ||
	    !nz->bin_frac || !nz->ola) {
		heist_noise_free(nz);
		return NULL;
	}
	for (uint32_t i = 0; i < nz->size; ++i) {
		nz->window[i] = (float)sin(HEIST_PI * (i + 0.5) / nz->size);
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
	kiss_fftr_free(nz->fwd);
	kiss_fftr_free(nz->inv);
	free(nz->grain);
	free(nz->spec);
	free(nz->window);
	free(nz->bin_band);
	free(nz->bin_frac);
	free(nz->ola);
	free(nz);
}

void heist_noise_set_bands(heist_noise *nz, uint32_t n_bands, double model_rate)
{
	n_bands = n_bands < 2 ? 2 : n_bands > nz->max_bands ? nz->max_bands : n_bands;
	nz->n_bands = n_bands;
	const double nyquist = 0.5 * model_rate;
	const double spacing = nyquist / (n_bands - 1);
	for (uint32_t i = 0; i <= nz->size / 2; ++i) {
		const double f = (double)i * nz->sample_rate / nz->size;
		if (f > nyquist) {
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
}

void heist_noise_reset(heist_noise *nz)
{
	memset(nz->ola, 0, 2 * nz->size * sizeof(float));
	nz->rng = 0x9E3779B9u;
}

/* xorshift32: fast, deterministic, good enough for noise. */
static inline float noise_uniform(uint32_t *state)
{
	uint32_t x = *state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return (float)(x >> 8) * (2.0f / 16777216.0f) - 1.0f;
}

void heist_noise_grain(heist_noise *nz, uint64_t start, const float *mags)
{
	const uint32_t n = nz->size, nb = n / 2 + 1, mask = 2 * n - 1;
	for (uint32_t i = 0; i < n; ++i) {
		nz->grain[i] = noise_uniform(&nz->rng);
	}
	kiss_fftr(nz->fwd, nz->grain, nz->spec);
	for (uint32_t i = 0; i < nb; ++i) {
		const uint16_t b = nz->bin_band[i];
		float g = 0.0f;
		if (b != UINT16_MAX) {
			g = mags[b] + (mags[b + 1] - mags[b]) * nz->bin_frac[i];
		}
		nz->spec[i].r *= g;
		nz->spec[i].i *= g;
	}
	kiss_fftri(nz->inv, nz->spec, nz->grain);
	const float scale = nz->scale;
	for (uint32_t i = 0; i < n; ++i) {
		nz->ola[(start + i) & mask] += nz->grain[i] * nz->window[i] * scale;
	}
}

float heist_noise_take(heist_noise *nz, uint64_t pos)
{
	const uint32_t mask = 2 * nz->size - 1;
	const float v = nz->ola[pos & mask];
	nz->ola[pos & mask] = 0.0f;
	return v;
}
