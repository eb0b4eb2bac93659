/* Heist Synth: the MIDI instrument of the heist.lv2 bundle. MIDI events
 * from the host drive the engine's voice (heist_engine_new_synth), which
 * plays the shipped model: the same network and synthesis as the effect.
 *
 * Thread classes (dsp/heist.h): instantiate, activate, cleanup [main];
 * connect_port and run [audio] (no allocation, lock, log or I/O). It plays
 * the shipped model only (no custom model, no state): the effect's model
 * loading is not shared yet.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lv2/atom/atom.h>
#include <lv2/atom/util.h>
#include <lv2/core/lv2.h>
#include <lv2/log/log.h>
#include <lv2/log/logger.h>
#include <lv2/midi/midi.h>
#include <lv2/urid/urid.h>

#ifdef __SSE__
#include <xmmintrin.h>
#endif

#include "heist.h"
#include "heist_synth_lv2.h"
#include "level_meter.h"
#include "model.h"
#include "synth_ports.h"

#define SYNTH_MODEL_FILE "heist-default.hsm"

typedef struct {
	const LV2_Atom_Sequence *midi_in;
	float *out;
	const float *controls[HEIST_SYNTH_PORT_COUNT]; /* control inputs by index */
	float *latency;
	float *output_level;

	LV2_URID midi_event;
	LV2_Log_Logger logger;
	heist_model *model;
	heist_engine *engine;
	heist_level_meter meter;
} HeistSynth;

/* The engine parameter or voice setting behind each control input. */
typedef struct {
	int voice;    /* 0: heist_param, 1: heist_voice_param */
	int which;    /* the parameter */
	bool integer; /* rounded (style indices) */
} synth_control;

static const synth_control controls[HEIST_SYNTH_PORT_COUNT] = {
    [HEIST_SYNTH_PORT_STYLE_A] = {0, HEIST_PARAM_STYLE_A, true},
    [HEIST_SYNTH_PORT_STYLE_B] = {0, HEIST_PARAM_STYLE_B, true},
    [HEIST_SYNTH_PORT_MORPH] = {0, HEIST_PARAM_MORPH, false},
    [HEIST_SYNTH_PORT_TRANSPOSE] = {0, HEIST_PARAM_PITCH_SHIFT, false},
    [HEIST_SYNTH_PORT_TUNING] = {1, HEIST_VOICE_TUNING, false},
    [HEIST_SYNTH_PORT_BEND_RANGE] = {1, HEIST_VOICE_BEND_RANGE, false},
    [HEIST_SYNTH_PORT_PORTAMENTO] = {1, HEIST_VOICE_PORTAMENTO, false},
    [HEIST_SYNTH_PORT_VIBRATO] = {1, HEIST_VOICE_VIBRATO, false},
    [HEIST_SYNTH_PORT_LOUDNESS_SHIFT] = {0, HEIST_PARAM_LOUDNESS_SHIFT, false},
    [HEIST_SYNTH_PORT_HARMONIC_LEVEL] = {0, HEIST_PARAM_HARMONIC_LEVEL, false},
    [HEIST_SYNTH_PORT_NOISE_LEVEL] = {0, HEIST_PARAM_NOISE_LEVEL, false},
    [HEIST_SYNTH_PORT_OUTPUT_GAIN] = {0, HEIST_PARAM_OUTPUT_GAIN, false},
};

/* [any] A control input that is wired to a parameter. */
static bool is_control(uint32_t port)
{
	return port >= HEIST_SYNTH_PORT_STYLE_A && port <= HEIST_SYNTH_PORT_OUTPUT_GAIN;
}

/* [any] A host feature's data, or NULL (entries without a URI skipped, as
 * lv2file passes one). */
static void *find_feature(const LV2_Feature *const *features, const char *uri)
{
	for (size_t i = 0; features && features[i]; ++i) {
		if (features[i]->URI && !strcmp(features[i]->URI, uri)) {
			return features[i]->data;
		}
	}
	return NULL;
}

/* [main] */
static void synth_cleanup(LV2_Handle instance)
{
	HeistSynth *self = (HeistSynth *)instance;
	if (self) {
		heist_engine_free(self->engine);
		heist_model_free(self->model);
		free(self);
	}
}

/* [main] */
static LV2_Handle synth_instantiate(const LV2_Descriptor *descriptor, double rate,
                                    const char *bundle_path, const LV2_Feature *const *features)
{
	(void)descriptor;
	HeistSynth *self = calloc(1, sizeof(HeistSynth));
	if (!self) {
		return NULL;
	}
	LV2_URID_Map *map = find_feature(features, LV2_URID__map);
	lv2_log_logger_init(&self->logger, map, find_feature(features, LV2_LOG__log));
	if (!map) {
		lv2_log_error(&self->logger, "heist-synth: missing required feature <%s>\n",
		              LV2_URID__map);
		synth_cleanup(self);
		return NULL;
	}
	self->midi_event = map->map(map->handle, LV2_MIDI__MidiEvent);

	const char *dir = bundle_path ? bundle_path : "";
	const size_t len = strlen(dir) + 1 + sizeof(SYNTH_MODEL_FILE);
	char *path = malloc(len);
	if (!path) {
		synth_cleanup(self);
		return NULL;
	}
	const bool slash = dir[0] && dir[strlen(dir) - 1] == '/';
	snprintf(path, len, "%s%s%s", dir, slash ? "" : "/", SYNTH_MODEL_FILE);
	char err[256] = "";
	self->model = heist_model_load(path, err, sizeof(err));
	free(path);
	if (!self->model) {
		lv2_log_error(&self->logger, "heist-synth: %s\n",
		              err[0] ? err : "cannot load the model");
		synth_cleanup(self);
		return NULL;
	}
	const heist_config cfg = heist_config_default(rate);
	self->engine = heist_engine_new_synth(&cfg, self->model);
	if (!self->engine) {
		lv2_log_error(&self->logger, "heist-synth: cannot create the engine at %.0f Hz\n",
		              rate);
		synth_cleanup(self);
		return NULL;
	}
	heist_level_meter_init(&self->meter, rate);
	return (LV2_Handle)self;
}

/* [audio] */
static void synth_connect_port(LV2_Handle instance, uint32_t port, void *data)
{
	HeistSynth *self = (HeistSynth *)instance;
	if (port == HEIST_SYNTH_PORT_MIDI_IN) {
		self->midi_in = (const LV2_Atom_Sequence *)data;
	} else if (port == HEIST_SYNTH_PORT_OUT) {
		self->out = (float *)data;
	} else if (port == HEIST_SYNTH_PORT_LATENCY) {
		self->latency = (float *)data;
	} else if (port == HEIST_SYNTH_PORT_OUTPUT_LEVEL) {
		self->output_level = (float *)data;
	} else if (is_control(port)) {
		self->controls[port] = (const float *)data;
	}
}

/* [main] Start from silence, every key up. */
static void synth_activate(LV2_Handle instance)
{
	heist_engine_reset(((HeistSynth *)instance)->engine);
}

/* [audio] The control inputs into the engine: unconnected or non-finite
 * ports give the default; the engine clamps to the range. */
static void apply_controls(HeistSynth *self)
{
	for (uint32_t p = HEIST_SYNTH_PORT_STYLE_A; p <= HEIST_SYNTH_PORT_OUTPUT_GAIN; ++p) {
		const synth_control *c = &controls[p];
		const float *port = self->controls[p];
		if (!port || !isfinite(*port)) {
			continue; /* the engine keeps its default (or the last value) */
		}
		const float v = c->integer ? rintf(*port) : *port;
		if (c->voice) {
			heist_engine_set_voice_param(self->engine, (heist_voice_param)c->which, v);
		} else {
			heist_engine_set_param(self->engine, (heist_param)c->which, v);
		}
	}
}

/* [audio] */
static void synth_run(LV2_Handle instance, uint32_t n_samples)
{
	HeistSynth *self = (HeistSynth *)instance;
	heist_engine *e = self->engine;
	apply_controls(self);
	if (self->midi_in && self->midi_in->atom.size >= sizeof(LV2_Atom_Sequence_Body)) {
		/* Event headers are copied out, not dereferenced: jalv 1.6.6 hands
		 * events 4 bytes off their 8-byte alignment (UBSan caught it), and
		 * every body is checked against the sequence's size. */
		const uint8_t *at = (const uint8_t *)(&self->midi_in->body + 1);
		const uint8_t *end =
		    (const uint8_t *)&self->midi_in->body + self->midi_in->atom.size;
		while ((size_t)(end - at) >= sizeof(LV2_Atom_Event)) {
			int64_t frames = 0;
			LV2_Atom body;
			memcpy(&frames, at, sizeof frames);
			memcpy(&body, at + sizeof frames, sizeof body);
			const uint8_t *data = at + sizeof(LV2_Atom_Event);
			if (body.size > (size_t)(end - data)) {
				break;
			}
			/* Times before the block count as its start; the engine takes
			 * late ones at its last sample and out-of-order ones in order. */
			if (body.type == self->midi_event && body.size <= 3) {
				const int64_t t = frames < 0 ? 0 : frames;
				heist_engine_midi(e, t > UINT32_MAX ? UINT32_MAX : (uint32_t)t,
				                  data, body.size);
			}
			at = data + lv2_atom_pad_size(body.size);
		}
	}
#ifdef __SSE__
	/* Flush denormals to zero for this call only (FTZ | DAZ). */
	const unsigned int saved_csr = _mm_getcsr();
	_mm_setcsr(saved_csr | 0x8040u);
#endif
	if (self->out) {
		heist_engine_process(e, NULL, self->out, n_samples);
	}
#ifdef __SSE__
	_mm_setcsr(saved_csr);
#endif
	const float db = heist_level_meter_run(&self->meter, self->out, n_samples);
	if (self->output_level) {
		*self->output_level = db;
	}
	if (self->latency) {
		*self->latency = (float)heist_engine_latency(e);
	}
}

/* [main] */
static void synth_deactivate(LV2_Handle instance)
{
	(void)instance;
}

/* [any] */
static const void *synth_extension_data(const char *uri)
{
	(void)uri;
	return NULL;
}

static const LV2_Descriptor synth_descriptor = {
    HEIST_SYNTH_URI, synth_instantiate, synth_connect_port, synth_activate,
    synth_run,       synth_deactivate,  synth_cleanup,      synth_extension_data,
};

const LV2_Descriptor *heist_synth_descriptor(void)
{
	return &synth_descriptor;
}
