/* Every rate and block size, through the LV2 plugin as a host drives it
 * (lilv): at 22050, 32000, 44100, 48000, 88200, 96000 and 192000 Hz, blocks
 * of 1 to 8192 frames varying from call to call, with zero-length run()
 * calls mixed in. At each rate:
 *   - the latency port is the engine's latency, and the dry path (dry_wet 0)
 *     is the input delayed by exactly that many samples (measured), at the
 *     default analysis floor and at every lowest_pitch scale point;
 *   - the output follows the pitch of a four-note line (110..880 Hz): the
 *     harmonic part's period and the pitch monitor port are within
 *     PITCH_CENTS of each note;
 *   - every output sample is finite;
 *   - random block sizes give the same samples as fixed 512-frame blocks
 *     (DESIGN.md's block-size invariance), and so do runs of 1-frame and of
 *     8192-frame blocks.
 * Run with LV2_PATH restricted to the build tree. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lilv/lilv.h>

#include "cpu_level.h"
#include "heist.h"
#include "lv2_host.h"
#include "model.h"
#include "ports.h"
#include "robust.h"

static const double rates[] = {22050, 32000, 44100, 48000, 88200, 96000, 192000};
#define N_RATES (sizeof(rates) / sizeof(rates[0]))

static const double notes[] = {110.0, 220.0, 440.0, 880.0};
#define N_NOTES 4
#define NOTE_S 0.5
/* The output's harmonics run at the detected f0; YIN with parabolic
 * refinement is within a few cents on a steady tone at every rate, and the
 * period estimate on the output within about 1 cent over 0.2 s. */
#define PITCH_CENTS 10.0
/* DESIGN.md: bit-identical, or within 1e-6. */
#define SAME_TOLERANCE 1e-6f

typedef enum { BLOCKS_RANDOM, BLOCKS_FIXED, BLOCKS_ONES, BLOCKS_MAX } block_mode;

/* The lowest_pitch port's scale points: the analysis floor sets the
 * latency. NAN: leave the port at its default. */
static const float lowest_pitches[] = {50.0f, 75.0f, 100.0f, 150.0f, 300.0f};
#define N_LOWEST (sizeof(lowest_pitches) / sizeof(lowest_pitches[0]))
static float lowest_pitch = NAN;

static uint64_t total_calls, zero_calls, total_frames;
static uint32_t min_block_seen = UINT32_MAX, max_block_seen;

/* Render n samples through a fresh instance; returns the latency port. */
static float render(LilvWorld *world, const LilvPlugin *plugin, double rate, const float *in,
                    float *out, size_t n, block_mode mode, float dry_wet, float *pitches)
{
	lv2_host *h = lv2h_new(world, plugin, rate);
	CHECK(h, "instantiate at %.0f Hz", rate);
	if (!h) {
		return -1.0f;
	}
	float *dw = lv2h_control(h, "dry_wet"), *noise = lv2h_control(h, "noise_level");
	float *lat = lv2h_control(h, "latency"), *pitch = lv2h_control(h, "pitch");
	CHECK(dw && noise && lat && pitch, "ports dry_wet, noise_level, latency, pitch");
	if (!dw || !noise || !lat || !pitch) {
		lv2h_free(h);
		return -1.0f;
	}
	*dw = dry_wet;
	float *lp = lv2h_control(h, "lowest_pitch");
	if (lp && isfinite(lowest_pitch)) {
		*lp = lowest_pitch;
	}
	/* The harmonic part alone: the noise part has no pitch to measure. */
	*noise = -60.0f;
	uint32_t rng = (uint32_t)rate + mode;
	size_t pos = 0;
	float latency = -1.0f;
	lv2h_run(h, in, out, 0); /* before any audio: allowed */
	++zero_calls;
	while (pos < n) {
		uint32_t len = mode == BLOCKS_FIXED  ? 512
		               : mode == BLOCKS_ONES ? 1
		               : mode == BLOCKS_MAX  ? LV2H_MAX_BLOCK
		                                     : robust_block(&rng, LV2H_MAX_BLOCK);
		if (mode == BLOCKS_ONES && pos > (size_t)(0.1 * rate)) {
			len = 4096; /* 1-frame blocks for 0.1 s, then faster */
		}
		len = len > n - pos ? (uint32_t)(n - pos) : len;
		lv2h_run(h, in + pos, out + pos, len);
		/* The monitor after a block that lies in the second half of a note
		 * (it reports the latest analysis frame, within the block). */
		const size_t per = (size_t)(NOTE_S * rate), note = pos / per;
		if (pitches && len && note < N_NOTES && (pos + len - 1) / per == note &&
		    pos % per > per / 2) {
			pitches[note] = *pitch;
		}
		++total_calls;
		zero_calls += len == 0;
		total_frames += len;
		if (len) {
			min_block_seen = len < min_block_seen ? len : min_block_seen;
			max_block_seen = len > max_block_seen ? len : max_block_seen;
		}
		pos += len;
		CHECK(latency < 0.0f || *lat == latency, "%.0f Hz: latency port changed", rate);
		latency = *lat;
	}
	lv2h_free(h);
	return latency;
}

/* Whether the plugin has a port with this symbol. */
static bool has_port(LilvWorld *world, const LilvPlugin *plugin, const char *symbol)
{
	LilvNode *sym = lilv_new_string(world, symbol);
	const bool found = lilv_plugin_get_port_by_symbol(plugin, sym) != NULL;
	lilv_node_free(sym);
	return found;
}

static uint32_t bundle_latency(const LilvPlugin *plugin, double rate)
{
	char *dir = lilv_file_uri_parse(lilv_node_as_uri(lilv_plugin_get_bundle_uri(plugin)), NULL);
	char path[4096];
	snprintf(path, sizeof path, "%s/heist-default.hsm", dir);
	lilv_free(dir);
	char err[256] = "";
	heist_model *m = heist_model_load(path, err, sizeof err);
	const heist_config cfg = heist_config_default(rate);
	heist_engine *e = m ? heist_engine_new(&cfg, m) : NULL;
	CHECK(e, "engine for %s at %.0f Hz: %s", path, rate, err);
	const uint32_t lat = e ? heist_engine_latency(e) : 0;
	heist_engine_free(e);
	heist_model_free(m);
	return lat;
}

static void test_rate(LilvWorld *world, const LilvPlugin *plugin, double rate)
{
	const size_t per = (size_t)(NOTE_S * rate), n = N_NOTES * per;
	float *in = malloc(n * sizeof(float)), *out = malloc(n * sizeof(float));
	float *ref = malloc(n * sizeof(float));
	if (!in || !out || !ref) {
		abort();
	}
	for (int k = 0; k < N_NOTES; ++k) {
		robust_tone(in + k * per, per, k * per, rate, notes[k], 0.5);
	}

	/* Latency: the port, the engine, and the measured dry delay. */
	const uint32_t want = bundle_latency(plugin, rate);
	const float port = render(world, plugin, rate, in, out, n, BLOCKS_RANDOM, 0.0f, NULL);
	CHECK(port == (float)want, "%.0f Hz: latency port %g, engine latency %u", rate,
	      (double)port, want);
	long measured = -1;
	for (uint32_t d = 0; d < 8192 && measured < 0; ++d) {
		if (d < n && in[n / 2 - d] != 0.0f && check_max_diff(out + d, in, n - d) == 0.0f) {
			measured = d;
		}
	}
	CHECK(measured == (long)port, "%.0f Hz: dry path delayed by %ld, latency port says %g",
	      rate, measured, (double)port);

	/* The same at every analysis floor (lowest_pitch), on the first note. */
	char floors[256] = "";
	for (size_t k = 0; k < N_LOWEST && has_port(world, plugin, "lowest_pitch"); ++k) {
		lowest_pitch = lowest_pitches[k];
		const float lp_port =
		    render(world, plugin, rate, in, out, per, BLOCKS_RANDOM, 0.0f, NULL);
		lowest_pitch = NAN;
		long lp_measured = -1;
		for (uint32_t d = 0; d < 8192 && d < per / 2 && lp_measured < 0; ++d) {
			if (check_max_diff(out + d, in, per - d) == 0.0f) {
				lp_measured = d;
			}
		}
		CHECK(lp_port > 0.0f && lp_measured == (long)lp_port,
		      "%.0f Hz, lowest_pitch %g: dry path delayed by %ld, latency port says %g",
		      rate, (double)lowest_pitches[k], lp_measured, (double)lp_port);
		const size_t used = strlen(floors);
		snprintf(floors + used, sizeof floors - used, "%s%g Hz: %g", k ? ", " : "",
		         (double)lowest_pitches[k], (double)lp_port);
	}

	/* Pitch following and finite output, random blocks; then the same
	 * samples with fixed (where the pitch port is read), 1-frame and
	 * 8192-frame blocks. */
	float pitches[N_NOTES] = {0};
	render(world, plugin, rate, in, out, n, BLOCKS_RANDOM, 1.0f, NULL);
	render(world, plugin, rate, in, ref, n, BLOCKS_FIXED, 1.0f, pitches);
	int finite;
	const float peak = robust_peak(out, n, &finite);
	CHECK(finite, "%.0f Hz: non-finite output", rate);
	double worst = 0.0;
	for (int k = 0; k < N_NOTES; ++k) {
		/* The last 0.2 s of each note's output: output sample i plays input
		 * sample i - latency. */
		const size_t len = (size_t)(0.2 * rate);
		size_t end = (k + 1) * per + (size_t)port;
		end = end > n ? n : end;
		double corr;
		const double f = robust_period_pitch(out + end - len, len, rate, notes[k], &corr);
		const double c = robust_cents(notes[k], f), cm = robust_cents(notes[k], pitches[k]);
		CHECK(fabs(c) <= PITCH_CENTS,
		      "%.0f Hz: %.0f Hz note comes out at %.2f Hz (%+.1f cents)", rate, notes[k], f,
		      c);
		CHECK(fabs(cm) <= PITCH_CENTS, "%.0f Hz: %.0f Hz note: pitch port %.2f Hz", rate,
		      notes[k], (double)pitches[k]);
		worst = fmax(worst, fmax(fabs(c), fabs(cm)));
	}
	const char *mode_names[] = {"random", "fixed 512", "1-frame", "8192-frame"};
	float diffs[4] = {0};
	for (int mode = BLOCKS_FIXED; mode <= BLOCKS_MAX; ++mode) {
		if (mode != BLOCKS_FIXED) { /* fixed: rendered above */
			render(world, plugin, rate, in, ref, n, (block_mode)mode, 1.0f, NULL);
		}
		diffs[mode] = check_max_diff(out, ref, n);
		CHECK(diffs[mode] <= SAME_TOLERANCE,
		      "%.0f Hz: %s blocks differ from random blocks by %g", rate, mode_names[mode],
		      (double)diffs[mode]);
	}
	printf("%6.0f Hz: latency %4u (port %4g, measured %4ld), pitch within %.2f cents on "
	       "110..880 Hz, peak %.3f, random vs 512/1/8192-frame blocks: %g %g %g\n",
	       rate, want, (double)port, measured, worst, (double)peak, (double)diffs[1],
	       (double)diffs[2], (double)diffs[3]);
	if (floors[0]) {
		printf("%6.0f Hz: latency by lowest_pitch (port = measured dry delay): %s\n", rate,
		       floors);
	}
	free(in);
	free(out);
	free(ref);
}

int main(void)
{
	test_cpu_level("test_rates");
	LilvWorld *world = lv2h_world_new();
	const LilvPlugin *plugin = lv2h_find_plugin(world, HEIST_URI);
	CHECK(plugin, "<%s> not found on LV2_PATH", HEIST_URI);
	for (size_t r = 0; plugin && r < N_RATES; ++r) {
		test_rate(world, plugin, rates[r]);
	}
	printf("%zu rates; %llu run() calls (%llu of 0 frames), blocks of %u..%u frames, %llu "
	       "frames\n",
	       N_RATES, (unsigned long long)total_calls, (unsigned long long)zero_calls,
	       min_block_seen, max_block_seen, (unsigned long long)total_frames);
	lilv_world_free(world);
	return check_exit("test_rates");
}
