/* Instances of the plugin in one process share one copy of each model
 * (dsp/model.h heist_model_acquire): measured from the outside, by the heap
 * the process holds (glibc's mallinfo2: the plugin's allocations are this
 * process's), through lilv and the real bundle.
 *  - a second instance adds far less than a model's weights;
 *  - a copy of the shipped model under another path, loaded through the
 *    worker, adds no model (content, not path, is the key);
 *  - a different model loaded into two instances is held once;
 *  - when every instance is gone the models are freed.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lilv/lilv.h>

#include "check.h"
#include "heist.h"
#include "lv2_host.h"
#include "model.h"
#include "ports.h"

#define RATE 48000.0
#define MIB (1024.0 * 1024.0)

/* The shipped model's weights in memory: 0.61 MiB as parsed plus 0.92 MiB
 * packed for the kernels (float32 and binary16) = 1.5 MiB. An instance that
 * held its own copy would add at least that; one that shares adds its engine
 * (0.13 MiB, heist-bench), its plugin state and the test host's buffers
 * (LV2H_MAX_BLOCK frames of audio and atom buffers, ~0.1 MiB). */
#define SHARED_INSTANCE_MAX_MIB 0.5
#define MODEL_MIN_MIB 1.0

static double heap_mib(void)
{
	const struct mallinfo2 mi = mallinfo2();
	return (double)(mi.uordblks + mi.hblkhd) / MIB;
}

static uint8_t *read_all(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	const long n = ftell(f);
	rewind(f);
	uint8_t *buf = n > 0 ? malloc((size_t)n) : NULL;
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*size = (size_t)n;
	return buf;
}

/* Send a model path through patch:Set and run the worker until it is in. */
static void load_model(lv2_host *h, const char *prop, const char *path)
{
	float buf[64] = {0};
	const uint32_t before = lv2h_responses_delivered(h);
	CHECK(lv2h_patch_set_path(h, prop, path), "no atom input");
	lv2h_run(h, buf, buf, 64);
	for (int k = 0; k < 8 && lv2h_responses_delivered(h) == before; ++k) {
		lv2h_work(h);
		lv2h_run(h, buf, buf, 64);
	}
	CHECK(lv2h_responses_delivered(h) > before, "no worker response for %s", path);
}

/* AddressSanitizer's allocator is not glibc's: mallinfo2() does not see it. */
#if defined(__SANITIZE_ADDRESS__)
#define HEAP_COUNTED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HEAP_COUNTED 0
#endif
#endif
#ifndef HEAP_COUNTED
#define HEAP_COUNTED 1
#endif

int main(void)
{
	if (!HEAP_COUNTED) {
		printf("SKIP: the heap is not glibc's under AddressSanitizer\n");
		return CHECK_SKIP;
	}
	LilvWorld *world = lv2h_world_new();
	const LilvPlugin *plugin = world ? lv2h_find_plugin(world, HEIST_URI) : NULL;
	if (!plugin) {
		fprintf(stderr, "plugin not found\n");
		return 1;
	}
	char *prop = lv2h_path_parameter(world, plugin);
	CHECK(prop, "the plugin declares no path parameter");
	const LilvNode *bundle = lilv_plugin_get_bundle_uri(plugin);
	char *dir = lilv_file_uri_parse(lilv_node_as_uri(bundle), NULL);
	char shipped[4096];
	snprintf(shipped, sizeof shipped, "%s/heist-default.hsm", dir);
	lilv_free(dir);

	/* A copy of the shipped model, and a model that differs from it by its
	 * name only (same size; the CRC made right). */
	char tmp[] = "/tmp/heist-share-XXXXXX";
	CHECK(mkdtemp(tmp), "mkdtemp");
	char copy[1024], other[1024];
	snprintf(copy, sizeof copy, "%s/copy.hsm", tmp);
	snprintf(other, sizeof other, "%s/other.hsm", tmp);
	size_t size = 0;
	uint8_t *bytes = read_all(shipped, &size);
	CHECK(bytes && size > HSM_HEADER_SIZE + 4, "cannot read %s", shipped);
	if (!bytes || !prop) {
		return check_exit("lilv_share");
	}
	CHECK(lv2h_write_file(copy, bytes, size), "cannot write %s", copy);
	bytes[68] ^= 1; /* the model name's first character */
	const uint32_t crc = heist_crc32(bytes, size - 4);
	memcpy(bytes + size - 4, &crc, 4); /* little-endian host (x86-64, aarch64) */
	CHECK(lv2h_write_file(other, bytes, size), "cannot write %s", other);
	free(bytes);

	/* Warm-up instance: lilv's and the host's one-time allocations. */
	lv2_host *w = lv2h_new(world, plugin, RATE);
	CHECK(w, "cannot instantiate");
	lv2h_free(w);

	const double m0 = heap_mib();
	lv2_host *a = lv2h_new(world, plugin, RATE);
	const double m1 = heap_mib();
	lv2_host *b = lv2h_new(world, plugin, RATE);
	const double m2 = heap_mib();
	CHECK(a && b, "cannot instantiate");
	if (!a || !b) {
		return check_exit("lilv_share");
	}
	printf("first instance %.3f MiB, second %.3f MiB\n", m1 - m0, m2 - m1);
	CHECK(m1 - m0 > MODEL_MIN_MIB, "the first instance holds no model? %.3f MiB", m1 - m0);
	CHECK(m2 - m1 < SHARED_INSTANCE_MAX_MIB, "the second instance adds %.3f MiB", m2 - m1);

	/* The same bytes under another path: the shipped model again. */
	lv2h_log_quiet(a, true);
	lv2h_log_quiet(b, true);
	load_model(a, prop, copy);
	const double m3 = heap_mib();
	printf("copy of the shipped model %.3f MiB\n", m3 - m2);
	CHECK(m3 - m2 < SHARED_INSTANCE_MAX_MIB, "a copy of the model adds %.3f MiB", m3 - m2);

	/* Another model: held once by the two instances that load it. */
	load_model(a, prop, other);
	const double m4 = heap_mib();
	load_model(b, prop, other);
	const double m5 = heap_mib();
	printf("another model: first load %.3f MiB, second %.3f MiB\n", m4 - m3, m5 - m4);
	CHECK(m4 - m3 > MODEL_MIN_MIB, "the other model was not loaded? %.3f MiB", m4 - m3);
	CHECK(m5 - m4 < SHARED_INSTANCE_MAX_MIB, "a shared model adds %.3f MiB", m5 - m4);

	/* The old slots go back to the worker with the next runs. */
	float buf[64] = {0};
	for (int k = 0; k < 4; ++k) {
		lv2h_run(a, buf, buf, 64);
		lv2h_work(a);
		lv2h_run(b, buf, buf, 64);
		lv2h_work(b);
	}
	lv2h_free(a);
	lv2h_free(b);
	const double m6 = heap_mib();
	printf("after both instances are gone %+.3f MiB\n", m6 - m0);
	/* Everything is freed: the models, each 1.5 MiB, would show. */
	CHECK(m6 - m0 < 0.1, "%.3f MiB still held", m6 - m0);

	unlink(copy);
	unlink(other);
	rmdir(tmp);
	free(prop);
	lilv_world_free(world);
	return check_exit("lilv_share");
}
