/* Concurrency: an audio thread processes blocks without pause while a worker
 * thread builds networks for three models and hands them over through a
 * lock-free single-producer/single-consumer ring; the audio thread swaps each
 * one in with heist_engine_swap_net() and hands the old one back through a
 * second ring for the worker to free, as the plugin's worker does. Meant for
 * a ThreadSanitizer build (tests/robust/run-tsan.sh runs it for 60 s); in the
 * other builds a few seconds check the handoff itself.
 *
 * Usage: test_swap_threads MODEL.hsm [SECONDS]; HEIST_SWAP_SECONDS
 * overrides. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heist.h"
#include "hsm_writer.h"
#include "model.h"
#include "robust.h"
#include "spsc.h"

#define RATE 48000.0
#define RING_SIZE 4u /* power of two */
#define N_MODELS 3

/* Lock-free SPSC ring of pointers (tests/common/spsc.h). */
typedef struct {
	void *slot[RING_SIZE];
	spsc_index index;
} spsc;

/* [producer] */
static int spsc_push(spsc *r, void *p)
{
	const int at = spsc_write_slot(&r->index, RING_SIZE);
	if (at < 0) {
		return 0;
	}
	r->slot[at] = p;
	spsc_publish(&r->index);
	return 1;
}

/* [producer] Whether a push would succeed now (only the producer fills). */
static int spsc_has_room(spsc *r)
{
	return spsc_write_slot(&r->index, RING_SIZE) >= 0;
}

/* [consumer] */
static void *spsc_pop(spsc *r)
{
	const int at = spsc_read_slot(&r->index, RING_SIZE);
	if (at < 0) {
		return NULL;
	}
	void *p = r->slot[at];
	spsc_release(&r->index);
	return p;
}

typedef struct {
	const heist_model *models[N_MODELS];
	const heist_engine *engine;
	spsc to_audio, to_worker;
	atomic_int stop;
	atomic_ulong built, freed;
	unsigned long latency_reads;
} shared;

static void sleep_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
	nanosleep(&ts, NULL);
}

/* [main] The worker: build, hand over, free what comes back. */
static void *worker(void *arg)
{
	shared *s = arg;
	unsigned next = 0;
	heist_net *pending = NULL;
	while (!atomic_load(&s->stop)) {
		heist_net *old;
		while ((old = spsc_pop(&s->to_worker))) {
			heist_net_free(old);
			atomic_fetch_add(&s->freed, 1);
		}
		if (!pending) {
			pending = heist_net_new(s->models[next++ % N_MODELS]);
			if (!pending) {
				abort();
			}
			atomic_fetch_add(&s->built, 1);
		}
		if (spsc_push(&s->to_audio, pending)) {
			pending = NULL;
		}
		/* [any] class: may be read from here while the audio thread runs. */
		s->latency_reads += heist_engine_latency(s->engine) > 0;
		sleep_us(200 + (long)(next % 7) * 300);
	}
	if (pending) {
		heist_net_free(pending);
		atomic_fetch_add(&s->freed, 1);
	}
	return NULL;
}

static heist_model *random_model(uint32_t seed, uint32_t styles)
{
	const hsm_dims d = {styles, 8, 64, 64, 60, 65, seed};
	size_t size;
	uint8_t *p = hsm_write_random(&d, &size);
	heist_model *m = p ? heist_model_parse(p, size, NULL, 0) : NULL;
	free(p);
	return m;
}

int main(int argc, char **argv)
{
	const double seconds =
	    robust_seconds_arg(argc, argv, "SECONDS", "HEIST_SWAP_SECONDS", 60.0);
	char err[256] = "";
	heist_model *models[N_MODELS] = {heist_model_load(argv[1], err, sizeof err),
	                                 random_model(1, 2), random_model(2, 4)};
	for (int i = 0; i < N_MODELS; ++i) {
		if (!models[i]) {
			fprintf(stderr, "model %d: %s\n", i, err);
			return 1;
		}
	}
	/* The engine's frame clock is fixed at creation: every model shares it
	 * (the plugin's worker refuses others). */
	for (int i = 1; i < N_MODELS; ++i) {
		if (models[i]->frame_rate != models[0]->frame_rate) {
			printf("SKIP: the shipped model's frame rate is not 250/s\n");
			return CHECK_SKIP;
		}
	}
	const heist_config cfg = heist_config_default(RATE);
	heist_engine *e = heist_engine_new(&cfg, models[0]);
	float *buf = malloc(8192 * sizeof(float));
	if (!e || !buf) {
		abort();
	}
	shared *s = calloc(1, sizeof *s);
	if (!s) {
		abort();
	}
	for (int i = 0; i < N_MODELS; ++i) {
		s->models[i] = models[i];
	}
	s->engine = e;
	pthread_t th;
	if (pthread_create(&th, NULL, worker, s)) {
		abort();
	}

	/* The audio thread: never blocks, never allocates. */
	uint32_t rng = 5;
	uint64_t pos = 0, blocks = 0, swaps = 0, nonfinite = 0, dropped = 0;
	const double t0 = robust_now_s();
	while (robust_now_s() - t0 < seconds) {
		/* Take a new network only when the old one can go back at once:
		 * the audio thread never frees and never waits. */
		heist_net *fresh = spsc_has_room(&s->to_worker) ? spsc_pop(&s->to_audio) : NULL;
		if (fresh) {
			heist_net *old = heist_engine_swap_net(e, fresh);
			++swaps;
			dropped += !spsc_push(&s->to_worker, old);
		}
		heist_engine_set_param(e, HEIST_PARAM_STYLE_A, (float)(robust_rand(&rng) % 4));
		heist_engine_set_param(e, HEIST_PARAM_MORPH, (float)robust_uniform(&rng));
		const uint32_t n = robust_block(&rng, 2048);
		robust_tone(buf, n, pos, RATE, 220.0, 0.5);
		heist_engine_process(e, buf, buf, n);
		nonfinite += robust_nonfinite(buf, n);
		pos += n;
		++blocks;
	}
	atomic_store(&s->stop, 1);
	pthread_join(th, NULL);
	heist_net *left;
	while ((left = spsc_pop(&s->to_audio))) {
		heist_net_free(left);
		atomic_fetch_add(&s->freed, 1);
	}
	while ((left = spsc_pop(&s->to_worker))) {
		heist_net_free(left);
		atomic_fetch_add(&s->freed, 1);
	}
	heist_engine_free(e); /* frees the network it holds */
	const unsigned long built = atomic_load(&s->built), freed = atomic_load(&s->freed);
	CHECK(swaps > 0, "no network was swapped in %g s", seconds);
	CHECK(nonfinite == 0, "%llu non-finite samples", (unsigned long long)nonfinite);
	CHECK(dropped == 0, "%llu old networks found the ring back full",
	      (unsigned long long)dropped);
	/* Built ones + the engine's first = freed ones + the one the engine
	 * freed: nothing leaked or was freed twice. */
	CHECK(built + 1 == freed + 1 + (unsigned long)dropped, "built %lu, freed %lu", built,
	      freed);
	printf("%.0f s: %llu blocks (%.0f s of audio) on the audio thread, %llu network swaps, "
	       "%lu built and %lu freed by the worker, %lu concurrent latency reads\n",
	       seconds, (unsigned long long)blocks, (double)pos / RATE, (unsigned long long)swaps,
	       built, freed, s->latency_reads);
	free(s);
	free(buf);
	for (int i = 0; i < N_MODELS; ++i) {
		heist_model_free(models[i]);
	}
	return check_exit("test_swap_threads");
}
