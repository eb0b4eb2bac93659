/* Failure paths of instantiate(), through lilv: without urid:map, and with a
 * damaged model in the bundle, the plugin returns NULL and says why through
 * the host's log.
 * Run with LV2_PATH restricted to the build tree.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dirent.h>

#include <lilv/lilv.h>
#include <lv2/core/lv2.h>
#include <lv2/log/log.h>
#include <lv2/urid/urid.h>

#include "check.h"
#include "lv2_host.h"
#include "ports.h"

/* The log keeps the last message (quiet: the test prints what it checks). */
static lv2h_log log_;

static void test_missing_map(const LilvPlugin *plugin)
{
	const LV2_Feature *const features[] = {&log_.feature, NULL};
	log_.last[0] = '\0';
	LilvInstance *instance = lilv_plugin_instantiate(plugin, 48000.0, features);
	CHECK(!instance, "instantiated without urid:map");
	CHECK(strstr(log_.last, LV2_URID__map), "no log message naming urid:map (got \"%s\")",
	      log_.last);
	lilv_instance_free(instance);

	/* Without a log either: still NULL (the message goes to stderr). */
	const LV2_Feature *const none[] = {NULL};
	instance = lilv_plugin_instantiate(plugin, 48000.0, none);
	CHECK(!instance, "instantiated without any feature");
	lilv_instance_free(instance);
}

/* A copy of the build-tree bundle (links to every file of it: binaries,
 * TTL, presets) whose model is a truncated header. */
static void test_bad_model(const LilvPlugin *good)
{
	const LilvNode *bundle_uri = lilv_plugin_get_bundle_uri(good);
	char *src = lilv_file_uri_parse(lilv_node_as_uri(bundle_uri), NULL);
	char dir[] = "/tmp/heist-bad-model-XXXXXX";
	if (!mkdtemp(dir)) {
		CHECK(false, "mkdtemp");
		lilv_free(src);
		return;
	}

	char from[4096];
	char to[4096];
	DIR *d = opendir(src);
	CHECK(d, "cannot list %s", src);
	for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d)) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "heist-default.hsm") ||
		    strstr(e->d_name, ".p")) {
			continue; /* ., .., the model, meson's object folders (*.so.p) */
		}
		snprintf(from, sizeof(from), "%s/%s", src, e->d_name);
		snprintf(to, sizeof(to), "%s/%s", dir, e->d_name);
		CHECK(symlink(from, to) == 0, "symlink %s", to);
	}
	if (d) {
		closedir(d);
	}
	char model[4096];
	snprintf(model, sizeof(model), "%s/heist-default.hsm", dir);
	CHECK(lv2h_write_file(model, "HEISTHSM\1\0\0\0", 12), "write %s", model);

	LilvWorld *world = lilv_world_new();
	char bundle[4200];
	snprintf(bundle, sizeof(bundle), "%s/", dir);
	LilvNode *bundle_node = lilv_new_file_uri(world, NULL, bundle);
	lilv_world_load_bundle(world, bundle_node);
	const LilvPlugin *plugin = lv2h_find_plugin(world, HEIST_URI);
	CHECK(plugin, "plugin not found in %s", bundle);
	if (plugin) {
		const LV2_Feature *const features[] = {lv2h_map_feature(), &log_.feature, NULL};
		log_.last[0] = '\0';
		LilvInstance *instance = lilv_plugin_instantiate(plugin, 48000.0, features);
		CHECK(!instance, "instantiated with a truncated model");
		CHECK(strstr(log_.last, "heist-default.hsm"),
		      "the log message does not name the model file (got \"%s\")", log_.last);
		printf("bad model: %s", log_.last);
		lilv_instance_free(instance);
	}
	lilv_node_free(bundle_node);
	lilv_world_free(world);

	d = opendir(dir);
	for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d)) {
		if (e->d_name[0] != '.') {
			snprintf(to, sizeof(to), "%s/%s", dir, e->d_name);
			remove(to);
		}
	}
	if (d) {
		closedir(d);
	}
	remove(dir);
	lilv_free(src);
}

int main(void)
{
	lv2h_log_init(&log_, true);
	LilvWorld *world = lv2h_world_new();
	const LilvPlugin *plugin = lv2h_find_plugin(world, HEIST_URI);
	CHECK(plugin, "<%s> not found on LV2_PATH", HEIST_URI);
	if (plugin) {
		test_missing_map(plugin);
		test_bad_model(plugin);
	}
	lilv_world_free(world);
	return check_exit("test_lilv_fail");
}
