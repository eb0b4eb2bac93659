/* Morph between two styles by blending the network's outputs for each, not
 * its input embedding: an embedding halfway between two learned ones is a
 * point the network never saw in training, and it answered with a third
 * instrument (train/timbre.py measured it). */
#ifndef HEIST_MORPH_H
#define HEIST_MORPH_H

#include <stdint.h>

#include "net.h"

/* Frames a network that was skipped runs before the morph may give it
 * weight again (morph.c: why and how long). */
#define HEIST_MORPH_WARM 50u

/* Which networks have run in a row, and how long (heist_morph_step). */
typedef struct {
	uint32_t warm_a, warm_b;
} heist_morph_state;

/* [audio] The morph value to play this frame: next is the smoothed value,
 * prev the one played last frame, target the control. Within
 * HEIST_MORPH_SNAP of the target the value snaps to it (the smoother alone
 * never reaches 0 or 1 exactly). While the value would give weight to a
 * network that has not run HEIST_MORPH_WARM frames in a row, prev is kept:
 * a morph leaving an end waits that long for the network it moves toward. */
#define HEIST_MORPH_SNAP 1e-3f
float heist_morph_advance(const heist_morph_state *st, float prev, float next, float target);

/* [audio] One network frame for styles a and b at morph t into out
 * (model->n_outputs values, as heist_net_step writes them). in holds the 3
 * scaled features; its embedding part (in[3..]) is overwritten. With a
 * second network b_net for the same model and a != b, each network runs
 * with its own style's embedding and state while its weight or the target's
 * is above 0 (a at t < 1 or target < 1, b at t > 0 or target > 0), so
 * t = 0 and t = 1 give exactly the pure styles at the cost of one network;
 * for 0 < t < 1 their outputs are blended: the overall amplitude
 * geometrically (linearly in dB), each harmonic's share of it and each
 * noise band linearly (the two instruments sounding together; morph.c:
 * why). st counts the frames each has run in a row (heist_morph_advance).
 * b_out is scratch of n_outputs floats. Without b_net (or with a == b) the
 * embedding is interpolated as before. */
void heist_morph_step(heist_net *net, heist_net *b_net, uint32_t a, uint32_t b, float t,
                      float target, heist_morph_state *st, float *in, float *out, float *b_out);

/* [audio] out = the blend of out (style a) and b_out (style b) at 0 < t < 1
 * (heist_morph_step), for a model with nh harmonics and nn noise bands. */
void heist_morph_blend(float *out, const float *b_out, uint32_t nh, uint32_t nn, float t);

#endif
