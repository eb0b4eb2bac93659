/* Heist note tracker: the effect's MIDI out. The engine's analysis frames
 * (pitch, confidence, loudness, at their centre times) in; note on/off and
 * pitch-bend messages, stamped with input-time sample positions, out.
 *
 * A note starts when the pitch has stayed nearest one note for
 * HEIST_NOTES_CONFIRM_FRAMES frames (stamped at the first of them: decided
 * one frame later, within the latency's slack, so the events are on time);
 * it changes to another note only when the pitch leaves the current one by
 * more than half a semitone plus the hysteresis, and never within
 * min_note_s of its start (so vibrato and scoops do not become trills; the
 * deviation goes out as bend meanwhile); it ends after
 * HEIST_NOTES_OFF_FRAMES unvoiced frames (HEIST_NOTES_WAIT_FRAMES if they
 * are confident: the tracker reads unvoiced while it waits on a jump). A
 * young note may still move by HEIST_NOTES_YOUNG_SPAN or more at once (an
 * attack read an octave off, corrected); a move by whole octaves from a
 * settled note at a steady loudness (no articulation: the tracker's octave
 * slips) must hold HEIST_NOTES_OCTAVE_FRAMES. A note repeated at the same pitch
 * without a break in the voicing is not re-struck (no onset detector yet). The deviation from the
 * note's centre goes out as pitch bend (range bend_range semitones, sent when it moves by 2 cents
 * or more). Velocity follows the loudness at the note's start: -50 dBFS -> 1, -6 dBFS -> 127,
 * linear in dB.
 *
 * All [audio]: fixed storage, no allocation, bounded time. */
#ifndef HEIST_NOTES_H
#define HEIST_NOTES_H

#include <stdint.h>

#define HEIST_NOTES_QUEUE 256u        /* events waiting for their output block */
#define HEIST_NOTES_OFF_FRAMES 2u     /* unvoiced frames that end a note */
#define HEIST_NOTES_WAIT_FRAMES 8u    /* the same if their confidence is high (a jump wait) */
#define HEIST_NOTES_CONFIRM_FRAMES 2u /* frames nearest one note that start it */
/* Frames an octave jump from a settled note without articulation must hold:
 * 60 ms, past the tracker's octave slips (FluidR3's trumpet: 44 ms at 0.99
 * confidence); a slurred octave leap of a real line is that late. */
#define HEIST_NOTES_OCTAVE_FRAMES 15u
#define HEIST_NOTES_YOUNG_SPAN 2.5f   /* semitones: a young note may not move less */
#define HEIST_NOTES_ATTACK_DB 3.0f    /* dB the loudness moves by at an articulation */
#define HEIST_NOTES_ATTACK_FRAMES 10u /* frames it is measured over (40 ms at 250/s) */
/* Confidence a frame needs to start a note (continuing one takes any
 * voiced frame): attacks scoop and bow noise reads as neighbouring pitches
 * at 0.5..0.8 (FluidR3's violin: 20 ms two semitones low at 0.54..0.80). */
#define HEIST_NOTES_START_CONFIDENCE 0.85f

typedef struct {
	double time;    /* input-time sample position */
	uint8_t msg[3]; /* note on/off or pitch bend, channel 1 */
	uint8_t size;
} heist_note_event;

typedef struct {
	double fs, frame_rate;
	float min_note_s, hysteresis_cents, bend_range;
	int note;         /* sounding note, -1 for none */
	int cand;         /* candidate note, -1 for none */
	double cand_time; /* its first frame */
	double on_time;   /* the sounding note's start */
	uint32_t cand_frames;
	float cand_loud;                            /* loudest frame of the candidate */
	int cand_attack;                            /* an articulation came with the candidate */
	float recent_db[HEIST_NOTES_ATTACK_FRAMES]; /* loudness of the last frames */
	uint32_t recent_at;                         /* the oldest of them */
	uint32_t unvoiced;
	int bend; /* last bend sent, 14 bit */
	heist_note_event q[HEIST_NOTES_QUEUE];
	uint32_t head, count;
	uint32_t dropped; /* events lost to a full queue */
} heist_notes;

/* [audio] Set up for a host rate and frame rate, defaults, reset. */
void heist_notes_init(heist_notes *t, double sample_rate, double frame_rate);

/* [audio] Forget everything (a note that sounds is dropped without an off:
 * call heist_notes_all_off() first to end it). */
void heist_notes_reset(heist_notes *t);

/* [audio] Controls: minimum note length (s, 0..0.5), hysteresis (cents,
 * 0..100), bend range (semitones, 1..24). Non-finite values are ignored. */
void heist_notes_set(heist_notes *t, float min_note_s, float hysteresis_cents, float bend_range);

/* [audio] One analysis frame at input time `time`: f0 in Hz (0 when
 * unvoiced), its confidence, loudness in dBFS. */
void heist_notes_frame(heist_notes *t, double time, float f0, float confidence, float loud_db);

/* [audio] End the sounding note (and centre the bend) at `time`. */
void heist_notes_all_off(heist_notes *t, double time);

/* [audio] The oldest queued event if its time is before `before`: 1 and
 * *out, else 0. */
int heist_notes_pop(heist_notes *t, double before, heist_note_event *out);

#endif
