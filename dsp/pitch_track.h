/* The pitch front end after YIN: what makes a frame's raw estimate safe to play.
 *
 * Sub-floor detector. A note below the analysis floor (a bass voice under
 * 65 Hz, a tuba's E1) has no period inside YIN's lag range, so the raw
 * estimate wanders between harmonics. A second, coarse YIN runs on the
 * history before the span, box-decimated to ~6 kHz, over periods down to
 * HEIST_SUBFLOOR_MIN_HZ; a confident period below the floor is played whole
 * octaves up, steadily, and the frame is flagged "below range".
 *
 * Jump confirmation. Inside a voiced stretch, an estimate more than
 * HEIST_JUMP_SEMITONES away from the pitch being played is held back until
 * HEIST_JUMP_CONFIRM consecutive frames agree on it (within a semitone): an
 * isolated octave slip or a wild 4 ms excursion never sounds; a real leap
 * sounds (HEIST_JUMP_CONFIRM - 1) frames late. A note after a rest is
 * accepted once two frames agree (four when one is unsure).
 *
 * All [audio] except where marked: no allocation, bounded time. */
#ifndef HEIST_PITCH_TRACK_H
#define HEIST_PITCH_TRACK_H

#include <stdint.h>

#define HEIST_SUBFLOOR_RATE 6000.0 /* Hz: the detector's rate (approximately) */
#define HEIST_SUBFLOOR_MIN_HZ 40.0 /* lowest period the detector looks for */
/* The detector runs on every HEIST_SUBFLOOR_EVERY-th frame (its window
 * moves 16 ms between runs at 250 frames/s; its verdict holds in between),
 * and HEIST_SUBFLOOR_CONFIRM consecutive runs must agree (within a semitone)
 * before a note counts as below the floor: about its window (2 /
 * HEIST_SUBFLOOR_MIN_HZ = 50 ms), so a window that still holds the previous
 * note (whose period a new note an octave below shares) cannot flag it. */
#define HEIST_SUBFLOOR_EVERY 4u
#define HEIST_SUBFLOOR_CONFIRM 3u
#define HEIST_JUMP_SEMITONES 6.0f /* a larger step inside a voiced stretch waits */
/* Frames that must agree on a jump: a low voice's creak reads a whole
 * octave down at confidence 0.98 for up to 4 frames (speech-male at 7.5 s). */
#define HEIST_JUMP_CONFIRM 5u
#define HEIST_ONSET_CONFIRM 2u /* frames that must agree on a note after a rest */
/* ... or this many when one of them is under HEIST_ONSET_SURE: a voice's
 * first frames read a harmonic (200-500 Hz for a 70-100 Hz voice) at
 * 0.53-0.76 for 1-2 frames, then its pitch. */
#define HEIST_ONSET_UNSURE_CONFIRM 4u
#define HEIST_ONSET_SURE 0.8f
#define HEIST_VOICED_GAP_FRAMES 6u /* a shorter unvoiced gap keeps the stretch voiced */
/* The detector's rate is below 12 kHz at any host rate, so its lags stay
 * under 12000 / 30 = 400 and its input under 800 samples. */
#define HEIST_SUBFLOOR_MAX_N 800u

typedef struct {
	/* detector geometry, fixed at init */
	uint32_t decim;          /* host samples per detector sample */
	uint32_t tau_lo, tau_hi; /* detector lags searched */
	uint32_t n_low;          /* detector samples: 2 * tau_hi */
	uint32_t history;        /* host samples it needs before the span's end */
	double low_rate;         /* host rate / decim */
	float floor_hz;          /* the analysis floor */
	/* [HEIST_SUBFLOOR_MAX_N] each, scratch set by the owner after init
	 * (the engine's floors share one pair) */
	float *x; /* decimated input */
	float *d; /* difference function, then d' */
	/* tracker state */
	float held;              /* the pitch being played, Hz (0 before any) */
	float cand;              /* an estimate waiting to be confirmed, Hz */
	uint32_t cand_n;         /* consecutive frames agreeing with cand */
	float cand_conf;         /* the lowest confidence among them */
	uint32_t unvoiced;       /* frames since the last voiced one */
	float sub_f;             /* the detector's last period below the floor, Hz */
	uint32_t sub_run;        /* consecutive runs it agreed */
	uint32_t sub_tick;       /* frames since the detector last ran */
	float sub_out, sub_conf; /* its verdict (0 = none) and confidence */
	uint32_t octave_held;    /* frames the analysis kept the held octave (analysis.c) */
	uint32_t held_run;       /* frames accepted since the stretch or its last leap began */
} heist_pitch_track;

/* [main] Geometry for a host rate and floor, then reset. */
void heist_pitch_track_init(heist_pitch_track *t, double sample_rate, float floor_hz);

/* [any] Host samples of history the detector reads, ending at the span's end. */
static inline uint32_t heist_pitch_track_history(const heist_pitch_track *t)
{
	return t->history;
}

/* Forget the performance. */
void heist_pitch_track_reset(heist_pitch_track *t);

/* The performance's state (held pitch, candidate, voiced stretch) from a
 * tracker of another floor; the sub-floor detector's stays t's own. */
void heist_pitch_track_carry(heist_pitch_track *t, const heist_pitch_track *from);

/* The sub-floor detector on the `history` host samples ending at `end`
 * (exclusive). Returns the period's frequency in Hz when it is confident,
 * below the floor, and has been for HEIST_SUBFLOOR_CONFIRM runs, else 0;
 * *conf gets its confidence. Called once a frame where a note under the
 * floor may hide (it computes on every HEIST_SUBFLOOR_EVERY-th call); a frame
 * where none can calls heist_pitch_track_subfloor_skip(). */
float heist_pitch_track_subfloor(heist_pitch_track *t, const float *end, float *conf);
void heist_pitch_track_subfloor_skip(heist_pitch_track *t);

/* Jump confirmation: raw estimate f0 (Hz, 0 = none) with its confidence.
 * Returns the pitch to play (held when the frame is unvoiced or pending);
 * *voiced is 1 when this frame's estimate was taken (a frame whose jump or
 * onset waits reads unvoiced: the MIDI-out tracker measured more false notes
 * when held pitches read voiced). */
float heist_pitch_track_step(heist_pitch_track *t, float f0, float confidence, int *voiced);

#endif
