/* Failure paths of instantiate(), through lilv: without urid:map, and with a
 * damaged model in the bundle, the plugin returns NULL and says why through
 * the host's log.
 * Run with LV2_PATH restricted to the build tree.
 */
#include <stdarg.h>
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
#include "ports.h"

#define MAX_URIDS 64
static char urid_table[MAX_URIDS][128];
static uint32_t n_urids;

static LV2_URID map_uri(LV2_URID_Map_Handle handle, const char *uri)
{
	(void)handle;
	for (uint32_t i = 0; i < n_urids; ++i) {
		if (!strcmp(urid_table[i], uri)) {
			return i + 1;
		}
	}
	if (n_urids == MAX_URIDS || strlen(uri) >= sizeof(urid_table[0])) {
		return 0;
	}
	strcpy(urid_table[n_urids], uri);
	return ++n_urids;
}

/* The log keeps the last message. */
static char last_log[1024];

static int log_vprintf(LV2_Log_Handle handle, LV2_URID type, const char *fmt, va_list ap)
{
	(void)handle;
	(void)type;
	return vsnprintf(last_log, sizeof(last_log), fmt, ap);
}

static int log_printf(LV2_Log_Handle handle, LV2_URID type, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const int r = log_vprintf(handle, type, fmt, ap);
	va_end(ap);
	return r;
}

static LV2_URID_Map map = {NULL, map_uri};
static LV2_Log_Log log_ = {NULL, log_printf, log_vprintf};
static const LV2_Feature map_feature = {LV2_URID__map, &map};
static const LV2_Feature log_feature = {LV2_LOG__log, &log_};

static const LilvPlugin *find_plugin(LilvWorld *world)
{
	LilvNode *uri = lilv_new_uri(world, HEIST_URI);
	const LilvPlugin *p = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(world), uri);
	lilv_node_free(uri);
	return p;
}

static void test_missing_map(const LilvPlugin *plugin)
{
	const LV2_Feature *const features[] = {&log_feature, NULL};
	last_log[0] = '\0';
	LilvInstance *instance = lilv_plugin_instantiate(plugin, 48000.0, features);
	CHECK(!instance, "instantiated without urid:map");
	CHECK(strstr(last_log, LV2_URID__map), "no log message naming urid:map (got \"%s\")",
	      last_log);
	lilv_instance_free(instance);

	/* Without a log either: still NULL (the message goes to stderr). */
	const LV2_Feature *const none[] = {NULL};
	instance = lilv_plugin_instantiate(plugin, 48000.0, none);
	CHECK(!instance, "instantiated without any feature");
	lilv_instance_free(instance);
}

static bool write_file(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		return false;
	}
	const bool ok = fwrite(data, 1, size, f) == size;
	return fclose(f) == 0 && ok;
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
	CHECK(write_file(model, "HEISTHSM\1\0\0\0", 12), "write %s", model);

	LilvWorld *world = lilv_world_new();
	char bundle[4200];
	snprintf(bundle, sizeof(bundle), "%s/", dir);
	LilvNode *bundle_node = lilv_new_file_uri(world, NULL, bundle);
	lilv_world_load_bundle(world, bundle_node);
	const LilvPlugin *plugin = find_plugin(world);
	CHECK(plugin, "plugin not found in %s", bundle);
	if (plugin) {
		const LV2_Feature *const features[] = {&map_feature, &log_feature, NULL};
		last_log[0] = '\0';
		LilvInstance *instance = lilv_plugin_instantiate(plugin, 48000.0, features);
		CHECK(!instance, "instantiated with a truncated model");
		CHECK(strstr(last_log, "heist-default.hsm"),
		      "the log message does not name the model file (got \"%s\")", last_log);
		printf("bad model: %s", last_log);
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
	LilvWorld *world = lilv_world_new();
	lilv_world_load_all(world);
	const LilvPlugin *plugin = find_plugin(world);
	CHECK(plugin, "<%s> not found on LV2_PATH", HEIST_URI);
	if (plugin) {
		test_missing_map(plugin);
		test_bad_model(plugin);
	}
	lilv_world_free(world);
	return check_exit("test_lilv_fail");
}
