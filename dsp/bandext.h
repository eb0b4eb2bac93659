/* Band extension: the model renders up to its own Nyquist (12 kHz for the
 * shipped 24 kHz model); at host rates above it the engine continues the
 * harmonics and the noise up to min(20 kHz, host Nyquist) from each frame's
 * own spectrum: the level of the top part of the model's band (0.5..0.85 of
 * its Nyquist) carried on with the slope (dB per octave, clamped to
 * -30..0) measured between that part and the octave below it. The model's
 * top 15 % crossfades into the extension, and everything fades to zero over
 * the last 10 % below the band limit, so no harmonic switches on or off at
 * either edge (vibrato used to make them blink at 12 kHz). At host rates at
 * or below the model's nothing changes (the training code's hard limit). */
#ifndef HEIST_BANDEXT_H
#define HEIST_BANDEXT_H

#include <stdint.h>

/* The band limit the engine renders to at host rate fs for a model whose
 * Nyquist is model_nyq: min(20 kHz, fs / 2), and never below the model's
 * own limit min(model_nyq, fs / 2). [any] */
double heist_bandext_limit(double fs, double model_nyq);

/* [audio] Final harmonic amplitudes harm[nh] (harmonic h + 1 at (h + 1) f0;
 * zero at and above model_limit, as the engine masks them) extended up to
 * band_limit. Nothing happens when band_limit <= model_limit. */
void heist_bandext_harmonics(float *harm, uint32_t nh, float f0, double model_limit,
                             double band_limit);

/* [audio] Noise band magnitudes: mags[0..n_model) from the model (band b at
 * b * model_nyq / (n_model - 1)), mags[n_model..n_total) filled at the same
 * spacing up to band_limit (0 from there on). */
void heist_bandext_noise(float *mags, uint32_t n_model, uint32_t n_total, double model_nyq,
                         double band_limit);

#endif
