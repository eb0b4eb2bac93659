/* The pitch front end on real-performance hazards: isolated jumps never
 * sound (pitch_track.h), notes under the lowest pitch come out whole octaves
 * up, steadily, and flagged, and the input gate silences room noise while a
 * quiet voiced note (promptly) and its soft ending pass. The engine runs the shipped
 * model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "analysis.h"
#include "check.h"
#include "heist.h"
#include "model.h"
#include "pitch_track.h"
#include "test_model.h"

#define TWO_PI 6.28318530717958647692

/* Feed raw estimates; returns the largest step (semitones) of the pitch the
 * tracker plays after the first accepted frame. */
static float largest_step(heist_pitch_track *t, const float *f0, const float *conf, int n,
                          float *played)
{
	float prev = 0.0f, worst = 0.0f;
	for (int i = 0; i < n; ++i) {
		int accepted = 0;
		played[i] = heist_pitch_track_step(t, f0[i], conf[i], &accepted);
		if (prev > 0.0f && played[i] > 0.0f) {
			const float st = fabsf(12.0f * log2f(played[i] / prev));
			worst = st > worst ? st : worst;
		}
		prev = played[i] > 0.0f ? played[i] : prev;
	}
	return worst;
}

static void test_jumps(void)
{
	heist_pitch_track t;
	heist_pitch_track_init(&t, 48000.0, 65.0f);
	enum { N = 60 };
	float f0[N], conf[N], played[N];
	/* A 95 Hz vowel with one- and two-frame slips to 817 Hz (confidence
	 * 0.85-0.89, as measured on a real voice) and an octave slip. */
	for (int i = 0; i < N; ++i) {
		f0[i] = 95.0f;
		conf[i] = 0.9f;
	}
	f0[10] = 817.0f;
	conf[10] = 0.87f;
	f0[20] = f0[21] = 817.0f;
	f0[30] = f0[31] = 190.0f;
	CHECK(largest_step(&t, f0, conf, N, played) < 0.5f, "a slip of 1-2 frames sounded");
	CHECK(played[0] == 0.0f && played[1] == 95.0f, "onset after two agreeing frames: %g %g",
	      (double)played[0], (double)played[1]);

	/* A real leap (95 -> 190 Hz, held) sounds HEIST_JUMP_CONFIRM - 1
	 * frames late; a 5-semitone step at once. */
	heist_pitch_track_reset(&t);
	for (int i = 0; i < N; ++i) {
		f0[i] = i < 20 ? 95.0f : i < 40 ? 190.0f : 142.4f;
		conf[i] = 0.95f;
	}
	largest_step(&t, f0, conf, N, played);
	CHECK(played[20 + HEIST_JUMP_CONFIRM - 2] == 95.0f &&
	          played[20 + HEIST_JUMP_CONFIRM - 1] == 190.0f,
	      "leap accepted at frame %u of the new note", HEIST_JUMP_CONFIRM);
	CHECK(played[40] == 142.4f, "a step under HEIST_JUMP_SEMITONES is immediate");

	/* After a rest (longer than HEIST_VOICED_GAP_FRAMES) a new note of
	 * any interval needs only the onset agreement. */
	heist_pitch_track_reset(&t);
	for (int i = 0; i < N; ++i) {
		f0[i] = i < 20 ? 95.0f : i < 30 ? 0.0f : 400.0f;
		conf[i] = i < 20 || i >= 30 ? 0.95f : 0.1f;
	}
	largest_step(&t, f0, conf, N, played);
	CHECK(played[30] == 95.0f && played[31] == 400.0f, "note after a rest: %g %g",
	      (double)played[30], (double)played[31]);
	/* Bad values are unvoiced, never played. */
	int accepted = 1;
	CHECK(heist_pitch_track_step(&t, NAN, 0.9f, &accepted) == 400.0f && !accepted, "NaN f0");
	CHECK(heist_pitch_track_step(&t, 300.0f, NAN, &accepted) == 400.0f && !accepted,
	      "NaN confidence");

	/* A voice's first frames after a rest read a harmonic at modest
	 * confidence (measured: 200-500 Hz at 0.53-0.76 for 1-2 frames on a
	 * 70-100 Hz voice): unsure, they never sound; the voice does once
	 * HEIST_ONSET_UNSURE_CONFIRM frames agree. */
	heist_pitch_track_reset(&t);
	for (int i = 0; i < N; ++i) {
		f0[i] = i < 2 ? 400.0f : 100.0f;
		conf[i] = i < 2 ? 0.7f : i < 4 ? 0.75f : 0.95f;
	}
	largest_step(&t, f0, conf, N, played);
	int harmonic = 0;
	for (int i = 0; i < N; ++i) {
		harmonic |= played[i] == 400.0f;
	}
	CHECK(!harmonic, "an unsure two-frame harmonic at the onset sounded");
	CHECK(played[2 + HEIST_ONSET_UNSURE_CONFIRM - 2] == 0.0f &&
	          played[2 + HEIST_ONSET_UNSURE_CONFIRM - 1] == 100.0f,
	      "unsure onset accepted at frame %u", HEIST_ONSET_UNSURE_CONFIRM);
}

/* A tone of n samples at hz with a voice-like spectrum (falling harmonics,
 * a strong second). */
static float *voice_tone(double fs, size_t n, double hz, double amp)
{
	float *x = malloc(n * sizeof(float));
	for (size_t i = 0; i < n; ++i) {
		double v = 0.0;
		for (int h = 1; h <= 12 && h * hz < 0.45 * fs; ++h) {
			v += (h == 2 ? 1.0 : 0.6 / h) * sin(TWO_PI * h * hz * (double)i / fs);
		}
		x[i] = (float)(amp * v);
	}
	return x;
}

/* Analyse a tone with the history the engine gives; fraction of frames (in
 * the steady part) whose played f0 is within 30 cents of want, and of frames
 * flagged below range. */
static void analyse_tone(double fs, float floor_hz, double hz, double want, double *ok_frac,
                         double *below_frac)
{
	heist_analysis *a = heist_analysis_new(fs, floor_hz);
	const uint32_t span = heist_analysis_span(a), hist = heist_analysis_history(a);
	const size_t n = (size_t)fs;
	float *x = voice_tone(fs, n, hz, 0.2);
	int ok = 0, below = 0, frames = 0;
	for (uint64_t k = 0;; ++k) {
		const int64_t start = heist_frame_start(k, fs, 250.0, span) - (int64_t)hist;
		if (start + (int64_t)(hist + span) > (int64_t)n) {
			break;
		}
		if (start < 0) {
			continue;
		}
		const heist_features f = heist_analysis_frame_ext(a, x + start + hist, 1);
		if (k < 50) { /* the first 0.2 s settle */
			continue;
		}
		++frames;
		ok += f.f0 > 0.0f && fabs(1200.0 * log2(f.f0 / want)) < 30.0;
		below += f.below_range;
	}
	*ok_frac = frames ? (double)ok / frames : 0.0;
	*below_frac = frames ? (double)below / frames : 0.0;
	free(x);
	heist_analysis_free(a);
}

static void test_below_range(void)
{
	static const struct {
		double fs;
		float floor_hz;
		double hz, want;
		int below;
	} cases[] = {
	    {48000.0, 65.0f, 55.0, 110.0, 1},   /* bass voice under C2: an octave up */
	    {48000.0, 65.0f, 41.2, 82.4, 1},    /* contrabass E1 */
	    {44100.0, 65.0f, 46.2, 92.5, 1},    /* tuba F#1 */
	    {48000.0, 300.0f, 233.0, 466.0, 1}, /* a tenor on the low-latency floor */
	    {48000.0, 65.0f, 73.4, 73.4, 0},    /* cello D2: in range, as it is */
	    {96000.0, 65.0f, 65.4, 65.4, 0},    /* C2 at the floor */
	    {48000.0, 65.0f, 83.0, 83.0, 0},    /* a low voice, period > YIN's window */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
		double ok = 0.0, below = 0.0;
		analyse_tone(cases[i].fs, cases[i].floor_hz, cases[i].hz, cases[i].want, &ok,
		             &below);
		printf("%6.0f Hz, floor %3.0f Hz, %5.1f Hz tone: %5.1f %% of frames at %.1f Hz, "
		       "%5.1f %% flagged below range\n",
		       cases[i].fs, (double)cases[i].floor_hz, cases[i].hz, 100.0 * ok,
		       cases[i].want, 100.0 * below);
		/* Steady: every settled frame on the one pitch (the 2 % allows
		 * the frames where the detector's window still holds the
		 * onset). */
		CHECK(ok >= 0.98, "%.1f Hz tone at floor %g: %.1f %% of frames at %.1f Hz",
		      cases[i].hz, (double)cases[i].floor_hz, 100.0 * ok, cases[i].want);
		CHECK(cases[i].below ? below >= 0.98 : below == 0.0, "below-range flag on %.1f %%",
		      100.0 * below);
	}
}

static double rms_db(const float *x, size_t n)
{
	double s = 0.0;
	for (size_t i = 0; i < n; ++i) {
		s += (double)x[i] * x[i];
	}
	return 10.0 * log10(s / (double)n + 1e-30);
}

/* Room noise at -45 dBFS RMS after a note: silence (<= -80 dBFS RMS) within
 * 100 ms of the note's end; a voiced note at -60 dBFS RMS plays. */
static void test_gate(const heist_model *m)
{
	const double fs = 48000.0;
	const size_t n = (size_t)(2.0 * fs), note_end = (size_t)(1.0 * fs);
	heist_engine *e = heist_engine_new(&(heist_config){fs, HEIST_DEFAULT_LOWEST_PITCH}, m);
	const uint32_t lat = heist_engine_latency(e);
	float *x = voice_tone(fs, n, 220.0, 0.05);
	uint32_t seed = 1;
	const double noise_amp = pow(10.0, -45.0 / 20.0) * sqrt(3.0); /* uniform: rms = a/sqrt(3) */
	for (size_t i = 0; i < n; ++i) {
		seed = seed * 1664525u + 1013904223u;
		const double u = (double)(seed >> 8) / (double)(1u << 24) * 2.0 - 1.0;
		x[i] = (i < note_end ? x[i] : 0.0f) + (float)(noise_amp * u);
	}
	float *y = malloc(n * sizeof(float));
	for (size_t i = 0; i < n; i += 256) {
		heist_engine_process(e, x + i, y + i, (uint32_t)(n - i < 256 ? n - i : 256));
	}
	const size_t after = note_end + lat + (size_t)(0.1 * fs);
	const double noise_out = rms_db(y + after, n - after);
	const double note_out = rms_db(y + lat + (size_t)(0.3 * fs), (size_t)(0.5 * fs));
	printf("gate: note %.1f dBFS out; -45 dBFS noise from 100 ms after the note: %.1f dBFS\n",
	       note_out, noise_out);
	CHECK(noise_out <= -80.0, "noise comes out at %.1f dBFS", noise_out);
	CHECK(note_out > -40.0, "the note plays: %.1f dBFS", note_out);

	/* A quiet voiced note (-60 dBFS RMS, under the default threshold but a
	 * pitch) plays; with the gate at -20 dB and no pitch it would not. */
	heist_engine_reset(e);
	float *q = voice_tone(fs, n, 220.0, 0.05 * pow(10.0, -33.0 / 20.0));
	const double q_in = rms_db(q, note_end);
	for (size_t i = 0; i < n; i += 256) {
		heist_engine_process(e, q + i, y + i, (uint32_t)(n - i < 256 ? n - i : 256));
	}
	const double q_out = rms_db(y + lat + (size_t)(0.3 * fs), (size_t)(0.5 * fs));
	printf("gate: quiet voiced note at %.1f dBFS in plays at %.1f dBFS out\n", q_in, q_out);
	CHECK(q_in < -59.0 && q_out > q_in - 20.0,
	      "a quiet voiced note (%.1f dBFS) is gated: %.1f dBFS", q_in, q_out);
	heist_monitor mon = heist_engine_monitor(e);
	CHECK(mon.gate_open, "the gate monitor reads open on a voiced note");
	free(q);
	free(x);
	free(y);
	heist_engine_free(e);
}

/* A soft voiced note from silence, 10 dB under the input gate's threshold
 * (only its pitch opens the gate): how long after its onset the output
 * first reaches 20 dB under its steady level (ms). */
static double quiet_onset_ms(const heist_model *m)
{
	const double fs = 48000.0;
	const size_t onset = (size_t)(0.3 * fs), n = (size_t)(0.8 * fs);
	heist_engine *e = heist_engine_new(&(heist_config){fs, HEIST_DEFAULT_LOWEST_PITCH}, m);
	const uint32_t lat = heist_engine_latency(e);
	float *t = voice_tone(fs, n, 220.0, 0.05 * pow(10.0, -23.0 / 20.0));
	float *x = calloc(n, sizeof(float)), *y = malloc(n * sizeof(float));
	for (size_t i = onset; i < n; ++i) {
		x[i] = t[i - onset];
	}
	for (size_t i = 0; i < n; i += 256) {
		heist_engine_process(e, x + i, y + i, (uint32_t)(n - i < 256 ? n - i : 256));
	}
	const size_t w = (size_t)(0.002 * fs); /* 2 ms windows */
	const double steady = rms_db(y + lat + onset + (size_t)(0.3 * fs), (size_t)(0.1 * fs));
	size_t at = n;
	for (size_t i = lat + onset - w; i + w <= n; i += w) {
		if (rms_db(y + i, w) > steady - 20.0) {
			at = i;
			break;
		}
	}
	printf("gate: quiet note at %.1f dBFS in, %.1f dBFS out, sounds %.1f ms after its onset\n",
	       rms_db(x + onset, n - onset), steady,
	       1000.0 * ((double)at - (double)(lat + onset)) / fs);
	free(t);
	free(x);
	free(y);
	heist_engine_free(e);
	return 1000.0 * ((double)at - (double)(lat + onset)) / fs;
}

/* Level (dB) of the component at hz in x[0..n) (a Goertzel over a Hann
 * window), relative to a full-scale sinusoid. */
static double tone_db(const float *x, size_t n, double fs, double hz)
{
	const double w = TWO_PI * hz / fs, c = 2.0 * cos(w);
	double s1 = 0.0, s2 = 0.0, wsum = 0.0;
	for (size_t i = 0; i < n; ++i) {
		const double win = 0.5 - 0.5 * cos(TWO_PI * (double)i / (double)n);
		const double s0 = win * x[i] + c * s1 - s2;
		s2 = s1;
		s1 = s0;
		wsum += win;
	}
	const double p = s1 * s1 + s2 * s2 - c * s1 * s2;
	return 10.0 * log10(4.0 * p / (wsum * wsum) + 1e-30);
}

/* A note after a rest never starts at the previous note's pitch: while the
 * tracker confirms the new note it holds the old pitch, which the engine
 * must not play (engine.c: stale_pitch). With the confidence gate off (0)
 * nothing else would silence it: the input gate opens on the new note's
 * first loud frame, before the tracker has confirmed it. */
static void test_stale_onset(const heist_model *m)
{
	const double fs = 48000.0;
	const size_t a_end = (size_t)(0.6 * fs), b_start = (size_t)(0.9 * fs),
	             n = (size_t)(1.4 * fs);
	heist_engine *e = heist_engine_new(&(heist_config){fs, HEIST_DEFAULT_LOWEST_PITCH}, m);
	heist_engine_set_param(e, HEIST_PARAM_CONFIDENCE_GATE, 0.0f);
	const uint32_t lat = heist_engine_latency(e);
	float *a = voice_tone(fs, n, 100.0, 0.05), *b = voice_tone(fs, n, 300.0, 0.05);
	float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
	for (size_t i = 0; i < n; ++i) {
		x[i] = i < a_end ? a[i] : i >= b_start ? b[i - b_start] : 0.0f;
	}
	for (size_t i = 0; i < n; i += 256) {
		heist_engine_process(e, x + i, y + i, (uint32_t)(n - i < 256 ? n - i : 256));
	}
	/* 40 ms of output from 10 ms before the second note's onset */
	const size_t at = b_start + lat - (size_t)(0.01 * fs), len = (size_t)(0.04 * fs);
	const double old_db = tone_db(y + at, len, fs, 100.0);
	const double new_db = tone_db(y + at, len, fs, 300.0);
	const double held_db = tone_db(y + lat + (size_t)(0.3 * fs), len, fs, 100.0);
	printf("onset after a rest: previous pitch %.1f dB (%.1f dB while held), new %.1f dB\n",
	       old_db, held_db, new_db);
	/* Measured (held note -29.0 dB): before the fix the old pitch read
	 * -31.7 dB here, as loud as the note; with it -54.6 dB, which is the
	 * noise part's share at 100 Hz. The new note reads -37.9 dB over this
	 * window (it starts once confirmed, 2-4 frames in, fading in over the
	 * gate's 10 ms): 20 and 15 dB leave room for both. */
	CHECK(old_db < held_db - 20.0, "the previous note's pitch sounded at the onset: %.1f dB",
	      old_db);
	CHECK(new_db > held_db - 15.0, "the new note does not start: %.1f dB", new_db);
	free(a);
	free(b);
	free(x);
	free(y);
	heist_engine_free(e);
}

int main(int argc, char **argv)
{
	int rc = 0;
	heist_model *m = test_model_from_args(argc, argv, "test_front_end", &rc);
	if (!m) {
		return rc;
	}
	test_jumps();
	test_below_range();
	test_gate(m);
	/* Measured 18.0 ms (the tracker's confirmation and 3 clear frames);
	 * 24.0 ms when a pitch needed 5 frames to open the gate, which cut a
	 * soft syllable's start into a burst (engine.c HEIST_GATE_CLEAR_*):
	 * 21 ms fails a frame (4 ms) more. */
	const double onset_ms = quiet_onset_ms(m);
	CHECK(onset_ms <= 21.0, "a quiet clear pitch opens the gate %.1f ms after its onset",
	      onset_ms);
	test_stale_onset(m);
	heist_model_free(m);
	return check_exit("test_front_end");
}
