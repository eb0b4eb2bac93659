/* Heist LV2 plugin: glue between an LV2 host and the dsp/ engine.
 *
 * Thread classes (see dsp/heist.h): instantiate, activate, deactivate and
 * cleanup run in the host's [main] (instantiation) class; connect_port and
 * run run in the [audio] class and never allocate, lock, log or do I/O.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lv2/core/lv2.h>
#include <lv2/core/lv2_util.h>
#include <lv2/log/log.h>
#include <lv2/log/logger.h>
#include <lv2/urid/urid.h>

#ifdef __SSE__
#include <xmmintrin.h>
#endif

#include "heist.h"
#include "inline_display.h"
#include "level_meter.h"
#include "model.h"
#include "ports.h"

#define HEIST_MODEL_FILE "heist-default.hsm"

/* MXCSR bits: flush denormal results to zero (FTZ), treat denormal inputs as
 * zero (DAZ). DAZ exists on every x86-64 CPU. */
#define HEIST_MXCSR_FTZ 0x8000u
#define HEIST_MXCSR_DAZ 0x0040u

typedef struct {
	/* Port buffers, set by connect_port(). */
	const float *in;
	float *out;
	const float *pitch_shift;
	const float *loudness_shift;
	const float *harmonic_level;
	const float *noise_level;
	const float *confidence_gate;
	const float *dry_wet;
	const float *output_gain;
	const float *enabled;
	float *pitch_out;
	float *confidence_out;
	float *loudness_out;
	float *latency;
	const float *style_a;
	const float *style_b;
	const float *morph;
	float *input_level;
	float *output_level;

	/* Peak meters of the input and output (level_meter.h). */
	heist_level_meter in_meter, out_meter;

	/* Ardour's inline display; NULL when the host has none. */
	heist_idisp *idisp;

	/* Host features. */
	LV2_URID_Map *map;
	LV2_Log_Logger logger;

	/* Engine and the model it borrows (owned here, freed after the engine). */
	heist_model *model;
	heist_engine *engine;
} Heist;

/* [main] Join a bundle path and a file name. bundle_path normally ends with a
 * '/', but a missing one is tolerated. Returns NULL on allocation failure. */
static char *bundle_file_path(const char *bundle_path, const char *name)
{
	const size_t blen = strlen(bundle_path);
	const bool slash = blen > 0 && bundle_path[blen - 1] == '/';
	const size_t len = blen + (slash ? 0 : 1) + strlen(name) + 1;
	char *path = malloc(len);
	if (path) {
		snprintf(path, len, "%s%s%s", bundle_path, slash ? "" : "/", name);
	}
	return path;
}

/* [main] */
static void cleanup(LV2_Handle instance)
{
	Heist *self = (Heist *)instance;
	if (self) {
		heist_engine_free(self->engine); /* before the model it borrows */
		heist_model_free(self->model);
		heist_idisp_free(self->idisp);
		free(self);
	}
}

/* [main] */
static LV2_Handle instantiate(const LV2_Descriptor *descriptor, double rate,
                              const char *bundle_path, const LV2_Feature *const *features)
{
	(void)descriptor;

	Heist *self = (Heist *)calloc(1, sizeof(Heist));
	if (!self) {
		return NULL;
	}

	/* lv2_log_logger_init() accepts a NULL log and then prints to stderr,
	 * which is fine here: instantiate() is not real-time. */
	LV2_Log_Log *log = NULL;
	const char *missing = lv2_features_query(features, LV2_LOG__log, &log, false, LV2_URID__map,
	                                         &self->map, true, NULL);
	lv2_log_logger_init(&self->logger, self->map, log);
	if (missing) {
		lv2_log_error(&self->logger, "heist: missing required feature <%s>\n", missing);
		cleanup(self);
		return NULL;
	}

	char *model_path = bundle_file_path(bundle_path ? bundle_path : "", HEIST_MODEL_FILE);
	if (!model_path) {
		cleanup(self);
		return NULL;
	}
	char err[256] = "";
	self->model = heist_model_load(model_path, err, sizeof(err));
	free(model_path);
	if (!self->model) {
		lv2_log_error(&self->logger, "heist: %s\n", err[0] ? err : "cannot load the model");
		cleanup(self);
		return NULL;
	}

	const heist_config cfg = heist_config_default(rate);
	self->engine = heist_engine_new(&cfg, self->model);
	if (!self->engine) {
		lv2_log_error(&self->logger, "heist: cannot create the engine at %.0f Hz\n", rate);
		cleanup(self);
		return NULL;
	}
	heist_level_meter_init(&self->in_meter, rate);
	heist_level_meter_init(&self->out_meter, rate);
	self->idisp = heist_idisp_new(rate, features); /* optional */
	return (LV2_Handle)self;
}

/* [audio] A switch per port: the port pointers are separate, typed members. */
static void connect_port(LV2_Handle instance, uint32_t port, void *data)
{
	Heist *self = (Heist *)instance;
	switch ((heist_port)port) {
	case HEIST_PORT_IN:
		self->in = (const float *)data;
		break;
	case HEIST_PORT_OUT:
		self->out = (float *)data;
		break;
	case HEIST_PORT_PITCH_SHIFT:
		self->pitch_shift = (const float *)data;
		break;
	case HEIST_PORT_LOUDNESS_SHIFT:
		self->loudness_shift = (const float *)data;
		break;
	case HEIST_PORT_HARMONIC_LEVEL:
		self->harmonic_level = (const float *)data;
		break;
	case HEIST_PORT_NOISE_LEVEL:
		self->noise_level = (const float *)data;
		break;
	case HEIST_PORT_CONFIDENCE_GATE:
		self->confidence_gate = (const float *)data;
		break;
	case HEIST_PORT_DRY_WET:
		self->dry_wet = (const float *)data;
		break;
	case HEIST_PORT_OUTPUT_GAIN:
		self->output_gain = (const float *)data;
		break;
	case HEIST_PORT_ENABLED:
		self->enabled = (const float *)data;
		break;
	case HEIST_PORT_PITCH_OUT:
		self->pitch_out = (float *)data;
		break;
	case HEIST_PORT_CONFIDENCE_OUT:
		self->confidence_out = (float *)data;
		break;
	case HEIST_PORT_LOUDNESS_OUT:
		self->loudness_out = (float *)data;
		break;
	case HEIST_PORT_LATENCY:
		self->latency = (float *)data;
		break;
	case HEIST_PORT_STYLE_A:
		self->style_a = (const float *)data;
		break;
	case HEIST_PORT_STYLE_B:
		self->style_b = (const float *)data;
		break;
	case HEIST_PORT_MORPH:
		self->morph = (const float *)data;
		break;
	case HEIST_PORT_INPUT_LEVEL:
		self->input_level = (float *)data;
		break;
	case HEIST_PORT_OUTPUT_LEVEL:
		self->output_level = (float *)data;
		break;
	case HEIST_PORT_COUNT:
		break;
	}
}

/* [main] Start from silence, as if just created. */
static void activate(LV2_Handle instance)
{
	Heist *self = (Heist *)instance;
	heist_engine_reset(self->engine);
}

/* [audio] A control value clamped to the parameter's range. An unconnected
 * port or a non-finite value gives the default. */
static float control_value(const float *port, heist_param p)
{
	const heist_param_info *info = heist_param_get_info(p);
	if (!port || !isfinite(*port)) {
		return info->def;
	}
	const float v = *port;
	return v < info->min ? info->min : v > info->max ? info->max : v;
}

/* [audio] lv2:toggled: above zero is on. */
static float toggle_value(const float *port, heist_param p)
{
	if (!port || !isfinite(*port)) {
		return heist_param_get_info(p)->def;
	}
	return *port > 0.0f ? 1.0f : 0.0f;
}

/* [audio] */
static void run(LV2_Handle instance, uint32_t n_samples)
{
	Heist *self = (Heist *)instance;

	const float pitch_shift = control_value(self->pitch_shift, HEIST_PARAM_PITCH_SHIFT);
	const float loudness_shift =
	    control_value(self->loudness_shift, HEIST_PARAM_LOUDNESS_SHIFT);
	const float harmonic_level =
	    control_value(self->harmonic_level, HEIST_PARAM_HARMONIC_LEVEL);
	const float noise_level = control_value(self->noise_level, HEIST_PARAM_NOISE_LEVEL);
	const float confidence_gate =
	    control_value(self->confidence_gate, HEIST_PARAM_CONFIDENCE_GATE);
	const float dry_wet = control_value(self->dry_wet, HEIST_PARAM_DRY_WET);
	const float output_gain = control_value(self->output_gain, HEIST_PARAM_OUTPUT_GAIN);
	const float enabled = toggle_value(self->enabled, HEIST_PARAM_ENABLED);
	/* lv2:integer: rounded here; the engine clamps to the model's styles. */
	const float style_a = rintf(control_value(self->style_a, HEIST_PARAM_STYLE_A));
	const float style_b = rintf(control_value(self->style_b, HEIST_PARAM_STYLE_B));
	const float morph = control_value(self->morph, HEIST_PARAM_MORPH);

#ifdef __SSE__
	/* Scoped to this call: the host's floating-point mode is restored below. */
	const unsigned int saved_csr = _mm_getcsr();
	_mm_setcsr(saved_csr | HEIST_MXCSR_FTZ | HEIST_MXCSR_DAZ);
#endif

	heist_engine *e = self->engine;
	heist_engine_set_param(e, HEIST_PARAM_PITCH_SHIFT, pitch_shift);
	heist_engine_set_param(e, HEIST_PARAM_LOUDNESS_SHIFT, loudness_shift);
	heist_engine_set_param(e, HEIST_PARAM_HARMONIC_LEVEL, harmonic_level);
	heist_engine_set_param(e, HEIST_PARAM_NOISE_LEVEL, noise_level);
	heist_engine_set_param(e, HEIST_PARAM_CONFIDENCE_GATE, confidence_gate);
	heist_engine_set_param(e, HEIST_PARAM_DRY_WET, dry_wet);
	heist_engine_set_param(e, HEIST_PARAM_OUTPUT_GAIN, output_gain);
	heist_engine_set_param(e, HEIST_PARAM_ENABLED, enabled);
	heist_engine_set_param(e, HEIST_PARAM_STYLE_A, style_a);
	heist_engine_set_param(e, HEIST_PARAM_STYLE_B, style_b);
	heist_engine_set_param(e, HEIST_PARAM_MORPH, morph);

	/* Metered before processing: out may alias in. */
	const float in_db = heist_level_meter_run(&self->in_meter, self->in, n_samples);

	/* in and out may be the same buffer: the engine supports aliasing, so
	 * the TTL does not declare lv2:inPlaceBroken. */
	if (self->in && self->out) {
		heist_engine_process(e, self->in, self->out, n_samples);
	}
	const float out_db = heist_level_meter_run(&self->out_meter, self->out, n_samples);
	if (self->input_level) {
		*self->input_level = in_db;
	}
	if (self->output_level) {
		*self->output_level = out_db;
	}

	const heist_monitor mon = heist_engine_monitor(e);
	if (self->pitch_out) {
		*self->pitch_out = mon.pitch_hz;
	}
	if (self->confidence_out) {
		*self->confidence_out = mon.confidence;
	}
	if (self->loudness_out) {
		*self->loudness_out = mon.loudness_db;
	}
	if (self->latency) {
		*self->latency = (float)heist_engine_latency(e);
	}
	heist_idisp_update(self->idisp, n_samples, mon.pitch_hz, mon.confidence, morph,
	                   (int)style_a, (int)style_b);

#ifdef __SSE__
	_mm_setcsr(saved_csr);
#endif
}

/* [main] */
static void deactivate(LV2_Handle instance)
{
	(void)instance;
}

/* [gui] Ardour's inline display render callback (non-real-time). */
static LV2_Inline_Display_Image_Surface *render_inline(LV2_Handle instance, uint32_t w,
                                                       uint32_t max_h)
{
	Heist *self = (Heist *)instance;
	return heist_idisp_render(self->idisp, w, max_h);
}

/* [any] */
static const void *extension_data(const char *uri)
{
	static const LV2_Inline_Display_Interface inline_display = {render_inline};
	if (!strcmp(uri, HEIST_IDISP__interface)) {
		return &inline_display;
	}
	return NULL;
}

static const LV2_Descriptor descriptor = {
    HEIST_URI, instantiate, connect_port, activate, run, deactivate, cleanup, extension_data,
};

/* [any] */
LV2_SYMBOL_EXPORT const LV2_Descriptor *lv2_descriptor(uint32_t index)
{
	return index == 0 ? &descriptor : NULL;
}
