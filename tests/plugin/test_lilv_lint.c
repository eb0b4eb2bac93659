/* What lv2lint (not packaged in Debian 12) checks, held in the bundle by
 * construction and checked here through lilv so that it cannot regress:
 *  - the UI requires ui:parent and neither declares nor offers ui:resize
 *    (feature or extension data: deprecated);
 *  - the maintainer has a foaf:mbox, the project and the plugin a
 *    doap:shortdesc, lv2:minorVersion is even (odd reads as unstable);
 *  - the plugin has a category below lv2:Plugin;
 *  - every control port with a physical meaning has units:unit (toggles and
 *    enumerations have none);
 *  - the latency output has a range, wide enough for the engine's largest
 *    latency (lowest pitch 50 Hz at 768 kHz);
 *  - style_a/style_b range over the shipped model's styles, 0..N-1, with one
 *    scale point each;
 *  - the audio ports are in mono port groups named by pg:mainInput/Output.
 * Run with LV2_PATH restricted to the build tree. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lilv/lilv.h>
#include <lv2/core/lv2.h>
#include <lv2/port-groups/port-groups.h>
#include <lv2/ui/ui.h>
#include <lv2/units/units.h>

#include "check.h"
#include "heist.h"
#include "lv2_host.h"
#include "model.h"
#include "ports.h"

#define DOAP "http://usefulinc.com/ns/doap#"
#define FOAF "http://xmlns.com/foaf/0.1/"
#define RDF_TYPE "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#define HEIST_UI_URI HEIST_URI "#ui"
#define HEIST_SYNTH_UI_URI "http://heist.audio/plugins/heist-synth#ui"

static LilvWorld *world;

static LilvNode *uri(const char *u)
{
	return lilv_new_uri(world, u);
}

/* Whether subject has predicate object (a URI). */
static bool has(const LilvNode *subject, const char *predicate, const char *object)
{
	LilvNode *p = uri(predicate), *o = uri(object);
	const bool yes = lilv_world_ask(world, subject, p, o);
	lilv_node_free(p);
	lilv_node_free(o);
	return yes;
}

/* The first object of subject's predicate, or NULL (free it). */
static LilvNode *get(const LilvNode *subject, const char *predicate)
{
	LilvNode *p = uri(predicate);
	LilvNode *v = lilv_world_get(world, subject, p, NULL);
	lilv_node_free(p);
	return v;
}

/* Both UIs of heist_ui.so (the effect's, Heist Synth's) declare the same. */
static void check_ui(const char *ui_uri)
{
	LilvNode *ui = uri(ui_uri);
	lilv_world_load_resource(world, ui); /* heist_ui.ttl, its rdfs:seeAlso */
	CHECK(has(ui, LV2_CORE__requiredFeature, LV2_UI__parent), "ui:parent is not required");
	CHECK(!has(ui, LV2_CORE__optionalFeature, LV2_UI__parent), "ui:parent is optional too");
	CHECK(!has(ui, LV2_CORE__optionalFeature, LV2_UI__resize) &&
	          !has(ui, LV2_CORE__requiredFeature, LV2_UI__resize),
	      "ui:resize declared as a feature");
	CHECK(!has(ui, LV2_CORE__extensionData, LV2_UI__resize),
	      "ui:resize declared as extension data");
	CHECK(has(ui, LV2_CORE__extensionData, LV2_UI__idleInterface), "no ui:idleInterface");
	lilv_node_free(ui);
}

static void check_project(const LilvPlugin *plugin)
{
	LilvNode *project = lilv_plugin_get_project(plugin);
	CHECK(project, "no lv2:project");
	if (!project) {
		return;
	}
	LilvNode *maintainer = get(project, DOAP "maintainer");
	LilvNode *mbox = maintainer ? get(maintainer, FOAF "mbox") : NULL;
	CHECK(mbox && lilv_node_is_uri(mbox) && !strncmp(lilv_node_as_uri(mbox), "mailto:", 7),
	      "the maintainer has no foaf:mbox mailto: URI");
	LilvNode *pdesc = get(project, DOAP "shortdesc");
	CHECK(pdesc && lilv_node_is_string(pdesc), "the project has no doap:shortdesc");
	LilvNode *desc = get(lilv_plugin_get_uri(plugin), DOAP "shortdesc");
	CHECK(desc && lilv_node_is_string(desc), "the plugin has no doap:shortdesc");
	LilvNode *minor = get(lilv_plugin_get_uri(plugin), LV2_CORE__minorVersion);
	CHECK(minor && lilv_node_is_int(minor) && lilv_node_as_int(minor) % 2 == 0,
	      "lv2:minorVersion %d is odd or missing", minor ? lilv_node_as_int(minor) : -1);
	lilv_node_free(minor);
	lilv_node_free(desc);
	lilv_node_free(pdesc);
	lilv_node_free(mbox);
	lilv_node_free(maintainer);
	lilv_node_free(project);
}

/* The lv2core schema is not on the restricted LV2_PATH (so lilv cannot
 * resolve the class): the plugin's types are asked directly. */
static void check_category(const LilvPlugin *plugin)
{
	CHECK(has(lilv_plugin_get_uri(plugin), RDF_TYPE, LV2_CORE__PitchPlugin),
	      "not an lv2:PitchPlugin (no category below lv2:Plugin)");
}

/* Control ports without units: toggles and enumerations. */
static bool unitless(uint32_t index)
{
	return index == HEIST_PORT_ENABLED || index == HEIST_PORT_AUTO_OCTAVE ||
	       index == HEIST_PORT_STYLE_A || index == HEIST_PORT_STYLE_B ||
	       index == HEIST_PORT_BELOW_RANGE || index == HEIST_PORT_GATE_OPEN ||
	       index == HEIST_PORT_LEVEL_MATCH;
}

static void check_units(const LilvPlugin *plugin)
{
	LilvNode *control = uri(LV2_CORE__ControlPort);
	LilvNode *unit = uri(LV2_UNITS__unit);
	for (uint32_t i = 0; i < lilv_plugin_get_num_ports(plugin); ++i) {
		const LilvPort *port = lilv_plugin_get_port_by_index(plugin, i);
		if (!lilv_port_is_a(plugin, port, control)) {
			continue;
		}
		LilvNodes *units = lilv_port_get_value(plugin, port, unit);
		const bool any = units && lilv_nodes_size(units) > 0;
		if (i < HEIST_PORT_COUNT) {
			CHECK(any != unitless(i), "port %u (%s): %s", i,
			      lilv_node_as_string(lilv_port_get_symbol(plugin, port)),
			      any ? "a unit on a toggle or enumeration" : "no units:unit");
		}
		lilv_nodes_free(units);
	}
	lilv_node_free(unit);
	lilv_node_free(control);
}

/* [main] The model shipped in the bundle, or NULL after a failed check. */
static heist_model *bundle_model(const LilvPlugin *plugin)
{
	const char *bundle = lilv_node_get_path(lilv_plugin_get_bundle_uri(plugin), NULL);
	char path[1024];
	snprintf(path, sizeof path, "%sheist-default.hsm", bundle ? bundle : "");
	lilv_free((void *)bundle);
	char err[256] = "";
	heist_model *m = heist_model_load(path, err, sizeof err);
	CHECK(m, "%s", err);
	return m;
}

static void check_latency(const LilvPlugin *plugin)
{
	const LilvPort *port = lilv_plugin_get_port_by_index(plugin, HEIST_PORT_LATENCY);
	LilvNode *def = NULL, *min = NULL, *max = NULL;
	lilv_port_get_range(plugin, port, &def, &min, &max);
	CHECK(def && min && max, "the latency port has no range");
	if (def && min && max) {
		CHECK(lilv_node_as_float(min) == 0.0f && lilv_node_as_float(def) == 0.0f,
		      "latency minimum/default not 0");
		/* The largest latency Heist reports at any tested rate. */
		heist_model *m = bundle_model(plugin);
		if (m) {
			const heist_config cfg = heist_config_default(768000.0);
			heist_engine *e = heist_engine_new(&cfg, m);
			CHECK(e, "no engine at 768 kHz");
			if (e) {
				heist_engine_set_param(e, HEIST_PARAM_LOWEST_PITCH, 50.0f);
				float x[64] = {0};
				heist_engine_process(e, x, x, 64);
				const uint32_t lat = heist_engine_latency(e);
				CHECK(
				    lat > 0 && (float)lat <= lilv_node_as_float(max),
				    "latency %u frames at 768 kHz exceeds the declared maximum %g",
				    lat, (double)lilv_node_as_float(max));
				printf("largest latency: %u frames (declared maximum %g)\n", lat,
				       (double)lilv_node_as_float(max));
				heist_engine_free(e);
			}
		}
		heist_model_free(m);
	}
	lilv_node_free(def);
	lilv_node_free(min);
	lilv_node_free(max);
}

static void check_styles(const LilvPlugin *plugin)
{
	heist_model *m = bundle_model(plugin);
	if (!m) {
		return;
	}
	const uint32_t ports[2] = {HEIST_PORT_STYLE_A, HEIST_PORT_STYLE_B};
	for (int k = 0; k < 2; ++k) {
		const LilvPort *port = lilv_plugin_get_port_by_index(plugin, ports[k]);
		LilvNode *def = NULL, *min = NULL, *max = NULL;
		lilv_port_get_range(plugin, port, &def, &min, &max);
		CHECK(min && lilv_node_as_int(min) == 0, "style port %u: minimum not 0", ports[k]);
		CHECK(max && lilv_node_as_int(max) == (int)m->n_styles - 1,
		      "style port %u: maximum %d, the model has %u styles", ports[k],
		      max ? lilv_node_as_int(max) : -1, m->n_styles);
		LilvScalePoints *points = lilv_port_get_scale_points(plugin, port);
		CHECK(points && lilv_scale_points_size(points) == m->n_styles,
		      "style port %u: %u scale points for %u styles", ports[k],
		      points ? lilv_scale_points_size(points) : 0, m->n_styles);
		lilv_scale_points_free(points);
		lilv_node_free(def);
		lilv_node_free(min);
		lilv_node_free(max);
	}
	heist_model_free(m);
}

static void check_groups(const LilvPlugin *plugin)
{
	const LilvNode *p = lilv_plugin_get_uri(plugin);
	LilvNode *in_group = get(p, LV2_PORT_GROUPS__mainInput);
	LilvNode *out_group = get(p, LV2_PORT_GROUPS__mainOutput);
	CHECK(in_group && out_group, "no pg:mainInput / pg:mainOutput");
	if (in_group && out_group) {
		CHECK(has(in_group, RDF_TYPE, LV2_PORT_GROUPS__MonoGroup) &&
		          has(out_group, RDF_TYPE, LV2_PORT_GROUPS__MonoGroup),
		      "the main groups are not pg:MonoGroup");
		LilvNode *group = uri(LV2_PORT_GROUPS__group);
		const uint32_t ports[2] = {HEIST_PORT_IN, HEIST_PORT_OUT};
		const LilvNode *groups[2] = {in_group, out_group};
		for (int k = 0; k < 2; ++k) {
			const LilvPort *port = lilv_plugin_get_port_by_index(plugin, ports[k]);
			LilvNodes *g = lilv_port_get_value(plugin, port, group);
			CHECK(g && lilv_nodes_contains(g, groups[k]), "port %u not in its group",
			      ports[k]);
			lilv_nodes_free(g);
		}
		lilv_node_free(group);
	}
	lilv_node_free(in_group);
	lilv_node_free(out_group);
}

int main(void)
{
	world = lv2h_world_new();
	const LilvPlugin *plugin = lv2h_find_plugin(world, HEIST_URI);
	CHECK(plugin, "<%s> not found", HEIST_URI);
	if (plugin) {
		check_ui(HEIST_UI_URI);
		check_ui(HEIST_SYNTH_UI_URI);
		check_project(plugin);
		check_category(plugin);
		check_units(plugin);
		check_latency(plugin);
		check_styles(plugin);
		check_groups(plugin);
	}
	lilv_world_free(world);
	return check_exit("test_lilv_lint");
}
