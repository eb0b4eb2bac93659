/* Heist analysis: pitch (YIN with an FFT difference function) and A-weighted
 * loudness, on a fixed frame clock. The same code computes the training
 * features (tools/heist-analyze) and the features the plugin plays from.
 *
 * Framing. With tau_max = ceil(sample_rate / lowest_pitch), the analysis span
 * N is the smallest even 5-smooth number >= 2 * tau_max (an FFT size of
 * dsp/fft.c), half = N / 2. YIN integrates over W = N - tau_max - o samples
 * starting o = tau_max / 2 into the span, so that the stretch it compares,
 * [o, o + W + tau) for a period tau, sits about the frame centre (with o = 0
 * the pitch lagged the loudness by up to half a span). W is shorter than a
 * low voice's cycle (8 ms at the 65 Hz floor), so a frame reads the length
 * of the one glottal cycle (or two) its window holds: on a fast glide the
 * same for 2-3 frames, then the next cycle's (steps of 0.3-0.8 st; a
 * triangular window over all of [0, N - tau_max) reads the same steps, since
 * the cycles leave separate dips in d'). Such a reading belongs to the
 * middle of the stretch it measured (where the slope energy of the window's
 * samples and of those tau later sits, plus tau / 2), not to the frame's
 * centre: heist_analysis_frame_at(), which knows the span's place in the
 * stream, moves it there along the slope of log f0 between the last two
 * distinct cycles' readings (both of confidence 0.9 or more: the spans
 * across an instant note change read between the notes at 0.8-0.9; both
 * no less periodic than the step between them explains, 1 - confidence
 * <= 0.01 + 0.04 st^-2 * step^2: a voice with irregular cycles, a low
 * speaking voice's jitter, reads steps that the test material's reference
 * trackers, over several cycles, do not see (carried, 0.8-1.1 cents further
 * from them, median), so its readings stay where they were made; within
 * 4 st: not across an octave reading or a leap; a step over half a
 * semitone only where it goes on the
 * way the one before went: a misread cycle steps out and back), between
 * them where the centre lies before the latest reading (most frames of a
 * low voice), at most one gap past it otherwise (high voices, read about
 * 4 ms early). Only readings already made are used:
 * no latency; the price is a frame past an instant note change that can
 * overshoot the new note (14 cents after a 3 st step, where the period as
 * read stays within 1 cent). A pulse-like 150 -> 70 Hz glide over 150 ms then stays within
 * 7 cents of its true curve (62 before; tests/dsp/test_glide_steps.c). The
 * reading as made stays in f0_read, which the MIDI out's note tracker reads
 * (its glide landing fit, notes.h, HEIST_NOTES_LAND_*, was tuned on the
 * steps: on the moved pitch, nearer the true contour, it decided a legato
 * glide of the voice material a semitone short, and a new note's attack
 * jitter, carried along the slope, started notes later: notes.h; the training
 * features, tools/heist-analyze, move with the engine's). Frame k is
 * centred at c_k = k * sample_rate / frame_rate (fractional) and reads input
 * samples [round(c_k) - half, round(c_k) + half); samples before the start
 * of the stream are zero. Frame k can be computed once input sample
 * round(c_k) + half - 1 has arrived.
 *
 * Decimation. At host rates of 44.1 kHz and up (where the span in host
 * samples comes out the same) the span is first decimated by exact 2:1
 * half-band stages toward 24 kHz, the rate of the training data, as long
 * as the stages' output stays at or above 22.05 kHz: 44.1 and 48 kHz
 * once, 88.2 and 96 kHz twice, 176.4 and 192 kHz three times. The stages are zero-phase and
 * read only the span (reflected at its ends), so framing and latency are
 * unchanged; YIN then runs at the decimated rate with the spans and FFT
 * sizes of a 24 kHz analysis, and the loudness adds the A-weighted power of
 * the stages' high branches (within 0.12 dB of the A curve up to 20 kHz).
 * Below 44.1 kHz nothing changes: the analysis of a 24 kHz signal is the
 * same as ever. Consecutive frames' spans overlap (1500 samples, 192 apart
 * at 48 kHz): heist_analysis_frame_at() keeps each stage's outputs and
 * moves the ones that read only shared samples instead of computing them
 * again (a slot per span-start parity, where hops alternate 176 and 177). At 44.1 kHz the 110 Hz
 * floor's span (810) halves to an odd 405, no FFT size: that floor is analysed undecimated, as
 * before.
 */
#ifndef HEIST_ANALYSIS_H
#define HEIST_ANALYSIS_H

#include <stdint.h>

typedef struct heist_analysis heist_analysis;

typedef struct {
	float f0_raw;      /* YIN estimate in Hz for this frame (0 if none); below the
	                    * floor, the detector's period whole octaves up */
	float f0;          /* f0 to play (pitch_track.h): the last accepted estimate */
	float confidence;  /* 0..1: 1 - min of the cumulative mean normalised difference */
	float loudness_db; /* A-weighted power in dBFS, floor HEIST_LOUDNESS_FLOOR_DB */
	int voiced;        /* this frame's estimate was accepted (confident and
	                    * confirmed: pitch_track.h) */
	int below_range;   /* the input's pitch lies under the analysis floor */
	float f0_read;     /* f0_raw where it was read, not moved to the frame's
	                    * centre (Framing): what the MIDI out's notes read */
} heist_features;

#define HEIST_LOUDNESS_FLOOR_DB (-120.0f)
/* Below this confidence the network is given the last confident pitch. */
#define HEIST_PITCH_HOLD_CONFIDENCE 0.5f
#define HEIST_PITCH_MAX_HZ 2000.0f

/* [main] Create an analyser. Returns NULL on bad arguments or no memory. */
heist_analysis *heist_analysis_new(double sample_rate, float lowest_pitch);
void heist_analysis_free(heist_analysis *a);

/* [main] n analysers a[i] (rate, lowest_pitch[i]) that share one block of
 * per-frame scratch (their buffers and FFT work, dead between frames) sized
 * for the largest, instead of one each: for analysers of which at most one
 * runs at a time (the engine's floors). a[0] owns the block: the others
 * analyse no frame once it is freed. 0 on bad arguments or no memory (then
 * every a[i] is NULL). */
int heist_analysis_new_set(double sample_rate, const float *lowest_pitch, uint32_t n,
                           heist_analysis **a);

/* [any] The analysis span in host samples (even). */
uint32_t heist_analysis_span(const heist_analysis *a);

/* [any] Centre of frame k in samples (fractional), and the first input sample
 * of its span (may be negative: samples before the stream are zero). Shared
 * by the engine and tools/heist-analyze so that both frame alike. */
double heist_frame_centre(uint64_t k, double sample_rate, double frame_rate);
int64_t heist_frame_start(uint64_t k, double sample_rate, double frame_rate, uint32_t span);

/* [any] Samples of history the sub-floor detector reads before the span
 * (heist_analysis_frame_ext with with_history). */
uint32_t heist_analysis_history(const heist_analysis *a);

/* [audio] The sub-floor detector's current verdict: its confirmed period
 * under the floor in Hz, 0 when it has none (pitch_track.h). */
float heist_analysis_subfloor_hz(const heist_analysis *a);

/* [audio] Forget the held pitch. */
void heist_analysis_reset(heist_analysis *a);

/* [audio] Take over the pitch tracker's view of the performance from another
 * floor's analyser (the engine's change of floor): the held pitch, a
 * candidate waiting, the voiced stretch; not the sub-floor detector's
 * verdict, which is about the old floor. */
void heist_analysis_carry(heist_analysis *to, const heist_analysis *from);

/* [audio] Analyse one frame: seg holds the span's samples, oldest first; with
 * with_history, the heist_analysis_history() samples before seg are valid too
 * (zeros before the stream) and notes under the floor are detected.
 * Updates the held pitch. Non-finite input must be sanitised by the caller.
 * Without the span's position the period is reported where it was read, not
 * moved to the frame's centre (Framing). */
heist_features heist_analysis_frame_ext(heist_analysis *a, const float *seg, int with_history);
/* [audio] heist_analysis_frame_ext() for a span whose first sample is sample
 * `start` of one stream (zeros before it; heist_analysis_reset() starts a
 * new one): the period is moved to the frame's centre along the slope of
 * the last cycles' readings (Framing), and the decimation stages take what
 * consecutive frames' spans share from the last frame instead of computing
 * it again. The engine and tools/heist-analyze frame through this. */
heist_features heist_analysis_frame_at(heist_analysis *a, const float *seg, int with_history,
                                       int64_t start);
/* [audio] heist_analysis_frame_at() with every frame's decimation computed
 * whole: its features are the same bit for bit (tests/dsp/test_frame_at.c
 * checks the one against the other). */
heist_features heist_analysis_frame_whole_at(heist_analysis *a, const float *seg, int with_history,
                                             int64_t start);
/* [audio] The same without history: no sub-floor detection. */
heist_features heist_analysis_frame(heist_analysis *a, const float *seg);

/* [main] A-weighting gain (linear amplitude, 1 at 1 kHz) at frequency f Hz
 * (IEC 61672 analogue curve). */
double heist_a_weighting(double f);

#endif
