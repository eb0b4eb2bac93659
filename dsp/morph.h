/* Morph between two styles by blending the network's outputs for each, not
 * its input embedding: an embedding halfway between two learned ones is a
 * point the network never saw in training, and it answered with a third
 * instrument (train/timbre.py measured it). */
#ifndef HEIST_MORPH_H
#define HEIST_MORPH_H

#include <stdint.h>

#include "net.h"

/* [audio] One network frame for styles a and b at morph t into out
 * (model->n_outputs values, as heist_net_step writes them). in holds the 3
 * scaled features; its embedding part (in[3..]) is overwritten. With a
 * second network b_net for the same model and a != b, both networks run
 * every frame, each with its own style's embedding and state (so t = 0 and
 * t = 1 give exactly the pure styles), and for 0 < t < 1 their outputs are
 * blended: the overall amplitude, each harmonic's share of it and each noise
 * band geometrically (linearly in dB). b_out is scratch of n_outputs floats.
 * Without b_net (or with a == b) the embedding is interpolated as before. */
void heist_morph_step(heist_net *net, heist_net *b_net, uint32_t a, uint32_t b, float t, float *in,
                      float *out, float *b_out);

/* [audio] out = the log-domain blend of out (style a) and b_out (style b)
 * at 0 < t < 1, for a model with nh harmonics and nn noise bands. */
void heist_morph_blend(float *out, const float *b_out, uint32_t nh, uint32_t nn, float t);

#endif
