/* Heist Synth's engine path (heist_engine_new_synth) with the shipped model:
 * notes followed in pitch (bends included), sample-accurate onsets,
 * bit-identical output for any block split, velocity -> loudness, legato
 * without re-attack, sustain, all-sound-off, and malformed MIDI.
 * Usage: test_synth MODEL.hsm */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "check.h"
#include "heist.h"
#include "model.h"
#include "test_model.h"
#include "voice.h"

#define FS 48000.0

typedef struct {
	uint64_t t; /* absolute sample */
	uint8_t m[3];
	uint32_t size;
} ev;

/* Render n samples of a score (events sorted by time) in blocks cycling
 * through blocks[]; each event goes to its block at its offset. */
static float *render(const heist_model *model, const ev *evs, size_t n_ev, size_t n,
                     const uint32_t *blocks, size_t n_blocks, int style)
{
	const heist_config cfg = heist_config_default(FS);
	heist_engine *e = heist_engine_new_synth(&cfg, model);
	heist_engine_set_param(e, HEIST_PARAM_STYLE_A, (float)style);
	heist_engine_set_param(e, HEIST_PARAM_STYLE_B, (float)style);
	float *out = calloc(n, sizeof(float));
	size_t done = 0, b = 0, j = 0;
	while (done < n) {
		uint32_t len = blocks[b++ % n_blocks];
		len = len > n - done ? (uint32_t)(n - done) : len;
		while (j < n_ev && evs[j].t < done + len) {
			heist_engine_midi(e, (uint32_t)(evs[j].t - done), evs[j].m, evs[j].size);
			++j;
		}
		heist_engine_process(e, NULL, out + done, len);
		done += len;
	}
	heist_engine_free(e);
	return out;
}

/* The same in blocks of 256 (the tests whose subject is not the block size). */
static float *render256(const heist_model *model, const ev *evs, size_t n_ev, size_t n, int style)
{
	static const uint32_t b256[] = {256};
	return render(model, evs, n_ev, n, b256, 1, style);
}

static uint32_t latency_of(const heist_model *model)
{
	const heist_config cfg = heist_config_default(FS);
	heist_engine *e = heist_engine_new_synth(&cfg, model);
	const uint32_t l = heist_engine_latency(e);
	heist_engine_free(e);
	return l;
}

static ev note_on(uint64_t t, int n, int vel)
{
	return (ev){t, {0x90, (uint8_t)n, (uint8_t)vel}, 3};
}
static ev note_off(uint64_t t, int n)
{
	return (ev){t, {0x80, (uint8_t)n, 64}, 3};
}
static ev cc(uint64_t t, int c, int v)
{
	return (ev){t, {0xB0, (uint8_t)c, (uint8_t)v}, 3};
}
static ev bend(uint64_t t, int v14)
{
	return (ev){t, {0xE0, (uint8_t)(v14 & 127), (uint8_t)(v14 >> 7)}, 3};
}

/* RMS in dB of out[a, b). */
static double rms_db(const float *x, size_t a, size_t b)
{
	double s = 0.0;
	for (size_t i = a; i < b; ++i) {
		s += (double)x[i] * x[i];
	}
	return 10.0 * log10(s / (double)(b - a) + 1e-30);
}

static int cmp_double(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Notes followed: a melody in the violin's range, one note bent by +1
 * semitone (bend range 2) and one by -2. Every analysis frame inside the
 * steady part of a note (80 ms after its onset or bend, 30 ms before its
 * end) is compared with equal temperament. */
static void test_pitch(const heist_model *model)
{
	const int notes[] = {67, 69, 71, 72, 74, 76, 79, 77, 74, 72};
	const size_t n_notes = sizeof(notes) / sizeof(notes[0]);
	const uint64_t note_len = 19200, gap = 4800; /* 0.4 s notes, 0.1 s apart */
	ev evs[64];
	size_t k = 0;
	/* expected[i]: the target MIDI pitch at input time i (0: excluded) */
	const size_t n = (n_notes + 2) * (note_len + gap) + 9600;
	float *expected = calloc(n, sizeof(float));
	const uint64_t settle = 3840, tail = 1440; /* 80 ms, 30 ms */
	for (size_t i = 0; i < n_notes; ++i) {
		const uint64_t t0 = 4800 + 1234 * (i % 3) + i * (note_len + gap);
		evs[k++] = note_on(t0, notes[i], 100);
		float target = (float)notes[i];
		uint64_t from = t0 + settle;
		if (i == 3 || i == 6) {
			/* bend halfway: +1 or -2 semitones */
			const uint64_t tb = t0 + note_len / 2;
			for (uint64_t s = from; s < tb; ++s) {
				expected[s] = target;
			}
			evs[k++] = bend(tb, i == 3 ? 8192 + 4096 : 0);
			target += i == 3 ? 1.0f : -2.0f;
			from = tb + settle;
		}
		for (uint64_t s = from; s < t0 + note_len - tail; ++s) {
			expected[s] = target;
		}
		evs[k++] = note_off(t0 + note_len, notes[i]);
		if (i == 3 || i == 6) {
			evs[k++] = bend(t0 + note_len + 100, 8192);
		}
	}
	const uint32_t blocks[] = {256};
	float *out = render(model, evs, k, n, blocks, 1, 0);
	const uint32_t lat = latency_of(model);

	heist_analysis *a = heist_analysis_new(FS, 75.0f);
	const uint32_t span = heist_analysis_span(a);
	double *cents = calloc(n / 100, sizeof(double));
	size_t n_c = 0, gross = 0;
	for (uint64_t f = 0;; ++f) {
		const int64_t start = heist_frame_start(f, FS, 250.0, span);
		if (start < 0) {
			continue;
		}
		if ((size_t)start + span + lat >= n) {
			break;
		}
		const uint64_t centre = (uint64_t)start + span / 2;
		/* the span lies in one steady part with one target */
		const float target = expected[centre];
		if (target == 0.0f || expected[start] != target ||
		    expected[start + span - 1] != target) {
			(void)heist_analysis_frame(a, out + start + lat);
			continue;
		}
		const heist_features ft = heist_analysis_frame(a, out + start + lat);
		const double c =
		    ft.f0_raw > 0.0f
		        ? 1200.0 * log2(ft.f0_raw / (440.0 * pow(2.0, (target - 69) / 12.0)))
		        : 1e9;
		gross += fabs(c) > 50.0; /* a quarter tone: another note, an octave, or none */
		cents[n_c++] = fabs(c);
	}
	qsort(cents, n_c, sizeof(double), cmp_double);
	const double median = n_c ? cents[n_c / 2] : 1e9;
	printf("pitch: %zu frames, median |error| %.2f cents, 95th %.2f, gross %zu\n", n_c, median,
	       n_c ? cents[n_c * 95 / 100] : 1e9, gross);
	/* ten notes of ~65 steady frames, less the bends' settling */
	CHECK(n_c > 500, "too few steady frames: %zu", n_c);
	/* The bound. The model synthesises the f0 it is given (harmonic
	 * bank), so the error is the analyser's. */
	CHECK(median <= 5.0, "median %.2f cents", median);
	CHECK(gross == 0, "%zu gross errors", gross);
	heist_analysis_free(a);
	free(cents);
	free(out);
	free(expected);
}

/* Sample-accurate onsets and block-split invariance: notes from silence at
 * odd sample positions sound from the event's sample + latency (within
 * 1 ms: the first sample is the rising ramp's zero), never before; the same
 * score in blocks of 1..4096 gives the same bits. */
static void test_onsets_blocks(const heist_model *model)
{
	const uint64_t ons[] = {1001, 30011, 60007, 90103, 120001};
	ev evs[32];
	size_t k = 0;
	for (size_t i = 0; i < 5; ++i) {
		evs[k++] = note_on(ons[i], 60 + 2 * (int)i, 90);
		evs[k++] = cc(ons[i] + 3000, 1, 100); /* vibrato */
		evs[k++] = note_off(ons[i] + 4800, 60 + 2 * (int)i);
		evs[k++] = cc(ons[i] + 6000, 1, 0);
	}
	const size_t n = 150000;
	const uint32_t lat = latency_of(model);
	const uint32_t b256[] = {256}, b1[] = {1}, bodd[] = {7, 300, 1, 4096, 64, 129, 0, 33};
	float *ref = render(model, evs, k, n, b256, 1, 2);
	float *one = render(model, evs, k, n, b1, 1, 2);
	float *odd = render(model, evs, k, n, bodd, 8, 2);
	CHECK(!memcmp(ref, one, n * sizeof(float)), "blocks of 1 differ (max %g)",
	      (double)check_max_diff(ref, one, n));
	CHECK(!memcmp(ref, odd, n * sizeof(float)), "odd blocks differ (max %g)",
	      (double)check_max_diff(ref, odd, n));
	double worst = 0.0;
	for (size_t i = 0; i < 5; ++i) {
		const size_t from = i == 0 ? 0 : ons[i - 1] + 4800 + lat + 24000;
		size_t first = n;
		for (size_t s = from; s < n; ++s) {
			if (ref[s] != 0.0f) {
				first = s;
				break;
			}
		}
		const double d = ((double)first - (double)(ons[i] + lat)) / FS * 1000.0;
		worst = fabs(d) > worst ? fabs(d) : worst;
		/* nothing before the onset; sound within 1 ms of it (the issue's
		 * bound; the ramp starts at the onset sample) */
		CHECK(first >= ons[i] + lat && d <= 1.0,
		      "note %zu: first sound %.3f ms after its onset", i, d);
		/* not silent: the violin profile's attack starts 27 dB under the
		 * note (tau 27 ms), measured -65..-76 dB over these 10 ms with the
		 * 2026-12-06 model, -70..-81 with its retrained successor; a note
		 * that does not start reads -300 */
		const double first10 = rms_db(ref, ons[i] + lat, ons[i] + lat + 480);
		CHECK(first10 > -90.0, "note %zu: silent in its first 10 ms (%.1f dB)", i, first10);
	}
	printf("onsets: worst %.3f ms from event + latency (%u samples)\n", worst, lat);
	free(ref);
	free(one);
	free(odd);
}

/* Velocity -> loudness: one note at increasing velocities, its steady RMS
 * strictly increasing. */
static void test_velocity(const heist_model *model)
{
	const int vels[] = {8, 24, 40, 56, 72, 88, 104, 120, 127};
	ev evs[32];
	size_t k = 0;
	for (size_t i = 0; i < 9; ++i) {
		evs[k++] = note_on(4800 + i * 28800, 69, vels[i]);
		evs[k++] = note_off(4800 + i * 28800 + 19200, 69);
	}
	const size_t n = 9 * 28800 + 9600;
	const uint32_t lat = latency_of(model);
	for (int style = 0; style < 14; style += 13) {
		float *out = render256(model, evs, k, n, style);
		double prev = -1e9;
		printf("velocity (style %d):", style);
		for (size_t i = 0; i < 9; ++i) {
			const size_t a = 4800 + i * 28800 + lat + 9600;
			const double db = rms_db(out, a, a + 9600);
			printf(" %d:%.1f", vels[i], db);
			CHECK(db > prev, "style %d velocity %d: %.2f dB not above %.2f", style,
			      vels[i], db, prev);
			prev = db;
		}
		printf(" dB\n");
		free(out);
	}
}

/* Legato: a note played while the previous is held continues its envelope
 * (no dip); the same notes detached do dip (the measure can fail). */
static void test_legato(const heist_model *model)
{
	const uint32_t lat = latency_of(model);
	const size_t n = 96000;
	const ev legato[] = {note_on(4800, 67, 100), note_on(28800, 71, 100), note_off(29800, 67),
	                     note_off(52800, 71)};
	const ev detached[] = {note_on(4800, 67, 100), note_off(28800 - 4800, 67),
	                       note_on(28800, 71, 100), note_off(52800, 71)};
	float *l = render256(model, legato, 4, n, 0);
	float *d = render256(model, detached, 4, n, 0);
	/* 5 ms RMS windows from 40 ms before to 60 ms after the second note */
	double lmin = 1e9, dmin = 1e9;
	const double before = rms_db(l, 28800 + lat - 4800, 28800 + lat - 2400);
	for (size_t s = 28800 + lat - 1920; s < 28800 + lat + 2880; s += 240) {
		const double x = rms_db(l, s, s + 240), y = rms_db(d, s, s + 240);
		lmin = x < lmin ? x : lmin;
		dmin = y < dmin ? y : dmin;
	}
	printf(
	    "legato: level before %.1f dB, min across the change %.1f dB legato, %.1f detached\n",
	    before, lmin, dmin);
	/* 6 dB: the two notes' own levels differ by a few dB in the model.
	 * Detached, the voice falls for the 0.1 s gap at the style's release
	 * slope and re-attacks from at most its attack depth below the note
	 * (the model's profile: the violin's is 88 dB/s, 27 dB, so 8.8 dB; 24
	 * dB with the envelope of a model without one): half of that, and
	 * clearly more than legato (3 dB), measured 8.3 / 2.1 dB. */
	const heist_voice_style st = heist_voice_style_of(model, 0, 0, 0.0f);
	const double fall = st.release_db_s * 0.1 < 20.0 ? st.release_db_s * 0.1 : 20.0;
	const double dip = fall < st.attack_depth_db ? fall : st.attack_depth_db;
	CHECK(lmin > before - 6.0, "legato dips to %.1f dB from %.1f", lmin, before);
	CHECK(dmin < before - 0.5 * dip && dmin < lmin - 3.0,
	      "detached notes do not dip (%.1f from %.1f, legato %.1f, voice %.1f dB)", dmin,
	      before, lmin, dip);
	free(l);
	free(d);
}

/* Sustain holds a released note until the pedal goes up, then it dies out;
 * all-sound-off silences at once. */
static void test_sustain(const heist_model *model)
{
	const uint32_t lat = latency_of(model);
	const size_t n = 144000;
	const ev evs[] = {cc(100, 64, 127), note_on(4800, 64, 100),   note_off(14400, 64),
	                  cc(57600, 64, 0), note_on(100000, 62, 100), cc(110000, 120, 0)};
	float *out = render256(model, evs, 6, n, 0);
	const double held = rms_db(out, 9600 + lat, 14400 + lat);
	const double later = rms_db(out, 48000 + lat, 52800 + lat);
	const double after = rms_db(out, 76800 + lat, 81600 + lat);
	printf("sustain: %.1f dB while the key is down, %.1f with the pedal, %.1f after it\n", held,
	       later, after);
	/* 3 dB: the network's own slow drift on a held note */
	CHECK(fabs(later - held) < 3.0, "sustained note at %.1f dB, was %.1f", later, held);
	CHECK(after < -200.0, "still sounding after the pedal: %.1f dB", after);
	/* all-sound-off at 110000: silent one frame (+ interpolation) later */
	size_t last = 0;
	for (size_t s = 100000; s < n; ++s) {
		last = out[s] != 0.0f ? s : last;
	}
	CHECK(last <= 110000 + lat + 2 * 192, "sound %zu samples after all-sound-off",
	      last - 110000 - lat);
	free(out);
}

/* Malformed MIDI: running status (data bytes first), system and sysex
 * bytes, truncated and overlong messages, data bytes >= 0x80, events out
 * of order or past the block, a full queue: no crash, finite and bounded
 * output, and a note afterwards still plays. */
static void test_malformed(const heist_model *model)
{
	const heist_config cfg = heist_config_default(FS);
	heist_engine *e = heist_engine_new_synth(&cfg, model);
	float out[512];
	uint32_t rng = 12345;
	int bad = 0;
	for (int blk = 0; blk < 2000; ++blk) {
		const int n_ev = (int)(rng % 12);
		for (int j = 0; j < n_ev; ++j) {
			uint8_t m[4];
			for (int q = 0; q < 4; ++q) {
				rng = rng * 1664525u + 1013904223u;
				m[q] = (uint8_t)(rng >> 24);
			}
			rng = rng * 1664525u + 1013904223u;
			const uint32_t size = rng >> 29;        /* 0..7 */
			const uint32_t at = (rng >> 8) % 1024u; /* past the 512 block too */
			heist_engine_midi(e, at, m, size > 4 ? 4 : size);
		}
		const uint8_t running[2] = {60, 100}, sysex[3] = {0xF0, 0x7E, 0xF7};
		const uint8_t trunc[2] = {0x90, 60}, bigdata[3] = {0x90, 0x80, 0xFF};
		heist_engine_midi(e, 5, running, 2);
		heist_engine_midi(e, 3, sysex, 3); /* out of order */
		heist_engine_midi(e, 600, trunc, 2);
		heist_engine_midi(e, 1, bigdata, 3);
		heist_engine_process(e, NULL, out, blk % 7 == 0 ? 0 : 512);
		for (int i = 0; i < 512 && blk % 7; ++i) {
			bad += !(fabsf(out[i]) < 8.0f);
		}
	}
	CHECK(bad == 0, "%d non-finite or runaway samples", bad);
	const uint8_t on[3] = {0x90, 69, 100};
	int full = 0;
	for (uint32_t i = 0; i < HEIST_MIDI_QUEUE + 10; ++i) {
		full += heist_engine_midi(e, 0, on, 3) != 0;
	}
	CHECK(full == 10, "queue overflow: %d refused, expected 10", full);
	heist_engine_process(e, NULL, out, 512);
	const uint8_t off[3] = {0xB0, 120, 0};
	heist_engine_midi(e, 0, off, 3);
	heist_engine_midi(e, 100, on, 3);
	double peak = 0.0;
	for (int blk = 0; blk < 100; ++blk) {
		heist_engine_process(e, NULL, out, 512);
		peak = fmax(peak, check_peak(out, 512));
	}
	CHECK(peak > 1e-3 && peak < 8.0, "a note after the garbage: peak %g", peak);
	const uint8_t one[1] = {0x90};
	CHECK(heist_engine_midi(e, 0, NULL, 3) == -1 && heist_engine_midi(e, 0, one, 0) == -1 &&
	          heist_engine_midi(e, 0, on, 4) == -1,
	      "bad arguments accepted");
	heist_engine_free(e);
	/* The effect engine has no MIDI source. */
	heist_engine *fx = heist_engine_new(&cfg, model);
	CHECK(heist_engine_midi(fx, 0, on, 3) == -1, "the effect accepted MIDI");
	heist_engine_free(fx);
}

int main(int argc, char **argv)
{
	heist_model *model = test_model_arg(argc, argv, "test_synth");
	test_pitch(model);
	test_onsets_blocks(model);
	test_velocity(model);
	test_legato(model);
	test_sustain(model);
	test_malformed(model);
	heist_model_free(model);
	return check_exit("synth");
}
