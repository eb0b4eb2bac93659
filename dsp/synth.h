/* Heist synthesis: harmonic bank + filtered noise at the host rate. */
#ifndef HEIST_SYNTH_H
#define HEIST_SYNTH_H

#include <stdint.h>

/* [main] Offline reference renderer of the harmonic bank, used by the parity
 * tests and the training code's definition (train/heist_synth.py):
 *
 *   frame k is at sample time c_k = k * sample_rate / frame_rate;
 *   for c_k <= n < c_(k+1): f0(n) and a_h(n) are linear between frames k, k+1;
 *   phase (in cycles) p(0) = 0, p(n + 1) = p(n) + f0(n) / sample_rate;
 *   out[n] = sum_h a_h(n) * sin(2 pi h p(n)), harmonics with
 *            h * f0(n) >= band_limit silenced.
 *
 * f0[n_frames], amps[n_frames][n_harm]; renders every n with n < c_(n_frames-1)
 * and returns that count (out must hold it). */
uint32_t heist_synth_harmonic_render(const float *f0, const float *amps, uint32_t n_frames,
                                     uint32_t n_harm, double sample_rate, double frame_rate,
                                     double band_limit, float *out);

/* [any] Filtered noise is overlap-added grains of 2 hops; this is the hop:
 * 2^round(log2(sample_rate / 375)) samples. The whole definition, which
 * train/heist_synth.py shares: ARCHITECTURE.md, "Synthesis". */
uint32_t heist_synth_noise_hop(double sample_rate);

/* Rendering pieces the engine drives. */

#define HEIST_SYNTH_MAX_HARMONICS 256u

/* [audio] Render n samples of the harmonic bank. The control values move
 * linearly from frame a to frame b; sample i uses t = (pos0 + i - ca) * inv_len
 * where ca is frame a's centre and inv_len = 1 / (cb - ca), so a run split at
 * any point gives the same samples. *phase is in cycles and is carried over. */
void heist_synth_harmonic_run(double *phase, float f0a, float f0b, const float *ha, const float *hb,
                              uint32_t n_harm, double pos0, double ca, double inv_len,
                              double sample_rate, double band_limit, float *out, uint32_t n);

/* Filtered-noise generator (see above); allocated once, no allocation after. */
typedef struct heist_noise heist_noise;

/* [main] max_bands bounds the band count of any model used later. */
heist_noise *heist_noise_new(double sample_rate, uint32_t max_bands);
void heist_noise_free(heist_noise *nz);

/* [audio] Set the band layout of a model (n_bands spaced 0..model_rate/2). */
void heist_noise_set_bands(heist_noise *nz, uint32_t n_bands, double model_rate);
/* [audio] The same, with bands continuing above model_rate/2 at the same
 * spacing up to top_hz (band extension, bandext.h; bins above the last band
 * are silent); returns the band count, model's and added (mags of that many
 * are read by heist_noise_grain). */
uint32_t heist_noise_set_bands_ext(heist_noise *nz, uint32_t n_bands, double model_rate,
                                   double top_hz);

/* [audio] Clear the overlap-add buffer and restart the random sequence. */
void heist_noise_reset(heist_noise *nz);

/* [audio] Overlap-add one grain starting at absolute sample `start` (a
 * multiple of the hop) from band magnitudes mags[n_bands]. */
void heist_noise_grain(heist_noise *nz, uint64_t start, const float *mags);

/* [audio] Take the output sample at absolute position pos (consumes it). */
float heist_noise_take(heist_noise *nz, uint64_t pos);

/* [audio] Add the n samples from absolute position pos to out (consumes them). */
void heist_noise_take_add(heist_noise *nz, uint64_t pos, float *out, uint32_t n);

#endif
