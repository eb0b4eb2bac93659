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

#endif
