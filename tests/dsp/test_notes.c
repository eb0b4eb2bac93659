/* The effect's note tracker (dsp/notes.h) on synthetic frames: vibrato stays
 * one note with bends (and becomes a trill without hysteresis), a step to
 * another note changes note at its first frame, an unvoiced stretch ends the
 * note at its first frame, a scoop is bent for the minimum note length,
 * velocity follows loudness, a confident unvoiced wait holds the note, an
 * octave slip at a steady loudness is no note but a slurred octave with a
 * dip is, a young note an octave off is corrected at once (one note when the
 * events are read late, a lookahead), a noisy attack is stamped at its
 * rise, a repeated note out of a deep dip is struck again, a slow glide has
 * no passing notes and its landing is predicted in time for a 100 ms
 * lookahead (also when its pitch reads in a low voice's cycle steps), a
 * slide under a semitone decided by the hysteresis starts where it set
 * off, a fast legato glide is stamped where it set off (and a
 * note its first frames passed is taken back), a slow scoop across the half
 * semitone is one note from the onset when read late, a tracker dropout and
 * a raw-only octave slip over a held note are no notes, non-finite frames
 * and a full queue are safe. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "notes.h"

#define FS 48000.0
#define FR 250.0
#define HOP (FS / FR)

typedef struct {
	int ons, offs, bends, last_on, last_vel;
	double first_on_t, last_off_t;
	float min_bend, max_bend; /* cents */
} tally;

/* The events due before `before` (a host reading the queue as it goes). */
static void drain_before(heist_notes *t, tally *y, double before)
{
	heist_note_event ev;
	while (heist_notes_pop(t, before, &ev)) {
		if (ev.msg[0] == 0x90) {
			y->first_on_t = y->ons ? y->first_on_t : ev.time;
			++y->ons;
			y->last_on = ev.msg[1];
			y->last_vel = ev.msg[2];
		} else if (ev.msg[0] == 0x80) {
			++y->offs;
			y->last_off_t = ev.time;
		} else if (ev.msg[0] == 0xE0) {
			++y->bends;
			const float c =
			    (float)((ev.msg[2] << 7 | ev.msg[1]) - 8192) / 8192.0f * 200.0f;
			y->min_bend = c < y->min_bend ? c : y->min_bend;
			y->max_bend = c > y->max_bend ? c : y->max_bend;
		}
	}
}

static void drain(heist_notes *t, tally *y)
{
	drain_before(t, y, INFINITY);
}

/* frames [k0, k1) of a tone at midi + cents(k) */
/* A new tracker at the test's rates and an empty tally. */
static void fresh(heist_notes *t, tally *y)
{
	heist_notes_init(t, FS, FR);
	memset(y, 0, sizeof *y);
}

static void tone(heist_notes *t, int k0, int k1, double midi, double vib_cents, float loud)
{
	for (int k = k0; k < k1; ++k) {
		const double c = vib_cents * sin(6.28318530717958647692 * 5.5 * k / FR);
		const double f = 440.0 * pow(2.0, (midi + c / 100.0 - 69.0) / 12.0);
		heist_notes_frame(t, k * HOP, (float)f, (float)f, 0.95f, loud);
	}
}

/* A slow glide (120 ms time constant) to `to` from `from`, `k` frames in. */
static double slide_to(double to, double from, double k)
{
	return to - (to - from) * exp(-k / (0.12 * FR));
}

/* Frames in one cycle at a pitch. */
static double cycle_frames(double midi)
{
	return FR / (440.0 * pow(2.0, (midi - 69.0) / 12.0));
}

static void silence(heist_notes *t, int k0, int k1)
{
	for (int k = k0; k < k1; ++k) {
		heist_notes_frame(t, k * HOP, 0.0f, 0.0f, 0.1f, -90.0f);
	}
}

int main(void)
{
	static heist_notes t;
	tally y;

	/* vibrato of +-40 cents: one note, bent */
	fresh(&t, &y);
	silence(&t, 0, 10);
	tone(&t, 10, 260, 69, 40.0, -20.0f);
	silence(&t, 260, 270);
	drain(&t, &y);
	CHECK(y.ons == 1 && y.offs == 1 && y.last_on == 69, "vibrato: %d ons, %d offs, note %d",
	      y.ons, y.offs, y.last_on);
	CHECK(fabs(y.first_on_t - 10 * HOP) < 1e-9, "note on at %g, first frame %g", y.first_on_t,
	      10 * HOP);
	CHECK(fabs(y.last_off_t - 260 * HOP) < 1e-9, "note off at %g, first silent frame %g",
	      y.last_off_t, 260 * HOP);
	/* 2 cents: the bend step */
	CHECK(y.bends > 20 && y.max_bend > 37.0f && y.max_bend < 42.0f && y.min_bend < -37.0f,
	      "vibrato bends %d, %.1f..%.1f cents", y.bends, (double)y.min_bend,
	      (double)y.max_bend);
	CHECK(y.last_vel == 87, "velocity %d at -20 dBFS, expected 87", y.last_vel);

	/* the same vibrato at +-70 cents without hysteresis: a trill */
	fresh(&t, &y);
	heist_notes_set(&t, 0.0f, 0.0f, 2.0f);
	tone(&t, 0, 250, 69, 70.0, -20.0f);
	drain(&t, &y);
	CHECK(y.ons > 5, "no hysteresis: only %d notes from a 70-cent vibrato", y.ons);
	heist_notes_set(&t, 0.04f, 30.0f, 2.0f);
	heist_notes_reset(&t);
	memset(&y, 0, sizeof y);
	tone(&t, 0, 250, 69, 70.0, -20.0f);
	drain(&t, &y);
	CHECK(y.ons == 1, "hysteresis 30: %d notes from a 70-cent vibrato", y.ons);

	/* a step up a tone: the new note at its first frame */
	fresh(&t, &y);
	tone(&t, 0, 100, 69, 0.0, -10.0f);
	tone(&t, 100, 200, 71, 0.0, -10.0f);
	drain(&t, &y);
	CHECK(y.ons == 2 && y.offs == 1 && y.last_on == 71, "step: %d ons, %d offs, last %d", y.ons,
	      y.offs, y.last_on);
	CHECK(fabs(y.last_off_t - 100 * HOP) < 1e-9, "step: the change at %g, expected %g",
	      y.last_off_t, 100 * HOP);

	/* a scoop from a semitone below: within the minimum note length (40 ms)
	 * the first note is bent; after it, the note changes. Events read at
	 * once (no lookahead): the first note is out, the change follows it;
	 * read late (a lookahead): the note is corrected, one note from the
	 * onset */
	for (int late = 0; late < 2; ++late) {
		fresh(&t, &y);
		for (int k = 0; k < 100; ++k) {
			tone(&t, k, k + 1, k < 5 ? 68 : 69, 0.0, -10.0f); /* 20 ms low */
			if (!late) {
				drain_before(&t, &y, (k - 3) * HOP); /* the plugin's slack */
			}
		}
		drain(&t, &y);
		if (late) {
			CHECK(y.ons == 1 && y.last_on == 69 && y.first_on_t == 0.0,
			      "scoop, late: %d ons, note %d at %g", y.ons, y.last_on, y.first_on_t);
		} else {
			CHECK(y.ons == 2 && y.last_on == 69 && y.max_bend > 99.0f,
			      "scoop: %d ons, note %d, bend up to %.1f", y.ons, y.last_on,
			      (double)y.max_bend);
			CHECK(fabs(y.last_off_t - 10 * HOP) < 1e-9,
			      "scoop: the change at %g, expected %g", y.last_off_t, 10 * HOP);
		}
	}

	/* the tracker waiting on a jump reads unvoiced at a clear periodicity
	 * (confidence 0.9): the note holds over it, and ends only at silence */
	fresh(&t, &y);
	tone(&t, 0, 50, 84, 0.0, -20.0f);
	for (int k = 50; k < 53; ++k) {
		heist_notes_frame(&t, k * HOP, 0.0f, 0.0f, 0.9f, -20.0f);
	}
	tone(&t, 53, 100, 84, 0.0, -20.0f);
	silence(&t, 100, 110);
	drain(&t, &y);
	CHECK(y.ons == 1 && y.offs == 1 && fabs(y.last_off_t - 100 * HOP) < 1e-9,
	      "a waiting jump: %d ons, %d offs, the off at %g", y.ons, y.offs, y.last_off_t);

	/* an octave slip of the tracker at a steady loudness (44 ms, FluidR3's
	 * trumpet): no note; the same slip held longer is a note */
	for (int held = 0; held < 2; ++held) {
		const int k1 = 100 + (held ? (int)HEIST_NOTES_OCTAVE_FRAMES + 5 : 11);
		fresh(&t, &y);
		tone(&t, 0, 100, 57, 0.0, -33.0f);
		tone(&t, 100, k1, 45, 0.0, -33.0f);
		tone(&t, k1, k1 + 50, 57, 0.0, -33.0f);
		drain(&t, &y);
		CHECK(held ? y.ons == 3 : y.ons == 1 && y.offs == 0,
		      "octave slip of %d frames: %d ons, %d offs", k1 - 100, y.ons, y.offs);
	}

	/* a slurred octave leap with a loudness dip (an articulation, as Heist
	 * Synth plays legato): the new note at its first frame */
	fresh(&t, &y);
	tone(&t, 0, 100, 82, 0.0, -31.0f);
	tone(&t, 100, 102, 70, 0.0, -37.0f);
	tone(&t, 102, 200, 70, 0.0, -32.0f);
	drain(&t, &y);
	CHECK(y.ons == 2 && y.last_on == 70 && fabs(y.last_off_t - 100 * HOP) < 1e-9,
	      "slurred octave: %d ons, last %d, the change at %g", y.ons, y.last_on, y.last_off_t);

	/* a young note read an octave low (a flute's first 20 ms) is corrected
	 * as soon as the right pitch is confirmed, not after the minimum length:
	 * read late, one note from the onset; read at once, a change */
	for (int late = 0; late < 2; ++late) {
		fresh(&t, &y);
		silence(&t, 0, 10);
		for (int k = 10; k < 100; ++k) {
			tone(&t, k, k + 1, k < 15 ? 69 : 81, 0.0, k < 15 ? -30.0f : -25.0f);
			if (!late) {
				drain_before(&t, &y, (k - 3) * HOP); /* the plugin's slack */
			}
		}
		drain(&t, &y);
		CHECK(late ? y.ons == 1 && y.last_on == 81 && fabs(y.first_on_t - 10 * HOP) < 1e-9
		           : y.ons == 2 && y.last_on == 81 && fabs(y.last_off_t - 15 * HOP) < 1e-9,
		      "young octave (%s): %d ons, last %d at %g, the change at %g",
		      late ? "late" : "at once", y.ons, y.last_on, y.first_on_t, y.last_off_t);
	}

	/* an attack that reads noise for 60 ms (a bowed violin: unvoiced, then
	 * the pitch): the note is stamped at the rise of the loudness */
	fresh(&t, &y);
	silence(&t, 0, 10);
	for (int k = 10; k < 25; ++k) {
		heist_notes_frame(&t, k * HOP, 0.0f, 150.0f, 0.6f, -30.0f);
	}
	tone(&t, 25, 100, 88, 0.0, -25.0f);
	drain(&t, &y);
	CHECK(y.ons == 1 && y.last_on == 88 && fabs(y.first_on_t - 10 * HOP) < 1e-9,
	      "bowed attack: %d ons, note %d at %g, expected at %g", y.ons, y.last_on, y.first_on_t,
	      10 * HOP);

	/* the same pitch struck again: a dip of 25 dB and a rise is a new note
	 * at the rise; a 10 dB dip (a swell, a sample's loop) is not */
	for (int deep = 0; deep < 2; ++deep) {
		fresh(&t, &y);
		silence(&t, 0, 5);
		tone(&t, 5, 60, 69, 0.0, -20.0f);
		tone(&t, 60, 65, 69, 0.0, deep ? -45.0f : -30.0f);
		tone(&t, 65, 120, 69, 0.0, -20.0f);
		silence(&t, 120, 130);
		drain(&t, &y);
		CHECK(deep ? y.ons == 2 && fabs(y.last_off_t - 120 * HOP) < 1e-9 : y.ons == 1,
		      "repeated note, %s dip: %d ons", deep ? "deep" : "shallow", y.ons);
	}

	/* a slow glide over an octave (a sung portamento, 120 ms time constant):
	 * no passing notes (12 without the steady rule, 3 without the glide
	 * runs), the target starting where the glide set off when read late */
	fresh(&t, &y);
	silence(&t, 0, 5);
	tone(&t, 5, 60, 57, 0.0, -20.0f);
	for (int k = 60; k < 260; ++k) {
		tone(&t, k, k + 1, 69.0 - 12.0 * exp(-(k - 60) / (0.12 * FR)), 0.0, -20.0f);
	}
	drain(&t, &y);
	CHECK(y.ons == 2 && y.last_on == 69 && fabs(y.last_off_t - 60 * HOP) <= HOP,
	      "glide: %d ons (2), last %d, the change at %g, expected %g", y.ons, y.last_on,
	      y.last_off_t, 60 * HOP);

	/* a slow glide up 11 semitones (120 ms time constant: it comes within
	 * half a semitone only 370 ms after it sets off) from a note with a
	 * 35-cent vibrato, read through a 100 and a 200 ms lookahead: its
	 * landing, predicted while it slows, starts where the glide set off
	 * (not where the vibrato's upswing before it began); without the
	 * prediction it is stamped 320 ms late */
	for (int la = 25; la <= 50; la += 25) {
		fresh(&t, &y);
		silence(&t, 0, 5);
		tone(&t, 5, 90, 57, 35.0, -20.0f); /* rising since frame 80 */
		for (int k = 90; k < 290; ++k) {
			tone(&t, k, k + 1, 68.0 - 11.0 * exp(-(k - 90) / (0.12 * FR)), 0.0, -20.0f);
			drain_before(&t, &y, (k - la - 3) * HOP); /* the lookahead, the slack */
		}
		drain(&t, &y);
		CHECK(y.ons == 2 && y.last_on == 68 && fabs(y.last_off_t - 90 * HOP) <= HOP,
		      "slow glide, %d ms lookahead: %d ons (2), last %d, the change at %g, "
		      "expected %g",
		      la * 4, y.ons, y.last_on, y.last_off_t, 90 * HOP);
	}

	/* the same glide from a low voice (40 -> 51), its pitch read in steps
	 * of one glottal cycle (YIN's window is shorter than the cycle: a frame
	 * reads the mean pitch of the last whole cycle before it, so readings
	 * repeat for 2-3 frames, then jump by up to 1 st), through a 100 ms
	 * lookahead: the landing is still clear in time (stamped 12 ms after
	 * the set-off, the readings' lag; Aitken's estimate over 4-frame means
	 * took the steps for changes of speed: 52 ms late) */
	fresh(&t, &y);
	silence(&t, 0, 5);
	tone(&t, 5, 90, 40, 0.0, -20.0f);
	double c0 = 90.0, c1 = 90.0 + cycle_frames(40.0), reading = 40.0;
	for (int k = 90; k < 290; ++k) {
		while (c1 <= k) {
			reading = slide_to(51.0, 40.0, 0.5 * (c0 + c1) - 90.0);
			c0 = c1;
			c1 = c0 + cycle_frames(slide_to(51.0, 40.0, c0 - 90.0));
		}
		tone(&t, k, k + 1, reading, 0.0, -20.0f);
		drain_before(&t, &y, (k - 25 - 3) * HOP);
	}
	drain(&t, &y);
	CHECK(y.ons == 2 && y.last_on == 51 && fabs(y.last_off_t - 90 * HOP) <= 12.5 * HOP,
	      "stepped slow glide: %d ons (2), last %d, the change at %g, expected %g (50 ms)",
	      y.ons, y.last_on, y.last_off_t, 90 * HOP);

	/* a slide down from a note sung 20 cents flat to the semitone under it
	 * (120 ms time constant: under a semitone, no glide), read late: the
	 * hysteresis decides it 166 ms after it set off, where it starts */
	fresh(&t, &y);
	silence(&t, 0, 5);
	tone(&t, 5, 60, 38.8, 0.0, -20.0f);
	for (int k = 60; k < 160; ++k) {
		tone(&t, k, k + 1, 38.0 + 0.8 * exp(-(k - 60) / (0.12 * FR)), 0.0, -20.0f);
	}
	drain(&t, &y);
	/* (the run sets off where it has moved HEIST_NOTES_RUN_DEAD_ST: 4
	 * frames in) */
	CHECK(y.ons == 2 && y.last_on == 38 && fabs(y.last_off_t - 60 * HOP) <= 5 * HOP,
	      "sub-semitone slide: %d ons (2), last %d, the change at %g, expected %g", y.ons,
	      y.last_on, y.last_off_t, 60 * HOP);

	/* a whole tone down in 30 ms from a note sung 30 cents flat: the note
	 * its first frames pass (the glide spans a semitone only later) is taken
	 * back when read late, the target starts where the glide set off */
	fresh(&t, &y);
	silence(&t, 0, 5);
	tone(&t, 5, 60, 46.7, 0.0, -20.0f);
	for (int k = 60; k < 160; ++k) {
		tone(&t, k, k + 1, 45.0 + 1.7 * exp(-(k - 59) / (0.03 * FR)), 0.0, -20.0f);
	}
	drain(&t, &y);
	CHECK(y.ons == 2 && y.last_on == 45 && fabs(y.last_off_t - 60 * HOP) <= HOP,
	      "fast whole-tone glide: %d ons (2), last %d, the change at %g, expected %g", y.ons,
	      y.last_on, y.last_off_t, 60 * HOP);

	/* an attack that scoops from 60 cents low and drifts up to 15 cents low
	 * over 170 ms (FluidR3's alto sax): read late, one note, the upper one,
	 * from the onset; read at once, the lower one first */
	for (int late = 0; late < 2; ++late) {
		fresh(&t, &y);
		silence(&t, 0, 10);
		for (int k = 10; k < 120; ++k) {
			const double m = 60.4 + 0.45 * fmin(1.0, (k - 10) / (0.17 * FR));
			tone(&t, k, k + 1, m, 0.0, k < 13 ? -40.0f : -20.0f);
			if (!late) {
				drain_before(&t, &y, (k - 3) * HOP);
			}
		}
		drain(&t, &y);
		CHECK(late ? y.ons == 1 && y.last_on == 61 && fabs(y.first_on_t - 10 * HOP) < 1e-9
		           : y.first_on_t < 11 * HOP && y.ons >= 1,
		      "scoop (%s): %d ons, last %d, first at %g", late ? "late" : "at once", y.ons,
		      y.last_on, y.first_on_t);
	}

	/* a held note: the tracker drops out for 2 frames (confidence 0.82) at a
	 * steady loudness, then reads the octave above for 4 frames only in its
	 * raw estimate (the front end confirming a jump): one note */
	fresh(&t, &y);
	silence(&t, 0, 5);
	tone(&t, 5, 60, 49, 0.0, -30.0f);
	heist_notes_frame(&t, 60 * HOP, 0.0f, 95.0f, 0.82f, -30.0f);
	heist_notes_frame(&t, 61 * HOP, 0.0f, 95.0f, 0.82f, -30.0f);
	for (int k = 62; k < 66; ++k) {
		heist_notes_frame(&t, k * HOP, 0.0f, 2.0f * 110.0f * powf(2.0f, 4.0f / 12.0f),
		                  0.92f, -30.0f);
	}
	tone(&t, 66, 120, 49, 0.0, -30.0f);
	drain(&t, &y);
	CHECK(y.ons == 1 && y.last_on == 49, "dropout and raw octave slip: %d ons, last %d", y.ons,
	      y.last_on);

	/* a legato note that glides in (30 ms time constant, a major third):
	 * read late, one new note, stamped where the glide set off */
	fresh(&t, &y);
	silence(&t, 0, 5);
	tone(&t, 5, 50, 60, 0.0, -20.0f);
	for (int k = 50; k < 150; ++k) {
		tone(&t, k, k + 1, 64.0 - 4.0 * exp(-(k - 49) / (0.03 * FR)), 0.0, -20.0f);
	}
	drain(&t, &y);
	CHECK(y.ons == 2 && y.last_on == 64 && fabs(y.last_off_t - 50 * HOP) < 1e-9,
	      "legato glide: %d ons, last %d, the change at %g, expected %g", y.ons, y.last_on,
	      y.last_off_t, 50 * HOP);

	/* non-finite frames, and a queue nobody empties */
	heist_notes_init(&t, FS, FR);
	heist_notes_set(&t, NAN, INFINITY, -INFINITY);
	for (int k = 0; k < 20000; ++k) {
		const float f = k % 29 == 0   ? NAN
		                : k % 31 == 0 ? INFINITY
		                              : 200.0f + (float)(k / 4 % 50) * 20;
		heist_notes_frame(&t, k * HOP, f, k % 3 ? f : -INFINITY, k % 13 ? 0.95f : NAN,
		                  k % 5 ? -20.0f : NAN);
	}
	CHECK(t.count == HEIST_NOTES_QUEUE && t.dropped > 0, "queue %u, dropped %u", t.count,
	      t.dropped);
	CHECK(t.min_note_s == 0.04f && t.hysteresis_cents == 30.0f && t.bend_range == 2.0f,
	      "non-finite settings taken");
	return check_exit("notes");
}
