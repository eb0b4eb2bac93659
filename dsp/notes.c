/* Heist note tracker: the effect's MIDI out (notes.h). */
#include "notes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

void heist_notes_frame(heist_notes *t, double time, float f0, float confidence, float loud_db)
{
	loud_db = isfinite(loud_db) ? loud_db : -120.0f;
	/* articulation: the loudness moved by more than HEIST_NOTES_ATTACK_DB
	 * over the last HEIST_NOTES_ATTACK_FRAMES frames (an attack, a dip
	 * between slurred notes); the tracker's octave slips come at a steady
	 * loudness */
	float lo_db = loud_db, hi_db = loud_db;
	for (uint32_t i = 0; i < HEIST_NOTES_ATTACK_FRAMES; ++i) {
		lo_db = fminf(lo_db, t->recent_db[i]);
		hi_db = fmaxf(hi_db, t->recent_db[i]);
	}
	const int attack = hi_db - lo_db > HEIST_NOTES_ATTACK_DB;
	t->recent_db[t->recent_at] = loud_db;
	t->recent_at = (t->recent_at + 1) % HEIST_NOTES_ATTACK_FRAMES;
	if (!(f0 > 0.0f) || !isfinite(f0)) {
		t->cand = -1;
		++t->unvoiced;
		if (confidence >= HEIST_NOTES_START_CONFIDENCE &&
		    t->unvoiced < HEIST_NOTES_WAIT_FRAMES) {
			/* the tracker waits on a pitch jump (it reads unvoiced while
			 * the periodicity is clear): the note holds a while */
			return;
		}
		if (t->unvoiced >= HEIST_NOTES_OFF_FRAMES && t->note >= 0) {
			/* ended at the first unvoiced frame */
			note_off(t, time - (double)(t->unvoiced - 1) * t->fs / t->frame_rate);
		}
		return;
	}
	t->unvoiced = 0;
	const float midi = 69.0f + 12.0f * log2f(f0 / 440.0f);
	int nearest = (int)lrintf(midi);
	nearest = nearest < 0 ? 0 : nearest > 127 ? 127 : nearest;
	if (t->note >= 0) {
		const float dev = midi - (float)t->note;
		const int young = time - t->on_time < (double)t->min_note_s * t->fs &&
		                  fabsf(dev) < HEIST_NOTES_YOUNG_SPAN;
		if (young || fabsf(dev) <= 0.5f + t->hysteresis_cents * 0.01f) {
			/* within the hysteresis, or too soon after the note began to
			 * leave it: the same note, bent */
			t->cand = -1;
			bend_to(t, time, dev, 0);
			return;
		}
	}
	if (!(confidence >= HEIST_NOTES_START_CONFIDENCE)) {
		t->cand = -1; /* voiced, but not clearly enough to start a note on */
		return;
	}
	if (t->cand == nearest) {
		++t->cand_frames;
		t->cand_attack |= attack;
		t->cand_loud = loud_db > t->cand_loud ? loud_db : t->cand_loud;
	} else {
		t->cand = nearest;
		t->cand_time = time;
		t->cand_frames = 1;
		t->cand_loud = loud_db;
		t->cand_attack = attack;
	}
	/* an octave away from a settled note: the tracker's octave slips last
	 * tens of ms, so such a change must hold longer before it counts */
	const int octave = !t->cand_attack && t->note >= 0 && abs(t->cand - t->note) % 12 == 0 &&
	                   time - t->on_time >= (double)t->min_note_s * t->fs;
	if (t->cand_frames >= (octave ? HEIST_NOTES_OCTAVE_FRAMES : HEIST_NOTES_CONFIRM_FRAMES)) {
		note_off(t, t->cand_time);
		bend_to(t, t->cand_time, midi - (float)t->cand, 1);
		push(t, t->cand_time, 0x90, (uint8_t)t->cand, velocity(t->cand_loud));
		t->note = t->cand;
		t->on_time = t->cand_time;
		t->cand = -1;
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
	if (t->count == 0 || !(t->q[t->head].time < before)) {
		return 0;
	}
	*out = t->q[t->head];
	t->head = (t->head + 1) % HEIST_NOTES_QUEUE;
	--t->count;
	return 1;
}
