/* heist-bench-analysis: the analyser alone (dsp/analysis.c, the engine's
 * default floor, frames as the engine takes them: heist_analysis_frame_at()
 * with the sub-floor detector's history) on real audio files at their own
 * rate. Prints microseconds of analysis per second of audio (median and
 * range of the runs) and a hash of every frame's features, so that a change
 * meant to keep the features bit for bit can be checked in the same run.
 *
 *   build/bench/heist-bench-analysis [--reps R] [--floor HZ] FILE...
 *
 * Other rates: resample first (sox demo/hummed-line.flac -r 48000 x48.wav).
 */
#include "analysis.h"
#include "bench_util.h"
#include "heist.h"

#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REPS 64
#define FRAME_RATE 250.0 /* the shipped model's frame rate */

/* [main] The file's first channel; NULL on error. */
static float *read_mono(const char *path, size_t *n, double *fs)
{
	SF_INFO info;
	memset(&info, 0, sizeof info);
	SNDFILE *f = sf_open(path, SFM_READ, &info);
	if (!f) {
		fprintf(stderr, "error: %s: %s\n", path, sf_strerror(NULL));
		return NULL;
	}
	float *all = malloc((size_t)info.frames * (size_t)info.channels * sizeof(float));
	float *x = malloc((size_t)info.frames * sizeof(float));
	if (!all || !x || sf_readf_float(f, all, info.frames) != info.frames) {
		fprintf(stderr, "error: %s: cannot read\n", path);
		free(all);
		free(x);
		sf_close(f);
		return NULL;
	}
	for (sf_count_t i = 0; i < info.frames; ++i) {
		x[i] = all[(size_t)i * (size_t)info.channels];
	}
	free(all);
	sf_close(f);
	*n = (size_t)info.frames;
	*fs = info.samplerate;
	return x;
}

static uint64_t fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < len; ++i) {
		h = (h ^ b[i]) * 1099511628211u;
	}
	return h;
}

/* [main] One pass over the file through a new analyser: seconds of this
 * thread's CPU time; *hash gets the features' hash. */
static double run_once(const float *padded, size_t pad, size_t n, double fs, float floor_hz,
                       uint64_t *hash)
{
	heist_analysis *a = heist_analysis_new(fs, floor_hz);
	if (!a) {
		fprintf(stderr, "error: no analyser at %g Hz\n", fs);
		exit(1);
	}
	const uint32_t span = heist_analysis_span(a);
	uint64_t h = 1469598103934665603u;
	const double t0 = cpu_now();
	for (uint64_t k = 0;; ++k) {
		const int64_t start = heist_frame_start(k, fs, FRAME_RATE, span);
		if (start + (int64_t)span > (int64_t)n) {
			break;
		}
		const heist_features f = heist_analysis_frame_at(a, padded + pad + start, 1, start);
		h = fnv(h, &f, sizeof f);
	}
	const double t = cpu_now() - t0;
	heist_analysis_free(a);
	*hash = h;
	return t;
}

int main(int argc, char **argv)
{
	int reps = 9;
	float floor_hz = 0.0f;
	int files = 0;
	for (int i = 1; i < argc; ++i) {
		if (option_arg(argc, argv, &i, "--reps")) {
			reps = atoi(argv[i]);
		} else if (option_arg(argc, argv, &i, "--floor")) {
			floor_hz = (float)atof(argv[i]);
		} else if (argv[i][0] == '-') {
			fprintf(stderr,
			        "usage: heist-bench-analysis [--reps R] [--floor HZ] FILE...\n");
			return 2;
		} else {
			++files;
		}
	}
	reps = reps < 1 ? 1 : reps > MAX_REPS ? MAX_REPS : reps;
	if (!files) {
		fprintf(stderr, "usage: heist-bench-analysis [--reps R] [--floor HZ] FILE...\n");
		return 2;
	}
	printf("analysis alone, frame_at with history (us per second of audio: median [min, "
	       "max] of %d)\n",
	       reps);
	for (int i = 1; i < argc; ++i) {
		if (!strcmp(argv[i], "--reps") || !strcmp(argv[i], "--floor")) {
			++i;
			continue;
		}
		size_t n = 0;
		double fs = 0.0;
		float *x = read_mono(argv[i], &n, &fs);
		if (!x) {
			return 1;
		}
		const float fl = floor_hz > 0.0f ? floor_hz : heist_config_default(fs).lowest_pitch;
		/* Zeros before the stream: the spans' and the history's. */
		heist_analysis *probe = heist_analysis_new(fs, fl);
		if (!probe) {
			fprintf(stderr, "error: no analyser at %g Hz\n", fs);
			return 1;
		}
		const size_t pad = heist_analysis_span(probe) + heist_analysis_history(probe) + 16;
		heist_analysis_free(probe);
		float *padded = calloc(pad + n, sizeof(float));
		memcpy(padded + pad, x, n * sizeof(float));
		double t[MAX_REPS];
		uint64_t hash = 0, h = 0;
		for (int r = 0; r < reps; ++r) {
			t[r] = 1e6 * run_once(padded, pad, n, fs, fl, &h) / ((double)n / fs);
			hash = r == 0 ? h : hash;
			if (h != hash) {
				fprintf(stderr, "error: features differ between runs\n");
				return 1;
			}
		}
		sort_doubles(t, (size_t)reps);
		printf("  %-40s %6.0f Hz floor %5.1f: %7.1f [%.1f, %.1f]  features %016llx\n",
		       argv[i], fs, (double)fl, t[reps / 2], t[0], t[reps - 1],
		       (unsigned long long)hash);
		free(padded);
		free(x);
	}
	return 0;
}
