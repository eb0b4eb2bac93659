/* Output-domain style morph (dsp/morph.h): the blend's rules on synthetic
 * network outputs, then the engine with the shipped model: morph 0 and 1
 * play exactly the pure styles, halfway is finite and differs from both, a
 * 0 -> 1 -> 0 automation (each network skipped at its zero weight) is
 * click-free, follows a render with both running and is bit-identical for
 * any block split, and after a swap to another model's network the morph keeps playing
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
	/* Amplitude: the geometric mean (halfway in dB). */
	CHECK(fabsf(a[0] - 0.02f) < 1e-6f, "amplitude %g", (double)a[0]);
	/* Noise bands: the mean of the two (both instruments sounding). */
	CHECK(fabsf(a[4] - 0.025f) < 1e-6f, "noise band 1 %g", (double)a[4]);
	CHECK(fabsf(a[5] - 0.00505f) < 1e-7f, "noise band 2 %g", (double)a[5]);
	/* Harmonic shares: the mean of each style's share (distribution / its
	 * sum: a 1.5, b 1.0), so a harmonic silent in one style sounds at half
	 * the other's share; the engine renormalises. */
	const float h1 = 0.5f * (1.0f / 1.5f + 0.2f), h2 = 0.5f * (0.5f / 1.5f + 0.2f);
	CHECK(fabsf(a[1] - h1) < 1e-6f && fabsf(a[2] - h2) < 1e-6f, "shares %g %g", (double)a[1],
	      (double)a[2]);
	CHECK(fabsf(a[3] - 0.3f) < 1e-6f, "harmonic silent in a: %g", (double)a[3]);
	/* A style whose harmonics are all silent gives no share (no 0/0). */
	float z[6] = {0.04f, 0.0f, 0.0f, 0.0f, 0.01f, 1e-4f};
	heist_morph_blend(z, b, 3, 2, 0.25f);
	CHECK(fabsf(z[3] - 0.25f * 0.6f) < 1e-6f && z[1] == 0.25f * 0.2f, "silent a: %g %g",
	      (double)z[1], (double)z[3]);
}

/* A sung-like line: a harmonic tone with vibrato, from 220 Hz up by a fifth
 * a second. */
static void make_input_n(float *x, int n)
{
	double ph = 0.0;
	for (int i = 0; i < n; ++i) {
		const double t = i / RATE;
		const double f = 220.0 * pow(1.5, t) * (1.0 + 0.01 * sin(TWO_PI * 5.5 * t));
		ph += TWO_PI * f / RATE;
		x[i] = (float)(0.2 * (sin(ph) + 0.5 * sin(2 * ph) + 0.25 * sin(3 * ph)));
	}
}

static void make_input(float *x)
{
	make_input_n(x, N_SAMPLES);
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

/* Morph automation 0 -> 1 -> 0 over AUTO_N samples: the target moves at
 * AUTO_UP and back at AUTO_DOWN (plus shift). Blocks of 256, or of
 * pseudo-random sizes 1..700 (seed != 0), cut where the target moves so
 * that every split sees it at the same sample. */
#define AUTO_N (3 * 48000)
#define AUTO_UP 24000u
#define AUTO_DOWN 96000u

static void render_auto(const heist_model *m, float lo, float hi, uint32_t shift, uint32_t seed,
                        const float *in, float *out)
{
	const heist_config cfg = heist_config_default(RATE);
	heist_engine *e = heist_engine_new(&cfg, m);
	CHECK(e, "engine");
	if (!e) {
		return;
	}
	heist_engine_set_param(e, HEIST_PARAM_STYLE_A, 0);
	heist_engine_set_param(e, HEIST_PARAM_STYLE_B, 7);
	const uint32_t up = AUTO_UP + shift, down = AUTO_DOWN + shift;
	uint32_t rng = seed;
	for (uint32_t i = 0; i < AUTO_N;) {
		heist_engine_set_param(e, HEIST_PARAM_MORPH, i >= up && i < down ? hi : lo);
		uint32_t n = 256;
		if (seed) {
			rng = rng * 1664525u + 1013904223u;
			n = 1u + (rng >> 8) % 700u;
		}
		const uint32_t next = i < up ? up : i < down ? down : AUTO_N;
		n = n < next - i ? n : next - i;
		n = n < AUTO_N - i ? n : AUTO_N - i;
		heist_engine_process(e, in + i, out + i, n);
		i += n;
	}
	heist_engine_free(e);
}

/* Each network runs only while its weight (or the target's) is above 0; one
 * skipped at an end warms up HEIST_MORPH_WARM frames before it plays. The
 * reference keeps both running all along: its ends are 0.002 and 0.998
 * (beyond the snap), its automation HEIST_MORPH_WARM frames later, so its
 * morph curve is the skipping render's to within 0.004. */
static void test_automation(const heist_model *m)
{
	float *in = malloc(AUTO_N * sizeof(float)), *y = malloc(AUTO_N * sizeof(float));
	float *z = malloc(AUTO_N * sizeof(float)), *w = malloc(AUTO_N * sizeof(float));
	if (!in || !y || !z || !w) {
		abort();
	}
	make_input_n(in, AUTO_N);
	render_auto(m, 0.0f, 1.0f, 0, 0, in, y);
	render_auto(m, 0.0f, 1.0f, 0, 12345, in, w);
	CHECK(!memcmp(y, w, AUTO_N * sizeof(float)), "automation: bit-identical for any split");
	const uint32_t hop = (uint32_t)(RATE / m->frame_rate);
	render_auto(m, 0.002f, 0.998f, HEIST_MORPH_WARM * hop, 0, in, z);
	/* Per 10 ms window: the RMS of the difference against the output's, and
	 * the RMS of the second difference (a click's broadband step) against
	 * the reference's. */
	double worst[2] = {0.0, 0.0}, worst_hf[2] = {0.0, 0.0};
	for (uint32_t i = 480; i + 480 <= AUTO_N; i += 480) {
		double d = 0.0, p = 0.0, hy = 0.0, hz = 0.0;
		for (uint32_t j = i; j < i + 480; ++j) {
			d += ((double)y[j] - z[j]) * ((double)y[j] - z[j]);
			p += (double)z[j] * z[j];
			const double sy = (double)y[j] - 2.0 * y[j - 1] + y[j - 2];
			const double sz = (double)z[j] - 2.0 * z[j - 1] + z[j - 2];
			hy += sy * sy;
			hz += sz * sz;
		}
		if (p < 480 * 1e-6) {
			continue;
		}
		const int half = i >= AUTO_N / 2;
		const double r = sqrt(d / p), h = sqrt(hy / hz);
		worst[half] = r > worst[half] ? r : worst[half];
		worst_hf[half] = h > worst_hf[half] ? h : worst_hf[half];
	}
	printf("automation, 0 -> 1 and 1 -> 0: difference to both-running per 10 ms %.4f %.4f, "
	       "second-difference ratio %.3f %.3f\n",
	       worst[0], worst[1], worst_hf[0], worst_hf[1]);
	/* Measured with the shipped model: 0.074 and 0.010 (the network of
	 * 2026-12-06: 0.114 and 0.012; without the warm-up 0.245 and 0.094);
	 * 0.15 leaves room for the other kernels' rounding. */
	CHECK(worst[0] <= 0.15 && worst[1] <= 0.15, "automation follows both-running: %g %g",
	      worst[0], worst[1]);
	/* No click: the broadband step energy is the reference's (measured
	 * 1.018 and 1.005; without the warm-up 1.040). The network of
	 * 2026-12-07 with its spectral correction forgets its start state more
	 * slowly: 1.087 after a 25-frame warm-up, 1.056 after the 50 frames
	 * now used (1.028 after 100; the excess is the unconverged state over
	 * the fade-in, it falls with the warm-up, not a step), hence 1.07. */
	CHECK(worst_hf[0] <= 1.07 && worst_hf[1] <= 1.07, "automation click-free: %g %g",
	      worst_hf[0], worst_hf[1]);
	free(in);
	free(y);
	free(z);
	free(w);
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
	test_automation(m);
	heist_model_free(m);
	return check_exit("morph");
}
