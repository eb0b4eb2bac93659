/* Long run: a steady 440 Hz tone through the engine (what heist-render and
 * the plugin run) for an hour of audio at 48 kHz, in host-like blocks of
 * varying size. The output pitch, measured once a minute over one second,
 * must stay within MAX_DRIFT_CENTS of its value at minute 0, and its level
 * within MAX_LEVEL_DRIFT_DB of its value at minute 1; every sample must be
 * finite. The level is referred to minute 1 because the network's recurrent
 * state settles on a steady tone over the first tens of seconds (the
 * 14-style model: -0.355 dB from 2 s to 60 s, then flat to 1e-3 dB); that
 * settling is bounded by MAX_SETTLE_DB.
 *
 * Usage: test_long_run MODEL.hsm [SECONDS]; HEIST_LONG_SECONDS overrides
 * (scripts/test runs a bounded 300 s; `meson test -C build --suite long`
 * runs the full 3600 s). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heist.h"
#include "model.h"
#include "robust.h"
#include "test_model.h"

#define RATE 48000.0
#define TONE_HZ 440.0
#define DEFAULT_SECONDS 3600.0
#define WINDOW_S 1.0
/* The bound: minute 60 equals minute 0 within 1 cent. */
#define MAX_DRIFT_CENTS 1.0
/* The tone is steady, so the level should be too; 0.1 dB is far below
 * audibility and far above the measurement's noise on 1 s of harmonic
 * output. */
#define MAX_LEVEL_DRIFT_DB 0.1
#define MAX_SETTLE_DB 1.0
/* Absolute pitch: YIN with parabolic refinement is within a few cents. */
#define MAX_ABS_CENTS 5.0

int main(int argc, char **argv)
{
	const double seconds =
	    robust_seconds_arg(argc, argv, "SECONDS", "HEIST_LONG_SECONDS", DEFAULT_SECONDS);
	if (!(seconds >= 3.0)) {
		fprintf(stderr, "need at least 3 s\n");
		return 2;
	}
	heist_model *m = test_model_arg(argc, argv, "test_long_run");
	const heist_config cfg = heist_config_default(RATE);
	heist_engine *e = heist_engine_new(&cfg, m);
	const size_t win = (size_t)(WINDOW_S * RATE);
	float *buf = malloc(8192 * sizeof(float)), *capture = malloc(win * sizeof(float));
	if (!e || !buf || !capture) {
		abort();
	}
	/* The harmonic part alone: the noise part has no pitch to measure. */
	heist_engine_set_param(e, HEIST_PARAM_NOISE_LEVEL, -60.0f);

	const uint64_t total = (uint64_t)(seconds * RATE);
	/* Measurement windows end at 2 s (minute 0), then at every whole
	 * minute, and at the very end. */
	uint64_t next_end = (uint64_t)(2.0 * RATE);
	double f_first = 0.0, rms_first = 0.0, worst_cents = 0.0, worst_db = 0.0, f_last = 0.0;
	double rms_minute1 = 0.0, worst_settle_db = 0.0;
	uint32_t rng = 2024;
	uint64_t pos = 0, calls = 0, nonfinite = 0;
	const double t0 = robust_now_s();
	while (pos < total) {
		uint32_t len = robust_block(&rng, 8192);
		len = len > total - pos ? (uint32_t)(total - pos) : len;
		robust_tone(buf, len, pos, RATE, TONE_HZ, 0.5);
		heist_engine_process(e, buf, buf, len);
		++calls;
		for (uint32_t i = 0; i < len; ++i) {
			nonfinite += !isfinite(buf[i]);
			const uint64_t p = pos + i;
			if (p + win >= next_end && p < next_end) {
				capture[p + win - next_end] = buf[i];
			}
			if (p + 1 == next_end) {
				const double f = robust_dft_pitch(capture, win, RATE, TONE_HZ);
				const double r = robust_rms(capture, win);
				if (f_first == 0.0) {
					f_first = f;
					rms_first = r;
				}
				const double c = robust_cents(f_first, f);
				const double db = 20.0 * log10(r / rms_first);
				worst_cents = fmax(worst_cents, fabs(c));
				worst_settle_db = fmax(worst_settle_db, fabs(db));
				if (next_end >= (uint64_t)(60.0 * RATE)) {
					rms_minute1 = rms_minute1 > 0.0 ? rms_minute1 : r;
					worst_db =
					    fmax(worst_db, fabs(20.0 * log10(r / rms_minute1)));
				}
				f_last = f;
				printf("t = %6.0f s: output pitch %.4f Hz (%+.4f cents from minute "
				       "0), "
				       "level %+.4f dB\n",
				       (double)next_end / RATE, f, c, db);
				const uint64_t minute = (uint64_t)(60.0 * RATE);
				next_end = (next_end / minute + 1) * minute;
				if (next_end > total) {
					next_end = total;
				}
			}
		}
		pos += len;
	}
	const double elapsed = robust_now_s() - t0;

	CHECK(nonfinite == 0, "%llu non-finite output samples", (unsigned long long)nonfinite);
	CHECK(fabs(robust_cents(TONE_HZ, f_first)) <= MAX_ABS_CENTS,
	      "output pitch %.4f Hz for a %.0f Hz tone", f_first, TONE_HZ);
	CHECK(worst_cents <= MAX_DRIFT_CENTS, "output pitch drifted %.4f cents (bound %g)",
	      worst_cents, MAX_DRIFT_CENTS);
	CHECK(worst_settle_db <= MAX_SETTLE_DB,
	      "output level moved %.4f dB from minute 0 (bound %g)", worst_settle_db,
	      MAX_SETTLE_DB);
	CHECK(worst_db <= MAX_LEVEL_DRIFT_DB,
	      "output level drifted %.4f dB from minute 1 (bound %g)", worst_db,
	      MAX_LEVEL_DRIFT_DB);
	printf("%.0f s of audio (%llu blocks) in %.1f s (%.0fx real time): pitch %.4f Hz at the "
	       "start, %.4f Hz at the end (%+.4f cents), worst drift %.4f cents, %.4f dB\n",
	       seconds, (unsigned long long)calls, elapsed, seconds / elapsed, f_first, f_last,
	       robust_cents(f_first, f_last), worst_cents, worst_db);
	heist_engine_free(e);
	heist_model_free(m);
	free(buf);
	free(capture);
	return check_exit("test_long_run");
}
