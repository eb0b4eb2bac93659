/* Bad audio: the engine fed NaN, +-Inf, denormals, 1e30, full-scale squares,
 * white noise and DC, single-sample impulses, and minutes of silence before a
 * loud note. For every case:
 *   - every output sample is finite;
 *   - the output peak stays under PEAK_BOUND (fully wet, default controls)
 *     and, with the dry path alone, under the engine's input limit;
 *   - minutes of silence give silence (under SILENCE_BOUND);
 *   - the right pitch returns within PITCH_RECOVERY_BOUND_S, and normal
 *     output within RECOVERY_BOUND_S, of the end of the bad input (the input
 *     then is a steady tone, phase-continuous with the one before the bad
 *     segment).
 * "Normal" for a 20 ms window: its pitch is within NORMAL_CENTS of the tone
 * and its RMS within NORMAL_DB of a clean engine's at the same time. Pitch
 * and level are measured on the harmonic part (noise level at -60 dB): the
 * noise part has no pitch to measure. Peaks are measured at the defaults.
 * The same case with digital silence instead of the bad segment gives the
 * baseline: a note onset after silence takes that long anyway.
 *
 * Usage: test_bad_audio MODEL.hsm [SILENCE_SECONDS]  (default 120 s, env
 * HEIST_SILENCE_SECONDS overrides). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heist.h"
#include "model.h"
#include "robust.h"
#include "test_model.h"

#define RATE 48000.0
#define TONE_HZ 220.0
#define TONE_AMP 0.5
#define PRE_S 0.6  /* clean tone before the bad segment */
#define BAD_S 0.3  /* bad segment */
#define POST_S 1.2 /* clean tone after it */
#define WINDOW_S 0.02

/* The network's amplitude output is at most 2 (exp_sigmoid's ceiling), the
 * harmonic distribution is normalised to sum 1 and the gate is <= 1, so the
 * harmonic part is bounded by 2 at 0 dB harmonic level; the filtered noise
 * adds at most band magnitudes <= 2 times its filter gain. 4 (+12 dBFS)
 * bounds the sum with margin: measured peaks are printed per case. */
#define PEAK_BOUND 4.0f
/* The dry path clips the input at +-64 (+36 dBFS, dsp/engine.c INPUT_LIMIT). */
#define DRY_BOUND 64.0f
/* Pitch of a 20 ms window of normal output: the harmonic synthesis runs at
 * the detected f0 exactly; 25 cents leaves room for the period estimate on a
 * short window with the noise part mixed in. */
#define NORMAL_CENTS 25.0
/* Level of normal output against a clean engine: the GRU may take a few
 * frames to forget; 3 dB is "clearly back", not "bit-identical". */
#define NORMAL_DB 3.0
/* The right pitch returns within this time after the bad input ends:
 * analysis span + latency (~30 ms at the default lowest pitch) + a few
 * frames for the pitch hold and the 10 ms gate smoothing. */
#define PITCH_RECOVERY_BOUND_S 0.1
/* Normal output (pitch and level) returns within this time: the trained
 * network remembers a loud input (full-scale DC or squares) for a few
 * hundred milliseconds, as it would a loud note, and the level comes back
 * with its state (0.3 s measured for full-scale DC with the first violin
 * model, 0.52 s with the fine-tuned one: the bound is the network's memory,
 * which differs from model to model, not a property of the engine). */
#define RECOVERY_BOUND_S 0.75
/* Silence in, silence out: a trained model maps the loudness floor
 * (-120 dB) to an amplitude near 0 (about -130 dBFS measured); -60 dBFS is
 * inaudible under any monitoring level. */
#define SILENCE_BOUND 1e-3f
#define NOISE_DEFAULT_DB 0.0f
#define HARMONIC_ONLY_DB -60.0f

typedef enum {
	BAD_SILENCE, /* baseline */
	BAD_NAN,
	BAD_POS_INF,
	BAD_NEG_INF,
	BAD_INF_ALTERNATING,
	BAD_NAN_SPRINKLED,
	BAD_DENORMAL_CONST,
	BAD_DENORMAL_NOISE,
	BAD_HUGE_CONST,
	BAD_HUGE_ALTERNATING,
	BAD_HUGE_NOISE,
	BAD_FLT_MAX,
	BAD_SQUARE_LOW,
	BAD_SQUARE_HIGH,
	BAD_NYQUIST,
	BAD_WHITE_NOISE,
	BAD_DC_POS,
	BAD_DC_NEG,
	BAD_IMPULSES,
	BAD_HUGE_IMPULSE,
	BAD_COUNT
} bad_kind;

static const char *const bad_names[BAD_COUNT] = {
    "digital silence (baseline)",
    "NaN",
    "+Inf",
    "-Inf",
    "+Inf/-Inf alternating",
    "NaN every 7th sample of the tone",
    "denormal constant 1e-40",
    "denormal noise +-1e-38",
    "1e30 constant",
    "+-1e30 alternating",
    "1e30 white noise",
    "+-FLT_MAX alternating",
    "full-scale square 55 Hz",
    "full-scale square 5 kHz",
    "full-scale Nyquist (+1,-1,...)",
    "full-scale white noise",
    "DC +1 (full scale)",
    "DC -1 (full scale)",
    "single-sample impulses of 1.0, every 50 ms",
    "a single sample of 1e30",
};

static float bad_sample(bad_kind k, size_t i, float tone, uint32_t *rng)
{
	const double t = i / RATE;
	switch (k) {
	case BAD_SILENCE:
		return 0.0f;
	case BAD_NAN:
		return NAN;
	case BAD_POS_INF:
		return INFINITY;
	case BAD_NEG_INF:
		return -INFINITY;
	case BAD_INF_ALTERNATING:
		return i % 2 ? INFINITY : -INFINITY;
	case BAD_NAN_SPRINKLED:
		return i % 7 ? tone : NAN;
	case BAD_DENORMAL_CONST:
		return 1e-40f;
	case BAD_DENORMAL_NOISE:
		return (float)((robust_uniform(rng) * 2.0 - 1.0) * 1e-38);
	case BAD_HUGE_CONST:
		return 1e30f;
	case BAD_HUGE_ALTERNATING:
		return i % 2 ? 1e30f : -1e30f;
	case BAD_HUGE_NOISE:
		return (float)((robust_uniform(rng) * 2.0 - 1.0) * 1e30);
	case BAD_FLT_MAX:
		return i % 2 ? FLT_MAX : -FLT_MAX;
	case BAD_SQUARE_LOW:
		return fmod(t * 55.0, 1.0) < 0.5 ? 1.0f : -1.0f;
	case BAD_SQUARE_HIGH:
		return fmod(t * 5000.0, 1.0) < 0.5 ? 1.0f : -1.0f;
	case BAD_NYQUIST:
		return i % 2 ? -1.0f : 1.0f;
	case BAD_WHITE_NOISE:
		return (float)(robust_uniform(rng) * 2.0 - 1.0);
	case BAD_DC_POS:
		return 1.0f;
	case BAD_DC_NEG:
		return -1.0f;
	case BAD_IMPULSES:
		return i % (size_t)(0.05 * RATE) == 0 ? 1.0f : 0.0f;
	case BAD_HUGE_IMPULSE:
		return i % (size_t)(BAD_S * RATE) == (size_t)(0.1 * RATE) ? 1e30f : 0.0f;
	case BAD_COUNT:
		break;
	}
	return 0.0f;
}

/* Render in random blocks of 0..4096 frames with the given dry/wet and
 * noise level (dB). */
static void render(const heist_model *m, const float *in, float *out, size_t n, float dry_wet,
                   float noise_db, uint32_t seed)
{
	const heist_config cfg = heist_config_default(RATE);
	heist_engine *e = heist_engine_new(&cfg, m);
	if (!e) {
		abort();
	}
	heist_engine_set_param(e, HEIST_PARAM_DRY_WET, dry_wet);
	heist_engine_set_param(e, HEIST_PARAM_NOISE_LEVEL, noise_db);
	uint32_t rng = seed;
	for (size_t pos = 0; pos < n;) {
		uint32_t len = robust_block(&rng, 4096);
		len = len > n - pos ? (uint32_t)(n - pos) : len;
		heist_engine_process(e, in + pos, out + pos, len);
		pos += len;
	}
	heist_engine_free(e);
}

/* Whether the 20 ms window at sample w is normal output (see the top);
 * with pitch_only, whether its pitch is right. */
static int window_normal(const float *out, const float *ref, size_t w, size_t win, int pitch_only)
{
	int finite;
	robust_peak(out + w, 2 * win, &finite);
	if (!finite) {
		return 0;
	}
	double corr;
	const double f = robust_period_pitch(out + w, 2 * win, RATE, TONE_HZ, &corr);
	const double r = robust_rms(out + w, win), rr = robust_rms(ref + w, win);
	return fabs(robust_cents(TONE_HZ, f)) < NORMAL_CENTS &&
	       (pitch_only || (rr > 0.0 && r > 0.0 && fabs(20.0 * log10(r / rr)) < NORMAL_DB));
}

/* Time from `from` until the output is normal in every later window (to the
 * end minus two windows), or a negative value if never. */
static double recovery_time(const float *out, const float *ref, size_t from, size_t n,
                            int pitch_only)
{
	const size_t win = (size_t)(WINDOW_S * RATE);
	size_t last_bad = from;
	int any_bad = 0;
	for (size_t w = from; w + 2 * win <= n; w += win) {
		if (!window_normal(out, ref, w, win, pitch_only)) {
			last_bad = w + win;
			any_bad = 1;
		}
	}
	if (last_bad + 3 * win > n) {
		return -1.0;
	}
	return any_bad ? (double)(last_bad - from) / RATE : 0.0;
}

static void test_cases(const heist_model *m)
{
	const size_t pre = (size_t)(PRE_S * RATE), bad = (size_t)(BAD_S * RATE);
	const size_t n = pre + bad + (size_t)(POST_S * RATE);
	float *tone = malloc(n * sizeof(float)), *in = malloc(n * sizeof(float));
	float *out = malloc(n * sizeof(float)), *ref = malloc(n * sizeof(float));
	if (!tone || !in || !out || !ref) {
		abort();
	}
	robust_tone(tone, n, 0, RATE, TONE_HZ, TONE_AMP);
	render(m, tone, ref, n, 1.0f, HARMONIC_ONLY_DB, 1);

	double worst_extra = 0.0, worst_pitch = 0.0;
	float worst_peak = 0.0f;
	for (int k = 0; k < BAD_COUNT; ++k) {
		uint32_t rng = 1234u + (uint32_t)k;
		memcpy(in, tone, n * sizeof(float));
		for (size_t i = 0; i < bad; ++i) {
			in[pre + i] = bad_sample((bad_kind)k, i, tone[pre + i], &rng);
		}
		render(m, in, out, n, 1.0f, NOISE_DEFAULT_DB, 77u + (uint32_t)k);
		int finite;
		const float peak = robust_peak(out, n, &finite);
		CHECK(finite, "%s: non-finite output", bad_names[k]);
		CHECK(peak <= PEAK_BOUND, "%s: output peak %g above %g", bad_names[k], (double)peak,
		      (double)PEAK_BOUND);
		render(m, in, out, n, 1.0f, HARMONIC_ONLY_DB, 77u + (uint32_t)k);
		robust_peak(out, n, &finite);
		CHECK(finite, "%s: non-finite output (harmonic part)", bad_names[k]);
		const double rec = recovery_time(out, ref, pre + bad, n, 0);
		const double rec_pitch = recovery_time(out, ref, pre + bad, n, 1);
		CHECK(rec >= 0.0 && rec <= RECOVERY_BOUND_S,
		      "%s: normal output %s after the bad input ends (bound %g s)", bad_names[k],
		      rec < 0.0 ? "never returns" : "returns too late", RECOVERY_BOUND_S);
		CHECK(rec_pitch >= 0.0 && rec_pitch <= PITCH_RECOVERY_BOUND_S,
		      "%s: the right pitch %s after the bad input ends (bound %g s)", bad_names[k],
		      rec_pitch < 0.0 ? "never returns" : "returns too late",
		      PITCH_RECOVERY_BOUND_S);
		/* The dry path alone: the input delayed and clipped. */
		render(m, in, out, n, 0.0f, NOISE_DEFAULT_DB, 5u);
		const float dry_peak = robust_peak(out, n, &finite);
		CHECK(finite && dry_peak <= DRY_BOUND, "%s: dry path peak %g (finite %d)",
		      bad_names[k], (double)dry_peak, finite);
		printf("%-44s peak %6.3f (wet) %6.2f (dry), pitch back after %3.0f ms, normal "
		       "after %3.0f ms\n",
		       bad_names[k], (double)peak, (double)dry_peak, rec_pitch * 1000.0,
		       rec * 1000.0);
		worst_peak = peak > worst_peak ? peak : worst_peak;
		worst_extra = rec > worst_extra ? rec : worst_extra;
		worst_pitch = rec_pitch > worst_pitch ? rec_pitch : worst_pitch;
	}
	printf("%d bad inputs: all output finite, wet peak <= %.3f (bound %g), pitch back within "
	       "%.0f ms (bound %.0f ms), normal within %.0f ms (bound %.0f ms)\n",
	       BAD_COUNT - 1, (double)worst_peak, (double)PEAK_BOUND, worst_pitch * 1000.0,
	       PITCH_RECOVERY_BOUND_S * 1000.0, worst_extra * 1000.0, RECOVERY_BOUND_S * 1000.0);
	free(tone);
	free(in);
	free(out);
	free(ref);
}

/* Minutes of digital silence, then a loud (0 dBFS peak) note: nothing
 * degenerates over the silence (denormals, drifting state), and the note
 * comes out as it does after a short silence. */
static void test_long_silence(const heist_model *m, double silence_s)
{
	const heist_config cfg = heist_config_default(RATE);
	/* e plays the note harmonic-only (to measure it); d keeps the defaults
	 * through the silence (to hear what a user hears). */
	heist_engine *e = heist_engine_new(&cfg, m), *d = heist_engine_new(&cfg, m);
	if (e) {
		heist_engine_set_param(e, HEIST_PARAM_NOISE_LEVEL, HARMONIC_ONLY_DB);
	}
	const size_t block = 4096, note = (size_t)(1.0 * RATE);
	float *buf = calloc(block, sizeof(float));
	float *out = malloc(note * sizeof(float)), *ref = malloc(note * sizeof(float));
	float *x = malloc(note * sizeof(float));
	if (!e || !d || !buf || !out || !ref || !x) {
		abort();
	}
	const uint64_t silence = (uint64_t)(silence_s * RATE);
	float silent_peak = 0.0f;
	int finite = 1;
	for (uint64_t pos = 0; pos < silence; pos += block) {
		const uint32_t len = (uint32_t)(silence - pos < block ? silence - pos : block);
		for (int k = 0; k < 2; ++k) {
			memset(buf, 0, block * sizeof(float));
			heist_engine_process(k ? d : e, buf, buf, len);
			int f;
			const float p = robust_peak(buf, len, &f);
			finite = finite && f;
			silent_peak = p > silent_peak ? p : silent_peak;
		}
	}
	heist_engine_free(d);
	CHECK(finite, "non-finite output during %g s of silence", silence_s);
	CHECK(silent_peak <= SILENCE_BOUND, "silence in, %g out (peak, bound %g)",
	      (double)silent_peak, (double)SILENCE_BOUND);

	/* The note is phase-continuous with a tone started at 0, as in ref. */
	robust_tone(x, note, 0, RATE, TONE_HZ, 1.0);
	heist_engine_process(e, x, out, (uint32_t)note);
	heist_engine_free(e);
	render(m, x, ref, note, 1.0f, HARMONIC_ONLY_DB, 3);

	const float peak = robust_peak(out, note, &finite);
	CHECK(finite, "non-finite output on the note after the silence");
	CHECK(peak <= PEAK_BOUND, "note after silence: peak %g", (double)peak);
	const double rec = recovery_time(out, ref, 0, note, 0);
	const double rec_ref = recovery_time(ref, ref, 0, note, 0);
	CHECK(rec >= 0.0 && rec <= RECOVERY_BOUND_S,
	      "note after %g s of silence: normal only after %g s (after a fresh start: %g s)",
	      silence_s, rec, rec_ref);
	printf("%.0f s of silence (output peak %.2g), then a 0 dBFS note: peak %.3f, normal after "
	       "%.0f ms (fresh engine: %.0f ms)\n",
	       silence_s, (double)silent_peak, (double)peak, rec * 1000.0, rec_ref * 1000.0);
	free(buf);
	free(out);
	free(ref);
	free(x);
}

int main(int argc, char **argv)
{
	const double silence =
	    robust_seconds_arg(argc, argv, "SILENCE_SECONDS", "HEIST_SILENCE_SECONDS", 120.0);
	heist_model *m = test_model_arg(argc, argv, "test_bad_audio");
	test_cases(m);
	test_long_silence(m, silence);
	heist_model_free(m);
	return check_exit("test_bad_audio");
}
