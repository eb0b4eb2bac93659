/* Heist Synth through lilv, the real binary from the build tree's bundle:
 * it is an lv2:InstrumentPlugin whose ports match plugin/synth_ports.h and
 * whose control ranges match the engine's; MIDI events through its atom port
 * give what the engine gives for the same events, for any block split; a
 * note sounds from its frame + the reported latency; malformed events
 * (other atom types, sysex, truncated, out of order, before or past the
 * block) are ignored safely. Run with LV2_PATH restricted to the build tree.
 * Usage: test_lilv_synth MODEL.hsm */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lilv/lilv.h>

#include "check.h"
#include "heist.h"
#include "lv2_host.h"
#include "model.h"
#include "synth_ports.h"
#include "test_model.h"

#define MIDI_EVENT "http://lv2plug.in/ns/ext/midi#MidiEvent"
#define FS 48000.0

typedef struct {
	const char *symbol;
	bool audio, input, atom;
	int voice; /* -1: no parameter; 0: heist_param which; 1: heist_voice_param which */
	int which;
} expected_port;

static const expected_port expected[HEIST_SYNTH_PORT_COUNT] = {
    [HEIST_SYNTH_PORT_MIDI_IN] = {"midi_in", false, true, true, -1, 0},
    [HEIST_SYNTH_PORT_OUT] = {"out", true, false, false, -1, 0},
    [HEIST_SYNTH_PORT_STYLE_A] = {"style_a", false, true, false, 0, HEIST_PARAM_STYLE_A},
    [HEIST_SYNTH_PORT_STYLE_B] = {"style_b", false, true, false, 0, HEIST_PARAM_STYLE_B},
    [HEIST_SYNTH_PORT_MORPH] = {"morph", false, true, false, 0, HEIST_PARAM_MORPH},
    [HEIST_SYNTH_PORT_TRANSPOSE] = {"transpose", false, true, false, 0, HEIST_PARAM_PITCH_SHIFT},
    [HEIST_SYNTH_PORT_TUNING] = {"tuning", false, true, false, 1, HEIST_VOICE_TUNING},
    [HEIST_SYNTH_PORT_BEND_RANGE] = {"bend_range", false, true, false, 1, HEIST_VOICE_BEND_RANGE},
    [HEIST_SYNTH_PORT_PORTAMENTO] = {"portamento", false, true, false, 1, HEIST_VOICE_PORTAMENTO},
    [HEIST_SYNTH_PORT_VIBRATO] = {"vibrato", false, true, false, 1, HEIST_VOICE_VIBRATO},
    [HEIST_SYNTH_PORT_LOUDNESS_SHIFT] = {"loudness_shift", false, true, false, 0,
                                         HEIST_PARAM_LOUDNESS_SHIFT},
    [HEIST_SYNTH_PORT_HARMONIC_LEVEL] = {"harmonic_level", false, true, false, 0,
                                         HEIST_PARAM_HARMONIC_LEVEL},
    [HEIST_SYNTH_PORT_NOISE_LEVEL] = {"noise_level", false, true, false, 0,
                                      HEIST_PARAM_NOISE_LEVEL},
    [HEIST_SYNTH_PORT_OUTPUT_GAIN] = {"output_gain", false, true, false, 0,
                                      HEIST_PARAM_OUTPUT_GAIN},
    [HEIST_SYNTH_PORT_LATENCY] = {"latency", false, false, false, -1, 0},
    [HEIST_SYNTH_PORT_OUTPUT_LEVEL] = {"output_level", false, false, false, -1, 0},
};

static void test_contract(LilvWorld *world, const LilvPlugin *plugin)
{
	/* Asked of the data, not lilv_plugin_get_class(): with LV2_PATH on the
	 * build tree only, lilv has no lv2core schema to know the class by. */
	(void)lilv_plugin_get_num_ports(plugin); /* loads the plugin's data (lazily read) */
	LilvNode *type = lilv_new_uri(world, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type");
	LilvNode *inst = lilv_new_uri(world, "http://lv2plug.in/ns/lv2core#InstrumentPlugin");
	CHECK(lilv_world_ask(world, lilv_plugin_get_uri(plugin), type, inst),
	      "not an lv2:InstrumentPlugin");
	lilv_node_free(type);
	lilv_node_free(inst);
	lv2_host *h = lv2h_new(world, plugin, FS);
	CHECK(h, "instantiate");
	if (!h) {
		return;
	}
	CHECK(lv2h_n_ports(h) == HEIST_SYNTH_PORT_COUNT, "%u ports, expected %u", lv2h_n_ports(h),
	      HEIST_SYNTH_PORT_COUNT);
	for (uint32_t i = 0; i < lv2h_n_ports(h) && i < HEIST_SYNTH_PORT_COUNT; ++i) {
		const lv2h_port *p = lv2h_port_info(h, i);
		const expected_port *x = &expected[i];
		CHECK(!strcmp(p->symbol, x->symbol), "port %u is '%s', expected '%s'", i, p->symbol,
		      x->symbol);
		CHECK(p->audio == x->audio && p->input == x->input && p->atom == x->atom,
		      "port %u '%s': wrong type or direction", i, p->symbol);
		if (x->voice >= 0) {
			const heist_param_info *info =
			    x->voice ? heist_voice_param_get_info((heist_voice_param)x->which)
			             : heist_param_get_info((heist_param)x->which);
			CHECK(p->min == info->min && p->max == info->max && p->def == info->def,
			      "port '%s': range %g..%g default %g, engine %g..%g default %g",
			      p->symbol, (double)p->min, (double)p->max, (double)p->def,
			      (double)info->min, (double)info->max, (double)info->def);
		}
	}
	lv2h_free(h);
}

static unsigned preset_values; /* port values seen in presets */

typedef struct {
	uint64_t t;
	uint8_t m[3];
} ev;

static const ev score[] = {
    {1001, {0x90, 67, 100}},  {12000, {0xB0, 1, 90}},   {20000, {0x90, 71, 80}},
    {20500, {0x80, 67, 0}},   {26000, {0xE0, 0, 80}},   {30000, {0x80, 71, 0}},
    {40007, {0xB0, 64, 127}}, {40009, {0x90, 60, 127}}, {44000, {0x80, 60, 0}},
    {60000, {0xB0, 64, 0}},   {70001, {0x90, 62, 30}},  {80000, {0xB0, 123, 0}},
};
#define N_SCORE (sizeof(score) / sizeof(score[0]))
#define N_SAMPLES 96000u

/* The score through the plugin in blocks cycling through blocks[]. */
static float *render_plugin(LilvWorld *world, const LilvPlugin *plugin, const uint32_t *blocks,
                            size_t n_blocks, float *latency)
{
	lv2_host *h = lv2h_new(world, plugin, FS);
	float *out = calloc(N_SAMPLES, sizeof(float));
	size_t done = 0, b = 0, j = 0;
	while (h && done < N_SAMPLES) {
		uint32_t len = blocks[b++ % n_blocks];
		len = len > N_SAMPLES - done ? (uint32_t)(N_SAMPLES - done) : len;
		while (j < N_SCORE && score[j].t < done + len) {
			const uint32_t size = (score[j].m[0] & 0xF0) == 0xD0 ? 2 : 3;
			lv2h_append_event(h, (int64_t)(score[j].t - done), MIDI_EVENT, score[j].m,
			                  size);
			++j;
		}
		lv2h_run(h, NULL, out + done, len);
		done += len;
	}
	*latency = h ? *lv2h_control_at(h, HEIST_SYNTH_PORT_LATENCY) : -1.0f;
	lv2h_free(h);
	return out;
}

/* The same score straight into the engine. */
static float *render_engine(const heist_model *model, uint32_t *latency)
{
	const heist_config cfg = heist_config_default(FS);
	heist_engine *e = heist_engine_new_synth(&cfg, model);
	float *out = calloc(N_SAMPLES, sizeof(float));
	size_t j = 0;
	for (size_t done = 0; done < N_SAMPLES; done += 256) {
		while (j < N_SCORE && score[j].t < done + 256) {
			heist_engine_midi(e, (uint32_t)(score[j].t - done), score[j].m, 3);
			++j;
		}
		heist_engine_process(e, NULL, out + done, 256);
	}
	*latency = heist_engine_latency(e);
	heist_engine_free(e);
	return out;
}

static void test_render(LilvWorld *world, const LilvPlugin *plugin, const heist_model *model)
{
	const uint32_t b256[] = {256}, odd[] = {1, 700, 31, 4096, 0, 129, 64};
	float lat_a = 0.0f, lat_b = 0.0f;
	uint32_t lat_e = 0;
	float *a = render_plugin(world, plugin, b256, 1, &lat_a);
	float *b = render_plugin(world, plugin, odd, 7, &lat_b);
	float *e = render_engine(model, &lat_e);
	CHECK(lat_a == (float)lat_e && lat_b == lat_a, "latency port %g / %g, engine %u",
	      (double)lat_a, (double)lat_b, lat_e);
	CHECK(!memcmp(a, b, N_SAMPLES * sizeof(float)), "block split changes the output (max %g)",
	      (double)check_max_diff(a, b, N_SAMPLES));
	/* The plugin flushes denormals to zero (FTZ/DAZ), the bare engine does
	 * not: values below 1e-30 may differ, nothing audible. */
	const float d = check_max_diff(a, e, N_SAMPLES);
	CHECK(d <= 1e-30f, "plugin and engine differ by %g", (double)d);
	size_t first = N_SAMPLES;
	double peak = 0.0;
	for (size_t i = 0; i < N_SAMPLES; ++i) {
		first = a[i] != 0.0f && first == N_SAMPLES ? i : first;
		peak = fabs(a[i]) > peak ? fabs(a[i]) : peak;
	}
	/* the first note: its frame + latency (the ramp's first sample is 0) */
	CHECK(first >= 1001 + (size_t)lat_a && first <= 1001 + (size_t)lat_a + 2,
	      "first sound at %zu, note at 1001 + latency %g", first, (double)lat_a);
	CHECK(peak > 0.01 && peak < 2.0, "peak %g", peak);
	printf("render: latency %g frames, first sound at %zu (note at 1001), peak %.3f, "
	       "plugin vs engine max diff %g\n",
	       (double)lat_a, first, peak, (double)d);
	free(a);
	free(b);
	free(e);
}

/* A preset's port value: a control input of the synth, within its range. */
static void preset_value(const char *symbol, void *user, const void *value, uint32_t size,
                         uint32_t type)
{
	lv2_host *h = user;
	const float *cell = lv2h_control(h, symbol);
	float v = NAN;
	if (type == lv2h_urid_map()->map(NULL, "http://lv2plug.in/ns/ext/atom#Float") &&
	    size == sizeof(float)) {
		memcpy(&v, value, sizeof(v));
	}
	const lv2h_port *p = NULL;
	for (uint32_t i = 0; i < lv2h_n_ports(h); ++i) {
		p = lv2h_control_at(h, i) == cell ? lv2h_port_info(h, i) : p;
	}
	CHECK(cell && p && p->input && v >= p->min && v <= p->max,
	      "preset value %s = %g: no such control input, or out of range", symbol, (double)v);
	++preset_values;
}

/* Its presets: four, each loadable as a lilv state whose every port value
 * names a control input of the synth, within its range. */
static void test_presets(LilvWorld *world, const LilvPlugin *plugin)
{
	LilvNode *pset = lilv_new_uri(world, "http://lv2plug.in/ns/ext/presets#Preset");
	LilvNodes *presets = lilv_plugin_get_related(plugin, pset);
	lv2_host *h = lv2h_new(world, plugin, FS);
	unsigned n = 0;
	LILV_FOREACH(nodes, i, presets)
	{
		const LilvNode *uri = lilv_nodes_get(presets, i);
		lilv_world_load_resource(world, uri);
		LilvState *st = lilv_state_new_from_world(world, lv2h_urid_map(), uri);
		CHECK(st, "preset %s does not load", lilv_node_as_uri(uri));
		if (!st || !h) {
			continue;
		}
		++n;
		CHECK(lilv_state_get_num_properties(st) == 0, "preset with properties");
		const unsigned before = preset_values;
		lilv_state_emit_port_values(st, preset_value, h);
		CHECK(preset_values - before == 12, "preset %s sets %u ports, expected all 12",
		      lilv_node_as_uri(uri), preset_values - before);
		lilv_state_free(st);
	}
	CHECK(n == 4, "%u presets, expected 4", n);
	printf("presets: %u\n", n);
	lilv_nodes_free(presets);
	lilv_node_free(pset);
	lv2h_free(h);
}

static void test_malformed(LilvWorld *world, const LilvPlugin *plugin)
{
	lv2_host *h = lv2h_new(world, plugin, FS);
	CHECK(h, "instantiate");
	if (!h) {
		return;
	}
	float out[512];
	int bad = 0;
	uint32_t rng = 99;
	for (int blk = 0; blk < 500; ++blk) {
		for (int k = 0; k < 6; ++k) {
			uint8_t m[8];
			for (int q = 0; q < 8; ++q) {
				rng = rng * 1664525u + 1013904223u;
				m[q] = (uint8_t)(rng >> 24);
			}
			rng = rng * 1664525u + 1013904223u;
			const int64_t at = (int64_t)(rng >> 20) % 1500 - 500; /* before, in, past */
			lv2h_append_event(h, at, MIDI_EVENT, m, 1 + (rng >> 29));
			lv2h_append_event(h, at, "http://lv2plug.in/ns/ext/atom#Float", m, 4);
		}
		const uint8_t running[2] = {64, 90},
		              sysex[6] = {0xF0, 0x7E, 0x7F, 0x09, 0x01, 0xF7};
		lv2h_append_event(h, 10, MIDI_EVENT, running, 2);
		lv2h_append_event(h, 5, MIDI_EVENT, sysex, 6);
		lv2h_run(h, NULL, out, blk % 9 == 0 ? 0 : 512);
		for (int i = 0; i < 512 && blk % 9; ++i) {
			bad += !(fabsf(out[i]) < 8.0f);
		}
	}
	CHECK(bad == 0, "%d non-finite or runaway samples", bad);
	const uint8_t off[3] = {0xB0, 120, 0}, reset[3] = {0xB0, 121, 0}, on[3] = {0x90, 69, 100};
	lv2h_append_event(h, 0, MIDI_EVENT, off, 3);
	lv2h_append_event(h, 0, MIDI_EVENT, reset, 3);
	lv2h_append_event(h, 1, MIDI_EVENT, on, 3);
	double peak = 0.0;
	for (int blk = 0; blk < 50; ++blk) {
		lv2h_run(h, NULL, out, 512);
		peak = fmax(peak, check_peak(out, 512));
	}
	CHECK(peak > 1e-3 && peak < 8.0, "a note after the garbage: peak %g", peak);
	lv2h_free(h);
}

int main(int argc, char **argv)
{
	heist_model *model = test_model_arg(argc, argv, "test_lilv_synth");
	LilvWorld *world = lv2h_world_new();
	const LilvPlugin *plugin = lv2h_find_plugin(world, HEIST_SYNTH_URI);
	CHECK(plugin, "<%s> not found", HEIST_SYNTH_URI);
	if (plugin && model) {
		test_contract(world, plugin);
		test_render(world, plugin, model);
		test_malformed(world, plugin);
		test_presets(world, plugin);
	}
	lilv_world_free(world);
	heist_model_free(model);
	return check_exit("lilv_synth");
}
