/* Heist note tracker: the effect's MIDI out. The engine's analysis frames
 * (pitch, its raw estimate, confidence, loudness, at their centre times) in;
 * note on/off and pitch-bend messages, stamped with input-time sample
 * positions, out.
 *
 * A frame reads a pitch from the accepted f0, or from the raw estimate when
 * it is confident (the pitch front end reads unvoiced while it confirms a
 * jump: the note is there before it plays). A note starts when the pitch has
 * stayed nearest one note for HEIST_NOTES_CONFIRM_FRAMES frames; it changes
 * to another note only when the pitch leaves the current one by more than
 * half a semitone plus the hysteresis, and never within min_note_s of its
 * start (so vibrato and scoops do not become trills; the deviation goes out
 * as bend meanwhile); it ends after HEIST_NOTES_OFF_FRAMES unvoiced frames
 * (HEIST_NOTES_WAIT_FRAMES if they are confident). A move by whole octaves
 * from a settled note at a steady loudness (the tracker's octave slips) must
 * hold HEIST_NOTES_OCTAVE_FRAMES.
 *
 * Onsets: a rise of the loudness by HEIST_NOTES_RISE_DB within
 * HEIST_NOTES_RISE_FRAMES (an attack, a re-articulation), or the first voiced
 * frame after a rest. A note decided within HEIST_NOTES_ONSET_REACH_S of an
 * onset is stamped at the onset, not where its pitch became clear (a bowed
 * or blown attack reads noise or an octave low for up to ~100 ms); a note
 * that began at an onset and is replaced within that reach by a scoop's end
 * (2 semitones) or the octave above (an octave-low attack) is corrected: the
 * new note takes the old one's start. A legato note that glided in is
 * stamped where the pitch set off from its last steady stretch, within the
 * same reach. A confirmed onset at the sounding pitch re-strikes it
 * (repeated notes).
 *
 * Glides, scoops, dropouts: the pitch's monotone runs are followed; one
 * spanning a semitone is a glide, and no note starts on its way (until it
 * slows under HEIST_NOTES_GLIDE_SPEED_ST a frame near a note's centre); the
 * note it reaches starts where it set off (the earliest time still open),
 * and a passing note that began on it before it was known is taken back
 * while queued; a slow glide's landing is predicted while it slows, so its
 * note is known long before the pitch arrives. A queued note that began at an onset is re-decided
 * without the hysteresis while its pitch drifts slowly one way (a scoop across the half semitone).
 * Over a sounding note, a jump only in the raw estimate (the front end still confirms it) starts no
 * note, and unvoiced frames at a steady loudness and some periodicity hold it (tracker dropouts).
 *
 * Events still queued (not popped) are taken back when a decision moves
 * before them, so a host that reads the queue late by a lookahead (the
 * plugin's midi_lookahead, added to its latency) receives only the final
 * notes, on time; without lookahead an event decided late is stamped at the
 * earliest time still open.
 *
 * The deviation from the note's centre goes out as pitch bend (range
 * bend_range semitones, sent when it moves by 2 cents or more). Velocity
 * follows the loudness at the note's start: -50 dBFS -> 1, -6 dBFS -> 127,
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
/* An onset: the loudness rises by 6 dB within 3 frames (12 ms); a note's
 * own swell or tremolo rises slower. */
#define HEIST_NOTES_RISE_DB 6.0f
#define HEIST_NOTES_RISE_FRAMES 3u
/* ... to at least this loudness (dBFS): a rise out of silence into the
 * noise floor is none. */
#define HEIST_NOTES_ONSET_MIN_DB (-70.0f)
/* Over a sounding note, a rise is an onset only out of a dip this far under
 * the note's peak: FluidR3's Voice Oohs dips 16 dB within its notes, the
 * clarinet's attack rises in two steps (a re-articulation dips deeper). */
#define HEIST_NOTES_DIP_DB 20.0f
/* Semitones a frame the pitch may move where a note starts: a glide's
 * passing notes start none (a sung 12-semitone portamento gave 6 notes, 2
 * with it; a held note's vibrato moves under 0.05 a frame). */
#define HEIST_NOTES_STEADY_ST 0.1f
/* How long after an onset a note may still be stamped at it: FluidR3's
 * violin reads bow noise and subharmonics for up to 104 ms after its note-on
 * (seed 14), its flute an octave low for up to 70 ms. */
#define HEIST_NOTES_ONSET_REACH_S 0.12f
/* A glide: the pitch moving one way (back by at most HEIST_NOTES_RUN_DEAD_ST)
 * over HEIST_NOTES_GLIDE_ST or more; no note starts while it still moves by
 * HEIST_NOTES_GLIDE_SPEED_ST a frame (over two). A slow portamento's last
 * semitones move under HEIST_NOTES_STEADY_ST a frame (a sung 10-semitone
 * glide with a 120 ms time constant gave 3 passing notes); a held note's
 * vibrato (0.35 st deep) never runs a semitone one way; 0.015 st a frame is
 * a 120 ms glide 0.45 st from its note (0.0125 kept one more passing note of
 * the sung material, 0.02 two more). */
#define HEIST_NOTES_GLIDE_ST 1.0f
#define HEIST_NOTES_RUN_DEAD_ST 0.1f
#define HEIST_NOTES_GLIDE_SPEED_ST 0.015f
/* ... and it is smooth: a move by more than this a frame (over two) is a
 * step or a tracker slip, where a new run starts. */
#define HEIST_NOTES_RUN_JUMP_ST 0.5f
/* A glide that stops more than HEIST_NOTES_SETTLE_ST off a note's centre is
 * still on its way for HEIST_NOTES_STALL_FRAMES (100 ms): a sung 11-semitone
 * glide stalled 0.41 st under its note for 40 ms where its vibrato set in
 * (48 and 80 ms still let that passing note start; 100 ms was the least
 * tried that did not). A note sung that far off after a glide starts 100 ms
 * late. */
#define HEIST_NOTES_SETTLE_ST 0.3f
#define HEIST_NOTES_STALL_FRAMES 25u
/* How long after its start a note that began at an onset may still be
 * corrected while it is queued (the lookahead's reach, 200 ms at most):
 * FluidR3's alto sax scoops from 60 cents low and crosses the half semitone
 * 50..60 ms after its onset; while queued, the note is re-decided without
 * the hysteresis ... */
#define HEIST_NOTES_CORRECT_REACH_S 0.2f
/* ... if its pitch drifts slower than this (semitones a frame on average:
 * the sax's 0.003; a vibrato moves 0.06 in its first quarter period). */
#define HEIST_NOTES_SCOOP_SPEED_ST 0.035f
/* Unvoiced frames hold the note (up to HEIST_NOTES_WAIT_FRAMES) at this
 * confidence while the loudness is steady (no articulation: it moved by at
 * most HEIST_NOTES_ATTACK_DB over the last 40 ms): a sung glide's tracker
 * dropouts (2 frames at 0.82, the level steady) are no ending; an ending
 * fades or loses its periodicity, a new attack rises. */
#define HEIST_NOTES_HOLD_CONFIDENCE 0.6f
/* A slow glide's landing, predicted while it slows down (a sung slide with
 * a 120 ms time constant comes within half a semitone of its note 160-420 ms
 * after it sets off, later than the lookahead reaches): a least-squares fit
 * of an exponential approach p' = b (L - p) to the frames since the glide
 * set off (its integral form, p_k = a + c k - b sum p, linear in a, c, b:
 * no derivative of the pitch, whose fast glides read in steps of one
 * glottal cycle's length, 0.3-0.8 st every second frame, analysis.c), its
 * limit L = c / b. Read on a smooth run spanning a semitone, from
 * HEIST_NOTES_LAND_MIN frames after its set-off (its first frames are the
 * vibrato's swing it began on: 12 read a 4-semitone glide a semitone
 * short, 15 still a whole-tone glide; 18 none), over at most
 * HEIST_NOTES_LAND_HIST frames, where it slows (b over HEIST_NOTES_LAND_RATE
 * a frame: a time constant under 0.8 s). (Aitken's delta squared over three
 * 4-frame means took the stair-steps for a change of speed: its estimate
 * wandered by 2 semitones from frame to frame, and 5 agreeing frames came
 * 150 ms after the set-off, past the lookahead.) A note nearest the landing
 * for HEIST_NOTES_LAND_FRAMES frames, half a semitone or more ahead of the
 * pitch, starts where the glide set off (where it first moved faster than
 * HEIST_NOTES_STEADY_ST a frame: not the vibrato's upswing it began on),
 * decided 90-120 ms after it (the sung material's slow glides: on time with
 * the 100 ms lookahead), and holds while the glide goes on to it (unless it
 * stalls for HEIST_NOTES_STALL_FRAMES); replaced while still queued, it is
 * taken back (a wrong landing). */
#define HEIST_NOTES_LAND_HIST 48u
#define HEIST_NOTES_LAND_MIN 18u
#define HEIST_NOTES_LAND_RATE 0.005f
#define HEIST_NOTES_LAND_FRAMES 5u
/* Frames at the sounding pitch that confirm a re-strike after an onset: the
 * previous note's ring reads for a frame or two after a new attack. */
#define HEIST_NOTES_RESTRIKE_FRAMES 5u
/* A note change the hysteresis decides at the end of a smooth run toward
 * the new note (a slide under a semitone: no glide, no landing) starts
 * where the run set off, if the run moved this far (semitones) and set off
 * within HEIST_NOTES_CORRECT_REACH_S of the decision: a sung whole-step
 * slide from a vibrato's trough a semitone lower moves 0.65 st before the
 * hysteresis decides it, 137 ms after it set off; a vibrato's swing does
 * not change the note. */
#define HEIST_NOTES_SLIDE_ST 0.5f

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
	float cand_loud;   /* loudest frame of the candidate */
	int cand_attack;   /* an articulation came with the candidate */
	int cand_accepted; /* ... a frame of it had the front end's pitch (not the raw) */
	float recent_db[HEIST_NOTES_ATTACK_FRAMES]; /* loudness of the last frames */
	uint32_t recent_at;                         /* the oldest of them */
	uint32_t unvoiced;
	int bend;            /* last bend sent, 14 bit (-1: unknown, after a take-back) */
	int prev_note;       /* the note the sounding one ended at its start, -1 for none */
	int on_onset;        /* the sounding note started at an onset */
	int corrected;       /* ... and was corrected once already */
	double onset_time;   /* the latest onset */
	int onset_open;      /* no note started at it yet */
	int rising;          /* the loudness is rising (an onset is on the edge) */
	float note_peak_db;  /* the loudest frame since the sounding note began */
	float last_midi;     /* the last voiced frame's pitch */
	int was_steady;      /* ... and it was steady */
	double glide_time;   /* where the pitch last set off from a steady stretch */
	int run_dir;         /* the pitch's monotone run: +1 up, -1 down, 0 none yet */
	float run_from;      /* ... the pitch it set off from */
	float run_ext;       /* ... the farthest it went */
	double run_time;     /* ... when it set off */
	double ext_time;     /* ... when it went farthest */
	double turn_time;    /* ... when it began (turned back, or after a rest or jump) */
	double run_fast;     /* ... when it first moved faster than a steady pitch */
	float prev_midi;     /* the pitch two of the run's frames ago */
	float run_last;      /* ... and one (the front end's: not a raw-only frame) */
	int run_jump;        /* the run set off at a jump */
	uint32_t stall;      /* frames the run has not moved on */
	double on_run;       /* run_time when the sounding note started */
	double popped_until; /* events before this have left the queue */

	float land_hist[HEIST_NOTES_LAND_HIST]; /* the run's last pitches (a ring) */
	uint32_t land_at, land_n;               /* the next slot, how many are valid */
	int land_note;                          /* the note nearest the landing, -1 none */
	uint32_t land_frames;                   /* ... for so many frames */
	int landing; /* the sounding note was started on a glide's landing */

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
 * unvoiced), the frame's raw estimate (0 if none), its confidence, loudness
 * in dBFS. The plugin passes both as YIN read them
 * (heist_monitor.read_pitch_hz, not moved to the frame's centre: the
 * landing fit, HEIST_NOTES_LAND_*, and the steadiness that grows a
 * candidate were tuned on that). Fed the moved pitch (tests/plugin/midi_out,
 * measured): the fit decided sung-high's slow 11-semitone glide (10.22 s) a
 * semitone short, its first frame, which straddles the set-off, reading
 * 0.14 st under a contour the moved frames after it follow within 0.04;
 * HEIST_NOTES_LAND_MIN 24 mended that, but the moved pitch carries an
 * attack's jitter along the slope (a trumpet's attack: 0.3 st a frame where
 * it reads 0.1), so a new note's candidate stays unsteady a frame or two
 * longer: FluidR3's trumpet without lookahead 49.2 ms late at worst (40.4
 * as read), its flute without lookahead 76.1/87.5 % (78.3/90.0). A
 * candidate grown on the mean of two frames, keeping its first frame while
 * its note stays the nearest, brought the trumpet back (40.6 ms), not the
 * flute, and cost the alto sax without lookahead a note (as read too). */
void heist_notes_frame(heist_notes *t, double time, float f0, float raw_hz, float confidence,
                       float loud_db);

/* [audio] End the sounding note (and centre the bend) at `time`. */
void heist_notes_all_off(heist_notes *t, double time);

/* [audio] The oldest queued event if its time is before `before`: 1 and
 * *out, else 0. Nothing before `before` is taken back afterwards. */
int heist_notes_pop(heist_notes *t, double before, heist_note_event *out);

#endif
