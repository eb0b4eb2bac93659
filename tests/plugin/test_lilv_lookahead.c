/* The MIDI lookahead through lilv (plugin/heist_lv2.c): its audio delay
 * ring is made by the worker the first time run() sees a nonzero lookahead,
 * so an instance that never uses it keeps no ring resident. Checked at 44.1,
 * 48 and 96 kHz with a voiced input (notes after 0.3 s of silence), the
 * lookahead at 100 ms before the first run():
 *  - a host without worker:schedule: the ring is made at instantiate, the
 *    latency port reports the engine's latency + the lookahead from the first
 *    block (the reference render);
 *  - a host with a worker it lets run only after a few blocks: until then the
 *    lookahead stays 0 and the latency port says so; from the block after
 *    the worker ran, the latency includes it; the audio is exactly the
 *    reference's, undelayed before the switch, silence for one lookahead
 *    after it, the reference's sample for sample after that; the MIDI
 *    note-ons, at their output frame less the reported latency, fall where
 *    the reference's do (the engine's frame clock runs on through the
 *    switch);
 *  - the host refusing the request twice: asked again, applied later;
 *  - once made: changes back and forth apply in the block they are seen, and
 *    survive deactivate() / activate();
 *  - MIDI out across a change of lowest_pitch mid-note (65 -> 110 Hz, a
 *    restart in place, dsp/engine.c): the note sounding is not ended and
 *    played again, and every note-on falls where a render at 65 Hz
 *    throughout has it, against the latency reported with it.
 * Run with LV2_PATH restricted to the build tree.
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

#include "check.h"
#include "lv2_host.h"
#include "ports.h"

#define PI 3.14159265358979323846
#define BLOCK 256u
#define LOOKAHEAD_MS 100.0f
#define DURATION_S 2.5
#define WAIT_BLOCKS 3u   /* runs before the host lets its worker run */
#define MAX_NOTE_ONS 64u /* the input holds 4 notes */

/* Note-ons at most this far (samples) from the reference's: the tracker is
 * reset at the switch, after silence only, so they should coincide; main
 * before this test set the MIDI clock back to 0 there and was a whole
 * WAIT_BLOCKS * BLOCK samples late. */
#define NOTE_ON_TOLERANCE 1.0

typedef struct {
	float *out;
	uint32_t *latency; /* the latency port after each block */
	double on[MAX_NOTE_ONS];
	int note[MAX_NOTE_ONS];
	uint32_t n_on;
	float change_hz;       /* > 0: lowest_pitch set to it ... */
	uint32_t change_block; /* ... before this block */
} take;

/* A take of n samples in blocks of BLOCK; change_hz 0: no change. */
static take take_new(uint32_t n, float change_hz, uint32_t change_block)
{
	const uint32_t n_blocks = (n + BLOCK - 1) / BLOCK;
	return (take){malloc(n * sizeof(float)),
	              malloc(n_blocks * sizeof(uint32_t)),
	              {0},
	              {0},
	              0,
	              change_hz,
	              change_block};
}

static void take_free(take *t)
{
	free(t->out);
	free(t->latency);
}

/* 0.3 s of silence, then four notes of 0.35 s with 0.15 s gaps: three
 * harmonics, 10 ms fades. */
static void generate(float *x, uint32_t n, double rate)
{
	static const double f0[4] = {220.0, 330.0, 262.0, 392.0};
	double phase = 0.0;
	for (uint32_t i = 0; i < n; ++i) {
		const double t = (double)i / rate - 0.3;
		const int k = t < 0.0 ? -1 : (int)(t / 0.5);
		const double in_note = t - 0.5 * k;
		if (k < 0 || k > 3 || in_note >= 0.35) {
			x[i] = 0.0f;
			continue;
		}
		phase += f0[k] / rate;
		phase -= floor(phase);
		const double fade = fmin(1.0, fmin(in_note, 0.35 - in_note) / 0.01);
		const double ph = 2.0 * PI * phase;
		x[i] = (float)(0.3 * fade * (sin(ph) + 0.5 * sin(2.0 * ph) + 0.25 * sin(3.0 * ph)));
	}
}

static LV2_Worker_Status refuse_twice(void *user, uint32_t size, const void *data)
{
	(void)size;
	(void)data;
	unsigned *refused = user;
	return (*refused)++ < 2 ? LV2_WORKER_ERR_NO_SPACE : LV2_WORKER_SUCCESS;
}

/* In blocks of BLOCK from the instance's start; the worker (if any) runs
 * after each run() from the wait-th on. */
static void render(lv2_host *h, const float *in, uint32_t n, uint32_t wait, take *r)
{
	const LV2_URID midi = lv2h_map(h)->map(NULL, LV2_MIDI__MidiEvent);
	r->n_on = 0;
	for (uint32_t b = 0, pos = 0; pos < n; ++b, pos += BLOCK) {
		const uint32_t len = n - pos < BLOCK ? n - pos : BLOCK;
		if (r->change_hz > 0.0f && b == r->change_block) {
			*lv2h_control(h, "lowest_pitch") = r->change_hz;
		}
		lv2h_run(h, in + pos, r->out + pos, len);
		if (b + 1 >= wait) {
			lv2h_work(h);
		}
		r->latency[b] = (uint32_t)lv2h_controls(h)[HEIST_PORT_LATENCY];
		LV2_ATOM_SEQUENCE_FOREACH(lv2h_sequence(h, HEIST_PORT_MIDI_OUT), ev)
		{
			const uint8_t *m = LV2_ATOM_BODY_CONST(&ev->body);
			if (ev->body.type == midi && ev->body.size == 3 && (m[0] & 0xF0) == 0x90 &&
			    m[2] > 0 && r->n_on < MAX_NOTE_ONS) {
				r->on[r->n_on] =
				    (double)pos + (double)ev->time.frames - r->latency[b];
				r->note[r->n_on++] = m[1];
			}
		}
	}
}

static lv2_host *open_host(LilvWorld *world, const LilvPlugin *plugin, double rate, bool worker)
{
	const lv2h_options opt = {worker ? LV2H_F_ALL : LV2H_F_ALL & ~LV2H_F_SCHEDULE, false,
	                          false};
	lv2_host *h = lv2h_new_with(world, plugin, rate, &opt);
	CHECK(h, "%.0f Hz: instantiate", rate);
	if (h) {
		*lv2h_control(h, "midi_lookahead") = LOOKAHEAD_MS;
	}
	return h;
}

/* Once the ring is there: 0, 50 ms, 0, 100 ms apply in the block they are
 * seen, and deactivate() / activate() keep the lookahead. */
static void test_changes(lv2_host *h, const float *in, double rate, uint32_t engine)
{
	static const float ms[] = {0.0f, 50.0f, 0.0f, 100.0f, 100.0f};
	float out[BLOCK];
	for (size_t i = 0; i < sizeof ms / sizeof ms[0]; ++i) {
		if (i == 4) {
			lv2h_deactivate(h);
			lv2h_activate(h);
		}
		*lv2h_control(h, "midi_lookahead") = ms[i];
		lv2h_run(h, in, out, BLOCK);
		const uint32_t want = engine + (uint32_t)floor(ms[i] * 0.001 * rate + 0.5);
		const float got = lv2h_controls(h)[HEIST_PORT_LATENCY];
		CHECK(got == (float)want, "%.0f Hz: lookahead %g ms (step %zu): latency %g, not %u",
		      rate, (double)ms[i], i, (double)got, want);
	}
	CHECK(lv2h_work_scheduled(h) == 1, "%.0f Hz: %u worker requests, 1 expected", rate,
	      lv2h_work_scheduled(h));
}

/* The checks of test_rate() on its input and takes (n samples); returns
 * early when a host cannot be made (open_host() reported it), leaving the
 * buffers to the caller. */
static void check_rate(LilvWorld *world, const LilvPlugin *plugin, double rate, const float *in,
                       uint32_t n, take *ref, take *got)
{
	const uint32_t n_blocks = (n + BLOCK - 1) / BLOCK;
	const uint32_t lookahead = (uint32_t)floor(LOOKAHEAD_MS * 0.001 * rate + 0.5);

	/* The reference: no worker, the ring made at instantiate. */
	lv2_host *h = open_host(world, plugin, rate, false);
	if (!h) {
		return;
	}
	render(h, in, n, 0, ref);
	lv2h_free(h);
	const uint32_t engine = ref->latency[0] - lookahead;
	CHECK(ref->latency[0] > lookahead, "%.0f Hz: latency %u without the lookahead's %u", rate,
	      ref->latency[0], lookahead);
	for (uint32_t b = 0; b < n_blocks; ++b) {
		CHECK(ref->latency[b] == ref->latency[0],
		      "%.0f Hz, no worker: latency %u at block %u", rate, ref->latency[b], b);
	}
	CHECK(ref->n_on >= 4, "%.0f Hz: %u note-ons in the reference", rate, ref->n_on);

	/* The worker runs after the WAIT_BLOCKS-th block. */
	h = open_host(world, plugin, rate, true);
	if (!h) {
		return;
	}
	render(h, in, n, WAIT_BLOCKS, got);
	uint32_t bad = n_blocks;
	for (uint32_t b = 0; b < n_blocks; ++b) {
		const uint32_t want = b < WAIT_BLOCKS ? engine : engine + lookahead;
		bad = got->latency[b] != want && bad == n_blocks ? b : bad;
	}
	CHECK(bad == n_blocks, "%.0f Hz: latency %u at block %u (the worker ran after block %u)",
	      rate, bad < n_blocks ? got->latency[bad] : 0, bad, WAIT_BLOCKS - 1);
	const uint32_t at = WAIT_BLOCKS * BLOCK; /* the switch */
	uint32_t first = n;
	for (uint32_t i = 0; i < n && first == n; ++i) {
		const float want = i < at ? (i + lookahead < n ? ref->out[i + lookahead] : 0)
		                   : i < at + lookahead ? 0.0f
		                                        : ref->out[i];
		first = memcmp(&got->out[i], &want, sizeof want) ? i : first;
	}
	CHECK(first == n,
	      "%.0f Hz: the output differs from the reference delayed as reported from sample "
	      "%u (the switch at %u)",
	      rate, first, at);
	CHECK(got->n_on == ref->n_on, "%.0f Hz: %u note-ons, the reference %u", rate, got->n_on,
	      ref->n_on);
	for (uint32_t i = 0; i < got->n_on && i < ref->n_on; ++i) {
		CHECK(got->note[i] == ref->note[i] &&
		          fabs(got->on[i] - ref->on[i]) <= NOTE_ON_TOLERANCE,
		      "%.0f Hz: note-on %u: %d at %.0f, the reference %d at %.0f", rate, i,
		      got->note[i], got->on[i], ref->note[i], ref->on[i]);
	}
	const uint32_t n_on = got->n_on;
	test_changes(h, in, rate, engine);
	lv2h_free(h);

	/* The host refuses the first two requests: asked again each block. */
	h = open_host(world, plugin, rate, true);
	if (h) {
		unsigned refused = 0;
		lv2h_set_schedule_hook(h, refuse_twice, &refused);
		render(h, in, 8 * BLOCK, 1, got);
		CHECK(refused == 3 && got->latency[1] == engine && got->latency[2] == engine &&
		          got->latency[3] == engine + lookahead,
		      "%.0f Hz, requests refused twice: %u asked, latency %u %u %u", rate, refused,
		      got->latency[1], got->latency[2], got->latency[3]);
		lv2h_free(h);
	}
	printf("%.0f Hz: lookahead %u samples: the reference's latency %u from the start without "
	       "a worker; with one, %u until the worker ran, then %u, the audio exactly the "
	       "reference's, %u note-ons where the reference's are\n",
	       rate, lookahead, ref->latency[0], engine, engine + lookahead, n_on);
}

/* The lookahead at one rate (the file's comment): every buffer made here is
 * freed here, whatever check_rate() could do. */
static void test_rate(LilvWorld *world, const LilvPlugin *plugin, double rate)
{
	const uint32_t n = (uint32_t)(DURATION_S * rate);
	float *in = malloc(n * sizeof(float));
	take ref = take_new(n, 0.0f, 0), got = take_new(n, 0.0f, 0);
	generate(in, n, rate);
	check_rate(world, plugin, rate, in, n, &ref, &got);
	free(in);
	take_free(&ref);
	take_free(&got);
}

/* Note-ons across a change of lowest pitch at most this far (samples) from
 * the renders' at a fixed floor: the engine's frame clock runs on through
 * the restart, so they should coincide (measured 2026-12-07: 0 at 44.1, 48
 * and 96 kHz). */
#define FLOOR_NOTE_ON_TOLERANCE 1.0

/* MIDI out across a change of lowest_pitch from 65 to 110 Hz in the second
 * note (0.9 s; the note sounds 0.8-1.15 s), no worker needed (the ring is
 * made at instantiate): the engine restarts in place, so its frame clock,
 * and MIDI out's tracker and clock, run on. The notes before the change
 * fall where a render at 65 Hz throughout has them, those after where one at
 * 110 Hz has them, against the latency reported with each; the note
 * sounding is not ended and played again (as it was when a change reset
 * the engine). */
static void test_floor_change(LilvWorld *world, const LilvPlugin *plugin, double rate)
{
	const uint32_t n = (uint32_t)(DURATION_S * rate);
	const uint32_t n_blocks = (n + BLOCK - 1) / BLOCK;
	const uint32_t change = (uint32_t)(0.9 * rate) / BLOCK;
	float *in = malloc(n * sizeof(float));
	take ref[2] = {take_new(n, 0.0f, 0), take_new(n, 0.0f, 0)};
	take got = take_new(n, 110.0f, change);
	generate(in, n, rate);
	for (int f = 0; f < 3; ++f) {
		take *t = f < 2 ? &ref[f] : &got;
		lv2_host *h = open_host(world, plugin, rate, false);
		if (h) {
			*lv2h_control(h, "lowest_pitch") = f == 1 ? 110.0f : 65.0f;
			render(h, in, n, 0, t);
			lv2h_free(h);
		}
	}
	CHECK(got.latency[change] == ref[0].latency[0] &&
	          got.latency[n_blocks - 1] == ref[1].latency[0],
	      "%.0f Hz: latency %u before the change, %u at the end (65 Hz: %u, 110 Hz: %u)", rate,
	      got.latency[change], got.latency[n_blocks - 1], ref[0].latency[0], ref[1].latency[0]);
	CHECK(ref[0].n_on == 4 && ref[1].n_on == 4 && got.n_on == 4,
	      "%.0f Hz: %u note-ons across the change of lowest pitch, %u at 65 Hz, %u at 110 Hz "
	      "(4 notes)",
	      rate, got.n_on, ref[0].n_on, ref[1].n_on);
	double worst = 0.0;
	for (uint32_t i = 0; i < got.n_on && i < 4; ++i) {
		const take *r = i < 2 ? &ref[0] : &ref[1]; /* the third note starts after it */
		const double d = fabs(got.on[i] - r->on[i]);
		worst = d > worst ? d : worst;
		CHECK(
		    got.note[i] == r->note[i] && d <= FLOOR_NOTE_ON_TOLERANCE,
		    "%.0f Hz, lowest pitch changed: note-on %u: %d at %.0f, at a fixed floor %d at "
		    "%.0f",
		    rate, i, got.note[i], got.on[i], r->note[i], r->on[i]);
	}
	printf("%.0f Hz: lowest pitch 65 -> 110 Hz mid-note: %u note-ons, each where a fixed "
	       "floor's is (farthest %.0f samples); latency %u -> %u\n",
	       rate, got.n_on, worst, ref[0].latency[0], got.latency[n_blocks - 1]);
	free(in);
	take_free(&ref[0]);
	take_free(&ref[1]);
	take_free(&got);
}

int main(void)
{
	LilvWorld *world = lv2h_world_new();
	const LilvPlugin *plugin = lv2h_find_plugin(world, HEIST_URI);
	CHECK(plugin, "<%s> not found on LV2_PATH", HEIST_URI);
	if (plugin) {
		test_rate(world, plugin, 44100.0);
		test_rate(world, plugin, 48000.0);
		test_rate(world, plugin, 96000.0);
		test_floor_change(world, plugin, 44100.0);
		test_floor_change(world, plugin, 48000.0);
		test_floor_change(world, plugin, 96000.0);
	}
	lilv_world_free(world);
	return check_exit("test_lilv_lookahead");
}
