/* Spectral correction (the "formant stage"): per style, a gain curve over
 * frequency (the model's section SPEQ, fitted by train/style_eq.py) that
 * takes the network's long-term spectral envelope to its instrument's. The
 * network smears an instrument's fixed body resonances; this puts them back
 * where they were, per frame, on the harmonic amplitudes at k f0 and on the
 * noise bands at their centres. A style's curve depends on the note's pitch
 * (linear between its pitch anchors, flat outside); styles A and B blend
 * linearly in dB by the morph. The frame's power is kept: only the shape
 * changes (the level match and Heist Synth's levels stay as they were). */
#ifndef HEIST_SPEQ_H
#define HEIST_SPEQ_H

#include <stdint.h>

#include "model.h"

/* The most harmonics and the most noise bands heist_speq_apply() takes
 * (model.h's bounds). */
#define HEIST_SPEQ_MAX_VALUES 256u

/* One frame's curve: gain in dB at the model's centres; n = 0 means none. */
typedef struct {
	uint32_t n;
	float db[HSM_SPEQ_MAX_BANDS];
} heist_speq_curve;

/* [audio] The curve of styles a and b (clamped to the model's) at a morph
 * (clamped to [0, 1]) for a note of f0 Hz (0: none; the middle of each
 * style's anchors is used). n = 0 when the model has no section SPEQ. */
void heist_speq_curve_of(const heist_model *m, uint32_t a, uint32_t b, float morph, float f0,
                         heist_speq_curve *out);

/* [audio] Apply a curve to the harmonic amplitudes harm[nh] (harmonic h + 1
 * at (h + 1) f0) and the noise band magnitudes noise[nn] (band b at
 * b * noise_hz), scaled together so that their rendered power (sinusoids
 * a^2 / 2, noise about mean square / 3) is what it was. Nothing changes
 * when c->n = 0, nothing sounds, or nh or nn exceeds HEIST_SPEQ_MAX_VALUES. */
void heist_speq_apply(const float *centres, const heist_speq_curve *c, float *harm, uint32_t nh,
                      float f0, float *noise, uint32_t nn, float noise_hz);

/* [audio] heist_speq_apply() on a frame of model m: its harmonics and
 * noise bands (band b at b * 0.5 sample_rate / (n_noise - 1), as the
 * engine renders them), the bands' places among the centres read from the
 * model (heist_speq_walk at parse) instead of walked: the same result. */
void heist_speq_apply_model(const heist_model *m, const heist_speq_curve *c, float *harm, float f0,
                            float *noise);

/* [main] Where each of nn noise bands (band b at b * noise_hz) lies among
 * the n centres: at[b] the centre at or below it and u[b] how far towards
 * the next, or at[b] the end it is flat beyond and u[b] = -1 (at and u hold
 * min(nn, HEIST_SPEQ_MAX_VALUES)). */
void heist_speq_walk(const float *centres, uint32_t n, uint32_t nn, float noise_hz, uint8_t *at,
                     float *u);

#endif
