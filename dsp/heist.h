/* Heist engine: the one API that the LV2 plugin, the tools, the benchmarks and
 * the tests drive. Plain C11, no LV2 in here.
 *
 * Thread classes used in the comments of this project:
 *   [any]   may be called from any thread, no real-time constraints;
 *   [main]  non-real-time (instantiate, worker, tools): may allocate and do I/O;
 *   [audio] real-time: never allocates, locks, logs or does I/O, bounded time.
 */
#ifndef HEIST_H
#define HEIST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct heist_model heist_model;   /* parsed, validated .hsm (model.h) */
typedef struct heist_engine heist_engine; /* one running voice */
typedef struct heist_net heist_net;       /* network runtime bound to a model */

/* Parameters. Values are in the units of the LV2 ports (see ttl/heist.ttl.in). */
typedef enum {
	HEIST_PARAM_PITCH_SHIFT,     /* semitones, -24..24, default 0 */
	HEIST_PARAM_LOUDNESS_SHIFT,  /* dB, -24..24, default 0 */
	HEIST_PARAM_HARMONIC_LEVEL,  /* dB, -60..12, default 0 */
	HEIST_PARAM_NOISE_LEVEL,     /* dB, -60..12, default 0 */
	HEIST_PARAM_CONFIDENCE_GATE, /* 0..1, default 0.3 */
	HEIST_PARAM_DRY_WET,         /* 0 (dry) .. 1 (wet), default 1 */
	HEIST_PARAM_OUTPUT_GAIN,     /* dB, -60..24, default 0 */
	HEIST_PARAM_ENABLED,         /* 0 = bypass (dry, latency-compensated), 1 = on */
	HEIST_PARAM_STYLE_A,         /* style index, 0..n_styles-1 */
	HEIST_PARAM_STYLE_B,         /* style index, 0..n_styles-1 */
	HEIST_PARAM_MORPH,           /* 0 (style A) .. 1 (style B) */
	HEIST_PARAM_LOWEST_PITCH,    /* Hz, 50..300, default 65: snaps down to one of
	                              * heist_lowest_pitch_choice(); sets the analysis
	                              * window and so the latency; a change restarts the
	                              * stream */
	HEIST_PARAM_AUTO_OCTAVE,     /* 0 = off, 1 = fold the performance by whole octaves
	                              * toward the style's median pitch (dsp/fit.h) */
	HEIST_PARAM_LOUDNESS_FIT,    /* 0..1: how far the running loudness is moved onto
	                              * the style's median loudness, default 0 */
	HEIST_PARAM_INPUT_GATE,      /* dBFS, -90..0: the input gate opens above this
	                              * loudness, or on a voiced frame up to 30 dB below
	                              * it; -90 = off (HEIST_GATE_* in engine.c) */
	HEIST_PARAM_LEVEL_MATCH,     /* 0 = off, 1 = the instrument's level follows the
	                              * input's (a running makeup gain, default on) */
	HEIST_PARAM_COUNT
} heist_param;

/* Default lowest pitch: C2, a bass voice or a cello's open C, at 22.3 ms
 * latency at 48 kHz (analysis span 1500). The other floors are a control
 * away (HEIST_PARAM_LOWEST_PITCH, heist_lowest_pitch_choice()). */
#define HEIST_DEFAULT_LOWEST_PITCH 65.0f
/* Default input gate: room noise at -45 dBFS stays silent; a voiced note
 * (3 frames in a row, in range) opens the gate down to 30 dB below. */
#define HEIST_DEFAULT_INPUT_GATE_DB (-40.0f)

/* Fixed at creation. */
typedef struct {
	double sample_rate; /* host rate, 8000..384000 Hz */
	float lowest_pitch; /* Hz: initial HEIST_PARAM_LOWEST_PITCH */
} heist_config;

/* What the engine measured on the most recent analysis frame. */
typedef struct {
	float pitch_hz;      /* detected f0 of the input, 0 when unvoiced */
	float confidence;    /* 0..1 */
	float loudness_db;   /* A-weighted, dBFS (full-scale 1 kHz sine = -3.01) */
	float out_pitch_hz;  /* pitch the instrument plays (after shifts), 0 when silent */
	int below_range;     /* the input's pitch is under the lowest pitch: it is played
	                      * whole octaves up (held 0.5 s after the last such frame) */
	int gate_open;       /* the input gate lets the performance through */
	float raw_pitch_hz;  /* this frame's own estimate (0 if none), before the jump
	                      * confirmation */
	float read_pitch_hz; /* raw_pitch_hz where YIN read it, not moved to the frame's
	                      * centre (analysis.h, Framing): MIDI out decides notes
	                      * from it (notes.h) */
} heist_monitor;

/* [main] Default configuration for a host rate. */
heist_config heist_config_default(double sample_rate);

/* [main] Create an engine. The model is borrowed (not owned) and must outlive
 * the engine or be replaced with heist_engine_swap_net(). Returns NULL on
 * invalid config or allocation failure. */
heist_engine *heist_engine_new(const heist_config *cfg, const heist_model *model);

/* [main] Free an engine; NULL is fine. */
void heist_engine_free(heist_engine *e);

/* [main] Build the network runtime for a model (allocates; pre-warms so the
 * first frame in run() costs no page faults). Returns NULL on failure. */
heist_net *heist_net_new(const heist_model *model);
void heist_net_free(heist_net *net);

/* [audio] Swap the network runtime; returns the old one so the caller can free
 * it outside the audio thread. The state of the new one is reset. */
heist_net *heist_engine_swap_net(heist_engine *e, heist_net *net);

/* [audio] Set a parameter target; smoothing happens inside the engine on the
 * frame clock, so changes are click-free and block-size independent. */
void heist_engine_set_param(heist_engine *e, heist_param p, float value);
float heist_engine_get_param(const heist_engine *e, heist_param p);

/* [audio] Process n frames, mono. in and out may alias. n may be 0. */
void heist_engine_process(heist_engine *e, const float *in, float *out, uint32_t n);

/* [audio] Clear all audio history and network state (as if just created). */
void heist_engine_reset(heist_engine *e);

/* [any] Latency in samples: output sample m corresponds to input sample
 * m - latency. The dry path is delayed by the same amount. It follows
 * HEIST_PARAM_LOWEST_PITCH (at 48 kHz: 50 Hz 1280 = 26.7 ms, 75 Hz 960 =
 * 20 ms, 100 Hz 800, 150 Hz 640, 300 Hz 480 = 10 ms). */
uint32_t heist_engine_latency(const heist_engine *e);

/* [audio] Latest analysis values. */
heist_monitor heist_engine_monitor(const heist_engine *e);

/* [audio] Called by heist_engine_process() with each analysis frame: its
 * centre in input-time samples and the monitor values it gives. The
 * effect's MIDI out feeds its note tracker (dsp/notes.h) from here. */
typedef void (*heist_frame_hook)(void *user, double centre, const heist_monitor *m);
void heist_engine_set_frame_hook(heist_engine *e, heist_frame_hook hook, void *user);

/* [any] The supported lowest pitch that HEIST_PARAM_LOWEST_PITCH = hz snaps
 * to (dir 0), or the next one above (dir > 0) or below (dir < 0) it, for
 * controls that step through them. */
float heist_lowest_pitch_step(float hz, int dir);

/* [any] The supported lowest pitches, lowest first, named for who plays
 * there: choice i of n (0 <= i < HEIST_LOWEST_PITCH_CHOICES) gives its
 * frequency and a label; NULL past the end. */
#define HEIST_LOWEST_PITCH_CHOICES 6
const char *heist_lowest_pitch_choice(int i, float *hz);

/* [any] Parameter metadata (defaults and ranges), shared with tools. */
typedef struct {
	const char *symbol; /* LV2 port symbol, e.g. "pitch_shift" */
	float min, max, def;
} heist_param_info;
const heist_param_info *heist_param_get_info(heist_param p);
/* Returns the parameter with this symbol, or HEIST_PARAM_COUNT. */
heist_param heist_param_from_symbol(const char *symbol);

/* ---- Heist Synth: an engine whose features come from MIDI -----------------
 * heist_engine_new_synth() makes one: the voice (dsp/voice.h) replaces the analyser: monophonic,
 * last-note priority, legato, velocity/pressure/CC11 -> loudness within the style's range, pitch
 * bend (RPN 0 or HEIST_VOICE_BEND_RANGE), mod wheel -> vibrato, CC64 sustain,
 * all-notes-off/all-sound-off. HEIST_PARAM_PITCH_SHIFT is the transpose; dry/wet, the confidence
 * gate, the lowest pitch, auto octave and loudness fit do nothing (the input audio is ignored).
 * Latency is ceil(hop) + noise hop (6.7 ms at 48 kHz): a note at sample k of a block sounds from
 * output sample k + latency exactly, for any block split. */

/* [main] As heist_engine_new(), with the MIDI voice as the features source
 * instead of the analyser. */
heist_engine *heist_engine_new_synth(const heist_config *cfg, const heist_model *model);

/* Settings of the voice. */
typedef enum {
	HEIST_VOICE_BEND_RANGE, /* semitones, 0..24, default 2 (RPN 0 overrides) */
	HEIST_VOICE_PORTAMENTO, /* glide time constant, s, 0..2, default 0 */
	HEIST_VOICE_TUNING,     /* A4, Hz, 400..480, default 440 */
	HEIST_VOICE_VIBRATO,    /* scale of the style's vibrato depth, 0..4, default 1 */
	HEIST_VOICE_PARAM_COUNT
} heist_voice_param;

/* [any] Metadata of a voice setting (symbol = LV2 port symbol). */
typedef heist_param_info heist_voice_param_info;
const heist_voice_param_info *heist_voice_param_get_info(heist_voice_param p);

/* [audio] Set a voice setting (no effect on an audio-source engine). */
void heist_engine_set_voice_param(heist_engine *e, heist_voice_param p, float value);

/* [audio] Queue one MIDI message (a complete channel message, 2 or 3 bytes,
 * no running status) for sample `frame` of the next heist_engine_process()
 * call. Events must come in time order: one earlier than the previous is
 * taken at the previous one's time; one at or past the block's end at its
 * last sample. Returns 0 if queued, -1 if the queue (HEIST_MIDI_QUEUE) is
 * full, the message malformed or the engine is not a synth. */
#define HEIST_MIDI_QUEUE 1024u
int heist_engine_midi(heist_engine *e, uint32_t frame, const uint8_t *msg, uint32_t size);

#ifdef __cplusplus
}
#endif

#endif
