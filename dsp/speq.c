/* Spectral correction (speq.h). */
#include "speq.h"

#include <math.h>

#define DB_TO_LOG2 0.16609640f /* amplitude dB to log2 of the gain: 1 / 20 log10(2) */

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

/* Amplitude gain at f: dB linear in Hz between the centres, flat outside.
 * *at walks up the centres (callers ask for increasing f). */
static float gain_at(const float *centres, const heist_speq_curve *c, float f, uint32_t *at)
{
	uint32_t i = *at;
	while (i + 1 < c->n && f > centres[i + 1]) {
		++i;
	}
	*at = i;
	float db;
	if (f <= centres[0]) {
		db = c->db[0];
	} else if (i + 1 >= c->n) {
		db = c->db[c->n - 1];
	} else {
		const float u = (f - centres[i]) / (centres[i + 1] - centres[i]);
		db = c->db[i] + (c->db[i + 1] - c->db[i]) * u;
	}
	return exp2f(db * DB_TO_LOG2);
}

void heist_speq_apply(const float *centres, const heist_speq_curve *c, float *harm, uint32_t nh,
                      float f0, float *noise, uint32_t nn, float noise_hz)
{
	if (c->n == 0) {
		return;
	}
	float before = 0.0f, after = 0.0f;
	uint32_t at = 0;
	for (uint32_t h = 0; h < nh && f0 > 0.0f; ++h) {
		if (harm[h] == 0.0f) {
			continue; /* above the band, or silent: no exp2f */
		}
		const float p = harm[h] * harm[h];
		harm[h] *= gain_at(centres, c, (float)(h + 1) * f0, &at);
		before += 0.5f * p;
		after += 0.5f * harm[h] * harm[h];
	}
	float nb = 0.0f, na = 0.0f;
	at = 0;
	for (uint32_t b = 0; b < nn; ++b) {
		const float p = noise[b] * noise[b];
		noise[b] *= gain_at(centres, c, (float)b * noise_hz, &at);
		nb += p;
		na += noise[b] * noise[b];
	}
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
