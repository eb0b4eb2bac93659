/* Band extension above the model's Nyquist (bandext.h). */
#include "bandext.h"

#include <math.h>
#include <string.h>

#define EXT_TOP_HZ 20000.0
#define XFADE_FROM 0.85f /* of the model's limit: the crossfade into the extension */
#define EDGE_FADE 0.9f   /* of the band limit: the fade to zero */
#define SLOPE_MIN (-30.0f)
#define SLOPE_DEFAULT (-12.0f) /* dB/octave when the octave below is silent */
#define SLOPE_ABOVE (-12.0f)   /* dB/octave more above the model band */
#define DB_PER_OCTAVE 6.0206f  /* 20 log10(2): amplitude dB to octaves of gain */
#define PITCH_DB_MAX 30.0f     /* a profile's pitch term, either way */

double heist_bandext_limit(double fs, double model_nyq)
{
	const double nyq = 0.5 * fs;
	const double model_limit = nyq < model_nyq ? nyq : model_nyq;
	const double ext = nyq < EXT_TOP_HZ ? nyq : EXT_TOP_HZ;
	return ext > model_limit ? ext : model_limit;
}

static float smooth01(float x)
{
	x = x < 0.0f ? 0.0f : x > 1.0f ? 1.0f : x;
	return x * x * (3.0f - 2.0f * x);
}

/* Weight of f in the window [lo, hi): tapered over 15 % at both ends. */
static float window_weight(float f, float lo, float hi)
{
	return smooth01((f - lo) / (0.15f * lo)) * smooth01((hi - f) / (0.15f * hi));
}

/* The fit windows for a band edge m: [m/2, XFADE_FROM m) and [m/4, m/2);
 * their centres lie `octaves` apart. */
static float fit_octaves(void)
{
	return log2f(sqrtf(0.5f * XFADE_FROM) / sqrtf(0.25f * 0.5f));
}

/* Level (amplitude at the upper window's centre) and slope (dB/octave) from
 * the weighted mean powers of the two windows. */
static void fit(float p_hi, float w_hi, float p_lo, float w_lo, float octaves, float *amp,
                float *slope)
{
	*amp = 0.0f;
	*slope = SLOPE_DEFAULT;
	if (!(w_hi > 0.0f) || !(p_hi > 0.0f)) {
		return;
	}
	p_hi /= w_hi;
	*amp = sqrtf(p_hi);
	if (w_lo > 0.0f && p_lo > 0.0f) {
		*slope = 10.0f * log10f(p_hi / (p_lo / w_lo)) / octaves;
	}
	*slope = *slope > 0.0f ? 0.0f : *slope < SLOPE_MIN ? SLOPE_MIN : *slope;
}

void heist_bandext_init(heist_bandext *x, double fs, double model_nyq, uint32_t n_model,
                        uint32_t n_total)
{
	memset(x, 0, sizeof *x);
	x->model_nyq = model_nyq;
	x->model_limit = 0.5 * fs < model_nyq ? 0.5 * fs : model_nyq;
	x->limit = heist_bandext_limit(fs, model_nyq);
	n_total = n_total > HEIST_BANDEXT_MAX_BANDS ? HEIST_BANDEXT_MAX_BANDS : n_total;
	n_model = n_model > n_total ? n_total : n_model;
	x->n_model = n_model;
	x->n_total = n_total;
	x->octaves = fit_octaves();
	if (n_model < 2) {
		return;
	}
	const float m = (float)model_nyq, lim = (float)x->limit;
	const float spacing = m / (float)(n_model - 1);
	const float ref = m * sqrtf(0.5f * XFADE_FROM);
	for (uint32_t b = 0; b < n_total; ++b) {
		const float f = spacing * (float)b;
		x->w_hi[b] = b < n_model ? window_weight(f, 0.5f * m, XFADE_FROM * m) : 0.0f;
		x->w_lo[b] = b < n_model ? window_weight(f, 0.25f * m, 0.5f * m) : 0.0f;
		x->w_hi_sum += x->w_hi[b];
		x->w_lo_sum += x->w_lo[b];
		x->xfade[b] = smooth01((f - XFADE_FROM * m) / ((1.0f - XFADE_FROM) * m));
		x->edge[b] = f < lim ? smooth01((lim - f) / ((1.0f - EDGE_FADE) * lim)) : 0.0f;
		x->lg[b] = f > 0.0f ? log2f(f / ref) : 0.0f;
		x->above[b] = f > m ? SLOPE_ABOVE / DB_PER_OCTAVE * log2f(f / m) : 0.0f;
	}
	/* The bands a grain changes: those the crossfade reaches and those
	 * above the model's. The crossfade rises with frequency (smooth01 of
	 * a rising argument; rounding keeps the order), so they are the top
	 * ones, from ext_from up. */
	x->ext_from = n_total;
	while (x->ext_from > 0 &&
	       (x->xfade[x->ext_from - 1] > 0.0f || x->ext_from - 1 >= n_model)) {
		--x->ext_from;
	}
}

/* The window's log-centre relative to m: the 0 dB point of a shape. */
static float window_centre(float m)
{
	return m * sqrtf(0.5f * XFADE_FROM);
}

/* Band i's log-centre in model m's profile, relative to the window centre
 * ref. The parser checked the edges increase: so do the centres. */
static float profile_lc(const heist_model *m, uint32_t i, float ref)
{
	return log2f(sqrtf(m->ext_edges[i] * m->ext_edges[i + 1]) / ref);
}

/* Where lf falls among a shape's n log-centres lc: the point below (*lo)
 * and above (*hi; UINT8_MAX past the last, where the shape is flat) and
 * the place between them (the return; 0 at or below the first). */
static float shape_walk(const float *lc, uint32_t n, float lf, uint32_t *lo, uint32_t *hi)
{
	float l0 = lc[0];
	*lo = 0;
	*hi = UINT8_MAX;
	for (uint32_t i = 0; i < n; ++i) {
		if (lf <= lc[i]) {
			*hi = i;
			return lf <= l0 ? 0.0f : (lf - l0) / (lc[i] - l0);
		}
		l0 = lc[i];
		*lo = i;
	}
	return 0.0f;
}

/* A shape's level in dB at a walked place: linear between its points,
 * flat outside them. */
static float shape_db_at(const heist_bandext_shape *sh, uint32_t lo, uint32_t hi, float u)
{
	const float d0 = sh->db[lo];
	return hi == UINT8_MAX ? d0 : d0 + (sh->db[hi] - d0) * u;
}

void heist_bandext_set_profile(heist_bandext *x, const heist_model *m)
{
	x->prof_model = NULL;
	x->prof_n = 0;
	if (!m || !m->profiles || m->n_ext_bands == 0) {
		return;
	}
	const float ref = window_centre((float)x->model_nyq);
	const uint32_t n =
	    m->n_ext_bands < HSM_PROFILE_MAX_BANDS ? m->n_ext_bands : HSM_PROFILE_MAX_BANDS;
	for (uint32_t i = 0; i < n; ++i) {
		x->prof_lc[i] = profile_lc(m, i, ref);
	}
	/* shape_db()'s walk for each band's lg, done once. */
	for (uint32_t b = 0; b < x->n_total; ++b) {
		uint32_t lo, hi;
		x->prof_u[b] = shape_walk(x->prof_lc, n, x->lg[b], &lo, &hi);
		x->prof_lo[b] = (uint8_t)lo;
		x->prof_hi[b] = (uint8_t)hi;
	}
	x->prof_model = m;
	x->prof_n = n;
}

void heist_bandext_shape_of(const heist_bandext *x, const heist_model *m, uint32_t a, uint32_t b,
                            float morph, float f0, heist_bandext_shape *out)
{
	out->n = 0;
	out->tables = NULL;
	if (!m->profiles || m->n_ext_bands == 0) {
		return;
	}
	const uint32_t last = m->n_styles - 1u;
	const heist_style_profile *pa = &m->profiles[a > last ? last : a];
	const heist_style_profile *pb = &m->profiles[b > last ? last : b];
	const float t = morph < 0.0f ? 0.0f : morph > 1.0f ? 1.0f : morph;
	const float ref = window_centre((float)x->model_nyq);
	/* Higher notes of an instrument are brighter: the data's slope per
	 * octave from the pitch it was measured at, at most PITCH_DB_MAX. */
	float pitch_db = 0.0f;
	if (f0 > 0.0f) {
		const float p0 = pa->band_pitch + (pb->band_pitch - pa->band_pitch) * t;
		const float k =
		    pa->band_pitch_db_oct + (pb->band_pitch_db_oct - pa->band_pitch_db_oct) * t;
		pitch_db = k * (log2f(f0 / 440.0f) - (p0 - 69.0f) / 12.0f);
		pitch_db = pitch_db > PITCH_DB_MAX    ? PITCH_DB_MAX
		           : pitch_db < -PITCH_DB_MAX ? -PITCH_DB_MAX
		                                      : pitch_db;
	}
	const uint32_t n =
	    m->n_ext_bands < HSM_PROFILE_MAX_BANDS ? m->n_ext_bands : HSM_PROFILE_MAX_BANDS;
	const int bound = x->prof_model == m && x->prof_n == n;
	for (uint32_t i = 0; i < n; ++i) {
		out->lc[i] = bound ? x->prof_lc[i] : profile_lc(m, i, ref);
		out->db[i] = pa->band_db[i] + (pb->band_db[i] - pa->band_db[i]) * t + pitch_db;
	}
	out->n = n;
	out->harm_power = 0.0f;
	out->harm_top = 0.0f;
	out->tables = bound ? x : NULL;
}

void heist_bandext_harmonic_rest(const heist_bandext *x, heist_bandext_shape *sh, const float *harm,
                                 uint32_t nh, float f0)
{
	sh->harm_power = 0.0f;
	sh->harm_top = 0.0f;
	const float from = XFADE_FROM * (float)x->model_limit;
	if (sh->n == 0 || !(x->limit > x->model_limit) || !(f0 > 0.0f) ||
	    !((float)nh * f0 < (float)x->limit)) {
		return;
	}
	float p = 0.0f;
	for (uint32_t h = 0; h < nh && (float)(h + 1) * f0 < from; ++h) {
		p += harm[h] * harm[h];
	}
	sh->harm_power = 0.5f * p;
	sh->harm_top = (float)nh * f0;
}

/* A shape's density (per Hz, over the total) in dB at lf = log2(f /
 * window centre): linear between its points, flat outside them. */
static float shape_db(const heist_bandext_shape *sh, float lf)
{
	uint32_t lo, hi;
	const float u = shape_walk(sh->lc, sh->n, lf, &lo, &hi);
	return shape_db_at(sh, lo, hi, u);
}

/* shape_db(sh, x->lg[b]) from the walk set_profile did, for a shape whose
 * tables are x's: the same operations on the same values. */
static float shape_db_band(const heist_bandext *x, const heist_bandext_shape *sh, uint32_t b)
{
	return shape_db_at(sh, x->prof_lo[b], x->prof_hi[b], x->prof_u[b]);
}

/* The sqrt of shape_db's density: an amplitude over the total's. */
static float shape_gain(const heist_bandext_shape *sh, float lf)
{
	return exp2f(shape_db(sh, lf) / DB_PER_OCTAVE);
}

void heist_bandext_harmonics(const heist_bandext *x, float *harm, uint32_t nh, float f0)
{
	heist_bandext_harmonics_shaped(x, NULL, harm, nh, f0);
}

void heist_bandext_harmonics_shaped(const heist_bandext *x, const heist_bandext_shape *sh,
                                    float *harm, uint32_t nh, float f0)
{
	const int shaped = sh && sh->n > 0;
	if (!(x->limit > x->model_limit) || !(f0 > 0.0f)) {
		return;
	}
	const float m = (float)x->model_limit, lim = (float)x->limit;
	const float lo = 0.25f * m, from = XFADE_FROM * m;
	float amp = 0.0f, slope = SLOPE_DEFAULT;
	if (shaped) {
		/* A style's shape is a share of the total: the harmonics' power
		 * (sum of squares below the crossfade) spread f0 Hz a harmonic. */
		float total = 0.0f;
		for (uint32_t h = 0; h < nh && (float)(h + 1) * f0 < from; ++h) {
			total += harm[h] * harm[h];
		}
		amp = sqrtf(total * f0);
	} else { /* the fitted level and slope (a shape needs neither) */
		/* Harmonics below the lower window change nothing: start there. */
		uint32_t h0 = (uint32_t)(lo / f0);
		h0 = h0 > 0 ? h0 - 1 : 0;
		float p_hi = 0.0f, p_lo = 0.0f, w_hi = 0.0f, w_lo = 0.0f;
		for (uint32_t h = h0; h < nh; ++h) {
			const float f = (float)(h + 1) * f0;
			if (f >= from) {
				break;
			}
			const float p = harm[h] * harm[h];
			const float wh = window_weight(f, 0.5f * m, from),
			            wl = window_weight(f, lo, 0.5f * m);
			p_hi += wh * p;
			w_hi += wh;
			p_lo += wl * p;
			w_lo += wl;
		}
		fit(p_hi, w_hi, p_lo, w_lo, x->octaves, &amp, &slope);
	}
	const float ref = m * sqrtf(0.5f * XFADE_FROM), a = slope / DB_PER_OCTAVE;
	const float above = SLOPE_ABOVE / DB_PER_OCTAVE;
	for (uint32_t h = (uint32_t)(from / f0) > 0 ? (uint32_t)(from / f0) - 1 : 0; h < nh; ++h) {
		const float f = (float)(h + 1) * f0;
		if (f < from) {
			continue;
		}
		if (f >= lim) {
			harm[h] = 0.0f;
			continue;
		}
		float ext;
		if (shaped) {
			ext = amp * shape_gain(sh, log2f(f / ref));
		} else {
			const float lf = log2f(f / m);
			ext = amp *
			      exp2f(a * (lf + log2f(m / ref)) + (lf > 0.0f ? above * lf : 0.0f));
		}
		const float w = smooth01((f - from) / (m - from));
		const float edge = smooth01((lim - f) / ((1.0f - EDGE_FADE) * lim));
		harm[h] = (harm[h] + (ext - harm[h]) * w) * edge;
	}
}

void heist_bandext_noise(const heist_bandext *x, float *mags)
{
	heist_bandext_noise_shaped(x, NULL, mags);
}

/* [audio] Bands ext_from and up of a grain: each the model's magnitude
 * (0 above its band) crossfaded into the extension, amp_b * 2^level, and
 * faded at the edge. The level in octaves of gain: the shape's dB (from
 * the bound profile's tables, or the shape's own walk) / DB_PER_OCTAVE,
 * or without a shape the fitted slope a (amp_b = amp). amp_b adds the
 * harmonics' rest above the bank's top. Passes over the bands that run a
 * vector at a time (the levels, the divisions, the weights and square
 * roots, the blend) around the exp2f calls. */
void heist_bandext_noise_shaped(const heist_bandext *x, const heist_bandext_shape *sh, float *mags)
{
	const int shaped = sh && sh->n > 0;
	if (!(x->limit > x->model_nyq) || x->n_model < 2) {
		return;
	}
	float amp = 0.0f, slope = SLOPE_DEFAULT;
	if (shaped) { /* the noise's total power, bands x->model_nyq / (n - 1) Hz apart */
		float total = 0.0f;
		for (uint32_t b = 0; b < x->n_model; ++b) {
			total += mags[b] * mags[b];
		}
		amp = sqrtf(total * (float)x->model_nyq / (float)(x->n_model - 1));
	} else { /* the fitted level and slope (a shape needs neither) */
		float p_hi = 0.0f, p_lo = 0.0f;
		for (uint32_t b = 0; b < x->n_model; ++b) {
			const float p = mags[b] * mags[b];
			p_hi += x->w_hi[b] * p;
			p_lo += x->w_lo[b] * p;
		}
		fit(p_hi, x->w_hi_sum, p_lo, x->w_lo_sum, x->octaves, &amp, &slope);
	}
	const uint32_t b0 = x->ext_from, n = x->n_total;
	float g[HEIST_BANDEXT_MAX_BANDS], amp_b[HEIST_BANDEXT_MAX_BANDS]; /* gains, log2 first */
	if (!shaped) {
		const float a = slope / DB_PER_OCTAVE;
		for (uint32_t b = b0; b < n; ++b) {
			g[b] = a * x->lg[b] + x->above[b];
		}
	} else {
		if (sh->tables == x) {
			for (uint32_t b = b0; b < n; ++b) {
				g[b] = shape_db_band(x, sh, b);
			}
		} else {
			for (uint32_t b = b0; b < n; ++b) {
				g[b] = shape_db(sh, x->lg[b]);
			}
		}
		for (uint32_t b = b0; b < n; ++b) {
			g[b] /= DB_PER_OCTAVE;
		}
	}
	for (uint32_t b = b0; b < n; ++b) {
		g[b] = exp2f(g[b]);
	}
	/* The harmonics' share above the bank's top, in noise magnitude
	 * squared: noise of magnitude b renders b^2 / 3 per model_nyq Hz
	 * (engine.c: controls_power), faded in over 10 % above the top. */
	const float rest = shaped ? 3.0f * (float)x->model_nyq * sh->harm_power : 0.0f;
	if (rest > 0.0f) {
		const float aa = amp * amp, top = sh->harm_top, width = 0.1f * top;
		const float spacing = (float)x->model_nyq / (float)(x->n_model - 1);
		for (uint32_t b = b0; b < n; ++b) {
			amp_b[b] = sqrtf(aa + rest * smooth01(((float)b * spacing - top) / width));
		}
	} else {
		for (uint32_t b = b0; b < n; ++b) {
			amp_b[b] = amp;
		}
	}
	for (uint32_t b = b0; b < n; ++b) {
		const float model = b < x->n_model ? mags[b] : 0.0f;
		const float ext = amp_b[b] * g[b];
		mags[b] = (model + (ext - model) * x->xfade[b]) * x->edge[b];
	}
}
