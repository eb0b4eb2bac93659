/* Concurrency through the plugin, as a host runs it: the audio thread calls
 * run() without pause in blocks of 0..2048 frames and forwards patch:Set
 * messages that load models (a custom one, the shipped one, a corrupt one
 * that must be refused); the plugin's work() runs on a worker thread of the
 * host's, its responses come back through a lock-free ring to be delivered
 * after run(); a third thread saves the plugin's state meanwhile (LV2 allows
 * save() concurrently with run()). Meant for a ThreadSanitizer build
 * (tests/robust/run-tsan.sh runs it for 60 s); elsewhere a few seconds check
 * that it works. Skips (77) if the plugin has no worker.
 *
 * Outcomes checked: the corrupt model is refused every time (errors logged,
 * never announced as playing on the notify port), and the newest request
 * wins: after a last request, the model playing is the one it named.
 *
 * Usage: test_worker_threads MODEL.hsm [SECONDS] with LV2_PATH restricted to
 * the build tree; HEIST_SWAP_SECONDS overrides SECONDS. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lilv/lilv.h>
#include <lv2/atom/util.h>
#include <lv2/patch/patch.h>

#include "lv2_host.h"
#include "ports.h"
#include "robust.h"

#define RATE 48000.0

typedef struct {
	const LilvPlugin *plugin;
	lv2_host *h;
	atomic_int stop;
	unsigned long saves;
} saver_ctx;

static const void *no_port_value(const char *symbol, void *user, uint32_t *size, uint32_t *type)
{
	(void)symbol;
	(void)user;
	*size = 0;
	*type = 0;
	return NULL;
}

/* [audio] The path the plugin announced on the notify port in the last
 * run() (patch:Set of the path parameter), copied into path; false if none. */
static bool announced(lv2_host *h, const char *prop, char *path, size_t size)
{
	LV2_URID_Map *map = lv2h_map(h);
	const LV2_URID patch_Set = map->map(map->handle, LV2_PATCH__Set);
	const LV2_URID patch_property = map->map(map->handle, LV2_PATCH__property);
	const LV2_URID patch_value = map->map(map->handle, LV2_PATCH__value);
	const LV2_URID atom_Path = map->map(map->handle, LV2_ATOM__Path);
	const LV2_URID key = map->map(map->handle, prop);
	bool found = false;
	const LV2_Atom_Sequence *notify = lv2h_sequence(h, HEIST_PORT_NOTIFY);
	LV2_ATOM_SEQUENCE_FOREACH(notify, ev)
	{
		const LV2_Atom_Object *obj = (const LV2_Atom_Object *)&ev->body;
		if (obj->body.otype != patch_Set) {
			continue;
		}
		const LV2_Atom *property = NULL, *value = NULL;
		lv2_atom_object_get(obj, patch_property, &property, patch_value, &value, 0);
		if (property && ((const LV2_Atom_URID *)property)->body == key && value &&
		    value->type == atom_Path) {
			snprintf(path, size, "%s", (const char *)LV2_ATOM_BODY_CONST(value));
			found = true;
		}
	}
	return found;
}

/* [main] A host thread saving the state now and then (a session save). */
static void *saver(void *arg)
{
	saver_ctx *c = arg;
	while (!atomic_load(&c->stop)) {
		LilvState *st = lilv_state_new_from_instance(
		    c->plugin, lv2h_instance(c->h), lv2h_map(c->h), NULL, NULL, NULL, NULL,
		    no_port_value, NULL, 0, lv2h_features(c->h));
		lilv_state_free(st);
		++c->saves;
		const struct timespec ts = {0, 5000000};
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const double seconds =
	    robust_seconds_arg(argc, argv, "SECONDS", "HEIST_SWAP_SECONDS", 60.0);
	LilvWorld *world = lv2h_world_new();
	const LilvPlugin *plugin = lv2h_find_plugin(world, HEIST_URI);
	lv2_host *h = plugin ? lv2h_new(world, plugin, RATE) : NULL;
	char *prop = plugin ? lv2h_path_parameter(world, plugin) : NULL;
	CHECK(h, "cannot instantiate <%s> from LV2_PATH", HEIST_URI);
	if (!h || !lv2h_has_worker(h) || !prop) {
		printf("SKIP: the plugin has no worker or no atom:Path parameter\n");
		lv2h_free(h);
		free(prop);
		lilv_world_free(world);
		return h ? CHECK_SKIP : 1;
	}
	char dir[] = "/tmp/heist-wt-XXXXXX";
	CHECK(mkdtemp(dir), "mkdtemp");
	char good[1024], bad[1024];
	snprintf(good, sizeof good, "%s/custom.hsm", dir);
	snprintf(bad, sizeof bad, "%s/corrupt.hsm", dir);
	CHECK(lv2h_write_models(good, bad, 9), "cannot write the models");
	const char *models[3] = {good, argv[1], bad};
	lv2h_log_quiet(h, true); /* a message per load: counted, not printed */

	float *in = malloc(LV2H_MAX_BLOCK * sizeof(float));
	float *out = malloc(LV2H_MAX_BLOCK * sizeof(float));
	if (!in || !out) {
		abort();
	}
	saver_ctx sc = {plugin, h, 0, 0};
	pthread_t saver_thread;
	CHECK(lv2h_worker_thread_start(h), "cannot start the worker thread");
	CHECK(pthread_create(&saver_thread, NULL, saver, &sc) == 0, "cannot start the saver");

	uint32_t rng = 17;
	uint64_t pos = 0, cycles = 0, nonfinite = 0, loads = 0, bad_played = 0;
	char playing[1024] = "";
	const double t0 = robust_now_s();
	while (robust_now_s() - t0 < seconds) {
		if (cycles % 40 == 0) {
			loads += lv2h_patch_set_path(h, prop, models[(cycles / 40) % 3]);
		}
		/* Host-like pacing is not needed: run() back to back gives the
		 * worker the most chances to race with it. */
		const uint32_t n = robust_block(&rng, 2048);
		robust_tone(in, n, pos, RATE, 220.0, 0.5);
		lv2h_run(h, in, out, n);
		nonfinite += robust_nonfinite(out, n);
		if (announced(h, prop, playing, sizeof playing)) {
			bad_played += !strcmp(playing, bad);
		}
		pos += n;
		++cycles;
	}
	/* The last request names the custom model; the ones before it may still
	 * be queued or pending: it must be what plays in the end. */
	CHECK(lv2h_patch_set_path(h, prop, good), "cannot send the last request");
	for (int k = 0; k < 200; ++k) {
		lv2h_run(h, in, out, 256);
		if (announced(h, prop, playing, sizeof playing)) {
			bad_played += !strcmp(playing, bad);
		}
	}
	atomic_store(&sc.stop, 1);
	pthread_join(saver_thread, NULL);
	lv2h_worker_thread_stop(h);
	/* Deliver what the worker left, on this thread. */
	for (int k = 0; k < 8; ++k) {
		lv2h_work(h);
		lv2h_run(h, in, out, 64);
		if (announced(h, prop, playing, sizeof playing)) {
			bad_played += !strcmp(playing, bad);
		}
	}
	lv2h_patch_get(h, prop);
	lv2h_run(h, in, out, 64);
	playing[0] = '\0';
	announced(h, prop, playing, sizeof playing);
	CHECK(!strcmp(playing, good), "the newest request named %s, but %s plays", good, playing);
	const lv2h_log *log = lv2h_get_log(h);
	CHECK(bad_played == 0, "the corrupt model was announced as playing %llu times",
	      (unsigned long long)bad_played);
	CHECK(atomic_load(&log->errors) > 0, "no load of the corrupt model was refused");
	const uint32_t scheduled = lv2h_work_scheduled(h), delivered = lv2h_responses_delivered(h);
	CHECK(nonfinite == 0, "%llu non-finite output samples", (unsigned long long)nonfinite);
	/* Loads are sent far faster than the worker completes them; a request
	 * the host's ring refuses stays pending and a newer one replaces it
	 * (latest wins), so how many get scheduled depends on how much CPU the
	 * worker thread gets (under a parallel test run, half as many as
	 * alone): what must hold is that requests keep flowing both ways. */
	CHECK(loads > 3 && scheduled > 0 && delivered > 0,
	      "%llu model loads sent, %u worker requests, %u responses", (unsigned long long)loads,
	      scheduled, delivered);
	printf("%.0f s: %llu run() cycles (%.0f s of audio), %llu model loads sent (a third of "
	       "them corrupt), %u worker requests, %u responses, %u log messages, %lu state saves "
	       "concurrently\n",
	       seconds, (unsigned long long)cycles, (double)pos / RATE, (unsigned long long)loads,
	       scheduled, delivered, lv2h_log_count(h), sc.saves);
	lv2h_free(h);
	free(in);
	free(out);
	free(prop);
	char cmd[1100];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0, "cleanup of %s", dir);
	lilv_world_free(world);
	return check_exit("test_worker_threads");
}
