/* Hostile hosts and hostile files through the real plugin (issue 15):
 *  - models the parser accepts with huge biases (1e30 into the amplitude,
 *    the harmonics and the noise) play within the safety stage's bound
 *    (dsp/limiter.h: the wet part at most +6 dBFS after the output gain) at
 *    the default controls and with every level control at its maximum;
 *  - a patch:Set whose path atom claims more bytes than its event holds is
 *    ignored: run() never reads past the event (the bytes after it, in the
 *    host's buffer, spell a valid model that must not load), nor an event
 *    longer than its sequence;
 *  - a patch:Set naming a FIFO is refused by the worker at once, and the
 *    next load still happens;
 *  - models in transit when the host drops the worker's messages at cleanup
 *    (a loaded model whose response never arrives, an old one sent to be
 *    freed) are freed by cleanup(): LeakSanitizer in the sanitizer build,
 *    the allocator's own count (mallinfo2) in the others;
 *  - with the input unconnected and the output connected, run() writes
 *    silence over whatever the buffer held;
 *  - a model path with an escape sequence and a newline (loaded, and
 *    refused) gives log lines without either: one line, no control bytes.
 *
 * Usage: test_hostile with LV2_PATH restricted to the build tree. */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/atom/util.h>
#include <lv2/patch/patch.h>

#include "check.h"
#include "hsm_writer.h"
#include "limiter.h"
#include "lv2_host.h"
#include "ports.h"
#include "robust.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define RATE 48000.0
#define BLOCK 512u

static char dir[] = "/tmp/heist-hostile-XXXXXX";

/* One host cycle: run, then the worker, then its responses. */
static void cycle(lv2_host *h, const float *in, float *out, uint32_t n)
{
	lv2h_run(h, in, out, n);
	lv2h_work(h);
	lv2h_deliver(h);
}

static void settle(lv2_host *h, int cycles)
{
	float in[64] = {0}, out[64];
	for (int i = 0; i < cycles; ++i) {
		cycle(h, in, out, 64);
	}
}

/* A model with the shipped frame clock; bias (when not 0) goes into every
 * output bias of dense2 (amplitude, harmonics, noise). Sizes of hsm_dims. */
static void write_model(const char *path, const hsm_dims *d, float bias)
{
	size_t size = 0;
	uint8_t *data = hsm_write_random(d, &size);
	if (bias != 0.0f) {
		const hsm_layout l = hsm_layout_of(d);
		for (size_t i = 0; i < l.count[8]; ++i) {
			hsm_put_f32(data + l.offset[8] + 4 * i, bias);
		}
		hsm_fix_crc(data, size);
	}
	CHECK(lv2h_write_file(path, data, size), "cannot write %s", path);
	free(data);
}

/* [main] A small valid model (8 frames of 32 hidden units: quick to load)
 * whose random weights differ by seed. */
static void write_small_model(const char *path, uint32_t seed)
{
	const hsm_dims d = {1, 8, 32, 32, 40, 33, seed};
	write_model(path, &d, 0.0f);
}

static lv2_host *new_host(LilvWorld *world, const LilvPlugin *plugin)
{
	lv2_host *h = lv2h_new(world, plugin, RATE);
	CHECK(h, "cannot instantiate");
	if (h) {
		lv2h_defaults(h);
		lv2h_log_quiet(h, true);
	}
	return h;
}

/* The peak of 2 s of a loud sung tone through h. */
static float play_peak(lv2_host *h)
{
	float *x = malloc(sizeof(float) * BLOCK), *y = malloc(sizeof(float) * BLOCK);
	float peak = 0.0f;
	int finite = 1;
	for (uint64_t pos = 0; pos < 2 * (uint64_t)RATE; pos += BLOCK) {
		robust_tone(x, BLOCK, pos, RATE, 220.0, 0.9);
		cycle(h, x, y, BLOCK);
		int f = 1;
		const float p = robust_peak(y, BLOCK, &f);
		peak = p > peak ? p : peak;
		finite &= f;
	}
	CHECK(finite, "non-finite output");
	free(x);
	free(y);
	return peak;
}

static void test_output_bound(LilvWorld *world, const LilvPlugin *plugin)
{
	const hsm_dims d = {1, 8, 32, 32, 40, 33, 21};
	const float biases[] = {1e30f, 30.0f, -1e30f};
	for (size_t b = 0; b < sizeof biases / sizeof biases[0]; ++b) {
		char path[512];
		snprintf(path, sizeof path, "%s/loud%zu.hsm", dir, b);
		write_model(path, &d, biases[b]);
		for (int maxed = 0; maxed < 2; ++maxed) {
			lv2_host *h = new_host(world, plugin);
			if (!h) {
				return;
			}
			CHECK(lv2h_patch_set_path(h, HEIST_MODEL_URI, path), "no control port");
			settle(h, 3);
			CHECK(strstr(lv2h_log_last(h), "loaded model"), "not loaded: %s",
			      lv2h_log_last(h));
			if (maxed) {
				*lv2h_control(h, "harmonic_level") = 12.0f;
				*lv2h_control(h, "noise_level") = 12.0f;
				*lv2h_control(h, "output_gain") = 24.0f;
				*lv2h_control(h, "loudness_shift") = 24.0f;
				*lv2h_control(h, "confidence_gate") = 0.0f;
			}
			const float peak = play_peak(h);
			printf("bias %g, %s controls: peak %.3f (%+.1f dBFS)\n", (double)biases[b],
			       maxed ? "maximum" : "default", (double)peak,
			       20.0 * log10((double)peak + 1e-30));
			/* dry_wet is 1 (default): the output is the wet part alone. */
			CHECK(peak <= HEIST_WET_CEILING, "bias %g: peak %g above the bound %g",
			      (double)biases[b], (double)peak, (double)HEIST_WET_CEILING);
			lv2h_free(h);
		}
	}
}

/* A patch:Set of heist:model whose path atom claims claim bytes while the
 * event holds only the first 8 of path; the rest of path follows the event
 * in the host's buffer, outside the sequence. */
static void put_short_event(lv2_host *h, const char *path, uint32_t claim, bool long_event)
{
	LV2_URID_Map *map = lv2h_urid_map();
	LV2_Atom_Sequence *seq = (LV2_Atom_Sequence *)lv2h_sequence(h, HEIST_PORT_CONTROL);
	uint8_t *at = (uint8_t *)(seq + 1);
	LV2_Atom_Event *ev = (LV2_Atom_Event *)at;
	ev->time.frames = 0;
	LV2_Atom_Object *obj = (LV2_Atom_Object *)&ev->body;
	obj->atom.type = map->map(map->handle, LV2_ATOM__Object);
	obj->body.id = 0;
	obj->body.otype = map->map(map->handle, LV2_PATCH__Set);
	uint8_t *p = (uint8_t *)(obj + 1);
	LV2_Atom_Property_Body *prop = (LV2_Atom_Property_Body *)p;
	prop->key = map->map(map->handle, LV2_PATCH__property);
	prop->context = 0;
	prop->value.size = 4;
	prop->value.type = map->map(map->handle, LV2_ATOM__URID);
	const uint32_t model = map->map(map->handle, HEIST_MODEL_URI);
	memcpy(p + sizeof *prop, &model, 4);
	memset(p + sizeof *prop + 4, 0, 4);
	p += sizeof *prop + 8;
	prop = (LV2_Atom_Property_Body *)p;
	prop->key = map->map(map->handle, LV2_PATCH__value);
	prop->context = 0;
	prop->value.size = claim;
	prop->value.type = map->map(map->handle, LV2_ATOM__Path);
	p += sizeof *prop;
	memcpy(p, path, strlen(path) + 1); /* 8 bytes inside, the rest outside */
	obj->atom.size = (uint32_t)(p + 8 - (uint8_t *)&obj->body);
	seq->atom.size = (uint32_t)(sizeof(LV2_Atom_Sequence_Body) + sizeof(ev->time) +
	                            sizeof(LV2_Atom) + obj->atom.size);
	if (long_event) {
		/* The event's body claims more than the whole sequence. */
		obj->atom.size += 4096;
	}
}

static void test_short_atoms(LilvWorld *world, const LilvPlugin *plugin)
{
	char path[512];
	snprintf(path, sizeof path, "%s/after-the-event.hsm", dir);
	write_small_model(path, 22);
	for (int long_event = 0; long_event < 2; ++long_event) {
		lv2_host *h = new_host(world, plugin);
		if (!h) {
			return;
		}
		const uint32_t before = lv2h_work_scheduled(h);
		put_short_event(h, path, (uint32_t)strlen(path) + 1, long_event);
		settle(h, 3);
		CHECK(lv2h_work_scheduled(h) == before,
		      "%s: a load was requested from bytes outside the event (log: %s)",
		      long_event ? "long event" : "short path atom", lv2h_log_last(h));
		/* And the plugin still takes a proper request. */
		CHECK(lv2h_patch_set_path(h, HEIST_MODEL_URI, path), "no control port");
		settle(h, 3);
		CHECK(strstr(lv2h_log_last(h), "loaded model"), "proper request: %s",
		      lv2h_log_last(h));
		lv2h_free(h);
	}
}

static void test_fifo(LilvWorld *world, const LilvPlugin *plugin)
{
	char fifo[512], good[512];
	snprintf(fifo, sizeof fifo, "%s/model.fifo", dir);
	snprintf(good, sizeof good, "%s/good.hsm", dir);
	write_small_model(good, 23);
	CHECK(mkfifo(fifo, 0600) == 0, "mkfifo %s", fifo);
	lv2_host *h = new_host(world, plugin);
	if (!h) {
		return;
	}
	alarm(20); /* a hang in work() is a failure, not a stuck test */
	CHECK(lv2h_patch_set_path(h, HEIST_MODEL_URI, fifo), "no control port");
	settle(h, 3);
	CHECK(strstr(lv2h_log_last(h), "FIFO"), "FIFO: %s", lv2h_log_last(h));
	CHECK(lv2h_patch_set_path(h, HEIST_MODEL_URI, good), "no control port");
	settle(h, 3);
	CHECK(strstr(lv2h_log_last(h), "loaded model"), "after the FIFO: %s", lv2h_log_last(h));
	alarm(0);
	lv2h_free(h);
}

/* The host frees the plugin with messages still in its rings: a loaded
 * model's response (one host), an old model's free (another). */
static void drop_in_transit(LilvWorld *world, const LilvPlugin *plugin, const char *a,
                            const char *b)
{
	float in[64] = {0}, out[64];
	lv2_host *h = new_host(world, plugin);
	if (h) {
		lv2h_patch_set_path(h, HEIST_MODEL_URI, a);
		lv2h_run(h, in, out, 64); /* request A */
		CHECK(lv2h_work(h) == 1, "no load request");
		lv2h_free(h); /* A's response never delivered */
	}
	h = new_host(world, plugin);
	if (h) {
		lv2h_patch_set_path(h, HEIST_MODEL_URI, a);
		settle(h, 3); /* A plays */
		lv2h_patch_set_path(h, HEIST_MODEL_URI, b);
		lv2h_run(h, in, out, 64); /* request B */
		lv2h_work(h);             /* B loaded, its response queued */
		lv2h_run(h, in, out, 64); /* B installed after run(); A is garbage */
		lv2h_run(h, in, out, 64); /* A sent to be freed */
		CHECK(lv2h_work_scheduled(h) >= 3, "no free scheduled");
		lv2h_free(h); /* the free never run */
	}
}

static void test_leaks_in_transit(LilvWorld *world, const LilvPlugin *plugin)
{
	/* Models large enough (~1.5 MB each) to stand far above the noise of
	 * the allocator's own bookkeeping across a host's life. */
	const hsm_dims d = {1, 16, 256, 256, 60, 65, 24};
	char a[512], b[512];
	snprintf(a, sizeof a, "%s/big-a.hsm", dir);
	snprintf(b, sizeof b, "%s/big-b.hsm", dir);
	write_model(a, &d, 0.0f);
	write_model(b, &d, 0.0f);
	drop_in_transit(world, plugin, a, b); /* warm-up: lilv's and libc's caches */
#ifndef UNDER_ASAN
	const struct mallinfo2 before = mallinfo2();
	drop_in_transit(world, plugin, a, b);
	const struct mallinfo2 after = mallinfo2();
	const long grown = (long)after.uordblks - (long)before.uordblks;
	printf("heap in use after a host dropped its messages: %+ld bytes\n", grown);
	/* One model is ~1.5 MB; what stays behind without a leak is a few KB
	 * of caches (measured: under 64 KiB). */
	CHECK(grown < 256 * 1024, "%ld bytes still allocated after cleanup()", grown);
#else
	drop_in_transit(world, plugin, a, b); /* LeakSanitizer checks at exit */
#endif
}

static void test_unconnected_input(LilvWorld *world, const LilvPlugin *plugin)
{
	lv2_host *h = new_host(world, plugin);
	if (!h) {
		return;
	}
	float x[BLOCK], y[BLOCK];
	robust_tone(x, BLOCK, 0, RATE, 220.0, 0.5);
	cycle(h, x, y, BLOCK);
	for (uint32_t i = 0; i < BLOCK; ++i) {
		y[i] = 0.25f; /* stale data */
	}
	cycle(h, NULL, y, BLOCK);
	int finite = 1;
	CHECK(robust_peak(y, BLOCK, &finite) == 0.0f && finite,
	      "unconnected input: output not silent (peak %g)",
	      (double)robust_peak(y, BLOCK, &finite));
	lv2h_free(h);
}

/* One log line: a single newline, at its end, and no other control byte. */
static bool one_clean_line(const char *msg)
{
	const size_t len = strlen(msg);
	for (size_t i = 0; i < len; ++i) {
		const unsigned char c = (unsigned char)msg[i];
		if ((c < 0x20 && !(c == '\n' && i + 1 == len)) || c == 0x7F) {
			return false;
		}
	}
	return len > 0 && msg[len - 1] == '\n';
}

static void test_log_injection(LilvWorld *world, const LilvPlugin *plugin)
{
	char good[512], missing[512];
	snprintf(good, sizeof good, "%s/a\x1b[31m\nb.hsm", dir);
	snprintf(missing, sizeof missing, "%s/c\x1b]0;t\x07\nd.hsm", dir);
	write_small_model(good, 25);
	lv2_host *h = new_host(world, plugin);
	if (!h) {
		return;
	}
	CHECK(lv2h_patch_set_path(h, HEIST_MODEL_URI, good), "no control port");
	settle(h, 3);
	CHECK(strstr(lv2h_log_last(h), "loaded model") && one_clean_line(lv2h_log_last(h)),
	      "load log line: \"%s\"", lv2h_log_last(h));
	CHECK(lv2h_patch_set_path(h, HEIST_MODEL_URI, missing), "no control port");
	settle(h, 3);
	CHECK(strstr(lv2h_log_last(h), "cannot load") && one_clean_line(lv2h_log_last(h)),
	      "refusal log line: \"%s\"", lv2h_log_last(h));
	lv2h_free(h);
}

int main(void)
{
	LilvWorld *world = lv2h_world_new();
	const LilvPlugin *plugin = lv2h_find_plugin(world, HEIST_URI);
	CHECK(plugin, "<%s> not found", HEIST_URI);
	CHECK(mkdtemp(dir), "mkdtemp");
	if (plugin) {
		test_output_bound(world, plugin);
		test_short_atoms(world, plugin);
		test_fifo(world, plugin);
		test_leaks_in_transit(world, plugin);
		test_unconnected_input(world, plugin);
		test_log_injection(world, plugin);
	}
	lilv_world_free(world);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0, "cannot remove %s", dir);
	return check_exit("test_hostile");
}
