/* Quiet spans (analysis.c frame_body skips the transforms whose result a
 * span's energy already decides): on either side of each limit the
 * features are what the rules give. A tone just over the pitch's silence
 * limit (mean square 1e-10 over YIN's window) is still tracked, one under
 * it is not; a tone just over the loudness floor (-120 dB) reads its level,
 * one under it and digital silence read the floor exactly. Every rate with
 * 0 to 3 decimation stages, run once per instruction-set level. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "cpu_level.h"

#define TWO_PI 6.28318530717958647692
#define FRAME_RATE 250.0
#define FRAMES 40

static int failures;

/* The features of the last of FRAMES frames of a sine (f Hz, peak amp). */
static heist_features last_frame(double fs, double f, double amp)
{
	heist_analysis *a = heist_analysis_new(fs, 65.0f);
	const uint32_t span = heist_analysis_span(a), hist = heist_analysis_history(a);
	const size_t n = (size_t)(FRAMES * fs / FRAME_RATE) + span + hist + 16;
	float *x = malloc(n * sizeof(float));
	for (size_t i = 0; i < n; ++i) {
		x[i] = (float)(amp * sin(TWO_PI * f * (double)i / fs));
	}
	heist_features out = {0};
	for (uint32_t k = 0; k < FRAMES; ++k) {
		const int64_t start = heist_frame_start(k, fs, FRAME_RATE, span) + hist;
		out = heist_analysis_frame_at(a, x + start, 1, start);
	}
	free(x);
	heist_analysis_free(a);
	return out;
}

static void check(int ok, const char *what, double fs, double amp, const heist_features *f)
{
	if (!ok) {
		printf("FAIL %g Hz, amplitude %g: %s (f0_raw %g, confidence %g, loudness %g dB)\n",
		       fs, amp, what, f->f0_raw, f->confidence, f->loudness_db);
		++failures;
	}
}

int main(void)
{
	test_cpu_level("test_quiet");
	static const double rates[] = {22050.0, 44100.0, 48000.0, 96000.0, 192000.0};
	const float floor_db = (float)(10.0 * log10(pow(10.0, HEIST_LOUDNESS_FLOOR_DB / 10.0)));
	for (size_t r = 0; r < sizeof rates / sizeof rates[0]; ++r) {
		const double fs = rates[r];
		/* Pitch: a sine's mean square is amp^2 / 2; the limit 1e-10 lies
		 * at amp 1.41e-5. Twice over it (2e-5) is tracked at 220 Hz;
		 * half under (1e-5) is not (and 1e-5 reads 220 Hz when the
		 * limit is not in the way: the tracking is no limit of its own). */
		heist_features f = last_frame(fs, 220.0, 2e-5);
		check(fabsf(f.f0_raw - 220.0f) < 2.0f && f.confidence > 0.9f,
		      "tracked just over the silence limit", fs, 2e-5, &f);
		f = last_frame(fs, 220.0, 1e-5);
		check(f.f0_raw == 0.0f && f.confidence == 0.0f && f.loudness_db > floor_db + 3.0f,
		      "no pitch under the silence limit, its loudness read", fs, 1e-5, &f);
		/* Loudness: a 1 kHz sine (A-weight 1) at amp 2e-6 has power 2e-12,
		 * -117.0 dB; the spectrum's Hann window and the stages read a
		 * steady tone within 0.1 dB (test_loudness), so 0.5 dB is room.
		 * Far under the pitch's limit: the span's energy alone decides
		 * that (no correlation is computed). */
		f = last_frame(fs, 1000.0, 2e-6);
		check(fabsf(f.loudness_db - (float)(10.0 * log10(2e-12))) < 0.5f &&
		          f.f0_raw == 0.0f,
		      "loudness just over the floor", fs, 2e-6, &f);
		/* amp 1e-6: power 5e-13, under the floor (1e-12). */
		f = last_frame(fs, 1000.0, 1e-6);
		check(f.loudness_db == floor_db && f.f0_raw == 0.0f, "the floor under it", fs, 1e-6,
		      &f);
		f = last_frame(fs, 1000.0, 0.0);
		check(f.loudness_db == floor_db && f.f0_raw == 0.0f && f.confidence == 0.0f,
		      "digital silence", fs, 0.0, &f);
	}
	if (failures) {
		printf("%d failures\n", failures);
		return 1;
	}
	printf("quiet spans: OK\n");
	return 0;
}
