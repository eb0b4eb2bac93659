/* Port indices of the Heist LV2 plugin, shared by the plugin, the UI and the
 * tests (tests/plugin checks them against the TTL through lilv). */
#ifndef HEIST_PORTS_H
#define HEIST_PORTS_H

#define HEIST_URI "http://heist.audio/plugins/heist"
/* The custom style model: a patch:writable property of type atom:Path. */
#define HEIST_MODEL_URI HEIST_URI "#model"
/* The outcome of the last model load or restore: a patch:readable property
 * of type atom:String ("" when it loaded), sent on the notify port. */
#define HEIST_STATUS_URI HEIST_URI "#status"

typedef enum {
	HEIST_PORT_IN = 0,
	HEIST_PORT_OUT,
	HEIST_PORT_PITCH_SHIFT,
	HEIST_PORT_LOUDNESS_SHIFT,
	HEIST_PORT_HARMONIC_LEVEL,
	HEIST_PORT_NOISE_LEVEL,
	HEIST_PORT_CONFIDENCE_GATE,
	HEIST_PORT_DRY_WET,
	HEIST_PORT_OUTPUT_GAIN,
	HEIST_PORT_ENABLED,
	HEIST_PORT_PITCH_OUT,      /* monitor: detected pitch, Hz */
	HEIST_PORT_CONFIDENCE_OUT, /* monitor: 0..1 */
	HEIST_PORT_LOUDNESS_OUT,   /* monitor: dB */
	HEIST_PORT_LATENCY,        /* lv2:latency, frames */
	HEIST_PORT_STYLE_A,        /* style index (enumeration of the model's styles) */
	HEIST_PORT_STYLE_B,        /* style index */
	HEIST_PORT_MORPH,          /* 0 (style A) .. 1 (style B) */
	HEIST_PORT_INPUT_LEVEL,    /* monitor: input peak, dBFS (see heist.ttl) */
	HEIST_PORT_OUTPUT_LEVEL,   /* monitor: output peak, dBFS */
	HEIST_PORT_CONTROL,        /* atom:Sequence in: patch:Set/Get of heist:model */
	/* MIDI out of the note tracker (dsp/notes.h): the first atom output, as
	 * Ardour (7.3 to its master of 2026) finds an LV2 plugin's MIDI output by
	 * counting every atom output port in front of it (notify was here). */
	HEIST_PORT_MIDI_OUT,     /* atom:Sequence out: midi:MidiEvent notes and bends */
	HEIST_PORT_LOWEST_PITCH, /* Hz: analysis floor, sets the latency */
	HEIST_PORT_AUTO_OCTAVE,  /* toggle: fold the performance toward the style's range */
	HEIST_PORT_LOUDNESS_FIT, /* 0..1: move the loudness onto the style's */
	HEIST_PORT_INPUT_GATE,   /* dBFS: input gate threshold (-90 = off) */
	HEIST_PORT_BELOW_RANGE,  /* monitor: 1 while the input is under the lowest pitch */
	HEIST_PORT_OUT_PITCH,    /* monitor: pitch the instrument plays, Hz */
	HEIST_PORT_GATE_OPEN,    /* monitor: 1 while the input gate is open */
	HEIST_PORT_LEVEL_MATCH,  /* toggle: the instrument's level follows the input's */
	HEIST_PORT_NOTIFY,       /* atom:Sequence out: patch:Set of heist:model */
	/* the MIDI out's controls */
	HEIST_PORT_MIDI_BEND_RANGE, /* semitones that a full pitch bend means */
	HEIST_PORT_MIDI_MIN_NOTE,   /* ms: minimum note length */
	HEIST_PORT_MIDI_HYSTERESIS, /* cents beyond half a semitone before a note changes */
	HEIST_PORT_MIDI_LOOKAHEAD,  /* ms the tracker may decide later: audio delay, latency */
	HEIST_PORT_COUNT
} heist_port;

/* The largest MIDI lookahead (ms): the ring the plugin allocates. */
#define HEIST_MIDI_LOOKAHEAD_MAX_MS 200.0f

#endif
