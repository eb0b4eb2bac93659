/* heist_analysis_frame_at() (decimation outputs kept between frames) gives
 * the same features, bit for bit, as heist_analysis_frame_whole_at() (every
 * frame computed whole; heist_analysis_frame_ext() where a frame has no
 * position), on the engine's floor set (one block of scratch
 * for all floors): the frame clock's hops (44.1 kHz: 176 and 177), jumps,
 * repeated starts, another floor's frames in between, resets and frames
 * without a position. Every rate with 0 to 3 decimation stages. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"

#define TWO_PI 6.28318530717958647692
#define N_FLOORS 6

/* A tone gliding 90 -> 700 Hz with harmonics, a second tone and noise:
 * every frame a different span, with energy in every stage's high branch. */
static float *make_signal(double fs, size_t n)
{
	float *x = malloc(n * sizeof(float));
	uint32_t rng = 11;
	double ph = 0.0;
	for (size_t i = 0; i < n; ++i) {
		const double t = (double)i / (double)n;
		ph += 90.0 * pow(700.0 / 90.0, t) / fs;
		ph -= floor(ph);
		rng = rng * 1664525u + 1013904223u;
		const double noise = (rng >> 8) / 16777216.0 - 0.5;
		x[i] = (float)(0.4 * sin(TWO_PI * ph) + 0.2 * sin(2.0 * TWO_PI * ph + 0.3) +
		               0.1 * sin(TWO_PI * 0.37 * fs * (double)i / fs) + 0.05 * noise);
	}
	return x;
}

static int same(const heist_features *a, const heist_features *b)
{
	return memcmp(a, b, sizeof *a) == 0;
}

int main(void)
{
	static const double rates[] = {22050, 44100, 48000, 88200, 96000, 192000};
	static const float floors[N_FLOORS] = {50, 65, 85, 110, 165, 300};
	int failed = 0;
	for (size_t r = 0; r < sizeof rates / sizeof rates[0]; ++r) {
		const double fs = rates[r];
		heist_analysis *set[N_FLOORS], *ref[N_FLOORS];
		if (!heist_analysis_new_set(fs, floors, N_FLOORS, set)) {
			fprintf(stderr, "FAIL: no analysers at %.0f Hz\n", fs);
			return 1;
		}
		for (int f = 0; f < N_FLOORS; ++f) {
			ref[f] = heist_analysis_new(fs, floors[f]);
		}
		uint32_t hist = 0, maxspan = 0;
		for (int f = 0; f < N_FLOORS; ++f) {
			const uint32_t h = heist_analysis_history(set[f]);
			const uint32_t s = heist_analysis_span(set[f]);
			hist = h > hist ? h : hist;
			maxspan = s > maxspan ? s : maxspan;
		}
		const uint32_t frames = 160;
		const size_t n = hist + (size_t)(fs / 250.0 * frames) + 3 * maxspan;
		float *x = make_signal(fs, n);
		int bad = 0, checked = 0;
		for (int f = 0; f < N_FLOORS; ++f) {
			heist_analysis *a = set[f], *o = set[(f + 1) % N_FLOORS];
			const uint32_t span = heist_analysis_span(a);
			heist_analysis_reset(a);
			heist_analysis_reset(ref[f]);
			for (uint32_t k = 0; k < frames; ++k) {
				int64_t start = heist_frame_start(k, fs, 250.0, span);
				start += k % 29 == 28 ? (int64_t)(k % 7) : 0; /* a jump */
				start = start < 0 ? 0 : start;
				const float *seg = x + hist + start;
				heist_features got;
				if (k % 41 == 40) { /* no position: nothing kept */
					got = heist_analysis_frame_ext(a, seg, 1);
				} else {
					got = heist_analysis_frame_at(a, seg, 1, start);
				}
				const heist_features want =
				    k % 41 == 40
				        ? heist_analysis_frame_ext(ref[f], seg, 1)
				        : heist_analysis_frame_whole_at(ref[f], seg, 1, start);
				bad += !same(&got, &want);
				++checked;
				if (k % 23 == 22) { /* the same start again */
					const heist_features g2 =
					    heist_analysis_frame_at(a, seg, 1, start);
					const heist_features w2 =
					    heist_analysis_frame_whole_at(ref[f], seg, 1, start);
					bad += !same(&g2, &w2);
					++checked;
				}
				if (k % 31 == 30) { /* another floor's frame in the shared block */
					const int64_t s2 = start + 7;
					(void)heist_analysis_frame_at(o, x + hist + s2, 0, s2);
				}
				if (k == frames / 2) { /* a new stream (same samples: kept values
					                * would still be right, but are dropped) */
					heist_analysis_reset(a);
					heist_analysis_reset(ref[f]);
				}
			}
		}
		printf("%6.0f Hz: %d frames, %d differ %s\n", fs, checked, bad, bad ? "FAIL" : "");
		failed |= bad != 0;
		free(x);
		for (int f = N_FLOORS - 1; f >= 0; --f) {
			heist_analysis_free(set[f]);
			heist_analysis_free(ref[f]);
		}
	}
	return failed;
}
