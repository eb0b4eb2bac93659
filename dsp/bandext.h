/* Band extension: the model renders up to its own Nyquist (12 kHz for the
 * shipped 24 kHz model); at host rates above it the engine continues the
 * harmonics and the noise up to min(20 kHz, host Nyquist) from each frame's
 * own spectrum: the level of the top part of the model's band (0.5..0.85 of
 * its Nyquist) carried on with the slope (dB per octave, clamped to
 * -30..0) measured between that part and the octave below it, 12 dB/octave
 * steeper above the model's band. The model's top 15 % crossfades into the
 * extension, and everything fades to zero over the last 10 % below the band
 * limit, so no harmonic switches on or off at either edge (vibrato used to
 * make them blink at 12 kHz). The fit windows are tapered, so harmonics
 * gliding through them move the fit smoothly. At host rates at or below
 * the model's nothing changes (the training code's hard limit). */
#ifndef HEIST_BANDEXT_H
#define HEIST_BANDEXT_H

#include <stdint.h>

#include "model.h"

#define HEIST_BANDEXT_MAX_BANDS 256u

/* The layout of one engine's extension, set when a model is bound: the
 * per-noise-band weights and log-frequencies, so that a grain costs no
 * transcendental function but one exp2f per extended band. */
typedef struct {
	double model_limit, limit; /* min(host, model) Nyquist; the rendered band */
	double model_nyq;
	uint32_t n_model, n_total; /* noise bands: the model's, and with the extension */
	float w_hi_sum, w_lo_sum, octaves;
	float w_hi[HEIST_BANDEXT_MAX_BANDS], w_lo[HEIST_BANDEXT_MAX_BANDS];
	float xfade[HEIST_BANDEXT_MAX_BANDS], edge[HEIST_BANDEXT_MAX_BANDS];
	float lg[HEIST_BANDEXT_MAX_BANDS], above[HEIST_BANDEXT_MAX_BANDS];
	/* The bound model's profile (heist_bandext_set_profile; prof_n = 0:
	 * none): its bands' log-centres, what heist_bandext_shape_of would
	 * compute each frame, and where each noise band's lg falls among them
	 * (the points a shape's gain interpolates between and how far, so a
	 * grain does no search: prof_hi = UINT8_MAX past the last point). */
	uint32_t ext_from; /* the bands a grain changes: [ext_from, n_total) */
	const heist_model *prof_model;
	uint32_t prof_n;
	float prof_lc[HSM_PROFILE_MAX_BANDS];
	uint8_t prof_lo[HEIST_BANDEXT_MAX_BANDS], prof_hi[HEIST_BANDEXT_MAX_BANDS];
	float prof_u[HEIST_BANDEXT_MAX_BANDS];
} heist_bandext;

/* A style's shape above the model's band (the model's profile section,
 * morphed): each band's energy per Hz as a share of the total (harmonics and
 * noise each of their own), linear in dB between the bands' centres and flat
 * outside them; it replaces the fitted slope from the crossfade up. n = 0:
 * no profile, the fitted slope goes on as before. The total, not the model's
 * 6-10 kHz level, is the anchor: that level differs from the instrument's by
 * up to 15 dB depending on the input (measured: train/README.md). */
typedef struct {
	uint32_t n;
	float lc[HSM_PROFILE_MAX_BANDS]; /* log2(centre / fit window centre), increasing */
	float db[HSM_PROFILE_MAX_BANDS]; /* energy per Hz over the total, dB re 1/Hz */
	/* The harmonics' power and the frequency above which the bank has none
	 * (heist_bandext_harmonic_rest; 0: none missing): the noise extension
	 * carries their share there. */
	float harm_power, harm_top;
	/* The layout whose profile tables hold for lc (heist_bandext_shape_of
	 * took lc from it: the layout's bound profile), else NULL. */
	const heist_bandext *tables;
} heist_bandext_shape;

/* [audio] The shape of styles a and b (clamped to the model's) at a morph
 * (their values blended linearly) for a note of f0 Hz (0: none), for the
 * layout x; n = 0 when the model has no profile. */
void heist_bandext_shape_of(const heist_bandext *x, const heist_model *m, uint32_t a, uint32_t b,
                            float morph, float f0, heist_bandext_shape *out);

/* [any] The band limit the engine renders to at host rate fs for a model
 * whose Nyquist is model_nyq: min(20 kHz, fs / 2), and never below the
 * model's own limit min(model_nyq, fs / 2). */
double heist_bandext_limit(double fs, double model_nyq);

/* [audio] Set the layout (no allocation; called when a network is bound):
 * n_model noise bands of the model at b * model_nyq / (n_model - 1), n_total
 * with the extension's (heist_noise_set_bands_ext). */
void heist_bandext_init(heist_bandext *x, double fs, double model_nyq, uint32_t n_model,
                        uint32_t n_total);

/* [audio] Derive the tables of model m's profile for the layout x (after
 * heist_bandext_init, when a network is bound; no allocation). Without it,
 * or for another model, heist_bandext_shape_of and the grains compute the
 * same values the long way. */
void heist_bandext_set_profile(heist_bandext *x, const heist_model *m);

/* [audio] Final harmonic amplitudes harm[nh] (harmonic h + 1 at (h + 1) f0;
 * zero at and above the model's limit, as the engine masks them) extended
 * up to the band limit. Nothing happens when the limit is the model's. */
void heist_bandext_harmonics(const heist_bandext *x, float *harm, uint32_t nh, float f0);

/* [audio] The same with a style's shape (NULL or n = 0: as above). */
void heist_bandext_harmonics_shaped(const heist_bandext *x, const heist_bandext_shape *sh,
                                    float *harm, uint32_t nh, float f0);

/* [audio] With a shape: the final harmonics' power (as the engine renders
 * harm[nh], below the crossfade) and where the bank ends (nh f0), when it
 * ends below the band limit. A low note's bank stops short of it (the
 * shipped model's 60 harmonics of a 130 Hz cello reach 7.8 kHz), so its
 * share of the band would be missing; the noise extension renders it. */
void heist_bandext_harmonic_rest(const heist_bandext *x, heist_bandext_shape *sh, const float *harm,
                                 uint32_t nh, float f0);

/* [audio] Noise band magnitudes mags[0..n_model) from the model,
 * mags[n_model..n_total) filled up to the band limit (0 from there on). */
void heist_bandext_noise(const heist_bandext *x, float *mags);

/* [audio] The same with a style's shape (NULL or n = 0: as above). */
void heist_bandext_noise_shaped(const heist_bandext *x, const heist_bandext_shape *sh, float *mags);

#endif
