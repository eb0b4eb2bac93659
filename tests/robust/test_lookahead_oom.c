/* The MIDI lookahead's ring out of memory (plugin/heist_lv2.c): the worker
 * makes the ring the first time run() sees a nonzero lookahead, and here its
 * allocation fails for real: while that work() runs, rt_guard.c refuses
 * every allocation of at least the ring's size (200 ms of floats). Then, at
 * 44.1, 48 and 96 kHz, against an instance at lookahead 0 fed the same input
 * in the same blocks:
 *  - exactly one allocation was refused (the ring's: the interposition
 *    reached the plugin) and the plugin logged it once;
 *  - the lookahead stays off for that instance: the latency port is the
 *    reference's in every block, the audio and MIDI out are the reference's
 *    bit for bit, also after the lookahead is changed to other nonzero
 *    values, to 0 and back, with memory available again; the ring is asked
 *    for once only (a later block does not make the worker try again);
 *  - run() makes no forbidden call meanwhile (rt_guard.h);
 *  - a new instance, memory available, gets its ring: the latency grows by
 *    the lookahead from the block after its worker ran (the same test
 *    without the refusal would see that).
 * Usage: test_lookahead_oom, with LV2_PATH restricted to the build tree.
 * Skips (77) in sanitizer builds, whose runtime replaces the allocator.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lilv/lilv.h>
#include <lv2/atom/util.h>
#include <lv2/midi/midi.h>

#include "lv2_host.h"
#include "ports.h"
#include "robust.h"
#include "rt_guard.h"

#define BLOCK 256u
#define DURATION_S 2.0
#define LOOKAHEAD_MS 100.0f

/* The lookahead control of the instance whose ring failed, from a block on
 * (blocks of BLOCK; each within DURATION_S at 44.1 kHz): other values, 0 and
 * back, all with memory available again. */
static const struct {
	uint32_t block;
	float ms;
} later[] = {{40, 50.0f}, {80, 0.0f}, {120, HEIST_MIDI_LOOKAHEAD_MAX_MS}, {200, 20.0f}};

/* 0.3 s of silence, then two notes of 0.5 s (220 and 330 Hz) with 0.2 s
 * between them: MIDI out has notes to report. */
static void generate(float *x, uint32_t n, double rate)
{
	memset(x, 0, n * sizeof(float));
	const uint32_t on[2] = {(uint32_t)(0.3 * rate), (uint32_t)(1.0 * rate)};
	const double f0[2] = {220.0, 330.0};
	for (int k = 0; k < 2; ++k) {
		const uint32_t len = (uint32_t)(0.5 * rate);
		if (on[k] + len <= n) {
			robust_tone(x + on[k], len, 0, rate, f0[k], 0.3);
		}
	}
}

/* Whether two atom sequences (MIDI out after a run()) are the same bytes. */
static bool same_sequence(const LV2_Atom_Sequence *a, const LV2_Atom_Sequence *b)
{
	return a && b && a->atom.size == b->atom.size &&
	       !memcmp(a, b, sizeof(LV2_Atom) + a->atom.size);
}

/* How many note-ons a MIDI out sequence holds. */
static uint32_t note_ons(lv2_host *h)
{
	const LV2_URID midi = lv2h_map(h)->map(NULL, LV2_MIDI__MidiEvent);
	uint32_t n = 0;
	LV2_ATOM_SEQUENCE_FOREACH(lv2h_sequence(h, HEIST_PORT_MIDI_OUT), ev)
	{
		const uint8_t *m = LV2_ATOM_BODY_CONST(&ev->body);
		n += ev->body.type == midi && ev->body.size == 3 && (m[0] & 0xF0) == 0x90 && m[2];
	}
	return n;
}

/* run() inside the real-time guard. */
static void guarded_run(lv2_host *h, const float *in, float *out, uint32_t n)
{
	rt_guard_begin();
	lv2h_run(h, in, out, n);
	rt_guard_end();
}

static lv2_host *open_host(LilvWorld *world, const LilvPlugin *plugin, double rate, float ms)
{
	lv2_host *h = lv2h_new(world, plugin, rate);
	CHECK(h, "%.0f Hz: instantiate", rate);
	if (h) {
		lv2h_log_quiet(h, true);
		*lv2h_control(h, "midi_lookahead") = ms;
	}
	return h;
}

/* The instance whose ring fails against the reference, block by block;
 * both hosts open. */
static void compare(lv2_host *oom, lv2_host *ref, const float *in, uint32_t n, double rate)
{
	/* the ring holds HEIST_MIDI_LOOKAHEAD_MAX_MS of samples, and a little more */
	const size_t ring_bytes =
	    (size_t)floor(HEIST_MIDI_LOOKAHEAD_MAX_MS * 0.001 * rate) * sizeof(float);
	float out[BLOCK], want[BLOCK];
	uint32_t bad_audio = n, bad_latency = n, bad_midi = n, n_on = 0;
	size_t k = 0;
	for (uint32_t b = 0, pos = 0; pos < n; ++b, pos += BLOCK) {
		const uint32_t len = n - pos < BLOCK ? n - pos : BLOCK;
		if (k < sizeof later / sizeof later[0] && b == later[k].block) {
			*lv2h_control(oom, "midi_lookahead") = later[k++].ms;
		}
		guarded_run(ref, in + pos, want, len);
		guarded_run(oom, in + pos, out, len);
		if (b == 0) {
			const uint64_t refused = rt_guard_refused();
			rt_guard_refuse_from(ring_bytes);
			lv2h_work(oom);
			rt_guard_refuse_from(0);
			CHECK(rt_guard_refused() - refused == 1,
			      "%.0f Hz: %llu allocations of at least %zu bytes refused in the "
			      "worker, 1 (the ring) expected",
			      rate, (unsigned long long)(rt_guard_refused() - refused), ring_bytes);
		} else {
			lv2h_work(oom);
		}
		lv2h_work(ref);
		const float lat = *lv2h_control_at(oom, HEIST_PORT_LATENCY);
		const float ref_lat = *lv2h_control_at(ref, HEIST_PORT_LATENCY);
		bad_audio =
		    bad_audio == n && memcmp(out, want, len * sizeof(float)) ? b : bad_audio;
		bad_latency = bad_latency == n && lat != ref_lat ? b : bad_latency;
		bad_midi = bad_midi == n && !same_sequence(lv2h_sequence(oom, HEIST_PORT_MIDI_OUT),
		                                           lv2h_sequence(ref, HEIST_PORT_MIDI_OUT))
		               ? b
		               : bad_midi;
		n_on += note_ons(ref);
	}
	CHECK(bad_audio == n, "%.0f Hz: the audio differs from lookahead 0's in block %u", rate,
	      bad_audio);
	CHECK(bad_latency == n, "%.0f Hz: the latency differs from lookahead 0's in block %u", rate,
	      bad_latency);
	CHECK(bad_midi == n, "%.0f Hz: MIDI out differs from lookahead 0's in block %u", rate,
	      bad_midi);
	CHECK(n_on >= 2, "%.0f Hz: %u note-ons at lookahead 0 (2 notes in)", rate, n_on);
	CHECK(*lv2h_control_at(ref, HEIST_PORT_LATENCY) > 0.0f, "%.0f Hz: no engine latency", rate);
	CHECK(lv2h_log_count(oom) == 1 && strstr(lv2h_log_last(oom), "lookahead"),
	      "%.0f Hz: %u log messages, the last '%s'; one about the lookahead expected", rate,
	      lv2h_log_count(oom), lv2h_log_count(oom) ? lv2h_log_last(oom) : "");
	CHECK(lv2h_work_scheduled(oom) == 1, "%.0f Hz: %u worker requests, 1 expected", rate,
	      lv2h_work_scheduled(oom));
	printf("%.0f Hz: the ring (%zu+ bytes) refused once, logged once; with the lookahead at "
	       "%g ms, then 50, 0, %g and 20 ms: latency %g, audio and MIDI out (%u note-ons) as "
	       "at lookahead 0\n",
	       rate, ring_bytes, (double)LOOKAHEAD_MS, (double)HEIST_MIDI_LOOKAHEAD_MAX_MS,
	       (double)*lv2h_control_at(ref, HEIST_PORT_LATENCY), n_on);
}

/* A new instance with memory available gets its ring: the latency grows by
 * the lookahead in the block after its worker ran. */
static void check_recovers(LilvWorld *world, const LilvPlugin *plugin, const float *in, double rate,
                           float engine_latency)
{
	lv2_host *h = open_host(world, plugin, rate, LOOKAHEAD_MS);
	if (!h) {
		return;
	}
	float out[BLOCK];
	guarded_run(h, in, out, BLOCK);
	const float before = *lv2h_control_at(h, HEIST_PORT_LATENCY);
	lv2h_work(h);
	guarded_run(h, in + BLOCK, out, BLOCK);
	const float after = *lv2h_control_at(h, HEIST_PORT_LATENCY);
	const float want = engine_latency + floorf(LOOKAHEAD_MS * 0.001f * (float)rate + 0.5f);
	CHECK(before == engine_latency && after == want,
	      "%.0f Hz, a new instance: latency %g before its worker ran, %g after (%g, %g "
	      "expected)",
	      rate, (double)before, (double)after, (double)engine_latency, (double)want);
	lv2h_free(h);
}

static void test_rate(LilvWorld *world, const LilvPlugin *plugin, double rate)
{
	const uint32_t n = (uint32_t)(DURATION_S * rate);
	float *in = malloc(n * sizeof(float));
	lv2_host *ref = open_host(world, plugin, rate, 0.0f);
	lv2_host *oom = open_host(world, plugin, rate, LOOKAHEAD_MS);
	if (in && ref && oom) {
		generate(in, n, rate);
		compare(oom, ref, in, n, rate);
		check_recovers(world, plugin, in, rate, *lv2h_control_at(ref, HEIST_PORT_LATENCY));
	}
	CHECK(in, "%.0f Hz: out of memory for the input", rate);
	if (oom) {
		lv2h_free(oom);
	}
	if (ref) {
		lv2h_free(ref);
	}
	free(in);
}

int main(void)
{
	if (!RT_GUARD_AVAILABLE) {
		printf("SKIP: sanitizer build, its runtime replaces the allocator\n");
		return CHECK_SKIP;
	}
	LilvWorld *world = lv2h_world_new();
	const LilvPlugin *plugin = lv2h_find_plugin(world, HEIST_URI);
	CHECK(plugin, "<%s> not found on LV2_PATH", HEIST_URI);
	if (plugin) {
		test_rate(world, plugin, 44100.0);
		test_rate(world, plugin, 48000.0);
		test_rate(world, plugin, 96000.0);
	}
	CHECK(rt_guard_total() == 0, "forbidden calls in run():");
	if (rt_guard_total()) {
		rt_guard_print(stderr);
	}
	lilv_world_free(world);
	return check_exit("test_lookahead_oom");
}
