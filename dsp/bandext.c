/* Band extension above the model's Nyquist (bandext.h). */
#include "bandext.h"

#include <math.h>

#define EXT_TOP_HZ 20000.0
#define XFADE_FROM 0.85 /* of the model's limit: the crossfade into the extension */
#define EDGE_FADE 0.9   /* of the band limit: the fade to zero */
#define SLOPE_MIN (-30.0)
#define SLOPE_DEFAULT (-12.0) /* dB/octave when the octave below is silent */
#define SLOPE_ABOVE (-12.0)   /* dB/octave more above the model band: see bandext.h */

double heist_bandext_limit(double fs, double model_nyq)
{
	const double nyq = 0.5 * fs;
	const double model_limit = nyq < model_nyq ? nyq : model_nyq;
	const double ext = nyq < EXT_TOP_HZ ? nyq : EXT_TOP_HZ;
	return ext > model_limit ? ext : model_limit;
}

static float smooth01(double x)
{
	x = x < 0.0 ? 0.0 : x > 1.0 ? 1.0 : x;
	return (float)(x * x * (3.0 - 2.0 * x));
}

/* Level and slope of a spectrum (amplitudes a[i] at f_first + i f_step):
 * mean power over [m/2, XFADE_FROM m) and over [m/4, m/2). */
typedef struct {
	double ref_hz, amp, slope; /* amplitude at ref_hz, dB per octave */
	int ok;
} ext_fit;

/* Weight of frequency f in the window [lo, hi): tapered over 15 % at both
 * ends, so that a harmonic gliding in or out moves the fit smoothly. */
static double window_weight(double f, double lo, double hi)
{
	return (double)smooth01((f - lo) / (0.15 * lo)) * smooth01((hi - f) / (0.15 * hi));
}

static ext_fit fit_levels(const float *a, uint32_t n, double f_first, double f_step, double m)
{
	double p_hi = 0.0, p_lo = 0.0, w_hi = 0.0, w_lo = 0.0;
	const double hi_lo = 0.5 * m, hi_hi = XFADE_FROM * m, lo_lo = 0.25 * m;
	for (uint32_t i = 0; i < n; ++i) {
		const double f = f_first + f_step * i;
		const double p = (double)a[i] * a[i];
		const double wh = window_weight(f, hi_lo, hi_hi),
		             wl = window_weight(f, lo_lo, hi_lo);
		p_hi += wh * p;
		w_hi += wh;
		p_lo += wl * p;
		w_lo += wl;
	}
	ext_fit r = {sqrt(hi_lo * hi_hi), 0.0, SLOPE_DEFAULT, w_hi > 0.0};
	if (!r.ok) {
		return r;
	}
	p_hi /= w_hi;
	r.amp = sqrt(p_hi);
	if (w_lo > 0.0 && p_lo > 0.0 && p_hi > 0.0) {
		const double octaves = log2(r.ref_hz / sqrt(lo_lo * hi_lo));
		r.slope = 10.0 * log10(p_hi / (p_lo / w_lo)) / octaves;
	}
	r.slope = r.slope > 0.0 ? 0.0 : r.slope < SLOPE_MIN ? SLOPE_MIN : r.slope;
	return r;
}

/* The extension's value at f and how much of it replaces the model's. */
static float extend(const ext_fit *x, double f, double m, double limit, float model)
{
	const float w = smooth01((f - XFADE_FROM * m) / ((1.0 - XFADE_FROM) * m));
	const double above = f > m ? SLOPE_ABOVE / 20.0 * log2(f / m) : 0.0;
	const float ext =
	    x->ok ? (float)(x->amp * pow(10.0, x->slope / 20.0 * log2(f / x->ref_hz) + above))
	          : 0.0f;
	const float edge = smooth01((limit - f) / ((1.0 - EDGE_FADE) * limit));
	return (model + (ext - model) * w) * edge;
}

void heist_bandext_harmonics(float *harm, uint32_t nh, float f0, double model_limit,
                             double band_limit)
{
	if (!(band_limit > model_limit) || !(f0 > 0.0f)) {
		return;
	}
	const ext_fit x = fit_levels(harm, nh, f0, f0, model_limit);
	for (uint32_t h = 0; h < nh; ++h) {
		const double f = (double)(h + 1) * f0;
		if (f >= XFADE_FROM * model_limit) {
			harm[h] =
			    f < band_limit ? extend(&x, f, model_limit, band_limit, harm[h]) : 0.0f;
		}
	}
}

void heist_bandext_noise(float *mags, uint32_t n_model, uint32_t n_total, double model_nyq,
                         double band_limit)
{
	if (!(band_limit > model_nyq) || n_model < 2) {
		return;
	}
	const double spacing = model_nyq / (n_model - 1);
	const ext_fit x = fit_levels(mags, n_model, 0.0, spacing, model_nyq);
	for (uint32_t b = 0; b < n_total; ++b) {
		const double f = b * spacing;
		if (f >= XFADE_FROM * model_nyq) {
			const float model = b < n_model ? mags[b] : 0.0f;
			mags[b] =
			    f < band_limit ? extend(&x, f, model_nyq, band_limit, model) : 0.0f;
		}
	}
}
