/* The pitch front end after YIN (pitch_track.h). */
#include "pitch_track.h"
#include "cpu.h"
#include "fastmath.h"
#include "yin_dip.h"

#include <math.h>
#include <string.h>

#define SUBFLOOR_THRESHOLD 0.2f /* d' of a confident detector period */
#define SUBFLOOR_BELOW 0.97f    /* a period this far under the floor is below it */
#define SUBFLOOR_OCTAVE_RATIO 0.2f
#define SUBFLOOR_OCTAVE_MIN 0.03f
#define AGREE_SEMITONES 1.0f /* frames within this agree on a pitch */
/* track_held_run(): a step between accepted frames larger than this
 * (semitones a frame) is a leap, which starts the run over */
#define HELD_RUN_STEP_ST 0.5f

void heist_pitch_track_init(heist_pitch_track *t, double sample_rate, float floor_hz)
{
	memset(t, 0, sizeof(*t));
	const double d = floor(sample_rate / HEIST_SUBFLOOR_RATE);
	t->decim = d >= 1.0 ? (uint32_t)d : 1u;
	t->low_rate = sample_rate / t->decim;
	t->tau_hi = (uint32_t)ceil(t->low_rate / HEIST_SUBFLOOR_MIN_HZ);
	t->n_low = 2u * t->tau_hi;
	if (t->n_low > HEIST_SUBFLOOR_MAX_N) { /* rates below 6 kHz: a shorter reach */
		t->tau_hi = HEIST_SUBFLOOR_MAX_N / 2u;
		t->n_low = HEIST_SUBFLOOR_MAX_N;
	}
	const double lo = floor(t->low_rate / (3.0 * floor_hz));
	t->tau_lo = lo >= 2.0 ? (uint32_t)lo : 2u;
	t->history = t->n_low * t->decim;
	t->floor_hz = floor_hz;
	heist_pitch_track_reset(t);
}

void heist_pitch_track_reset(heist_pitch_track *t)
{
	t->held = 0.0f;
	t->cand = 0.0f;
	t->cand_n = 0;
	t->unvoiced = HEIST_VOICED_GAP_FRAMES + 1u;
	t->octave_held = 0;
	t->held_run = 0;
	heist_pitch_track_subfloor_skip(t);
}

void heist_pitch_track_carry(heist_pitch_track *t, const heist_pitch_track *from)
{
	t->held = from->held;
	t->cand = from->cand;
	t->cand_n = from->cand_n;
	t->cand_conf = from->cand_conf;
	t->unvoiced = from->unvoiced;
	t->octave_held = from->octave_held;
	t->held_run = from->held_run;
}

void heist_pitch_track_subfloor_skip(heist_pitch_track *t)
{
	t->sub_f = 0.0f;
	t->sub_run = 0;
	t->sub_tick = 0; /* the next frame that may hide a low note runs it */
	t->sub_out = 0.0f;
	t->sub_conf = 0.0f;
}

/* Count the detector's agreeing runs; its verdict, kept until the next run. */
static float subfloor_confirm(heist_pitch_track *t, float f, float conf)
{
	const int agrees = f > 0.0f && t->sub_run > 0 && fabsf(12.0f * log2f(f / t->sub_f)) <= 1.0f;
	t->sub_run = f > 0.0f ? (agrees ? t->sub_run + 1u : 1u) : 0u;
	t->sub_f = f;
	t->sub_out = t->sub_run >= HEIST_SUBFLOOR_CONFIRM ? f : 0.0f;
	t->sub_conf = conf;
	return t->sub_out;
}

/* Box-decimate the history into x: each detector sample is the mean of
 * decim host samples (its sinc response is enough for periods under 65 Hz,
 * whose energy lies far below the first alias). Eight outputs at a time,
 * each summed in the same order as alone: eight independent chains of
 * additions instead of one (the one chain was a quarter of the detector's
 * time). */
static void subfloor_decimate(heist_pitch_track *t, const float *end)
{
	const float *src = end - t->history;
	const float inv = 1.0f / (float)t->decim;
	const uint32_t dm = t->decim;
	uint32_t i = 0;
	for (; i + 8 <= t->n_low; i += 8) {
		float s[8] = {0};
		for (uint32_t j = 0; j < dm; ++j) {
			for (uint32_t l = 0; l < 8; ++l) {
				s[l] += src[(i + l) * dm + j];
			}
		}
		for (uint32_t l = 0; l < 8; ++l) {
			t->x[i + l] = s[l] * inv;
		}
	}
	for (; i < t->n_low; ++i) {
		float s = 0.0f;
		for (uint32_t j = 0; j < dm; ++j) {
			s += src[i * dm + j];
		}
		t->x[i] = s * inv;
	}
}

/* d(tau) for the nb <= 4 blocks of 8 lags starting at tau[b]: one vector
 * accumulator each, in one pass over j (independent chains). */
FM_ALWAYS void subfloor_lag_blocks(const float *x, uint32_t w, const uint32_t *tau, uint32_t nb,
                                   float *d)
{
	fm_v8f a0 = {0}, a1 = a0, a2 = a0, a3 = a0;
	for (uint32_t j = 0; j < w; ++j) {
		const fm_v8f xj = fm_splat(x[j]);
		const fm_v8f v0 = xj - fm_load(x + j + tau[0]);
		a0 += v0 * v0;
		if (nb > 1) {
			const fm_v8f v1 = xj - fm_load(x + j + tau[1]);
			a1 += v1 * v1;
		}
		if (nb > 2) {
			const fm_v8f v2 = xj - fm_load(x + j + tau[2]);
			a2 += v2 * v2;
		}
		if (nb > 3) {
			const fm_v8f v3 = xj - fm_load(x + j + tau[3]);
			a3 += v3 * v3;
		}
	}
	const fm_v8f acc[4] = {a0, a1, a2, a3};
	for (uint32_t k = 0; k < nb; ++k) {
		memcpy(d + tau[k], &acc[k], sizeof acc[k]);
	}
}

/* d(tau) = sum_j (x_j - x_{j+tau})^2, tau = 1..tau_hi over a window of
 * tau_hi samples, in order of j for every lag: 32 lags at a time in four
 * vector accumulators that stay in registers (d's round trip through
 * memory on every j cost ~4x), then the rest in one pass of up to four
 * blocks of 8, the last one ending at hi (the lags it shares get the same
 * values again); each lag's sum is the same sequence of operations
 * whichever path takes it, so the values do not depend on the path. */
FM_ALWAYS void subfloor_diff_body(const float *x, uint32_t hi, float *d)
{
	const uint32_t w = hi;
	uint32_t tau = 1;
	for (; tau + 31 <= hi; tau += 32) {
		fm_v8f a0 = {0}, a1 = a0, a2 = a0, a3 = a0;
		for (uint32_t j = 0; j < w; ++j) {
			const fm_v8f xj = fm_splat(x[j]);
			const float *xs = x + j + tau;
			const fm_v8f v0 = xj - fm_load(xs), v1 = xj - fm_load(xs + 8);
			const fm_v8f v2 = xj - fm_load(xs + 16), v3 = xj - fm_load(xs + 24);
			a0 += v0 * v0;
			a1 += v1 * v1;
			a2 += v2 * v2;
			a3 += v3 * v3;
		}
		memcpy(d + tau, &a0, sizeof a0);
		memcpy(d + tau + 8, &a1, sizeof a1);
		memcpy(d + tau + 16, &a2, sizeof a2);
		memcpy(d + tau + 24, &a3, sizeof a3);
	}
	if (tau <= hi && hi >= 8) {
		uint32_t start[4], nb = 0;
		for (; tau <= hi; tau += 8) {
			start[nb++] = tau + 7 <= hi ? tau : hi - 7;
		}
		subfloor_lag_blocks(x, w, start, nb, d);
	}
	for (; tau <= hi; ++tau) {
		float acc = 0.0f;
		for (uint32_t j = 0; j < w; ++j) {
			const float v = x[j] - x[j + tau];
			acc += v * v;
		}
		d[tau] = acc;
	}
}

static void subfloor_diff_generic(const float *x, uint32_t hi, float *d)
{
	subfloor_diff_body(x, hi, d);
}

#if defined(__x86_64__) && defined(__GNUC__)
/* AVX2 without FMA: the same IEEE operations as the baseline's (no
 * contraction), so the detector's values are the same at every level, in
 * registers instead of the baseline's stack halves (ARCHITECTURE.md
 * "Instruction sets", trap b). */
__attribute__((target("avx2"))) static void subfloor_diff_avx2(const float *x, uint32_t hi,
                                                               float *d)
{
	subfloor_diff_body(x, hi, d);
}
#endif

/* Cumulative mean normalised difference d'(tau), tau = 1..tau_hi, over a
 * window of tau_hi samples. Returns 0 when the window is silent. */
static int subfloor_difference(heist_pitch_track *t)
{
	const uint32_t w = t->tau_hi;
	const float *x = t->x;
	float energy = 0.0f;
	for (uint32_t j = 0; j < w; ++j) {
		energy += x[j] * x[j];
	}
	if (!(energy > 1e-9f * (float)w)) {
		return 0;
	}
	float *d = t->d;
#if defined(__x86_64__) && defined(__GNUC__)
	if (heist_cpu_level() >= HEIST_CPU_AVX2) {
		subfloor_diff_avx2(x, t->tau_hi, d);
	} else {
		subfloor_diff_generic(x, t->tau_hi, d);
	}
#else
	subfloor_diff_generic(x, t->tau_hi, d);
#endif
	float running = 0.0f;
	d[0] = 1.0f;
	for (uint32_t tau = 1; tau <= t->tau_hi; ++tau) {
		running += d[tau];
		d[tau] = running > 0.0f ? d[tau] * (float)tau / running : 1.0f;
	}
	return 1;
}

/* Depth of the dip at tau between the lags (yin_dip.h): a period between
 * two lags otherwise reads shallower than its multiple that falls on one. */
HEIST_DEFINE_DIP_DEPTH(dip_depth, float)

/* The lowest lag in [lo, hi] around which d' is smallest. */
static uint32_t min_lag(const float *d, uint32_t lo, uint32_t hi)
{
	uint32_t m = lo;
	for (uint32_t i = lo + 1; i <= hi; ++i) {
		m = d[i] < d[m] ? i : m;
	}
	return m;
}

float heist_pitch_track_subfloor(heist_pitch_track *t, const float *end, float *conf)
{
	if (t->sub_tick++ % HEIST_SUBFLOOR_EVERY != 0) {
		*conf = t->sub_conf;
		return t->sub_out;
	}
	*conf = 0.0f;
	subfloor_decimate(t, end);
	if (!subfloor_difference(t)) {
		return subfloor_confirm(t, 0.0f, 0.0f);
	}
	const float *d = t->d;
	uint32_t best = 0;
	for (uint32_t tau = t->tau_lo; tau <= t->tau_hi; ++tau) {
		if (d[tau] < SUBFLOOR_THRESHOLD) {
			while (tau + 1 <= t->tau_hi && d[tau + 1] < d[tau]) {
				++tau;
			}
			best = tau;
			break;
		}
	}
	if (!best) {
		return subfloor_confirm(t, 0.0f, 0.0f);
	}
	/* A far deeper dip at twice or three times the lag is the true period
	 * (a weak fundamental), as in the main YIN. */
	for (uint32_t mult = 2; mult <= 3; ++mult) {
		const uint32_t centre = mult * best, reach = centre / 50u + 1u;
		if (centre + reach > t->tau_hi) {
			break;
		}
		const uint32_t m = min_lag(d, centre - reach, centre + reach);
		const float here = dip_depth(d, best, t->tau_hi);
		if (dip_depth(d, m, t->tau_hi) < SUBFLOOR_OCTAVE_RATIO * here &&
		    here > SUBFLOOR_OCTAVE_MIN) {
			best = m;
		}
	}
	double period = best;
	if (best > 1 && best < t->tau_hi) {
		const double l = d[best - 1], c = d[best], r = d[best + 1], den = l - 2.0 * c + r;
		if (den > 0.0) {
			const double off = 0.5 * (l - r) / den;
			period += off > 0.5 ? 0.5 : off < -0.5 ? -0.5 : off;
		}
	}
	const float c = 1.0f - d[best];
	const float f = (float)(t->low_rate / period);
	*conf = c < 0.0f ? 0.0f : c > 1.0f ? 1.0f : c;
	return subfloor_confirm(t, f < SUBFLOOR_BELOW * t->floor_hz ? f : 0.0f, *conf);
}

static float semitones(float a, float b)
{
	return fabsf(12.0f * log2f(a / b));
}

/* [audio] How long the pitch being played has gone on as f0 is accepted
 * `gap` frames after `held` (analysis.c young_octave_yields: a note's first
 * accepted frames may be its attack's octave); a leap or a note after a
 * rest starts it over. */
static void track_held_run(heist_pitch_track *t, float f0, int in_stretch, uint32_t gap)
{
	const int smooth = in_stretch && semitones(f0, t->held) <= HELD_RUN_STEP_ST * (float)gap;
	t->held_run = smooth ? t->held_run + (t->held_run < UINT32_MAX ? 1u : 0u) : 1u;
}

float heist_pitch_track_step(heist_pitch_track *t, float f0, float confidence, int *voiced)
{
	*voiced = 0;
	/* unvoiced counts the frames since one was accepted (saturating). */
	const int in_stretch = t->unvoiced < HEIST_VOICED_GAP_FRAMES && t->held > 0.0f;
	const uint32_t gap = t->unvoiced + 1u; /* frames since the last accepted one */
	t->unvoiced += t->unvoiced <= HEIST_VOICED_GAP_FRAMES ? 1u : 0u;
	if (!(f0 > 0.0f) || !(confidence >= 0.5f)) {
		t->cand_n = 0;
		return t->held;
	}
	if (in_stretch && semitones(f0, t->held) <= HEIST_JUMP_SEMITONES) {
		t->cand_n = 0;
	} else {
		/* A jump inside a stretch, or a note after a rest: wait for
		 * agreement. */
		const int agrees = t->cand_n > 0 && semitones(f0, t->cand) <= AGREE_SEMITONES;
		t->cand_conf = agrees && t->cand_conf < confidence ? t->cand_conf : confidence;
		t->cand_n = agrees ? t->cand_n + 1u : 1u;
		t->cand = f0;
		const uint32_t need = in_stretch ? HEIST_JUMP_CONFIRM
		                      : t->cand_conf >= HEIST_ONSET_SURE
		                          ? HEIST_ONSET_CONFIRM
		                          : HEIST_ONSET_UNSURE_CONFIRM;
		if (t->cand_n < need) {
			return t->held;
		}
		t->cand_n = 0;
	}
	track_held_run(t, f0, in_stretch, gap);
	t->held = f0;
	t->unvoiced = 0;
	*voiced = 1;
	return f0;
}
