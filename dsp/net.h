/* Heist network runtime: the GRU + dense network of model.h, one frame per
 * call, no allocation after heist_net_new(). */
#ifndef HEIST_NET_H
#define HEIST_NET_H

#include <stdint.h>

#include "heist.h"
#include "model.h"

/* Slots of heist_net.frames (a power of two). */
#define HEIST_NET_FRAME_SLOTS 8u

/* Which compiled kernel runs the network, in order of preference (the
 * engine takes the best this CPU, at cpu.h's level, and the model allow).
 * The binary16 kernels need a model whose weights are all exact binary16
 * values (train/export.py writes them so); they read the same weights. */
typedef enum {
	HEIST_NET_ISA_GENERIC,     /* portable build (SSE2 on x86-64), float32 weights */
	HEIST_NET_ISA_AVX2,        /* AVX2 + FMA (x86-64-v3), float32 weights */
	HEIST_NET_ISA_AVX2_HALF,   /* AVX2 + FMA + F16C, binary16 weights */
	HEIST_NET_ISA_AVX512_HALF, /* AVX-512F/VL, binary16 weights (bit-identical to AVX2_HALF) */
} heist_net_isa;

struct heist_net {
	const heist_model *model; /* borrowed */
	float *h;                 /* [H] recurrent state */
	float *x;                 /* [H + I] concat(h, input) */
	float *gates;             /* scratch for the GRU gates */
	float *y1;                /* [D] */
	float *y;                 /* [O] */
	/* [HEIST_NET_FRAME_SLOTS][n_outputs]: storage for the engine playing
	 * this network, one frame's synthesis controls per slot, sized to the
	 * model (allocated here so that a model swap brings its own). */
	float *frames;
	void *block; /* single allocation holding the buffers */
	heist_net_isa isa;
	void (*step)(struct heist_net *net, const float *in, float *out);
};

/* [main] heist_net_new() and heist_net_free() are declared in heist.h. */

/* [main] Lay a parsed model's weights out for the kernels (called by the
 * parser; the result is owned by the model). NULL when out of memory. */
struct heist_net_weights *heist_net_pack(const heist_model *m);
void heist_net_unpack(struct heist_net_weights *w);

/* [any] Whether the model's weights are packed in binary16 too (all exact). */
int heist_net_half(const heist_model *m);

/* [any] The best kernel this CPU runs for this model: the one
 * heist_net_tune() measured fastest, else the first in order of preference. */
heist_net_isa heist_net_best_isa(const heist_model *m);

/* [main] Time every kernel this CPU (at cpu.h's level) and the model allow
 * on the model, a few hundred microseconds in all, and make the fastest the
 * model's best (heist_net_best_isa). The model loaders call it once per load
 * (the shared loader once per process); it writes the packed weights, so it
 * runs before any net plays the model. */
void heist_net_tune(heist_model *m);

/* [any] A kernel's description, for reports. */
const char *heist_net_isa_name(heist_net_isa isa);

/* [main] Choose the kernel (tests and the bench compare them); one the CPU
 * or the model cannot run falls back to the next one down. Returns the one
 * in use. */
heist_net_isa heist_net_set_isa(heist_net *net, heist_net_isa isa);

/* [any] Multiply-adds of one step, counted as 2 FLOPs each, from the layer
 * sizes (the bench's GFLOP/s). */
double heist_net_flops(const heist_model *m);

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
