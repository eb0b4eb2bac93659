/* The Heist side of bench/rtneural/cmp.cpp: the model and one network,
 * through dsp/ (plain C, so the C++ side needs none of the C11 headers). */
#include <stdio.h>
#include <stdlib.h>

#include "cpu.h"
#include "model.h"
#include "net.h"

static heist_model *M;
static heist_net *N;
static float out[1 + 256 + 256];

/* [main] Loads the model and makes one network; exits on failure. */
const heist_model *hs_load(const char *path)
{
	char err[256];
	M = heist_model_load(path, err, sizeof err);
	if (!M) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	N = heist_net_new(M);
	return M;
}

/* [main] Kernel by heist_net_isa number; returns the one that runs. */
int hs_set(int isa)
{
	return (int)heist_net_set_isa(N, (heist_net_isa)isa);
}

/* [any] */
const char *hs_name(int isa)
{
	return heist_net_isa_name((heist_net_isa)isa);
}

/* [main] T frames of n_inputs floats through the network. */
void hs_run(const float *frames, unsigned T)
{
	for (unsigned k = 0; k < T; ++k) {
		heist_net_step(N, frames + (size_t)k * M->n_inputs, out);
	}
}

/* [main] The GRU state, to check both sides run the same network. */
const float *hs_h(void)
{
	return N->h;
}

/* [main] */
void hs_reset(void)
{
	heist_net_reset(N);
}

/* [any] vzeroupper where the CPU has AVX (heist_cpu_clear_upper). */
void vz(void)
{
	heist_cpu_clear_upper();
}

/* [any] The model's tensors in file (PyTorch) layout. */
const float *hs_tensor(int which)
{
	const float *t[8] = {M->gru_w_ih, M->gru_w_hh, M->gru_b_ih, M->gru_b_hh,
	                     M->dense1_w, M->dense1_b, M->dense2_w, M->dense2_b};
	return t[which];
}
