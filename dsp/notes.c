/* Heist note tracker: the effect's MIDI out (notes.h). */
#include "notes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linsolve.h"
#include "util.h"

void heist_notes_init(heist_notes *t, double sample_rate, double frame_rate)
{
	memset(t, 0, sizeof(*t));
	t->fs = sample_rate;
	t->frame_rate = frame_rate;
	t->min_note_s = 0.04f;
	t->hysteresis_cents = 30.0f;
	t->bend_range = 2.0f;
	heist_notes_reset(t);
}

void heist_notes_reset(heist_notes *t)
{
	t->note = -1;
	t->cand = -1;
	t->cand_frames = 0;
	t->unvoiced = 0;
	for (uint32_t i = 0; i < HEIST_NOTES_ATTACK_FRAMES; ++i) {
		t->recent_db[i] = -120.0f;
	}
	t->recent_at = 0;
	t->cand_attack = 0;
	t->bend = 8192;
	t->prev_note = -1;
	t->on_onset = t->corrected = 0;
	t->onset_time = 0.0;
	t->onset_open = 0;
	t->rising = 0;
	t->popped_until = -INFINITY;
	t->last_midi = 0.0f;
	t->was_steady = 0;
	t->glide_time = -INFINITY;
	t->run_dir = t->run_jump = 0;
	t->stall = 0;
	t->on_run = -INFINITY;
	t->run_from = t->run_ext = t->prev_midi = t->run_last = NAN;
	t->run_time = t->ext_time = t->turn_time = -INFINITY;
	t->run_fast = INFINITY;
	t->land_at = t->land_n = t->land_frames = 0;
	t->land_note = -1;
	t->landing = 0;
	t->head = t->count = 0;
}

void heist_notes_set(heist_notes *t, float min_note_s, float hysteresis_cents, float bend_range)
{
	if (isfinite(min_note_s)) {
		t->min_note_s = heist_clampf(min_note_s, 0.0f, 0.5f);
	}
	if (isfinite(hysteresis_cents)) {
		t->hysteresis_cents = heist_clampf(hysteresis_cents, 0.0f, 100.0f);
	}
	if (isfinite(bend_range)) {
		t->bend_range = heist_clampf(bend_range, 1.0f, 24.0f);
	}
}

static void push(heist_notes *t, double time, uint8_t a, uint8_t b, uint8_t c)
{
	if (t->count == HEIST_NOTES_QUEUE) {
		++t->dropped;
		return;
	}
	heist_note_event *e = &t->q[(t->head + t->count++) % HEIST_NOTES_QUEUE];
	e->time = time;
	e->msg[0] = a;
	e->msg[1] = b;
	e->msg[2] = c;
	e->size = 3;
}

/* Take back the queued events at or after `time` (they are the newest:
 * the queue is in time order). */
static void take_back(heist_notes *t, double time)
{
	while (t->count > 0 && t->q[(t->head + t->count - 1) % HEIST_NOTES_QUEUE].time >= time) {
		--t->count;
		t->bend = -1; /* the last bend sent is no longer known */
	}
}

static void note_off(heist_notes *t, double time)
{
	if (t->note >= 0) {
		push(t, time, 0x80, (uint8_t)t->note, 64);
		t->note = -1;
	}
}

/* Pitch bend for a deviation in semitones, sent when it moved by 2 cents. */
static void bend_to(heist_notes *t, double time, float dev, int force)
{
	int v = 8192 + (int)lrintf(dev / t->bend_range * 8192.0f);
	v = v < 0 ? 0 : v > 16383 ? 16383 : v;
	const float step = 0.02f / t->bend_range * 8192.0f;
	if (force ? v != t->bend : (float)abs(v - t->bend) >= step) {
		push(t, time, 0xE0, (uint8_t)(v & 127), (uint8_t)(v >> 7));
		t->bend = v;
	}
}

static uint8_t velocity(float loud_db)
{
	const float v = 1.0f + 126.0f * (loud_db + 50.0f) / 44.0f;
	return (uint8_t)lrintf(heist_clampf(v, 1.0f, 127.0f));
}

/* The monotone run of the pitch (voiced frames since a rest): where and when
 * it set off, how far it went. A run spanning HEIST_NOTES_GLIDE_ST is a
 * glide (bit 1; its set-off is where a note it reaches starts), bit 2 while
 * it still moves (no note starts on its way). */
static int run_frame(heist_notes *t, double time, float midi, int fresh, float two_ago)
{
	if (fresh || fabsf(midi - two_ago) > 2.0f * HEIST_NOTES_RUN_JUMP_ST) {
		/* a glide is smooth: a jump (a step, an octave slip) starts a run */
		t->run_jump = !fresh;
		t->run_dir = 0;
		t->run_from = t->run_ext = midi;
		t->run_time = t->ext_time = t->turn_time = time;
		t->stall = 0;
		t->run_fast = INFINITY;
		t->land_n = 0; /* the landing is read from one smooth run */
	} else if (t->run_dir == 0) {
		if (fabsf(midi - t->run_from) > HEIST_NOTES_RUN_DEAD_ST) {
			t->run_dir = midi > t->run_from ? 1 : -1;
			t->run_ext = midi;
			t->ext_time = time;
		} else {
			t->run_time = time; /* still where it was: it sets off later */
		}
	} else if ((midi - t->run_ext) * (float)t->run_dir >= 0.0f) {
		t->run_ext = midi;
		t->ext_time = time;
	} else if ((t->run_ext - midi) * (float)t->run_dir > HEIST_NOTES_RUN_DEAD_ST) {
		/* turned back: a new run from the turning point */
		t->run_from = t->run_ext;
		t->run_time = t->ext_time;
		t->run_dir = -t->run_dir;
		t->run_ext = midi;
		t->ext_time = t->turn_time = time;
		t->stall = 0;
		t->run_fast = INFINITY;
	}
	if (t->run_dir != 0 && !isfinite(t->run_fast) &&
	    (midi - two_ago) * (float)t->run_dir > 2.0f * HEIST_NOTES_STEADY_ST) {
		/* faster than a held note's vibrato: the glide itself set off
		 * (a frame ago), not the vibrato's swing it began on */
		t->run_fast = time - t->fs / t->frame_rate;
	}
	if (t->run_dir == 0 || fabsf(t->run_ext - t->run_from) < HEIST_NOTES_GLIDE_ST) {
		return 0;
	}
	if (!t->run_jump && t->run_time > t->glide_time) {
		t->glide_time = t->run_time; /* a slow glide never moved 0.1 st a frame */
	}
	const int moving =
	    (midi - two_ago) * (float)t->run_dir >= 2.0f * HEIST_NOTES_GLIDE_SPEED_ST;
	t->stall = moving ? 0u : t->stall + 1u;
	/* stalled between two notes (a vibrato setting in under the glide's
	 * end): on its way still, for a while */
	const int between = fabsf(midi - rintf(midi)) > HEIST_NOTES_SETTLE_ST &&
	                    t->stall < HEIST_NOTES_STALL_FRAMES;
	return 1 | (moving || between ? 2 : 0);
}

/* [audio] The pitch is on a glide spanning a semitone (run_frame's bit 1)
 * that set off where glide_time is or later: a steady frame pair on its way
 * (a fast glide reads in steps of 0.03 then 0.8 st, sung-low 6.59 s) is no
 * new set-off, so the note it reaches starts where it did. */
static int glide_goes_on(const heist_notes *t, int glide)
{
	return (glide & 1) && !t->run_jump && t->glide_time >= t->run_time;
}

/* The landing of the run's glide predicted from its frames since it set off
 * (notes.h, HEIST_NOTES_LAND_*): the limit of the exponential approach
 * fitted by least squares, NAN while it is too young or does not slow. */
static float land_frame(heist_notes *t, float midi, double time)
{
	t->land_hist[t->land_at] = midi;
	t->land_at = (t->land_at + 1) % HEIST_NOTES_LAND_HIST;
	t->land_n += t->land_n < HEIST_NOTES_LAND_HIST ? 1u : 0u;
	const double since = (time - t->run_fast) * t->frame_rate / t->fs + 1.0;
	if (!(since >= (double)HEIST_NOTES_LAND_MIN)) { /* also before it moved fast */
		return NAN;
	}
	const uint32_t n = since < (double)t->land_n ? (uint32_t)since : t->land_n;
	if (n < HEIST_NOTES_LAND_MIN) {
		return NAN;
	}
	/* q_k = p_k - p_0 = a + c k - b C_k, C_k the trapezoid sum of q up to
	 * k: normal equations, solved by linsolve.h */
	const uint32_t first = (t->land_at + HEIST_NOTES_LAND_HIST - n) % HEIST_NOTES_LAND_HIST;
	const float p0 = t->land_hist[first];
	double m[3][4] = {{0.0}};
	double cum = 0.0, prev = 0.0;
	for (uint32_t k = 0; k < n; ++k) {
		const double q = t->land_hist[(first + k) % HEIST_NOTES_LAND_HIST] - p0;
		cum += k ? 0.5 * (prev + q) : 0.0;
		prev = q;
		const double x[3] = {1.0, (double)k, -cum};
		for (int r = 0; r < 3; ++r) {
			for (int c = 0; c < 3; ++c) {
				m[r][c] += x[r] * x[c];
			}
			m[r][3] += x[r] * q;
		}
	}
	double coef[3]; /* a, c, b */
	if (!heist_linsolve(&m[0][0], 3, 1e-9, coef)) {
		return NAN;
	}
	const double c = coef[1], b = coef[2];
	if (!(b > (double)HEIST_NOTES_LAND_RATE) || fabsf(midi - p0) < HEIST_NOTES_GLIDE_ST) {
		return NAN;
	}
	const double land = p0 + c / b;
	return isfinite(land) ? (float)land : NAN;
}

/* Loudness bookkeeping of a frame: the articulation flag (the loudness moved
 * by more than HEIST_NOTES_ATTACK_DB over the last HEIST_NOTES_ATTACK_FRAMES
 * frames: an attack, a dip between slurred notes; the tracker's octave slips
 * come at a steady loudness) and onsets at a rise (their time: the frame
 * after the lowest of the rise). */
static int loudness_frame(heist_notes *t, double time, float loud_db)
{
	float lo_db = loud_db, hi_db = loud_db;
	for (uint32_t i = 0; i < HEIST_NOTES_ATTACK_FRAMES; ++i) {
		lo_db = fminf(lo_db, t->recent_db[i]);
		hi_db = fmaxf(hi_db, t->recent_db[i]);
	}
	uint32_t low_age = 0;
	float low_db = loud_db;
	for (uint32_t age = 1; age <= HEIST_NOTES_RISE_FRAMES; ++age) {
		const float d = t->recent_db[(t->recent_at + HEIST_NOTES_ATTACK_FRAMES - age) %
		                             HEIST_NOTES_ATTACK_FRAMES];
		if (d < low_db) {
			low_db = d;
			low_age = age;
		}
	}
	const int rise = loud_db - low_db >= HEIST_NOTES_RISE_DB;
	const double reach = (double)HEIST_NOTES_ONSET_REACH_S * t->fs;
	/* one attack is one onset (a two-stage rise is not two); over a
	 * sounding note only a rise out of a deep dip is one (a swell, a
	 * sample's loop is not) */
	const int dip = t->note < 0 || low_db <= t->note_peak_db - HEIST_NOTES_DIP_DB;
	if (rise && !t->rising && dip && loud_db >= HEIST_NOTES_ONSET_MIN_DB &&
	    !(t->onset_open && time - t->onset_time <= reach)) {
		t->onset_time = time - (double)(low_age - 1) * t->fs / t->frame_rate;
		t->onset_open = 1;
	}
	t->note_peak_db = fmaxf(t->note_peak_db, loud_db);
	t->rising = rise;
	t->recent_db[t->recent_at] = loud_db;
	t->recent_at = (t->recent_at + 1) % HEIST_NOTES_ATTACK_FRAMES;
	return hi_db - lo_db > HEIST_NOTES_ATTACK_DB;
}

/* Start note t->cand at `at` (its pitch now `midi`), the sounding one ending
 * there; queued events from `at` on are taken back first (a correction or a
 * stamp at an onset), and the one the sounding note ended is restored if its
 * start is taken back. */
static void start_note(heist_notes *t, double at, float midi, int on_onset)
{
	at = at < t->popped_until ? t->popped_until : at;
	const int again = t->note >= 0 && t->on_onset && t->on_time >= at;
	take_back(t, at);
	if (t->note >= 0 && t->on_time >= at) {
		t->note = t->prev_note; /* its start (and the previous one's end) are gone */
	}
	t->prev_note = t->note;
	note_off(t, at);
	bend_to(t, at, midi - (float)t->cand, 1);
	push(t, at, 0x90, (uint8_t)t->cand, velocity(t->cand_loud));
	t->corrected = on_onset && again;
	t->note = t->cand;
	t->on_time = at;
	t->on_run = t->run_time;
	t->on_onset = on_onset;
	t->note_peak_db = -120.0f;
	t->landing = 0;
	t->cand = -1;
}

/* [audio] The note nearest a glide's predicted landing (-1: none), and for
 * how many frames in a row it has been (t->land_frames). */
static int land_note_frame(heist_notes *t, int glide, float land)
{
	int land_note = -1;
	if ((glide & 1) && isfinite(land) && land >= 0.0f && land <= 127.0f) {
		land_note = (int)lrintf(land);
	}
	t->land_frames = land_note >= 0 && land_note == t->land_note ? t->land_frames + 1u
	                 : land_note >= 0                            ? 1u
	                                                             : 0u;
	t->land_note = land_note;
	return land_note;
}

/* [audio] A slow glide's landing is clear: land_note has held for
 * HEIST_NOTES_LAND_FRAMES frames on the glide's way, ahead of the pitch, and
 * is not the sounding note nor a landing this run already started. */
static int landing_is_clear(const heist_notes *t, float midi, int land_note, int glide)
{
	return t->land_frames >= HEIST_NOTES_LAND_FRAMES && land_note != t->note && (glide & 2) &&
	       !(t->landing && t->on_run == t->run_time) &&
	       ((float)land_note - midi) * (float)t->run_dir > 0.5f;
}

/* [audio] A clear landing's note starts where the glide set off (taking back
 * a passing note begun on its way), or at the onset near it. */
static void start_landing(heist_notes *t, int land_note, int onset_near, float loud_db)
{
	t->cand = land_note;
	t->cand_loud = loud_db;
	if (onset_near) {
		t->onset_open = 0;
		start_note(t, t->onset_time, t->run_from, 1);
	} else {
		start_note(t, t->run_fast > t->run_time ? t->run_fast : t->run_time, t->run_from,
		           0);
	}
	t->landing = 1;
}

/* [audio] A frame without a pitch: the note holds through a short dropout
 * and ends once the pitch has been gone HEIST_NOTES_OFF_FRAMES frames. */
static void unvoiced_frame(heist_notes *t, double time, float confidence, int attack)
{
	const double hop = t->fs / t->frame_rate;
	t->cand = -1;
	t->land_n = 0;
	++t->unvoiced;
	const int loud = t->note >= 0 && confidence >= HEIST_NOTES_HOLD_CONFIDENCE && !attack;
	if ((confidence >= HEIST_NOTES_START_CONFIDENCE || loud) &&
	    t->unvoiced < HEIST_NOTES_WAIT_FRAMES) {
		/* a clear periodicity without a pitch, or a dropout at a
		 * steady loudness: the note holds a while */
		return;
	}
	if (t->unvoiced >= HEIST_NOTES_OFF_FRAMES && t->note >= 0) {
		/* ended at the first unvoiced frame (or the earliest time open) */
		const double off = time - (double)(t->unvoiced - 1) * hop;
		note_off(t, off < t->popped_until ? t->popped_until : off);
	}
}

/* [audio] The sounding note holds the pitch midi, bent: it is within the
 * hysteresis, the note is too young to leave, or it is a predicted landing
 * the glide still goes toward. */
static int holds_note(const heist_notes *t, double time, float midi, int glide)
{
	const double hop = t->fs / t->frame_rate;
	const float dev = midi - (float)t->note;
	const int young = time - t->on_time < (double)t->min_note_s * t->fs &&
	                  fabsf(dev) < HEIST_NOTES_YOUNG_SPAN;
	/* a note started at an onset and still queued is re-decided
	 * without the hysteresis while its pitch drifts one way slowly
	 * since its first frames (a scoop that ends nearer the next note;
	 * not a vibrato) */
	const double drift_frames = (time - t->turn_time) / hop + 1.0;
	const int open =
	    t->on_onset && !t->corrected && t->on_time >= t->popped_until &&
	    time - t->on_time <= (double)HEIST_NOTES_CORRECT_REACH_S * t->fs &&
	    t->turn_time <= t->on_time + (double)t->min_note_s * t->fs &&
	    fabsf(t->run_ext - t->run_from) < HEIST_NOTES_SCOOP_SPEED_ST * drift_frames;
	/* a predicted landing still ahead on the glide's way: held */
	const int coming = t->landing && (glide & 1) && t->on_run == t->run_time &&
	                   t->stall < HEIST_NOTES_STALL_FRAMES && dev * (float)t->run_dir < 0.0f;
	return coming || young || fabsf(dev) <= 0.5f + (open ? 0.0f : t->hysteresis_cents * 0.01f);
}

/* [audio] The candidate note at a clear voiced frame: a glide passes its
 * notes by, a candidate grows only where the pitch is steady, a step
 * starts one. */
static void grow_candidate(heist_notes *t, double time, int nearest, int glide, int steady,
                           int accepted, int attack, float loud_db)
{
	if (glide & 2) {
		/* on a glide's way: its notes pass by */
		t->cand = nearest;
		t->cand_time = time;
		t->cand_frames = 0;
		t->cand_loud = loud_db;
		t->cand_attack = attack;
		t->cand_accepted = accepted;
	} else if (t->cand == nearest && (steady || (accepted && !t->cand_accepted))) {
		/* (the front end's pitch, once it accepts the jump, may differ
		 * from its raw estimate by a tenth of a semitone) */
		++t->cand_frames;
		t->cand_attack |= attack;
		t->cand_accepted |= accepted;
		t->cand_loud = loud_db > t->cand_loud ? loud_db : t->cand_loud;
	} else {
		t->cand = nearest;
		t->cand_time = time;
		t->cand_frames = steady ? 1u : 0u; /* a jump needs steady frames after it */
		t->cand_loud = loud_db;
		t->cand_attack = attack;
		t->cand_accepted = accepted;
	}
}

/* [audio] How many steady frames the candidate needs before it starts: more
 * for a restrike, and for an octave away from a settled note: the tracker's
 * octave slips last tens of ms, so such a change must hold longer before it
 * counts (also back to the octave a correction left: FluidR3's flute reads
 * it again for 24 ms while its attack still rises). */
static uint32_t confirm_frames(const heist_notes *t, double time, int restrike, int correct)
{
	const int step = t->cand - t->note;
	const int octave = !correct && (!t->cand_attack || t->corrected) && t->note >= 0 &&
	                   abs(step) % 12 == 0 &&
	                   time - t->on_time >= (double)t->min_note_s * t->fs;
	return restrike ? HEIST_NOTES_RESTRIKE_FRAMES
	       : octave ? HEIST_NOTES_OCTAVE_FRAMES
	                : HEIST_NOTES_CONFIRM_FRAMES;
}

/* [audio] A confirmed candidate starts its note: at the onset near it, in
 * place of a wrong start still queued, or where the glide or slide that
 * reached it set off; else where the candidate began. */
static void start_confirmed(heist_notes *t, float midi, int glide, int onset_near, int correct)
{
	const double reach = (double)HEIST_NOTES_ONSET_REACH_S * t->fs;
	if (onset_near) {
		t->onset_open = 0;
		start_note(t, t->onset_time, midi, 1);
	} else if (correct && t->on_time >= t->popped_until) {
		/* still queued: the wrong start is taken back */
		start_note(t, t->on_time, midi, 1);
	} else if (t->landing && t->on_time >= t->popped_until) {
		/* a predicted landing replaced while still queued: it was
		 * wrong, this note takes its start */
		start_note(t, t->on_time, midi, t->on_onset);
	} else if (t->note >= 0 && (glide & 1) && !t->run_jump && t->on_run == t->run_time &&
	           t->on_time > t->run_time && t->on_time >= t->popped_until) {
		/* the sounding note passed by on this glide's way (it began
		 * before the glide spanned a semitone): taken back, this one
		 * starts where the glide set off */
		start_note(t, t->run_time, midi, 0);
	} else if (t->note >= 0 && t->glide_time == t->on_time && t->on_time >= t->popped_until &&
	           t->glide_time <= t->cand_time &&
	           ((glide & 1) || t->cand_time - t->glide_time <= reach)) {
		/* the same glide goes on past a passing note it started: that
		 * note is taken back, this one starts where the glide set off */
		start_note(t, t->glide_time, midi, 0);
	} else if (t->note >= 0 && t->glide_time >= t->on_time + (double)t->min_note_s * t->fs &&
	           t->glide_time <= t->cand_time &&
	           ((glide & 1) || t->cand_time - t->glide_time <= reach)) {
		/* a legato note that glided in: from where the glide set off
		 * (not within the minimum length of the note it leaves) */
		start_note(t, t->glide_time, midi, 0);
	} else if (t->note >= 0 && t->run_dir != 0 &&
	           (float)(t->cand - t->note) * (float)t->run_dir > 0.0f &&
	           (t->run_ext - t->run_from) * (float)t->run_dir >= HEIST_NOTES_SLIDE_ST &&
	           t->run_time >= t->on_time + (double)t->min_note_s * t->fs &&
	           t->run_time <= t->cand_time &&
	           t->cand_time - t->run_time <= (double)HEIST_NOTES_CORRECT_REACH_S * t->fs) {
		/* a slide toward it under a semitone, decided late by the
		 * hysteresis: from where the run set off */
		start_note(t, t->run_time, midi, 0);
	} else {
		start_note(t, t->cand_time, midi, 0);
	}
}

void heist_notes_frame(heist_notes *t, double time, float f0, float raw_hz, float confidence,
                       float loud_db)
{
	loud_db = isfinite(loud_db) ? loud_db : -120.0f;
	const int attack = loudness_frame(t, time, loud_db);
	const double reach = (double)HEIST_NOTES_ONSET_REACH_S * t->fs;
	const int accepted = f0 > 0.0f && isfinite(f0);
	if (!accepted) {
		/* the front end confirming a jump reads unvoiced: its raw estimate
		 * is the pitch when it is clear */
		f0 = raw_hz > 0.0f && isfinite(raw_hz) && confidence >= HEIST_NOTES_START_CONFIDENCE
		         ? raw_hz
		         : 0.0f;
	}
	if (!(f0 > 0.0f)) {
		unvoiced_frame(t, time, confidence, attack);
		return;
	}
	if (t->note < 0 && !(t->onset_open && time - t->onset_time <= reach)) {
		/* the first voiced frame without a note is an onset */
		t->onset_time = time;
		t->onset_open = 1;
	}
	/* a dropout the sounding note held through (under
	 * HEIST_NOTES_WAIT_FRAMES) does not break the pitch's run: a sung
	 * glide's tracker dropouts are no new start */
	const int fresh =
	    (t->unvoiced > 0 && (t->note < 0 || t->unvoiced >= HEIST_NOTES_WAIT_FRAMES)) ||
	    !isfinite(t->run_from) || !isfinite(t->prev_midi);
	t->unvoiced = 0;
	const float midi = 69.0f + 12.0f * log2f(f0 / 440.0f);
	/* a glide: the pitch moved by more than HEIST_NOTES_STEADY_ST since
	 * the last voiced frame */
	const int steady = fabsf(midi - t->last_midi) <= HEIST_NOTES_STEADY_ST;
	const float two_ago = fresh ? midi : t->prev_midi;
	int glide = 0;
	float land = NAN;
	if (accepted || fresh) {
		/* a jump the front end still confirms may be its slip: the run
		 * goes on from the frames it accepted */
		t->prev_midi = fresh ? midi : t->run_last;
		glide = run_frame(t, time, midi, fresh, two_ago);
		land = land_frame(t, midi, time);
		t->run_last = midi;
	} else {
		t->land_n = 0;
	}
	const int land_note = land_note_frame(t, glide, land);
	t->last_midi = midi;
	if (!steady && t->was_steady && !glide_goes_on(t, glide)) {
		t->glide_time = time; /* where the pitch set off */
	}
	t->was_steady = steady;
	int nearest = (int)lrintf(midi);
	nearest = nearest < 0 ? 0 : nearest > 127 ? 127 : nearest;
	const int onset_near = t->onset_open && time - t->onset_time <= reach;
	/* the sounding note struck again: an onset well after its start */
	const int restrike = t->note >= 0 && nearest == t->note && onset_near &&
	                     t->onset_time - t->on_time >= (double)t->min_note_s * t->fs;
	if (land_note >= 0 && confidence >= HEIST_NOTES_START_CONFIDENCE &&
	    landing_is_clear(t, midi, land_note, glide)) {
		start_landing(t, land_note, onset_near, loud_db);
		return;
	}
	if (t->note >= 0 && !restrike && holds_note(t, time, midi, glide)) {
		t->cand = -1;
		bend_to(t, time, midi - (float)t->note, 0);
		return;
	}
	if (!(confidence >= HEIST_NOTES_START_CONFIDENCE)) {
		t->cand = -1; /* voiced, but not clearly enough to start a note on */
		return;
	}
	grow_candidate(t, time, nearest, glide, steady, accepted, attack, loud_db);
	/* a young note that began at an onset, replaced by a scoop's end or the
	 * octave (or twelfth) above its misread attack, once: a correction */
	const int step = t->cand - t->note;
	const int correct = t->note >= 0 && !restrike && t->on_onset && !t->corrected &&
	                    !onset_near &&
	                    time - t->on_time <= (double)HEIST_NOTES_CORRECT_REACH_S * t->fs &&
	                    (abs(step) <= 2 || step == 12 || step == 19 || step == 24);
	const uint32_t need = confirm_frames(t, time, restrike, correct);
	/* over a sounding note, a jump the front end has not accepted yet (its
	 * octave slips: 4 frames at 0.92 over a sung glide) starts none */
	if (t->cand_frames >= need && (t->cand_accepted || t->note < 0 || onset_near || correct)) {
		start_confirmed(t, midi, glide, onset_near, correct);
	}
}

void heist_notes_all_off(heist_notes *t, double time)
{
	note_off(t, time);
	bend_to(t, time, 0.0f, 1);
	t->cand = -1;
}

int heist_notes_pop(heist_notes *t, double before, heist_note_event *out)
{
	t->popped_until = before > t->popped_until ? before : t->popped_until;
	if (t->count == 0 || !(t->q[t->head].time < before)) {
		return 0;
	}
	*out = t->q[t->head];
	t->head = (t->head + 1) % HEIST_NOTES_QUEUE;
	--t->count;
	return 1;
}
