/* Output-domain style morph (morph.h). */
#include "morph.h"

#include <math.h>
#include <string.h>

#include "fastmath.h"
#include "util.h"

/* Floor of the blended amplitude: -200 dB under the loudest a network
 * writes (exp_sigmoid outputs are at most 2), so log never sees 0. */
#define MORPH_FLOOR 1e-10f

/* out[i] = u out[i] + t b[i], 8 at a time. */
static void blend_lin(float *out, const float *b, uint32_t n, float u, float t)
{
	uint32_t i = 0;
	for (; i + 8 <= n; i += 8) {
		fm_v8f x, y;
		memcpy(&x, out + i, sizeof x);
		memcpy(&y, b + i, sizeof y);
		x = x * u + y * t;
		memcpy(out + i, &x, sizeof x);
	}
	for (; i < n; ++i) {
		out[i] = u * out[i] + t * b[i];
	}
}

/* Shapes blend linearly, the level in dB. Blended in dB, halfway lies on
 * the straight line in train/timbre.py's log-mel space, where a third style
 * can sit nearer (flute 3.4 dB from cello-bassoon's midpoint, the ends 4.3):
 * 6/8 pairs. Linear is both instruments sounding (in phase: one oscillator
 * bank), each band carried by its stronger style: 7/8, same detour. */
/* [audio] See morph.h. */
void heist_morph_blend(float *out, const float *b_out, uint32_t nh, uint32_t nn, float t)
{
	const float u = 1.0f - t;
	/* Each style's harmonic shares (distribution / its sum); the engine
	 * normalises the result again after band limiting. */
	float sa = 0.0f, sb = 0.0f;
	for (uint32_t h = 1; h <= nh; ++h) {
		sa += out[h];
		sb += b_out[h];
	}
	const float wa = sa > 0.0f ? u / sa : 0.0f, wb = sb > 0.0f ? t / sb : 0.0f;
	blend_lin(out + 1, b_out + 1, nh, wa, wb);
	out[0] =
	    expf(u * logf(fmaxf(out[0], MORPH_FLOOR)) + t * logf(fmaxf(b_out[0], MORPH_FLOOR)));
	blend_lin(out + 1 + nh, b_out + 1 + nh, nn, u, t);
}

static float clamp_morph(float t)
{
	return heist_clampf(t, 0.0f, 1.0f); /* NaN reads as 0, as in heist_net_embed */
}

/* Why a warm-up, and how long. A network skipped at an end of the morph
 * has a recurrent state from the last time it ran (or none): given weight
 * at once, it plays that state, not the one it would have had. The GRU
 * forgets its start state slowly: measured by test_morph on the shipped
 * model (styles 0 and 7), the output of a 0 -> 1 -> 0 automation differs
 * from one with both networks running all along by up to 25 % RMS in a
 * 10 ms window without a warm-up, 11 % after 25 frames, 4 % after 50 (from
 * a zero state; from a stale one 1 %). Starting from the other network's
 * state was worse (11 % after 50). The network of 2026-12-07 (step 7000,
 * with its spectral correction) forgets more slowly: 12 % after 25 frames,
 * 7 % after 50, 4 % after 100, with a broadband excess (test_morph's
 * second-difference ratio) of 1.087, 1.056, 1.028. 50 frames (200 ms at
 * 250 frames/s) is the delay a morph leaving an end waits: a knob still
 * answers in a fifth of a second; the fade-in (the smoother from 0) keeps
 * it click-free. [audio] See morph.h. */
float heist_morph_advance(const heist_morph_state *st, float prev, float next, float target)
{
	target = clamp_morph(target);
	next = clamp_morph(next);
	if (fabsf(target - next) < HEIST_MORPH_SNAP) {
		next = target;
	}
	if ((next > 0.0f && st->warm_b < HEIST_MORPH_WARM) ||
	    (next < 1.0f && st->warm_a < HEIST_MORPH_WARM)) {
		return clamp_morph(prev);
	}
	return next;
}

static uint32_t count_up(uint32_t n)
{
	return n < HEIST_MORPH_WARM ? n + 1u : n;
}

/* [audio] See morph.h. */
void heist_morph_step(heist_net *net, heist_net *b_net, uint32_t a, uint32_t b, float t,
                      float target, heist_morph_state *st, float *in, float *out, float *b_out)
{
	const heist_model *m = net->model;
	const uint32_t last = m->n_styles - 1u;
	a = a > last ? last : a;
	b = b > last ? last : b;
	t = clamp_morph(t);
	target = clamp_morph(target);
	if (!b_net || b_net->model != m || a == b) {
		heist_net_embed(m, a, b, t, in + 3);
		heist_net_step(net, in, out);
		st->warm_a = count_up(st->warm_a);
		st->warm_b = 0;
		return;
	}
	const int run_a = t < 1.0f || target < 1.0f;
	const int run_b = t > 0.0f || target > 0.0f;
	if (run_a) {
		heist_net_embed(m, a, a, 0.0f, in + 3);
		heist_net_step(net, in, out);
	}
	if (run_b) {
		heist_net_embed(m, b, b, 0.0f, in + 3);
		heist_net_step(b_net, in, b_out);
	}
	st->warm_a = run_a ? count_up(st->warm_a) : 0u;
	st->warm_b = run_b ? count_up(st->warm_b) : 0u;
	if (t >= 1.0f) {
		memcpy(out, b_out, m->n_outputs * sizeof(float));
	} else if (t > 0.0f) {
		heist_morph_blend(out, b_out, m->n_harmonics, m->n_noise, t);
	}
}
