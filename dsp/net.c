/* Heist network runtime: the GRU + dense network of model.h, one frame per
 * call (PyTorch GRU semantics, gate order r, z, n).
 *
 * All buffers live in one 64-byte aligned block allocated by heist_net_new();
 * step, reset and embed never allocate. Weights are row-major W[out][in], so
 * every layer is a set of contiguous dot products that gcc vectorises
 * (needs -fopenmp-simd for the pragmas; without it they are ignored).
 */
#include "net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NET_ALIGN 64u
#define NET_MAX_INPUTS (3u + 64u)          /* 3 + max embed_dim (model.h) */
#define NET_MAX_OUTPUTS (1u + 256u + 256u) /* 1 + max NH + max NN */

/* exp_sigmoid's floor: also the value emitted for a frame that went bad. */
#define NET_EXP_SIGMOID_FLOOR 1e-7f
#define NET_LN10 2.302585092994046f

static size_t align_floats(size_t n)
{
	const size_t per = NET_ALIGN / sizeof(float);
	return (n + per - 1u) / per * per;
}

static inline float dot(const float *restrict w, const float *restrict v, uint32_t n)
{
	float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
	for (uint32_t i = 0; i < n; ++i) {
		acc += w[i] * v[i];
	}
	return acc;
}

/* out[r] = b[r] + W[r][:] . v, W row-major [rows][cols]. */
static void matvec(float *restrict out, const float *restrict w, const float *restrict b,
                   const float *restrict v, uint32_t rows, uint32_t cols)
{
	for (uint32_t r = 0; r < rows; ++r) {
		out[r] = b[r] + dot(w + (size_t)r * cols, v, cols);
	}
}

static inline float sigmoid(float v)
{
	return 1.0f / (1.0f + expf(-v));
}

/* 2 * sigmoid(v)^ln(10) + 1e-7, as DDSP's exp_sigmoid and train/heist_model.py. */
static inline float exp_sigmoid(float v)
{
	return 2.0f * powf(sigmoid(v), NET_LN10) + NET_EXP_SIGMOID_FLOOR;
}

/* [main] See heist.h. Buffer layout inside the block (each 64-byte aligned):
 * x [H + I] (h aliases its first H values), gates [6H] (input part, then
 * recurrent part, each r|z|n), y1 [D], y [O]. */
heist_net *heist_net_new(const heist_model *model)
{
	if (!model) {
		return NULL;
	}
	const size_t H = model->gru_hidden;
	const size_t I = model->n_inputs;
	const size_t D = model->dense_hidden;
	const size_t O = model->n_outputs;
	if (I > NET_MAX_INPUTS || O > NET_MAX_OUTPUTS) {
		return NULL;
	}

	const size_t x_off = 0;
	const size_t gates_off = x_off + align_floats(H + I);
	const size_t y1_off = gates_off + align_floats(6u * H);
	const size_t y_off = y1_off + align_floats(D);
	const size_t n_floats = y_off + align_floats(O);

	heist_net *net = calloc(1, sizeof *net);
	float *block = aligned_alloc(NET_ALIGN, n_floats * sizeof(float));
	if (!net || !block) {
		free(net);
		free(block);
		return NULL;
	}
	/* Touch every page now so the audio thread never faults them in. */
	memset(block, 0, n_floats * sizeof(float));

	net->model = model;
	net->block = block;
	net->x = block + x_off;
	net->h = net->x;
	net->gates = block + gates_off;
	net->y1 = block + y1_off;
	net->y = block + y_off;

	/* Pre-warm: one frame on zeros pulls the weights into cache and exercises
	 * libm's lazy paths, then the state goes back to zero. */
	float in[NET_MAX_INPUTS] = {0};
	float out[NET_MAX_OUTPUTS];
	heist_net_step(net, in, out);
	heist_net_reset(net);
	return net;
}

/* [main] See heist.h. NULL is fine. */
void heist_net_free(heist_net *net)
{
	if (net) {
		free(net->block);
		free(net);
	}
}

/* [audio] See net.h. */
void heist_net_reset(heist_net *net)
{
	memset(net->h, 0, net->model->gru_hidden * sizeof(float));
}

/* [audio] See net.h. morph is clamped to [0, 1] (NaN reads as 0). morph 0 and
 * 1 give the pure styles bit-exactly. */
void heist_net_embed(const heist_model *m, uint32_t a, uint32_t b, float morph, float *emb)
{
	const uint32_t E = m->embed_dim;
	const uint32_t last = m->n_styles - 1u;
	a = a > last ? last : a;
	b = b > last ? last : b;
	if (!(morph >= 0.0f)) {
		morph = 0.0f;
	} else if (morph > 1.0f) {
		morph = 1.0f;
	}
	const float *ea = m->embedding + (size_t)a * E;
	const float *eb = m->embedding + (size_t)b * E;
	const float keep = 1.0f - morph;
	for (uint32_t i = 0; i < E; ++i) {
		emb[i] = keep * ea[i] + morph * eb[i];
	}
}

/* [audio] See net.h. Non-finite inputs are read as 0, and a state that turns
 * non-finite (e.g. from overflow on huge inputs) is zeroed before the dense
 * layers, so the frame's output comes from a fresh state. If the output still
 * is not finite, the frame is emitted as silence (every value at the
 * exp_sigmoid floor). */
void heist_net_step(heist_net *net, const float *in, float *out)
{
	const heist_model *m = net->model;
	const uint32_t H = m->gru_hidden;
	const uint32_t I = m->n_inputs;
	const uint32_t D = m->dense_hidden;
	const uint32_t O = m->n_outputs;
	float *h = net->h;
	float *xin = net->x + H;
	float *gi = net->gates;
	float *gh = net->gates + 3u * H;

	for (uint32_t i = 0; i < I; ++i) {
		xin[i] = isfinite(in[i]) ? in[i] : 0.0f;
	}

	/* GRU: gi = W_ih x + b_ih, gh = W_hh h + b_hh (both r|z|n), then gates. */
	matvec(gi, m->gru_w_ih, m->gru_b_ih, xin, 3u * H, I);
	matvec(gh, m->gru_w_hh, m->gru_b_hh, h, 3u * H, H);
	float sum = 0.0f;
	for (uint32_t j = 0; j < H; ++j) {
		const float r = sigmoid(gi[j] + gh[j]);
		const float z = sigmoid(gi[H + j] + gh[H + j]);
		const float n = tanhf(gi[2u * H + j] + r * gh[2u * H + j]);
		h[j] = (1.0f - z) * n + z * h[j];
		sum += h[j];
	}
	/* A finite h lies in [-1, 1], so the sum is finite iff every value is. */
	if (!isfinite(sum)) {
		heist_net_reset(net);
	}

	/* Dense layers: x already holds concat(h, input) since h aliases it. */
	matvec(net->y1, m->dense1_w, m->dense1_b, net->x, D, H + I);
	for (uint32_t k = 0; k < D; ++k) {
		net->y1[k] = net->y1[k] > 0.0f ? net->y1[k] : 0.0f;
	}
	matvec(net->y, m->dense2_w, m->dense2_b, net->y1, O, D);

	/* Outputs lie in [1e-7, 2 + 1e-7] when finite, so again the sum tells. */
	float osum = 0.0f;
	for (uint32_t k = 0; k < O; ++k) {
		out[k] = exp_sigmoid(net->y[k]);
		osum += out[k];
	}
	if (!isfinite(osum)) {
		for (uint32_t k = 0; k < O; ++k) {
			out[k] = NET_EXP_SIGMOID_FLOOR;
		}
	}
}
