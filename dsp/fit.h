/* Range fitting: auto octave and loudness fitting from a style's statistics.
 *
 * The fitter follows the performance on the frame clock: an exponential
 * average of the pitch (MIDI) and of the loudness (dB) over confident frames.
 *
 * Auto octave shifts the whole performance by whole octaves so that its
 * running centre lands nearest the target style's median pitch. It moves the
 * performance, not each note: intervals are kept, and a line that crosses the
 * style's range edge is not broken into octave jumps. The fold is decided on
 * the first confident frame, and after that only between phrases: once a
 * rest has lasted HEIST_FIT_PHRASE_REST_S (longer than a breath or a
 * detached note's gap, shorter than a rest between phrases), with a
 * hysteresis of HEIST_FIT_HYSTERESIS semitones beyond the half octave. It
 * never changes inside a phrase, so every interval of a phrase is exact.
 *
 * Loudness fitting moves the running loudness onto the style's median
 * loudness: the offset (style median - running loudness) in dB, scaled by the
 * fit amount by the caller.
 *
 * All of it is [audio]: no allocation, bounded time. */
#ifndef HEIST_FIT_H
#define HEIST_FIT_H

#include <stdint.h>

#define HEIST_FIT_PITCH_TIME_S 2.0      /* averaging time of the running pitch */
#define HEIST_FIT_LOUDNESS_TIME_S 3.0   /* and of the running loudness */
#define HEIST_FIT_HYSTERESIS 2.0f       /* semitones beyond 6 before refolding */
#define HEIST_FIT_PHRASE_REST_S 0.4     /* a rest this long ends a phrase */
#define HEIST_FIT_MAX_LOUDNESS_DB 36.0f /* bound of the loudness offset */

typedef struct {
	float pitch_alpha, loud_alpha; /* per-frame averaging coefficients */
	float pitch;                   /* running pitch, MIDI */
	float loud;                    /* running loudness, dB */
	float octave;                  /* current fold, semitones (multiple of 12) */
	int have;                      /* a confident frame has been seen */
	uint32_t rest, phrase_rest;    /* frames since the last confident one, and a
	                                * phrase's end in frames */
} heist_fit;

/* [main] Set up for a frame rate, then reset. */
void heist_fit_init(heist_fit *f, double frame_rate);

/* [audio] Forget the performance. */
void heist_fit_reset(heist_fit *f);

/* [audio] One frame. midi: the input pitch after the pitch shift (ignored
 * unless confident); loud_db: its loudness; confident: the frame is voiced.
 * target_midi: the style's median pitch. Updates the fold. */
void heist_fit_frame(heist_fit *f, float midi, float loud_db, int confident, float target_midi);

/* [audio] The fold in semitones (a multiple of 12; 0 before any note). */
static inline float heist_fit_octave(const heist_fit *f)
{
	return f->octave;
}

/* [audio] Offset in dB that moves the running loudness onto target_db
 * (0 before any note; bounded by HEIST_FIT_MAX_LOUDNESS_DB). */
float heist_fit_loudness_offset(const heist_fit *f, float target_db);

#endif
