/* Concurrency of the shared model cache (dsp/model.h heist_model_acquire):
 * four threads load and release two model files (the shipped one and a copy
 * of it with another name) and build a network on each, without pause, as
 * the workers of many plugin instances do. The cache must hold at most one
 * entry per file contents at any time and none at the end; meant for a
 * ThreadSanitizer build (run-tsan.sh, 60 s), a few seconds elsewhere.
 *
 * Usage: test_model_cache_threads MODEL.hsm [SECONDS]. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "heist.h"
#include "model.h"
#include "net.h"
#include "robust.h"
#include "shared.h"

#define N_THREADS 4

typedef struct {
	const char *paths[2];
	double seconds;
	atomic_uint loads, failures, too_many;
} ctx;

typedef struct {
	ctx *c;
	uint32_t seed;
} thread_arg;

static void *loader(void *arg)
{
	ctx *c = ((thread_arg *)arg)->c;
	uint32_t rng = ((thread_arg *)arg)->seed;
	const double t0 = robust_now_s();
	float in[128] = {0}, out[1024];
	while (robust_now_s() - t0 < c->seconds) {
		char err[256] = "";
		heist_model *m =
		    heist_model_acquire(c->paths[robust_rand(&rng) & 1u], err, sizeof err);
		if (!m) {
			atomic_fetch_add(&c->failures, 1);
			continue;
		}
		if (heist_shared_count(HEIST_MODEL_SHARED_KIND, NULL) > 2) {
			atomic_fetch_add(&c->too_many, 1);
		}
		heist_net *net = heist_net_new(m);
		if (net) {
			heist_net_step(net, in, out);
		} else {
			atomic_fetch_add(&c->failures, 1);
		}
		heist_net_free(net);
		heist_model_free(m);
		atomic_fetch_add(&c->loads, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const double seconds =
	    robust_seconds_arg(argc, argv, "SECONDS", "HEIST_CACHE_SECONDS", 60.0);
	if (seconds < 0.0 || argc < 2) {
		return 2;
	}
	/* A second file of other contents: the shipped one with its name's first
	 * byte changed and the CRC made right. */
	FILE *f = fopen(argv[1], "rb");
	CHECK(f, "cannot open %s", argv[1]);
	if (!f) {
		return check_exit("model_cache_threads");
	}
	fseek(f, 0, SEEK_END);
	const size_t size = (size_t)ftell(f);
	rewind(f);
	uint8_t *bytes = malloc(size);
	const int got = bytes && fread(bytes, 1, size, f) == size;
	fclose(f);
	CHECK(got && size > HSM_HEADER_SIZE + 4, "cannot read %s", argv[1]);
	if (!got) {
		return check_exit("model_cache_threads");
	}
	bytes[68] ^= 1;
	const uint32_t crc = heist_crc32(bytes, size - 4);
	memcpy(bytes + size - 4, &crc, 4); /* little-endian host */
	char other[] = "/tmp/heist-cache-XXXXXX";
	const int fd = mkstemp(other);
	CHECK(fd >= 0 && write(fd, bytes, size) == (ssize_t)size, "cannot write %s", other);
	if (fd >= 0) {
		close(fd);
	}
	free(bytes);

	static ctx c;
	c.paths[0] = argv[1];
	c.paths[1] = other;
	c.seconds = seconds;
	pthread_t t[N_THREADS];
	thread_arg args[N_THREADS];
	for (int i = 0; i < N_THREADS; ++i) {
		args[i] = (thread_arg){&c, 11u + 7u * (uint32_t)i};
		CHECK(pthread_create(&t[i], NULL, loader, &args[i]) == 0, "pthread_create");
	}
	for (int i = 0; i < N_THREADS; ++i) {
		pthread_join(t[i], NULL);
	}
	unlink(other);
	const unsigned loads = atomic_load(&c.loads);
	printf("%u loads in %.0f s by %d threads\n", loads, seconds, N_THREADS);
	CHECK(loads > 0, "no load completed");
	CHECK(atomic_load(&c.failures) == 0, "%u loads failed", atomic_load(&c.failures));
	CHECK(atomic_load(&c.too_many) == 0, "%u times more than one entry per contents",
	      atomic_load(&c.too_many));
	CHECK(heist_shared_count(HEIST_MODEL_SHARED_KIND, NULL) == 0,
	      "models still held after the last release");
	return check_exit("model_cache_threads");
}
