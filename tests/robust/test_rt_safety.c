/* Real-time safety, proven by counting: every allocator, lock, wait, sleep
 * and stdio/file call made on the audio thread while it is inside run() (or
 * work_response()/end_run(), or the engine's [audio] functions) is counted by
 * the interposer in rt_guard.c, and the count must be 0.
 *
 * Covered: the engine's [audio] API over a sweep of every parameter (styles,
 * morph and bypass included) on a 3-style model, on input that takes every
 * path of the pitch front end and the input gate, network swaps between
 * models and resets; the LV2 plugin through lilv at every supported rate in
 * varied blocks (0..8192 frames) over a sweep of every control input the TTL
 * describes, bypass toggles, the MIDI lookahead's ring made by the worker on
 * first use and taken up by run(), a custom model swap through the worker
 * (when the plugin has one; a refused load sends a status), a state restore
 * (when it has the state interface), the input unconnected, and control
 * events whose sizes lie (a path atom longer than its event, an event longer
 * than its sequence).
 *
 * Usage: test_rt_safety MODEL.hsm, with LV2_PATH restricted to the build tree.
 * Skips (77) in sanitizer builds, whose runtime replaces the allocator.
 */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/patch/patch.h>
#include <lv2/state/state.h>

#include "heist.h"
#include "hsm_writer.h"
#include "lv2_host.h"
#include "model.h"
#include "ports.h"
#include "robust.h"
#include "rt_guard.h"
#include "synth_ports.h"

static const double rates[] = {22050, 32000, 44100, 48000, 88200, 96000, 192000};
#define N_RATES (sizeof(rates) / sizeof(rates[0]))

static uint64_t guarded_calls; /* run()-class calls made inside the guard */
static uint64_t guarded_frames;
static uint64_t forbidden; /* all forbidden calls found, over every phase */

/* Fail with the per-function counts if anything was counted since the last
 * check, naming the phase. */
static void expect_clean(const char *phase)
{
	const uint64_t n = rt_guard_total();
	CHECK(n == 0, "%s: %llu forbidden calls on the audio thread:", phase,
	      (unsigned long long)n);
	forbidden += n;
	if (n) {
		rt_guard_print(stderr);
		rt_guard_reset();
	}
}

/* The interposer must see the calls, or a 0 count would prove nothing. This
 * checks calls from the executable; test_plugin() checks that the plugin's
 * own calls (from instantiate()) arrive too. libc's internal calls (strdup's
 * malloc) bind inside libc and are not seen, which is fine: the code under
 * test calls these functions itself. */
static void self_test(void)
{
	void *(*volatile alloc)(size_t) = malloc;
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	rt_guard_begin();
	void *p = alloc(16);
	free(p);
	pthread_mutex_lock(&mu);
	pthread_mutex_unlock(&mu);
	rt_guard_end();
	CHECK(rt_guard_count(RT_MALLOC) >= 1, "self-test: malloc not intercepted (%llu)",
	      (unsigned long long)rt_guard_count(RT_MALLOC));
	CHECK(rt_guard_count(RT_FREE) >= 1, "self-test: free not intercepted");
	CHECK(rt_guard_count(RT_MUTEX_LOCK) == 1 && rt_guard_count(RT_MUTEX_UNLOCK) == 1,
	      "self-test: pthread_mutex_lock/unlock not intercepted");
	rt_guard_reset();
}

/* ---- engine level ----------------------------------------------------------- */

static heist_model *random_model(uint32_t seed, uint32_t styles)
{
	const hsm_dims d = {styles, 8, 24, 32, 48, 33, seed};
	size_t size;
	uint8_t *p = hsm_write_random(&d, &size);
	char err[256] = "";
	heist_model *m = p ? heist_model_parse(p, size, err, sizeof err) : NULL;
	CHECK(m, "random model: %s", err);
	free(p);
	return m;
}

static void engine_block(heist_engine *e, float *buf, uint32_t *rng, uint64_t *pos, double rate)
{
	const uint32_t n = robust_block(rng, LV2H_MAX_BLOCK);
	/* Every front-end path: a voiced line, leaps the jump confirmation
	 * holds, notes under the floor (the sub-floor detector), and quiet
	 * noise that closes the input gate. */
	const uint32_t kind = robust_rand(rng) % 4;
	const double f0 = kind == 1 ? 45.0 : kind == 2 ? 600.0 : 196.0;
	robust_tone(buf, n, *pos, rate, f0 * (1.0 + 0.3 * robust_uniform(rng)), 0.4);
	if (kind == 3) {
		for (uint32_t i = 0; i < n; ++i) {
			buf[i] = (float)(0.003 * (robust_uniform(rng) - 0.5));
		}
	}
	rt_guard_begin();
	heist_engine_process(e, buf, buf, n);
	(void)heist_engine_monitor(e);
	(void)heist_engine_latency(e);
	rt_guard_end();
	*pos += n;
	++guarded_calls;
	guarded_frames += n;
}

static void test_engine(const heist_model *shipped)
{
	heist_model *a = random_model(1, 3), *b = random_model(2, 5);
	if (!a || !b) {
		heist_model_free(a);
		heist_model_free(b);
		return;
	}
	const double rate = 48000.0;
	const heist_config cfg = heist_config_default(rate);
	heist_engine *e = heist_engine_new(&cfg, a);
	/* Networks to swap in, built outside the audio thread as the worker does. */
	heist_net *spare[3] = {
	    heist_net_new(a), heist_net_new(b),
	    shipped && shipped->frame_rate == a->frame_rate ? heist_net_new(shipped) : NULL};
	float *buf = malloc(LV2H_MAX_BLOCK * sizeof(float));
	if (!e || !spare[0] || !spare[1] || !buf) {
		abort();
	}
	uint32_t rng = 99;
	uint64_t pos = 0;
	unsigned swaps = 0;

	/* Every parameter over its range in 9 steps, beyond it, and NaN. */
	for (int p = 0; p < HEIST_PARAM_COUNT; ++p) {
		const heist_param_info *info = heist_param_get_info((heist_param)p);
		for (int k = 0; k <= 11; ++k) {
			const float v = k <= 8
			                    ? info->min + (info->max - info->min) * (float)k / 8.0f
			                : k == 9  ? info->min - 100.0f
			                : k == 10 ? info->max + 100.0f
			                          : NAN;
			rt_guard_begin();
			heist_engine_set_param(e, (heist_param)p, v);
			(void)heist_engine_get_param(e, (heist_param)p);
			rt_guard_end();
			engine_block(e, buf, &rng, &pos, rate);
		}
		rt_guard_begin();
		heist_engine_set_param(e, (heist_param)p, info->def);
		rt_guard_end();
	}
	expect_clean("engine: parameter sweep");

	/* Changes of lowest pitch mid-stream, each held until it has applied:
	 * the wait, the fade out, the restart in place (the frames a shorter
	 * span makes due computed at once, the synthesis moved back or on)
	 * and the fade in, all inside run(). The latency moving proves the
	 * restart ran. */
	const float floors_hz[] = {300.0f, 50.0f, 165.0f, 65.0f, 110.0f, 85.0f, 300.0f, 65.0f};
	unsigned restarts = 0;
	for (size_t f = 0; f < sizeof floors_hz / sizeof floors_hz[0]; ++f) {
		const uint32_t before = heist_engine_latency(e);
		rt_guard_begin();
		heist_engine_set_param(e, HEIST_PARAM_LOWEST_PITCH, floors_hz[f]);
		rt_guard_end();
		for (int k = 0; k < 400 && heist_engine_latency(e) == before; ++k) {
			engine_block(e, buf, &rng, &pos, rate);
		}
		restarts += heist_engine_latency(e) != before;
		engine_block(e, buf, &rng, &pos, rate); /* into the fade in */
	}
	CHECK(restarts == sizeof floors_hz / sizeof floors_hz[0],
	      "engine: %u of 8 lowest-pitch changes restarted the stream", restarts);
	rt_guard_begin();
	heist_engine_set_param(e, HEIST_PARAM_LOWEST_PITCH, HEIST_DEFAULT_LOWEST_PITCH);
	rt_guard_end();
	expect_clean("engine: lowest-pitch changes (fade, restart in place)");

	/* Style glides: every pair of styles, morph across, with swaps of the
	 * network between blocks (old networks come back out to be reused). */
	for (int round = 0; round < 3; ++round) {
		for (uint32_t sa = 0; sa < 5; ++sa) {
			for (uint32_t sb = 0; sb < 5; ++sb) {
				for (int k = 0; k <= 4; ++k) {
					rt_guard_begin();
					heist_engine_set_param(e, HEIST_PARAM_STYLE_A, (float)sa);
					heist_engine_set_param(e, HEIST_PARAM_STYLE_B, (float)sb);
					heist_engine_set_param(e, HEIST_PARAM_MORPH, 0.25f * k);
					heist_engine_set_param(
					    e, HEIST_PARAM_ENABLED,
					    (float)((sa + sb + (uint32_t)k) % 2));
					rt_guard_end();
					engine_block(e, buf, &rng, &pos, rate);
				}
			}
			const int slot = (int)(robust_rand(&rng) % 3);
			if (spare[slot]) {
				rt_guard_begin();
				spare[slot] = heist_engine_swap_net(e, spare[slot]);
				rt_guard_end();
				++swaps;
			}
		}
		rt_guard_begin();
		heist_engine_reset(e);
		rt_guard_end();
	}
	expect_clean("engine: style/morph/bypass sweep, network swaps, resets");
	printf("engine: %d parameters swept, %u network swaps, %llu blocks (%llu frames): %llu "
	       "forbidden calls\n",
	       HEIST_PARAM_COUNT, swaps, (unsigned long long)guarded_calls,
	       (unsigned long long)guarded_frames, (unsigned long long)forbidden);

	heist_engine_free(e);
	for (int i = 0; i < 3; ++i) {
		heist_net_free(spare[i]);
	}
	free(buf);
	heist_model_free(a);
	heist_model_free(b);
}

/* ---- plugin level --------------------------------------------------------- */

typedef struct {
	lv2_host *h;
	float *in, *out;
	double rate;
	uint64_t pos;
	uint32_t rng;
	double phase; /* of the input line, in cycles */
} session;

/* [main] Frees what session_open made. */
static void session_close(session *s)
{
	lv2h_free(s->h);
	free(s->in);
	free(s->out);
}

/* [main] An instance at rate with its buffers (seed for its random input);
 * false, after a check that names who (what) failed, when it is not there. */
static bool session_open(session *s, LilvWorld *world, const LilvPlugin *plugin, double rate,
                         uint32_t seed, const char *what)
{
	*s = (session){lv2h_new(world, plugin, rate),
	               malloc(LV2H_MAX_BLOCK * sizeof(float)),
	               malloc(LV2H_MAX_BLOCK * sizeof(float)),
	               rate,
	               0,
	               seed,
	               0.0};
	CHECK(s->h, "%sinstantiate at %.0f Hz", what, rate);
	if (!s->h || !s->in || !s->out) {
		session_close(s);
		return false;
	}
	return true;
}

/* One host cycle on the audio thread (inside the guard), then the deferred
 * worker on this (non-real-time) thread, outside it. */
static void cycle(session *s)
{
	/* A line leaping by octaves and fifths every 50 ms at one level, then
	 * a slow glide up a fifth (120 ms time constant, phase-continuous): the
	 * tracker's jump waits, the MIDI out's octave guard, its young-note
	 * moves and its glide runs and landing prediction (dsp/notes.c) all
	 * run inside the guard. */
	static const double line[] = {220.0, 440.0, 220.0, 330.0, 165.0};
	const uint64_t seg = (uint64_t)(s->rate / 20.0);
	const uint32_t n = robust_block(&s->rng, LV2H_MAX_BLOCK);
	for (uint32_t i = 0; i < n; ++i) {
		const uint64_t at = (s->pos + i) % (15 * seg); /* 5 steps, then 10 gliding */
		const double f =
		    at < 5 * seg
		        ? line[at / seg]
		        : 165.0 * pow(1.5, 1.0 - exp(-(double)(at - 5 * seg) / (0.12 * s->rate)));
		s->phase += f / s->rate;
		s->phase -= floor(s->phase);
		const double ph = 6.28318530717958647692 * s->phase;
		s->in[i] = (float)(0.5 / 1.8333333333333333 *
		                   (sin(ph) + 0.5 * sin(2.0 * ph) + sin(3.0 * ph) / 3.0));
	}
	rt_guard_begin();
	lv2h_run(s->h, s->in, s->out, n);
	rt_guard_end();
	lv2h_work(s->h);
	int finite;
	robust_peak(s->out, n, &finite);
	CHECK(finite, "%.0f Hz: non-finite output", s->rate);
	s->pos += n;
	++guarded_calls;
	guarded_frames += n;
}

static void sweep_controls(session *s)
{
	const uint32_t n_ports = lv2h_n_ports(s->h);
	unsigned swept = 0;
	for (uint32_t i = 0; i < n_ports; ++i) {
		const lv2h_port *p = lv2h_port_info(s->h, i);
		if (!p->control || !p->input) {
			continue;
		}
		float *v = lv2h_control_at(s->h, i);
		int steps = p->toggled ? 1 : p->integer ? (int)(p->max - p->min) : 8;
		steps = steps < 1 ? 1 : steps > 64 ? 64 : steps;
		for (int k = 0; k <= steps + 3; ++k) {
			*v = k <= steps       ? p->min + (p->max - p->min) * (float)k / (float)steps
			     : k == steps + 1 ? p->min - 1000.0f
			     : k == steps + 2 ? p->max + 1000.0f
			                      : NAN;
			cycle(s);
			cycle(s);
		}
		*v = p->def;
		++swept;
	}
	/* All at once, randomly, as automation does; bypass flips often. */
	for (int k = 0; k < 200; ++k) {
		for (uint32_t i = 0; i < n_ports; ++i) {
			const lv2h_port *p = lv2h_port_info(s->h, i);
			if (p->control && p->input) {
				*lv2h_control_at(s->h, i) =
				    p->min + (p->max - p->min) * (float)robust_uniform(&s->rng);
			}
		}
		cycle(s);
	}
	lv2h_defaults(s->h);
	printf("plugin %.0f Hz: %u control inputs swept (incl. out of range and NaN) and "
	       "automated together\n",
	       s->rate, swept);
}

/* The MIDI lookahead at its largest on an instance that has not used it:
 * run() asks the worker for the ring and keeps the lookahead at 0 until it is
 * made, then takes it up (the latency port follows); then changes back and
 * forth, each applied in the block it is seen. */
static void test_lookahead(session *s)
{
	float *la = lv2h_control(s->h, "midi_lookahead");
	if (!la) {
		printf("plugin: no midi_lookahead port: lookahead not tested\n");
		return;
	}
	const uint32_t asked = lv2h_work_scheduled(s->h);
	const float engine = lv2h_controls(s->h)[HEIST_PORT_LATENCY];
	const float ms[] = {200.0f, 200.0f, 0.0f, 37.5f, 200.0f, 0.0f, 0.0f, 1.0f, 150.0f};
	for (size_t k = 0; k < sizeof ms / sizeof ms[0]; ++k) {
		*la = ms[k];
		cycle(s); /* the worker runs after it, outside the guard */
		/* the first block asks for the ring: the lookahead applies from
		 * the second */
		const float want =
		    k == 0 ? engine : engine + (float)floor((double)ms[k] * 0.001 * s->rate + 0.5);
		const float got = lv2h_controls(s->h)[HEIST_PORT_LATENCY];
		CHECK(got == want, "%.0f Hz: lookahead %g ms (step %zu): latency %g, not %g",
		      s->rate, (double)ms[k], k, (double)got, (double)want);
	}
	CHECK(lv2h_work_scheduled(s->h) == asked + 1, "%.0f Hz: %u lookahead requests, not 1",
	      s->rate, lv2h_work_scheduled(s->h) - asked);
	*la = 0.0f;
	cycle(s);
	expect_clean("plugin: the lookahead's ring asked for, taken up, changed");
}

/* Run cycles until the worker has nothing left to do (and at least n). */
static void settle(session *s, int n)
{
	for (int k = 0; k < n || lv2h_work_scheduled(s->h) > lv2h_responses_delivered(s->h); ++k) {
		cycle(s);
		if (k > 200) {
			break;
		}
	}
}

/* Send a patch:Set of the model property, then cycle until the worker is
 * done. Returns whether the plugin logged something meanwhile, with the
 * last message (without its newline) in msg. */
static bool load_model(session *s, const char *prop, const char *path, char *msg, size_t size)
{
	const uint32_t logs = lv2h_log_count(s->h);
	CHECK(lv2h_patch_set_path(s->h, prop, path), "cannot send patch:Set");
	settle(s, 8);
	snprintf(msg, size, "%s", lv2h_log_last(s->h));
	msg[strcspn(msg, "\n")] = '\0';
	return lv2h_log_count(s->h) > logs;
}

/* Model swaps through the worker: a valid custom model, a corrupt one
 * (refused, the plugin plays on), the shipped one, the custom one again. */
static bool test_worker_swap(session *s, const char *prop, const char *good, const char *bad,
                             const char *shipped_path)
{
	if (!lv2h_has_worker(s->h)) {
		printf("plugin: no worker interface: model swap through the worker not tested\n");
		return false;
	}
	char msg[512], refusal[512] = "";
	const uint32_t req0 = lv2h_work_scheduled(s->h), resp0 = lv2h_responses_delivered(s->h);
	load_model(s, prop, good, msg, sizeof msg);
	const bool refused = load_model(s, prop, bad, refusal, sizeof refusal);
	CHECK(refused && strstr(refusal, "corrupt.hsm"), "the corrupt model was not reported: %s",
	      refusal);
	load_model(s, prop, shipped_path, msg, sizeof msg);
	load_model(s, prop, good, msg, sizeof msg);
	const uint32_t req = lv2h_work_scheduled(s->h) - req0;
	const uint32_t resp = lv2h_responses_delivered(s->h) - resp0;
	CHECK(req >= 4 && resp >= 3, "4 model loads: %u worker requests, %u responses", req, resp);
	expect_clean("plugin: model swaps through the worker");
	printf("plugin: 4 model loads through the worker (%u requests, %u responses delivered in "
	       "the audio cycle); the corrupt one refused: \"%s\"\n",
	       req, resp, refusal);
	return true;
}

static const void *no_port_value(const char *symbol, void *user, uint32_t *size, uint32_t *type)
{
	(void)symbol;
	(void)user;
	*size = 0;
	*type = 0;
	return NULL;
}

static LilvState *save_state(session *s, const LilvPlugin *plugin)
{
	/* No copy/link directories: paths are saved as they are. */
	return lilv_state_new_from_instance(plugin, lv2h_instance(s->h), lv2h_map(s->h), NULL, NULL,
	                                    NULL, NULL, no_port_value, NULL, 0,
	                                    lv2h_features(s->h));
}

/* State: saved with the custom model playing, the shipped model loaded, the
 * state restored (as a host does, between run() calls, worker feature
 * passed): the plugin must play the custom model again, and its state must
 * equal the saved one. */
static void test_state_restore(session *s, const LilvPlugin *plugin, const char *prop,
                               const char *shipped_path)
{
	if (!lilv_instance_get_extension_data(lv2h_instance(s->h), LV2_STATE__interface)) {
		printf("plugin: no state interface: state restore not tested\n");
		return;
	}
	LilvState *saved = save_state(s, plugin);
	CHECK(saved, "state save failed");
	if (!saved) {
		return;
	}
	char msg[512];
	load_model(s, prop, shipped_path, msg, sizeof msg);
	LilvState *other = save_state(s, plugin);
	CHECK(other && !lilv_state_equals(saved, other),
	      "the state does not change with the model: the restore check would prove nothing");
	lilv_state_free(other);
	for (int k = 0; k < 3; ++k) {
		lilv_state_restore(saved, lv2h_instance(s->h), NULL, NULL, 0, lv2h_features(s->h));
		lv2h_work(s->h);
		settle(s, 16);
		LilvState *now = save_state(s, plugin);
		CHECK(now && lilv_state_equals(saved, now),
		      "restore %d: the state differs from the "
		      "saved one",
		      k);
		lilv_state_free(now);
	}
	expect_clean("plugin: state restore");
	printf("plugin: state saved with the custom model, shipped model loaded, state restored 3 "
	       "times: custom model back each time\n");
	lilv_state_free(saved);
}

/* The plugin's instantiate() allocates: seeing its calls, made from the
 * dlopen()ed binary itself (no lilv code in between), proves that the
 * plugin's calls reach the interposer. */
static void probe_plugin_calls(session *s, const LilvPlugin *plugin)
{
	const LV2_Descriptor *desc = lilv_instance_get_descriptor(lv2h_instance(s->h));
	char *bundle =
	    lilv_file_uri_parse(lilv_node_as_uri(lilv_plugin_get_bundle_uri(plugin)), NULL);
	const uint64_t before = rt_guard_seen(RT_MALLOC) + rt_guard_seen(RT_CALLOC) +
	                        rt_guard_seen(RT_ALIGNED_ALLOC) + rt_guard_seen(RT_FREE);
	LV2_Handle probe = desc->instantiate(desc, s->rate, bundle, lv2h_features(s->h));
	if (probe) {
		desc->cleanup(probe);
	}
	const uint64_t seen = rt_guard_seen(RT_MALLOC) + rt_guard_seen(RT_CALLOC) +
	                      rt_guard_seen(RT_ALIGNED_ALLOC) + rt_guard_seen(RT_FREE) - before;
	CHECK(probe && seen > 0, "the plugin's allocations are not intercepted");
	printf("interposer: the plugin's instantiate() + cleanup() made %llu allocator calls, "
	       "all seen\n",
	       (unsigned long long)seen);
	lilv_free(bundle);
}

/* The input unconnected (silence out), then a patch:Set whose path atom
 * claims 4 KiB in an 8-byte body and an event longer than its sequence:
 * refused in run() without a forbidden call. */
static void test_odd_inputs(session *s)
{
	const uint32_t n = 256;
	rt_guard_begin();
	lv2h_run(s->h, NULL, s->out, n);
	rt_guard_end();
	int finite;
	CHECK(robust_peak(s->out, n, &finite) == 0.0f, "unconnected input: not silent");
	LV2_URID_Map *map = lv2h_urid_map();
	for (int long_event = 0; long_event < 2; ++long_event) {
		CHECK(lv2h_patch_set_path(s->h, HEIST_MODEL_URI, "/tmp/x.hsm"), "no control port");
		LV2_Atom_Sequence *seq =
		    (LV2_Atom_Sequence *)lv2h_sequence(s->h, HEIST_PORT_CONTROL);
		LV2_Atom_Event *ev = (LV2_Atom_Event *)(seq + 1);
		if (long_event) {
			ev->body.size += 65536;
		} else {
			/* The last property's value: the path atom, after the object
			 * header and the patch:property URID property. */
			LV2_Atom *value =
			    (LV2_Atom *)((uint8_t *)(ev + 1) + sizeof(LV2_Atom_Object_Body) +
			                 2 * sizeof(LV2_Atom_Property_Body) - sizeof(LV2_Atom) + 8);
			CHECK(value->type == map->map(map->handle, LV2_ATOM__Path), "layout");
			value->size = 4096;
		}
		cycle(s);
	}
	expect_clean("plugin: unconnected input and lying event sizes");
}

static void test_plugin(LilvWorld *world, const LilvPlugin *plugin, const char *shipped_path)
{
	char dir[] = "/tmp/heist-rt-XXXXXX";
	CHECK(mkdtemp(dir), "mkdtemp");
	char *prop = lv2h_path_parameter(world, plugin);
	/* A valid custom model (1 style, random weights) and a corrupt copy. */
	char good[1024], bad[1024];
	snprintf(good, sizeof good, "%s/custom.hsm", dir);
	snprintf(bad, sizeof bad, "%s/corrupt.hsm", dir);
	CHECK(lv2h_write_models(good, bad, 5), "cannot write %s and %s", good, bad);
	if (!prop) {
		printf("plugin: no writable atom:Path parameter: model swap not tested\n");
	}
	for (size_t r = 0; r < N_RATES; ++r) {
		session s;
		if (!session_open(&s, world, plugin, rates[r], (uint32_t)(r + 7), "")) {
			continue;
		}
		if (r == 0) {
			probe_plugin_calls(&s, plugin);
		}
		for (int k = 0; k < 20; ++k) {
			cycle(&s);
			float *en = lv2h_control(s.h, "enabled");
			if (en && k % 5 == 4) {
				*en = *en > 0.5f ? 0.0f : 1.0f;
			}
		}
		test_lookahead(&s);
		if (rates[r] == 48000.0) {
			test_odd_inputs(&s);
			sweep_controls(&s);
			if (prop && test_worker_swap(&s, prop, good, bad, shipped_path)) {
				test_state_restore(&s, plugin, prop, shipped_path);
			}
		}
		char phase[64];
		snprintf(phase, sizeof phase, "plugin at %.0f Hz", rates[r]);
		expect_clean(phase);
		session_close(&s);
	}
	free(prop);
	char cmd[1100];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0, "cleanup of %s", dir);
}

/* ---- Heist Synth ---------------------------------------------------------- */

/* Random MIDI for one cycle: notes, bends, pressure, controllers (sustain,
 * all-notes-off, all-sound-off, RPN) and garbage, at random frames. */
static void random_midi(session *s)
{
	const int n = (int)(robust_uniform(&s->rng) * 8.0);
	for (int i = 0; i < n; ++i) {
		uint8_t m[3];
		const uint32_t kind = (uint32_t)(robust_uniform(&s->rng) * 8.0);
		static const uint8_t status[8] = {0x90, 0x80, 0xE0, 0xD0, 0xB0, 0xA0, 0x90, 0xF0};
		m[0] = (uint8_t)(status[kind] | (uint8_t)(robust_uniform(&s->rng) * 16.0));
		m[1] = (uint8_t)(robust_uniform(&s->rng) * 128.0);
		m[2] = (uint8_t)(robust_uniform(&s->rng) * 128.0);
		if (m[0] >= 0xB0 && m[0] < 0xC0) {
			static const uint8_t ccs[8] = {1, 11, 64, 120, 123, 101, 100, 6};
			m[1] = ccs[m[1] % 8];
		}
		const uint32_t size = kind == 3 ? 2u : 3u;
		const int64_t at = (int64_t)(robust_uniform(&s->rng) * 600.0) - 40;
		lv2h_append_event(s->h, at, "http://lv2plug.in/ns/ext/midi#MidiEvent", m, size);
	}
}

static void test_synth_plugin(LilvWorld *world, const LilvPlugin *plugin)
{
	for (size_t r = 0; r < N_RATES; ++r) {
		session s;
		if (!session_open(&s, world, plugin, rates[r], (uint32_t)(r + 11), "synth: ")) {
			continue;
		}
		for (int k = 0; k < 200; ++k) {
			random_midi(&s);
			cycle(&s);
		}
		if (rates[r] == 48000.0) {
			/* a held, sustained note through the whole control sweep */
			const uint8_t on[3] = {0x90, 64, 100}, ped[3] = {0xB0, 64, 127};
			lv2h_append_event(s.h, 0, "http://lv2plug.in/ns/ext/midi#MidiEvent", ped,
			                  3);
			lv2h_append_event(s.h, 1, "http://lv2plug.in/ns/ext/midi#MidiEvent", on, 3);
			sweep_controls(&s);
		}
		char phase[64];
		snprintf(phase, sizeof phase, "synth at %.0f Hz", rates[r]);
		expect_clean(phase);
		session_close(&s);
	}
}

int main(int argc, char **argv)
{
	if (!RT_GUARD_AVAILABLE) {
		printf("SKIP: sanitizer build, its runtime replaces the allocator\n");
		return CHECK_SKIP;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: test_rt_safety MODEL.hsm\n");
		return 2;
	}
	self_test();
	char err[256] = "";
	heist_model *shipped = heist_model_load(argv[1], err, sizeof err);
	CHECK(shipped, "%s", err);
	test_engine(shipped);

	LilvWorld *world = lv2h_world_new();
	const LilvPlugin *plugin = lv2h_find_plugin(world, HEIST_URI);
	CHECK(plugin, "<%s> not found on LV2_PATH", HEIST_URI);
	if (plugin) {
		const uint64_t before = guarded_calls, forbidden0 = forbidden;
		test_plugin(world, plugin, argv[1]);
		printf("plugin: %llu run() cycles at %zu rates in blocks of 0..%u frames: %llu "
		       "forbidden calls\n",
		       (unsigned long long)(guarded_calls - before), N_RATES, LV2H_MAX_BLOCK,
		       (unsigned long long)(forbidden - forbidden0));
	}
	const LilvPlugin *synth = lv2h_find_plugin(world, HEIST_SYNTH_URI);
	CHECK(synth, "<%s> not found on LV2_PATH", HEIST_SYNTH_URI);
	if (synth) {
		const uint64_t before = guarded_calls, forbidden0 = forbidden;
		test_synth_plugin(world, synth);
		printf("synth: %llu run() cycles with random MIDI at %zu rates: %llu forbidden "
		       "calls\n",
		       (unsigned long long)(guarded_calls - before), N_RATES,
		       (unsigned long long)(forbidden - forbidden0));
	}
	lilv_world_free(world);
	heist_model_free(shipped);
	expect_clean("end");
	printf("total: %llu guarded audio-thread calls, %llu frames, %llu forbidden calls\n",
	       (unsigned long long)guarded_calls, (unsigned long long)guarded_frames,
	       (unsigned long long)forbidden);
	return check_exit("test_rt_safety");
}
