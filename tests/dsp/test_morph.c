/* Output-domain style morph (dsp/morph.h): the blend's rules on synthetic
 * network outputs, then the engine with the shipped model: morph 0 and 1
 * play exactly the pure styles, halfway is finite and differs from both,
 * and after a swap to another model's network the morph keeps playing
 * (embedding interpolation, the fallback) without a second network.
 * Usage: test_morph MODEL.hsm */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "heist.h"
#include "model.h"
#include "morph.h"
#include "test_model.h"

#define TWO_PI 6.28318530717958647692
#define RATE 48000.0
#define N_SAMPLES 48000

static void test_blend(void)
{
	/* 3 harmonics, 2 noise bands: [amplitude, d1..d3, n1, n2]. */
	float a[6] = {0.04f, 1.0f, 0.5f, 0.0f, 0.01f, 1e-4f};
	const float b[6] = {0.01f, 0.2f, 0.2f, 0.6f, 0.04f, 1e-2f};
	heist_morph_blend(a, b, 3, 2, 0.5f);
	/* Amplitude and noise: geometric means (halfway in dB). */
	CHECK(fabsf(a[0] - 0.02f) < 1e-6f, "amplitude %g", (double)a[0]);
	CHECK(fabsf(a[4] - 0.02f) < 1e-6f, "noise band 1 %g", (double)a[4]);
	CHECK(fabsf(a[5] - 1e-3f) < 1e-8f, "noise band 2 %g", (double)a[5]);
	/* Harmonic shares: sqrt(share_a * share_b), the engine renormalises;
	 * a harmonic silent in one style stays far down (floor 1e-10). */
	const float h1 = sqrtf(1.0f / 1.5f * 0.2f), h2 = sqrtf(0.5f / 1.5f * 0.2f);
	CHECK(fabsf(a[1] - h1) < 1e-5f && fabsf(a[2] - h2) < 1e-5f, "shares %g %g", (double)a[1],
	      (double)a[2]);
	CHECK(a[3] < 1e-4f, "harmonic silent in a: %g", (double)a[3]);
}

/* A sung-like line: a harmonic tone with vibrato, 220..330 Hz. */
static void make_input(float *x)
{
	double ph = 0.0;
	for (int i = 0; i < N_SAMPLES; ++i) {
		const double t = i / RATE;
		const double f = 220.0 * pow(1.5, t) * (1.0 + 0.01 * sin(TWO_PI * 5.5 * t));
		ph += TWO_PI * f / RATE;
		x[i] = (float)(0.2 * (sin(ph) + 0.5 * sin(2 * ph) + 0.25 * sin(3 * ph)));
	}
}

static void render(const heist_model *m, float a, float b, float morph, const float *in, float *out)
{
	const heist_config cfg = heist_config_default(RATE);
	heist_engine *e = heist_engine_new(&cfg, m);
	CHECK(e, "engine");
	if (!e) {
		return;
	}
	heist_engine_set_param(e, HEIST_PARAM_STYLE_A, a);
	heist_engine_set_param(e, HEIST_PARAM_STYLE_B, b);
	heist_engine_set_param(e, HEIST_PARAM_MORPH, morph);
	for (int i = 0; i < N_SAMPLES; i += 256) {
		heist_engine_process(e, in + i, out + i, N_SAMPLES - i < 256 ? N_SAMPLES - i : 256);
	}
	heist_engine_free(e);
}

static double rms_diff(const float *x, const float *y)
{
	double s = 0.0;
	for (int i = 0; i < N_SAMPLES; ++i) {
		s += ((double)x[i] - y[i]) * ((double)x[i] - y[i]);
	}
	return sqrt(s / N_SAMPLES);
}

static int finite_all(const float *x)
{
	for (int i = 0; i < N_SAMPLES; ++i) {
		if (!isfinite(x[i])) {
			return 0;
		}
	}
	return 1;
}

static void test_engine(const heist_model *m, const char *path)
{
	float *in = malloc(N_SAMPLES * sizeof(float));
	float *pa = malloc(N_SAMPLES * sizeof(float)), *pb = malloc(N_SAMPLES * sizeof(float));
	float *y = malloc(N_SAMPLES * sizeof(float));
	if (!in || !pa || !pb || !y) {
		abort();
	}
	make_input(in);
	render(m, 0, 0, 0.0f, in, pa); /* violin */
	render(m, 7, 7, 0.0f, in, pb); /* trombone */
	render(m, 0, 7, 0.0f, in, y);
	CHECK(!memcmp(y, pa, N_SAMPLES * sizeof(float)), "morph 0 = style a");
	render(m, 0, 7, 1.0f, in, y);
	CHECK(!memcmp(y, pb, N_SAMPLES * sizeof(float)), "morph 1 = style b");
	render(m, 0, 7, 0.5f, in, y);
	const double da = rms_diff(y, pa), db = rms_diff(y, pb), dab = rms_diff(pa, pb);
	printf("halfway: rms diff to a %.4f, to b %.4f (a to b %.4f)\n", da, db, dab);
	CHECK(finite_all(y), "halfway finite");
	/* Halfway differs from both ends by a clear part of their difference. */
	CHECK(da > 0.1 * dab && db > 0.1 * dab, "halfway between: %g %g of %g", da, db, dab);

	/* A swap to another model's network: morph falls back, keeps playing. */
	const heist_config cfg = heist_config_default(RATE);
	heist_engine *e = heist_engine_new(&cfg, m);
	heist_model *copy = heist_model_load(path, NULL, 0);
	heist_net *other = copy ? heist_net_new(copy) : NULL;
	CHECK(e && other, "engine and second model");
	if (e && other) {
		heist_engine_set_param(e, HEIST_PARAM_STYLE_A, 0);
		heist_engine_set_param(e, HEIST_PARAM_STYLE_B, 7);
		heist_engine_set_param(e, HEIST_PARAM_MORPH, 0.5f);
		heist_engine_process(e, in, y, 4800);
		heist_net *old = heist_engine_swap_net(e, other);
		heist_engine_process(e, in + 4800, y + 4800, N_SAMPLES - 4800);
		CHECK(finite_all(y), "finite across the swap");
		heist_net_free(heist_engine_swap_net(e, old));
	}
	heist_engine_free(e);
	heist_model_free(copy);
	free(in);
	free(pa);
	free(pb);
	free(y);
}

int main(int argc, char **argv)
{
	int rc = 0;
	heist_model *m = test_model_from_args(argc, argv, "test_morph", &rc);
	if (!m) {
		return rc;
	}
	test_blend();
	test_engine(m, argv[1]);
	heist_model_free(m);
	return check_exit("morph");
}
