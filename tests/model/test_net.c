/* Network runtime tests: heist_net_step against a plain double-precision
 * reference of the model.h equations, style embedding morphing, and recovery
 * from non-finite input and state. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hsm_writer.h"
#include "model.h"
#include "net.h"

static heist_net_isa test_isa = HEIST_NET_ISA_GENERIC;

/* float32 dot products over at most ~350 terms of magnitude <= 1, plus the
 * vectorised exp/log/sigmoid/tanh of dsp/fastmath.h (absolute errors of a few
 * 1e-7, bounded in tests/dsp/test_fastmath.c), stay within a few 1e-7 of
 * double; 1e-5 leaves margin for that error carried through 200 frames of
 * recurrent state. Both compiled kernels (baseline and AVX2+FMA) are run. */
#define TOL 1e-5

/* A random model; half: with weights rounded to binary16 values. */
static heist_model *make_model(const hsm_dims *d, int half)
{
	size_t size;
	uint8_t *p = hsm_write_random(d, &size);
	if (p && half) {
		hsm_round_half(p, d);
	}
	char err[256] = "";
	heist_model *m = p ? heist_model_parse(p, size, err, sizeof err) : NULL;
	if (!m) {
		fprintf(stderr, "cannot build test model: %s\n", err);
		exit(1);
	}
	free(p);
	return m;
}

static double sigmoid_d(double v)
{
	return 1.0 / (1.0 + exp(-v));
}

/* The network of model.h, written out as plainly as possible, in double. */
static void ref_step(const heist_model *m, double *h, const float *in, double *out)
{
	const size_t H = m->gru_hidden, I = m->n_inputs, D = m->dense_hidden, O = m->n_outputs;
	double gi[3 * 1024], gh[3 * 1024], x[1024 + 67], y1[1024];
	for (size_t r = 0; r < 3 * H; ++r) {
		gi[r] = m->gru_b_ih[r];
		for (size_t c = 0; c < I; ++c) {
			gi[r] += (double)m->gru_w_ih[r * I + c] * in[c];
		}
		gh[r] = m->gru_b_hh[r];
		for (size_t c = 0; c < H; ++c) {
			gh[r] += (double)m->gru_w_hh[r * H + c] * h[c];
		}
	}
	for (size_t j = 0; j < H; ++j) {
		const double r = sigmoid_d(gi[j] + gh[j]);
		const double z = sigmoid_d(gi[H + j] + gh[H + j]);
		const double n = tanh(gi[2 * H + j] + r * gh[2 * H + j]);
		h[j] = (1.0 - z) * n + z * h[j];
	}
	for (size_t j = 0; j < H; ++j) {
		x[j] = h[j];
	}
	for (size_t c = 0; c < I; ++c) {
		x[H + c] = in[c];
	}
	for (size_t r = 0; r < D; ++r) {
		double acc = m->dense1_b[r];
		for (size_t c = 0; c < H + I; ++c) {
			acc += (double)m->dense1_w[r * (H + I) + c] * x[c];
		}
		y1[r] = acc > 0.0 ? acc : 0.0;
	}
	for (size_t r = 0; r < O; ++r) {
		double acc = m->dense2_b[r];
		for (size_t c = 0; c < D; ++c) {
			acc += (double)m->dense2_w[r * D + c] * y1[c];
		}
		out[r] = 2.0 * pow(sigmoid_d(acc), log(10.0)) + 1e-7;
	}
}

static float frand(uint32_t *s, float lo, float hi)
{
	*s = *s * 1664525u + 1013904223u;
	return lo + (hi - lo) * (float)(*s >> 8) / 16777216.0f;
}

/* Random but plausible features: scaled pitch and loudness, confidence. */
static void random_input(const heist_model *m, uint32_t *rng, float *in)
{
	in[0] = frand(rng, -2.0f, 2.0f);
	in[1] = frand(rng, -2.0f, 2.0f);
	in[2] = frand(rng, 0.0f, 1.0f);
	const uint32_t a = (uint32_t)frand(rng, 0.0f, (float)m->n_styles);
	const uint32_t b = (uint32_t)frand(rng, 0.0f, (float)m->n_styles);
	heist_net_embed(m, a, b, frand(rng, 0.0f, 1.0f), in + 3);
}

static void test_against_reference(const hsm_dims *dims)
{
	const hsm_dims *d = dims;
	heist_model *m = make_model(d, test_isa >= HEIST_NET_ISA_AVX2_HALF);
	heist_net *net = heist_net_new(m);
	CHECK(net, "heist_net_new failed");
	if (!net) {
		heist_model_free(m);
		return;
	}
	const heist_net_isa isa = heist_net_set_isa(net, test_isa);
	const size_t O = m->n_outputs;
	double *h = calloc(m->gru_hidden, sizeof *h);
	double *want = calloc(O, sizeof *want);
	float *got = calloc(O, sizeof *got);
	float in[3 + 64];
	uint32_t rng = d->seed;
	double worst = 0.0;
	for (int frame = 0; frame < 200; ++frame) {
		random_input(m, &rng, in);
		ref_step(m, h, in, want);
		heist_net_step(net, in, got);
		for (size_t k = 0; k < O; ++k) {
			const double e = fabs((double)got[k] - want[k]);
			worst = e > worst ? e : worst;
		}
		for (size_t j = 0; j < m->gru_hidden; ++j) {
			const double e = fabs((double)net->h[j] - h[j]);
			worst = e > worst ? e : worst;
		}
	}
	CHECK(worst <= TOL, "H=%u D=%u: max error %g", d->gru_hidden, d->dense_hidden, worst);
	CHECK(isa == test_isa, "kernel %d instead of %d", (int)isa, (int)test_isa);
	printf("%s: S=%u E=%u H=%u D=%u NH=%u NN=%u: max error vs double %.3g\n",
	       heist_net_isa_name(isa), d->n_styles, d->embed_dim, d->gru_hidden, d->dense_hidden,
	       d->n_harmonics, d->n_noise, worst);

	/* Reset makes a run repeat exactly. */
	float *first = calloc(O, sizeof *first);
	heist_net_reset(net);
	rng = 99;
	random_input(m, &rng, in);
	heist_net_step(net, in, first);
	for (int i = 0; i < 5; ++i) {
		heist_net_step(net, in, got);
	}
	heist_net_reset(net);
	heist_net_step(net, in, got);
	CHECK(!memcmp(first, got, O * sizeof *got), "reset does not restart the run");

	free(first);
	free(got);
	free(want);
	free(h);
	heist_net_free(net);
	heist_model_free(m);
}

static void test_embedding(void)
{
	const hsm_dims d = {4, 8, 8, 8, 4, 4, 3};
	heist_model *m = make_model(&d, 0);
	const size_t E = m->embed_dim;
	float emb[64];
	for (uint32_t a = 0; a < m->n_styles; ++a) {
		for (uint32_t b = 0; b < m->n_styles; ++b) {
			heist_net_embed(m, a, b, 0.0f, emb);
			CHECK(!memcmp(emb, m->embedding + a * E, E * sizeof *emb), "morph 0: %u",
			      a);
			heist_net_embed(m, a, b, 1.0f, emb);
			CHECK(!memcmp(emb, m->embedding + b * E, E * sizeof *emb), "morph 1: %u",
			      b);
			heist_net_embed(m, a, b, 0.25f, emb);
			for (size_t i = 0; i < E; ++i) {
				/* One rounding per product and one for the sum. */
				const double w =
				    0.75 * m->embedding[a * E + i] + 0.25 * m->embedding[b * E + i];
				CHECK(fabs(emb[i] - w) <= 1e-6, "morph 0.25");
			}
		}
	}
	/* Out-of-range styles clamp to the last one; morph clamps to [0, 1]. */
	const float *last = m->embedding + (m->n_styles - 1) * E;
	heist_net_embed(m, 1000, 1000, 0.5f, emb);
	CHECK(!memcmp(emb, last, E * sizeof *emb), "style clamp");
	heist_net_embed(m, 0, 1, NAN, emb);
	CHECK(!memcmp(emb, m->embedding, E * sizeof *emb), "NaN morph reads as 0");
	heist_net_embed(m, 0, 1, 7.0f, emb);
	CHECK(!memcmp(emb, m->embedding + E, E * sizeof *emb), "morph above 1");
	heist_net_embed(m, 0, 1, -7.0f, emb);
	CHECK(!memcmp(emb, m->embedding, E * sizeof *emb), "morph below 0");
	heist_model_free(m);
}

static int all_finite(const float *v, size_t n)
{
	for (size_t i = 0; i < n; ++i) {
		if (!isfinite(v[i])) {
			return 0;
		}
	}
	return 1;
}

static void test_non_finite(void)
{
	const hsm_dims d = {2, 4, 13, 9, 6, 5, 5};
	heist_model *m = make_model(&d, test_isa >= HEIST_NET_ISA_AVX2_HALF);
	heist_net *net = heist_net_new(m);
	heist_net_set_isa(net, test_isa);
	float in[3 + 64], out[1 + 256 + 256];
	uint32_t rng = 17;
	for (int i = 0; i < 10; ++i) {
		random_input(m, &rng, in);
		heist_net_step(net, in, out);
	}
	const float bad[] = {NAN, INFINITY, -INFINITY, 1e30f, -3e38f};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; ++k) {
		for (uint32_t pos = 0; pos < m->n_inputs; ++pos) {
			random_input(m, &rng, in);
			in[pos] = bad[k];
			heist_net_step(net, in, out);
			CHECK(all_finite(out, m->n_outputs), "output after %g at input %u",
			      (double)bad[k], pos);
			CHECK(all_finite(net->h, m->gru_hidden), "state after %g at input %u",
			      (double)bad[k], pos);
			random_input(m, &rng, in);
			heist_net_step(net, in, out);
			CHECK(all_finite(out, m->n_outputs), "recovery after %g", (double)bad[k]);
		}
	}
	/* A poisoned state is reset rather than spread. */
	net->h[3] = NAN;
	random_input(m, &rng, in);
	heist_net_step(net, in, out);
	CHECK(all_finite(out, m->n_outputs), "output with NaN state");
	CHECK(all_finite(net->h, m->gru_hidden), "NaN state not reset");
	for (int i = 0; i < 10; ++i) {
		random_input(m, &rng, in);
		heist_net_step(net, in, out);
		CHECK(all_finite(out, m->n_outputs), "frame %d after NaN state", i);
	}
	/* Every output stays in exp_sigmoid's range. */
	for (size_t k = 0; k < m->n_outputs; ++k) {
		CHECK(out[k] >= 1e-7f && out[k] <= 2.0f + 1e-6f, "output %zu = %g", k,
		      (double)out[k]);
	}
	heist_net_free(net);
	heist_model_free(m);
}

/* Whether a kernel runs here: the CPU (at its HEIST_CPU level) has it. */
static int kernel_runs(heist_net_isa isa)
{
	const hsm_dims d = {1, 1, 8, 8, 1, 2, 1};
	heist_model *m = make_model(&d, 1);
	heist_net *net = heist_net_new(m);
	const int ok = heist_net_set_isa(net, isa) == isa;
	heist_net_free(net);
	heist_model_free(m);
	return ok;
}

/* A model gets binary16 weights exactly when all of its weights are exact
 * binary16 values: one weight off by an ulp of float32 keeps it float32. */
static void test_half_detection(void)
{
	if (!kernel_runs(HEIST_NET_ISA_AVX2_HALF)) {
		return;
	}
	const hsm_dims d = {2, 4, 24, 16, 6, 5, 8};
	heist_model *m = make_model(&d, 1);
	CHECK(heist_net_half(m), "binary16-exact weights not packed as binary16");
	CHECK(heist_net_best_isa(m) >= HEIST_NET_ISA_AVX2_HALF, "binary16 kernel not chosen");
	heist_model_free(m);
	size_t size;
	uint8_t *p = hsm_write_random(&d, &size);
	hsm_round_half(p, &d);
	const hsm_layout l = hsm_layout_of(&d);
	const size_t at = l.offset[7] + 4 * (l.count[7] / 2); /* a dense2 weight */
	hsm_put_f32(p + at, nextafterf(hsm_get_f32(p + at), 1.0f));
	hsm_fix_crc(p, size);
	char err[256] = "";
	m = heist_model_parse(p, size, err, sizeof err);
	CHECK(m && !heist_net_half(m), "a weight that binary16 does not hold: still binary16");
	CHECK(m && heist_net_best_isa(m) <= HEIST_NET_ISA_AVX2, "binary16 kernel on float32");
	heist_model_free(m);
	free(p);
	m = make_model(&d, 0);
	CHECK(!heist_net_half(m), "random float32 weights packed as binary16");
	heist_model_free(m);
}

/* The AVX2 and AVX-512 binary16 kernels give the same bits. */
static void test_half_kernels_agree(const hsm_dims *dims)
{
	if (!kernel_runs(HEIST_NET_ISA_AVX512_HALF)) {
		return;
	}
	const hsm_dims d = *dims;
	heist_model *m = make_model(&d, 1);
	heist_net *a = heist_net_new(m), *b = heist_net_new(m);
	heist_net_set_isa(a, HEIST_NET_ISA_AVX2_HALF);
	heist_net_set_isa(b, HEIST_NET_ISA_AVX512_HALF);
	const size_t O = m->n_outputs;
	float *ya = calloc(O, sizeof *ya), *yb = calloc(O, sizeof *yb), in[3 + 64];
	uint32_t rng = 5;
	int same = 1;
	for (int frame = 0; frame < 100; ++frame) {
		random_input(m, &rng, in);
		heist_net_step(a, in, ya);
		heist_net_step(b, in, yb);
		same &= !memcmp(ya, yb, O * sizeof *ya);
	}
	CHECK(same, "H=%u: AVX2 and AVX-512 binary16 kernels differ", d.gru_hidden);
	printf("binary16 kernels, H=%u D=%u: AVX2 and AVX-512 outputs %s\n", d.gru_hidden,
	       d.dense_hidden, same ? "identical" : "DIFFER");
	free(ya);
	free(yb);
	heist_net_free(a);
	heist_net_free(b);
	heist_model_free(m);
}

int main(void)
{
	static const hsm_dims dims[] = {
	    {1, 1, 1, 1, 1, 2, 1},        /* smallest legal model */
	    {2, 3, 13, 17, 5, 4, 2},      /* H not a multiple of 8 */
	    {3, 16, 37, 33, 20, 16, 3},   /* odd sizes everywhere */
	    {4, 8, 64, 64, 60, 65, 4},    /* multiples of the vector width */
	    {8, 16, 192, 256, 60, 65, 5}, /* the size of a shipped model */
	};
	for (heist_net_isa isa = HEIST_NET_ISA_GENERIC; isa <= HEIST_NET_ISA_AVX512_HALF; ++isa) {
		if (!kernel_runs(isa)) {
			printf("%s: not on this CPU (or at this HEIST_CPU level), not tested\n",
			       heist_net_isa_name(isa));
			continue;
		}
		test_isa = isa;
		for (size_t i = 0; i < sizeof dims / sizeof dims[0]; ++i) {
			test_against_reference(&dims[i]);
		}
		test_non_finite();
	}
	test_half_detection();
	for (size_t i = 0; i < sizeof dims / sizeof dims[0]; ++i) {
		test_half_kernels_agree(&dims[i]);
	}
	test_embedding();
	test_non_finite();
	return check_exit("test_net");
}
