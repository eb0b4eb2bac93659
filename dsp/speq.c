/* Spectral correction (speq.h). */
#include "speq.h"

#include <math.h>

#include "fastmath.h"

#define DB_TO_LN 0.11512925f /* amplitude dB to the gain's natural log: ln(10) / 20 */

/* Style s's curve at pitch midi (linear between its anchors, flat outside),
 * added into out with weight w. */
static void style_curve(const heist_model *m, uint32_t s, float midi, float w, float *out)
{
	const uint32_t nb = m->speq_bands, np = m->speq_pitches;
	const float *p = m->speq_pitch + (size_t)s * np;
	const float *g = m->speq_db + (size_t)s * np * nb;
	uint32_t i = 0;
	float u = 0.0f;
	if (np > 1 && midi > p[0]) {
		while (i + 2 < np && midi > p[i + 1]) {
			++i;
		}
		/* The parser checked the anchors increase. */
		u = (midi - p[i]) / (p[i + 1] - p[i]);
		u = u > 1.0f ? 1.0f : u;
	}
	const float *g0 = g + (size_t)i * nb, *g1 = np > 1 ? g0 + nb : g0;
	for (uint32_t b = 0; b < nb; ++b) {
		out[b] += w * (g0[b] + (g1[b] - g0[b]) * u);
	}
}

void heist_speq_curve_of(const heist_model *m, uint32_t a, uint32_t b, float morph, float f0,
                         heist_speq_curve *out)
{
	out->n = 0;
	if (!m->speq_db || m->speq_bands == 0) {
		return;
	}
	const uint32_t last = m->n_styles - 1u, np = m->speq_pitches;
	a = a > last ? last : a;
	b = b > last ? last : b;
	const float t = morph < 0.0f ? 0.0f : morph > 1.0f ? 1.0f : morph;
	for (uint32_t i = 0; i < m->speq_bands; ++i) {
		out->db[i] = 0.0f;
	}
	const float *pa = m->speq_pitch + (size_t)a * np, *pb = m->speq_pitch + (size_t)b * np;
	const float midi = f0 > 0.0f ? 69.0f + 12.0f * log2f(f0 / 440.0f) : 0.0f;
	if (t < 1.0f) {
		style_curve(m, a, f0 > 0.0f ? midi : 0.5f * (pa[0] + pa[np - 1]), 1.0f - t,
		            out->db);
	}
	if (t > 0.0f) {
		style_curve(m, b, f0 > 0.0f ? midi : 0.5f * (pb[0] + pb[np - 1]), t, out->db);
	}
	out->n = m->speq_bands;
}

/* Where f falls among n centres: the centre to read (*i) and how far toward
 * the next (the return; -1: flat outside the centres). *at walks up the
 * centres (callers ask for increasing f). */
static float locate(const float *centres, uint32_t n, float f, uint32_t *at, uint32_t *i)
{
	uint32_t k = *at;
	while (k + 1 < n && f > centres[k + 1]) {
		++k;
	}
	*at = k;
	if (f <= centres[0] || k + 1 >= n) {
		*i = f <= centres[0] ? 0u : n - 1u;
		return -1.0f;
	}
	*i = k;
	return (f - centres[k]) / (centres[k + 1] - centres[k]);
}

/* Gain in dB at f: linear in Hz between the centres, flat outside. */
static float db_at(const float *centres, const heist_speq_curve *c, float f, uint32_t *at)
{
	uint32_t i;
	const float u = locate(centres, c->n, f, at, &i);
	return u < 0.0f ? c->db[i] : c->db[i] + (c->db[i + 1] - c->db[i]) * u;
}

void heist_speq_walk(const float *centres, uint32_t n, uint32_t nn, float noise_hz, uint8_t *at,
                     float *u)
{
	uint32_t k = 0;
	for (uint32_t b = 0; b < nn && b < HEIST_SPEQ_MAX_VALUES; ++b) {
		/* db_at()'s walk, kept apart from the curve's values */
		uint32_t i;
		u[b] = locate(centres, n, (float)b * noise_hz, &k, &i);
		at[b] = (uint8_t)i;
	}
}

/* Both entries: the noise bands' gains walked here (at = NULL) or read
 * from heist_speq_walk's tables. */
static void apply(const float *centres, const heist_speq_curve *c, float *harm, uint32_t nh,
                  float f0, float *noise, uint32_t nn, float noise_hz, const uint8_t *noise_at,
                  const float *noise_u)
{
	if (c->n == 0 || nh > HEIST_SPEQ_MAX_VALUES || nn > HEIST_SPEQ_MAX_VALUES) {
		return;
	}
	/* The gains in dB, harmonics then noise bands (silent harmonics 0 dB),
	 * then all to amplitudes eight at a time (fastmath.h: one vector exp
	 * where scalar exp2f per value cost ~1.5 us a frame). */
	float g[2u * HEIST_SPEQ_MAX_VALUES + 8u];
	uint32_t at = 0;
	for (uint32_t h = 0; h < nh; ++h) {
		g[h] = f0 > 0.0f && harm[h] != 0.0f ? db_at(centres, c, (float)(h + 1) * f0, &at)
		                                    : 0.0f;
	}
	if (noise_at) {
		const float *db = c->db;
		for (uint32_t b = 0; b < nn; ++b) {
			const uint32_t i = noise_at[b];
			g[nh + b] =
			    noise_u[b] < 0.0f ? db[i] : db[i] + (db[i + 1] - db[i]) * noise_u[b];
		}
	} else {
		at = 0;
		for (uint32_t b = 0; b < nn; ++b) {
			g[nh + b] = db_at(centres, c, (float)b * noise_hz, &at);
		}
	}
	const uint32_t n = nh + nn;
	for (uint32_t i = n; i < ((n + 7u) & ~7u); ++i) {
		g[i] = 0.0f;
	}
	for (uint32_t i = 0; i < n; i += 8) {
		/* Compiled once, for the baseline: 4-float comparisons (fm_lt). */
		fm_store(g + i, fm_exp_s(fm_load(g + i) * DB_TO_LN, 1));
	}
	/* The four sums side by side (each in its own order, as one loop
	 * apiece would add them): four dependency chains instead of two. */
	float before = 0.0f, after = 0.0f, nb = 0.0f, na = 0.0f;
	const uint32_t both = nh < nn ? nh : nn;
	for (uint32_t i = 0; i < both; ++i) {
		before += harm[i] * harm[i];
		harm[i] *= g[i];
		after += harm[i] * harm[i];
		nb += noise[i] * noise[i];
		noise[i] *= g[nh + i];
		na += noise[i] * noise[i];
	}
	for (uint32_t h = both; h < nh; ++h) {
		before += harm[h] * harm[h];
		harm[h] *= g[h];
		after += harm[h] * harm[h];
	}
	for (uint32_t b = both; b < nn; ++b) {
		nb += noise[b] * noise[b];
		noise[b] *= g[nh + b];
		na += noise[b] * noise[b];
	}
	before *= 0.5f;
	after *= 0.5f;
	if (nn) {
		before += nb / (3.0f * (float)nn);
		after += na / (3.0f * (float)nn);
	}
	if (!(after > 0.0f) || !(before > 0.0f)) {
		return;
	}
	const float k = sqrtf(before / after);
	for (uint32_t h = 0; h < nh; ++h) {
		harm[h] *= k;
	}
	for (uint32_t b = 0; b < nn; ++b) {
		noise[b] *= k;
	}
}

void heist_speq_apply(const float *centres, const heist_speq_curve *c, float *harm, uint32_t nh,
                      float f0, float *noise, uint32_t nn, float noise_hz)
{
	apply(centres, c, harm, nh, f0, noise, nn, noise_hz, NULL, NULL);
}

void heist_speq_apply_model(const heist_model *m, const heist_speq_curve *c, float *harm, float f0,
                            float *noise)
{
	const uint32_t nh = m->n_harmonics, nn = m->n_noise;
	const float noise_hz = 0.5f * m->sample_rate / (float)(nn - 1u);
	/* The tables hold while the centres are the parsed ones (a test that
	 * puts another correction in the model's place clears speq_walked). */
	const int walked = m->speq_walked == nn && c->n == m->speq_bands;
	apply(m->speq_centres, c, harm, nh, f0, noise, nn, noise_hz,
	      walked ? m->speq_noise_at : NULL, walked ? m->speq_noise_u : NULL);
}
