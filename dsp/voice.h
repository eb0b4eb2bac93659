/* Heist voice: the features source of the instrument (Heist Synth). MIDI
 * state -> per-frame features (f0, loudness, confidence), replacing the
 * analyser when the engine is created with HEIST_SOURCE_MIDI.
 *
 * Monophonic, last-note priority. Everything happens at absolute sample
 * times: an event at time t advances the voice to t and changes its state; a
 * frame at its centre c advances it to c and reads the features. The voice's
 * continuous parts (envelope, glide, vibrato) are closed-form steps over the
 * elapsed time, so the features depend only on the event times, never on how
 * the host splits its blocks.
 *
 * Envelope (dB): a note from silence starts HEIST_VOICE_ATTACK_DEPTH_DB below
 * its target and approaches it exponentially (time constant attack_s); a
 * release falls linearly in dB at release_db_s until it is
 * HEIST_VOICE_SILENT_DB below where it started, then the voice is silent. A
 * note played while another is held glides (legato) without re-attack.
 *
 * All of it is [audio]: no allocation, bounded time. */
#ifndef HEIST_VOICE_H
#define HEIST_VOICE_H

#include <stdint.h>

#include "heist.h"
#include "model.h"
#include "net.h"

#define HEIST_VOICE_ONSET_SLOTS HEIST_NET_FRAME_SLOTS

#define HEIST_VOICE_ATTACK_DEPTH_DB 40.0f /* attack start below the target */
#define HEIST_VOICE_SILENT_DB 60.0f       /* release depth at which the voice stops */

/* Expression of a style (or a morph of two): loudness range of its data and
 * the envelope and vibrato it plays with. */
typedef struct {
	float loud_lo, loud_hi; /* dB: velocity 1 and 127 (at full expression) */
	float attack_s;         /* attack time constant, seconds */
	float release_db_s;     /* release slope, dB per second */
	float vibrato_hz;       /* vibrato rate */
	float vibrato_cents;    /* vibrato depth (peak) at full mod wheel */
	/* From the model's profile (model.h); without one: 40 dB, release_db_s,
	 * and loud_mid_on = 0 (velocity maps linearly from loud_lo to loud_hi). */
	float attack_depth_db;   /* the attack starts this far below the note */
	float release_tail_db_s; /* release slope after its first 20 dB */
	float loud_mid;          /* dB at half the velocity range (loud_mid_on) */
	int loud_mid_on;
} heist_voice_style;

typedef struct {
	double fs;
	double time; /* absolute sample time the state is at */
	/* Settings (heist_voice_param). */
	float set[HEIST_VOICE_PARAM_COUNT];
	/* Keys: held[] flags, order[] the held notes oldest first. */
	uint8_t held[128];
	uint8_t order[128];
	uint32_t n_order;
	uint8_t sustained[128]; /* released while the pedal was down */
	int sustain;            /* CC64 >= 64 */
	/* Controllers, 0..1 except bend (-1..1). */
	float bend, mod, expression, pressure;
	int use_pressure;         /* pressure has been received since the note */
	uint8_t rpn_msb, rpn_lsb; /* selected RPN (127 = none) */
	float rpn_bend_range;     /* semitones from RPN 0, < 0 = not set */
	/* The sounding note. */
	int note;       /* MIDI note of the voice's pitch target, -1 before any */
	float velocity; /* 0..1 */
	float pitch;    /* current (gliding) pitch, MIDI */
	int gate;       /* a key or the pedal holds the note */
	int active;     /* sounding: held or releasing */
	float env_db;   /* envelope, dB below 0 = full loudness target */
	float release_from;
	double onset;            /* time of the last note-on from silence; < 0 = none pending */
	double vib_phase;        /* cycles */
	heist_voice_style style; /* the latest frame's (events between frames use it) */
} heist_voice;

/* [audio] Settings to defaults, then reset. */
void heist_voice_init(heist_voice *v, double sample_rate);

/* [audio] Silence and forget every key and controller (time 0). */
void heist_voice_reset(heist_voice *v);

/* [audio] A setting (heist.h); non-finite values are ignored, others clamped. */
void heist_voice_set(heist_voice *v, heist_voice_param p, float value);

/* [audio] One MIDI message at absolute sample time t (>= the voice's time;
 * an earlier t is taken as the voice's time). Malformed messages (no status
 * byte, data bytes >= 0x80, wrong length, system messages) are ignored. */
void heist_voice_midi(heist_voice *v, double t, const uint8_t *msg, uint32_t size);

/* Features of a frame. */
typedef struct {
	float f0;         /* Hz (held at the last note's while silent; 0 before any) */
	float loudness;   /* dB */
	float confidence; /* 1 while sounding, 0 when silent */
	int active;       /* sounding */
	double onset;     /* the note started from silence at this time (in (prev frame,
	                   * this frame]); < 0 when not */
} heist_voice_features;

/* [audio] The expression of styles a and b (clamped to the model's) at a
 * morph: from the model's profile section (its values blended by morph),
 * else the loudness range from the styles' training statistics and one
 * envelope and vibrato for all. */
heist_voice_style heist_voice_style_of(const heist_model *m, uint32_t a, uint32_t b, float morph);

/* [audio] Advance to frame time t and read the features. */
heist_voice_features heist_voice_frame(heist_voice *v, double t, const heist_voice_style *st);

/* The engine's MIDI source: the voice, the events queued for the next
 * process() call, and the onset time of each frame slot in flight. */
typedef struct {
	uint32_t frame; /* sample offset in the block */
	uint8_t size;
	uint8_t msg[3];
} heist_midi_event;

typedef struct {
	heist_voice voice;
	heist_midi_event queue[HEIST_MIDI_QUEUE];
	uint32_t n_queued, next;               /* queued; the next to apply */
	uint64_t block_start;                  /* absolute time of the block's sample 0 */
	double onset[HEIST_VOICE_ONSET_SLOTS]; /* per frame slot, < 0 = none */
} heist_voice_source;

#endif
