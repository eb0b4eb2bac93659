/* Heist network runtime: the GRU + dense network of model.h, one frame per
 * call, no allocation after heist_net_new(). */
#ifndef HEIST_NET_H
#define HEIST_NET_H

#include <stdint.h>

#include "heist.h"
#include "model.h"

struct heist_net {
	const heist_model *model; /* borrowed */
	float *h;                 /* [H] recurrent state */
	float *x;                 /* [H + I] concat(h, input) scratch */
	float *gates;             /* scratch for the GRU gates */
	float *y1;                /* [D] */
	float *y;                 /* [O] */
	void *block;              /* single allocation holding the buffers */
};

/* [main] heist_net_new() and heist_net_free() are declared in heist.h. */

/* [audio] Zero the recurrent state. */
void heist_net_reset(heist_net *net);

/* [audio] Style embedding: (1 - morph) * E[a] + morph * E[b] into emb[E].
 * a and b are clamped to the model's style range. */
void heist_net_embed(const heist_model *m, uint32_t a, uint32_t b, float morph, float *emb);

/* [audio] Run one frame. in has model->n_inputs values (the scaled features
 * followed by the embedding, as in model.h); out receives model->n_outputs
 * values after exp_sigmoid: out[0] amplitude, out[1..NH] harmonics,
 * out[1+NH..] noise magnitudes. If the state ever becomes non-finite it is
 * reset. */
void heist_net_step(heist_net *net, const float *in, float *out);

#endif
