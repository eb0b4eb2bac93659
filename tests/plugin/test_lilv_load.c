/* The bundle as a host sees it: lilv finds the plugin, and every port's index,
 * symbol, direction and type match plugin/ports.h; control ranges and
 * defaults match dsp/params.c. Run with LV2_PATH restricted to the build tree.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/core/lv2.h>
#include <lv2/urid/urid.h>

#include "check.h"
#include "heist.h"
#include "lv2_host.h"
#include "ports.h"

#define RDFS_COMMENT "http://www.w3.org/2000/01/rdf-schema#comment"
#define RDF_TYPE "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

typedef struct {
	const char *symbol;
	bool audio;        /* else control */
	bool input;        /* else output */
	heist_param param; /* HEIST_PARAM_COUNT when the port is no parameter */
	bool atom;         /* an atom:AtomPort (then audio is false) */
} expected_port;

/* The contract, written out independently of the TTL. */
static const expected_port expected[HEIST_PORT_COUNT] = {
    [HEIST_PORT_IN] = {"in", true, true, HEIST_PARAM_COUNT},
    [HEIST_PORT_OUT] = {"out", true, false, HEIST_PARAM_COUNT},
    [HEIST_PORT_PITCH_SHIFT] = {"pitch_shift", false, true, HEIST_PARAM_PITCH_SHIFT},
    [HEIST_PORT_LOUDNESS_SHIFT] = {"loudness_shift", false, true, HEIST_PARAM_LOUDNESS_SHIFT},
    [HEIST_PORT_HARMONIC_LEVEL] = {"harmonic_level", false, true, HEIST_PARAM_HARMONIC_LEVEL},
    [HEIST_PORT_NOISE_LEVEL] = {"noise_level", false, true, HEIST_PARAM_NOISE_LEVEL},
    [HEIST_PORT_CONFIDENCE_GATE] = {"confidence_gate", false, true, HEIST_PARAM_CONFIDENCE_GATE},
    [HEIST_PORT_DRY_WET] = {"dry_wet", false, true, HEIST_PARAM_DRY_WET},
    [HEIST_PORT_OUTPUT_GAIN] = {"output_gain", false, true, HEIST_PARAM_OUTPUT_GAIN},
    [HEIST_PORT_ENABLED] = {"enabled", false, true, HEIST_PARAM_ENABLED},
    [HEIST_PORT_PITCH_OUT] = {"pitch", false, false, HEIST_PARAM_COUNT},
    [HEIST_PORT_CONFIDENCE_OUT] = {"confidence", false, false, HEIST_PARAM_COUNT},
    [HEIST_PORT_LOUDNESS_OUT] = {"loudness", false, false, HEIST_PARAM_COUNT},
    [HEIST_PORT_LATENCY] = {"latency", false, false, HEIST_PARAM_COUNT},
    [HEIST_PORT_STYLE_A] = {"style_a", false, true, HEIST_PARAM_STYLE_A},
    [HEIST_PORT_STYLE_B] = {"style_b", false, true, HEIST_PARAM_STYLE_B},
    [HEIST_PORT_MORPH] = {"morph", false, true, HEIST_PARAM_MORPH},
    [HEIST_PORT_INPUT_LEVEL] = {"input_level", false, false, HEIST_PARAM_COUNT},
    [HEIST_PORT_OUTPUT_LEVEL] = {"output_level", false, false, HEIST_PARAM_COUNT},
    [HEIST_PORT_CONTROL] = {"control", false, true, HEIST_PARAM_COUNT, true},
    [HEIST_PORT_NOTIFY] = {"notify", false, false, HEIST_PARAM_COUNT, true},
    [HEIST_PORT_LOWEST_PITCH] = {"lowest_pitch", false, true, HEIST_PARAM_LOWEST_PITCH},
    [HEIST_PORT_AUTO_OCTAVE] = {"auto_octave", false, true, HEIST_PARAM_AUTO_OCTAVE},
    [HEIST_PORT_LOUDNESS_FIT] = {"loudness_fit", false, true, HEIST_PARAM_LOUDNESS_FIT},
    [HEIST_PORT_INPUT_GATE] = {"input_gate", false, true, HEIST_PARAM_INPUT_GATE},
    [HEIST_PORT_BELOW_RANGE] = {"below_range", false, false, HEIST_PARAM_COUNT},
    [HEIST_PORT_OUT_PITCH] = {"output_pitch", false, false, HEIST_PARAM_COUNT},
    [HEIST_PORT_GATE_OPEN] = {"gate_open", false, false, HEIST_PARAM_COUNT},
    [HEIST_PORT_LEVEL_MATCH] = {"level_match", false, true, HEIST_PARAM_LEVEL_MATCH},
    [HEIST_PORT_MIDI_OUT] = {"midi_out", false, false, HEIST_PARAM_COUNT, true},
    [HEIST_PORT_MIDI_BEND_RANGE] = {"midi_bend_range", false, true, HEIST_PARAM_COUNT},
    [HEIST_PORT_MIDI_MIN_NOTE] = {"midi_min_note", false, true, HEIST_PARAM_COUNT},
    [HEIST_PORT_MIDI_HYSTERESIS] = {"midi_hysteresis", false, true, HEIST_PARAM_COUNT},
    [HEIST_PORT_MIDI_LOOKAHEAD] = {"midi_lookahead", false, true, HEIST_PARAM_COUNT},
};

static void check(bool ok, const char *what, unsigned port)
{
	CHECK(ok, "port %u: %s", port, what);
}

/* Exact equality: the TTL literal and the C literal are the same decimal
 * number, and both sides round it to the nearest float. */
static void check_value(const LilvNode *node, float want, const char *what, unsigned port)
{
	if (!node || (!lilv_node_is_float(node) && !lilv_node_is_int(node))) {
		fprintf(stderr, "FAIL: port %u: %s missing\n", port, what);
		++check_failures;
		return;
	}
	const float got = lilv_node_as_float(node);
	if (got != want) {
		fprintf(stderr, "FAIL: port %u: %s is %g, dsp/params.c says %g\n", port, what,
		        (double)got, (double)want);
		++check_failures;
	}
}

static void check_port(LilvWorld *world, const LilvPlugin *plugin, unsigned index)
{
	const expected_port *want = &expected[index];
	const LilvPort *port = lilv_plugin_get_port_by_index(plugin, index);
	if (!port) {
		check(false, "missing", index);
		return;
	}

	const char *symbol = lilv_node_as_string(lilv_port_get_symbol(plugin, port));
	if (strcmp(symbol, want->symbol)) {
		fprintf(stderr, "FAIL: port %u: symbol \"%s\", ports.h expects \"%s\"\n", index,
		        symbol, want->symbol);
		++check_failures;
	}

	LilvNode *audio = lilv_new_uri(world, LV2_CORE__AudioPort);
	LilvNode *control = lilv_new_uri(world, LV2_CORE__ControlPort);
	LilvNode *input = lilv_new_uri(world, LV2_CORE__InputPort);
	LilvNode *output = lilv_new_uri(world, LV2_CORE__OutputPort);
	LilvNode *comment = lilv_new_uri(world, RDFS_COMMENT);

	LilvNode *atom = lilv_new_uri(world, LV2_ATOM__AtomPort);
	const LilvNode *type = want->atom ? atom : want->audio ? audio : control;
	check(lilv_port_is_a(plugin, port, type), "wrong type", index);
	check(lilv_port_is_a(plugin, port, audio) + lilv_port_is_a(plugin, port, control) +
	              lilv_port_is_a(plugin, port, atom) ==
	          1,
	      "two types", index);
	lilv_node_free(atom);
	check(lilv_port_is_a(plugin, port, want->input ? input : output), "wrong direction", index);
	check(!lilv_port_is_a(plugin, port, want->input ? output : input), "two directions", index);

	LilvNodes *comments = lilv_port_get_value(plugin, port, comment);
	check(comments && lilv_nodes_size(comments) > 0, "no rdfs:comment", index);
	lilv_nodes_free(comments);

	if (want->param != HEIST_PARAM_COUNT) {
		const heist_param_info *info = heist_param_get_info(want->param);
		check(!strcmp(info->symbol, symbol), "symbol differs from dsp/params.c", index);
		check(heist_param_from_symbol(symbol) == want->param, "symbol maps elsewhere",
		      index);
		LilvNode *def = NULL;
		LilvNode *min = NULL;
		LilvNode *max = NULL;
		lilv_port_get_range(plugin, port, &def, &min, &max);
		check_value(def, info->def, "lv2:default", index);
		check_value(min, info->min, "lv2:minimum", index);
		/* Style ports: the engine takes any index and clamps; the TTL's
		 * range is the shipped model's styles (test_lilv_lint checks). */
		if (want->param != HEIST_PARAM_STYLE_A && want->param != HEIST_PARAM_STYLE_B) {
			check_value(max, info->max, "lv2:maximum", index);
		}
		lilv_node_free(def);
		lilv_node_free(min);
		lilv_node_free(max);
	}

	lilv_node_free(comment);
	lilv_node_free(output);
	lilv_node_free(input);
	lilv_node_free(control);
	lilv_node_free(audio);
}

static void check_plugin(LilvWorld *world, const LilvPlugin *plugin)
{
	check(lilv_plugin_verify(plugin), "lilv_plugin_verify", 0);

	LilvNode *name = lilv_plugin_get_name(plugin);
	check(name && !strcmp(lilv_node_as_string(name), "Heist"), "doap:name is not Heist", 0);
	lilv_node_free(name);

	LilvNode *author = lilv_plugin_get_author_name(plugin);
	check(author != NULL, "no maintainer", 0);
	lilv_node_free(author);

	/* The lv2core spec is not on the restricted LV2_PATH, so ask the data
	 * directly instead of going through lilv_plugin_get_class(). */
	LilvNode *type = lilv_new_uri(world, RDF_TYPE);
	LilvNode *spectral = lilv_new_uri(world, LV2_CORE__PitchPlugin);
	check(lilv_world_ask(world, lilv_plugin_get_uri(plugin), type, spectral),
	      "not an lv2:PitchPlugin", 0);
	lilv_node_free(spectral);
	lilv_node_free(type);

	LilvNodes *required = lilv_plugin_get_required_features(plugin);
	LilvNode *map = lilv_new_uri(world, LV2_URID__map);
	check(required && lilv_nodes_size(required) == 1 && lilv_nodes_contains(required, map),
	      "required features are not exactly urid:map", 0);
	lilv_node_free(map);
	lilv_nodes_free(required);

	LilvNode *rt = lilv_new_uri(world, LV2_CORE__hardRTCapable);
	check(lilv_plugin_has_feature(plugin, rt), "not lv2:hardRTCapable", 0);
	lilv_node_free(rt);

	LilvNode *in_place_broken = lilv_new_uri(world, LV2_CORE__inPlaceBroken);
	check(!lilv_plugin_has_feature(plugin, in_place_broken), "declares inPlaceBroken", 0);
	lilv_node_free(in_place_broken);

	check(lilv_plugin_get_num_ports(plugin) == HEIST_PORT_COUNT,
	      "port count differs from ports.h", 0);
	for (unsigned i = 0; i < HEIST_PORT_COUNT; ++i) {
		check_port(world, plugin, i);
	}

	check(lilv_plugin_has_latency(plugin), "no latency port", HEIST_PORT_LATENCY);
	check(lilv_plugin_get_latency_port_index(plugin) == HEIST_PORT_LATENCY,
	      "lv2:latency is on another port", HEIST_PORT_LATENCY);

	LilvNode *input = lilv_new_uri(world, LV2_CORE__InputPort);
	LilvNode *enabled = lilv_new_uri(world, LV2_CORE__enabled);
	LilvNode *toggled = lilv_new_uri(world, LV2_CORE__toggled);
	const LilvPort *en = lilv_plugin_get_port_by_designation(plugin, input, enabled);
	check(en && lilv_port_get_index(plugin, en) == HEIST_PORT_ENABLED,
	      "lv2:enabled is on another port", HEIST_PORT_ENABLED);
	check(en && lilv_port_has_property(plugin, en, toggled), "enabled is not lv2:toggled",
	      HEIST_PORT_ENABLED);
	lilv_node_free(toggled);
	lilv_node_free(enabled);
	lilv_node_free(input);
}

int main(void)
{
	LilvWorld *world = lv2h_world_new();
	const LilvPlugin *plugin = lv2h_find_plugin(world, HEIST_URI);
	CHECK(plugin, "<%s> not found", HEIST_URI);
	if (plugin) {
		check_plugin(world, plugin);
	}
	lilv_world_free(world);
	printf("%u ports checked against plugin/ports.h and dsp/params.c\n", HEIST_PORT_COUNT);
	return check_exit("test_lilv_load");
}
