/* Port indices of Heist Synth (the MIDI instrument in the heist.lv2
 * bundle), shared by the plugin and the tests (checked against the TTL). */
#ifndef HEIST_SYNTH_PORTS_H
#define HEIST_SYNTH_PORTS_H

#define HEIST_SYNTH_URI "http://heist.audio/plugins/heist-synth"

typedef enum {
	HEIST_SYNTH_PORT_MIDI_IN = 0, /* atom:Sequence in: midi:MidiEvent */
	HEIST_SYNTH_PORT_OUT,         /* audio out */
	HEIST_SYNTH_PORT_STYLE_A,     /* style index */
	HEIST_SYNTH_PORT_STYLE_B,     /* style index */
	HEIST_SYNTH_PORT_MORPH,       /* 0 (style A) .. 1 (style B) */
	HEIST_SYNTH_PORT_TRANSPOSE,   /* semitones (HEIST_PARAM_PITCH_SHIFT) */
	HEIST_SYNTH_PORT_TUNING,      /* A4, Hz */
	HEIST_SYNTH_PORT_BEND_RANGE,  /* semitones */
	HEIST_SYNTH_PORT_PORTAMENTO,  /* s */
	HEIST_SYNTH_PORT_VIBRATO,     /* scale of the style's vibrato at full mod wheel */
	HEIST_SYNTH_PORT_LOUDNESS_SHIFT,
	HEIST_SYNTH_PORT_HARMONIC_LEVEL,
	HEIST_SYNTH_PORT_NOISE_LEVEL,
	HEIST_SYNTH_PORT_OUTPUT_GAIN,
	HEIST_SYNTH_PORT_LATENCY,      /* lv2:latency, frames */
	HEIST_SYNTH_PORT_OUTPUT_LEVEL, /* monitor: output peak, dBFS */
	HEIST_SYNTH_PORT_COUNT
} heist_synth_port;

#endif
