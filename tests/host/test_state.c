/* Custom models through the worker, and state through lilv, as a host does
 * it: a host-side worker (run on the same thread, after each run(), as jalv
 * and Ardour deliver responses), a log that records what the plugin says,
 * and lilv's state API with a real save directory (so mapPath/freePath are
 * lilv's).
 *
 * Checks, at 48 kHz:
 *  - a patch:Set of heist:model loads the file on the worker and swaps it in:
 *    the plugin then renders exactly what the engine renders with that model
 *    (same code and FP mode: equal within the design's 1e-6 invariance bound);
 *    the notify port announces the new path;
 *  - a damaged file and a model with another frame rate are refused with an
 *    error in the host's log, and the plugin keeps playing the model it had;
 *  - schedule_work() refusing (a full ring) loses nothing: the request is
 *    retried on later run() calls and the old model is still freed (ASan's
 *    leak check in the sanitizer build sees any slot that is not);
 *  - save through lilv, restore into a new instance: equal states
 *    (lilv_state_equals), control values restored, the same output;
 *  - restoring a state whose model file is gone logs a warning and plays the
 *    shipped model: the output equals a fresh instance's;
 *  - Carla's restore: the stored path handed back with a size that leaves
 *    out the terminating NUL loads the model; every stored value that cannot
 *    be used (wrong type, size 0, a NUL inside, mapPath failing) logs a
 *    warning and plays the shipped model.
 * Run with LV2_PATH restricted to the build tree.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/core/lv2.h>
#include <lv2/log/log.h>
#include <lv2/patch/patch.h>
#include <lv2/state/state.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>

#ifdef __SSE__
#include <xmmintrin.h>
#endif

#include "check.h"
#include "heist.h"
#include "hsm_writer.h"
#include "lv2_host.h"
#include "model.h"
#include "ports.h"

#define RATE 48000.0
#define N_SAMPLES 48000u /* 1 s */
#define BLOCK 256u

/* The design's block-size invariance bound (DESIGN.md): the plugin and the
 * bare engine run the same code on the same blocks in the same FP mode. */
#define SAME_OUTPUT_TOLERANCE 1e-6f

/* The host side of worker:schedule refuses as with a full ring while refuse
 * is positive, and counts the requests it takes that are shorter than a path
 * (frees). The host runs the requests after run(), and delivers the
 * responses right after that. */
static int refuse;
static int n_refused;
static int n_small_requests;

static LV2_Worker_Status schedule_hook(void *user, uint32_t size, const void *data)
{
	(void)user;
	(void)data;
	if (refuse > 0) {
		--refuse;
		++n_refused;
		return LV2_WORKER_ERR_NO_SPACE;
	}
	n_small_requests += size < 64;
	return LV2_WORKER_SUCCESS;
}

/* The host: every feature, inactive until render() activates it. */
typedef struct {
	const LilvPlugin *plugin;
	lv2_host *h;
	float *controls;     /* one cell per port */
	char notified[2048]; /* last path announced on the notify port */
	char status[512];    /* last status announced (heist:status) */
	bool got_status;     /* a status came since the flag was cleared */
} host;

static struct {
	LV2_URID atom_Path, atom_URID, atom_Float, atom_String, patch_Set, patch_property,
	    patch_value, heist_model, heist_status;
} uris;

static bool is_control_port(uint32_t i)
{
	return i >= HEIST_PORT_PITCH_SHIFT && i != HEIST_PORT_CONTROL && i != HEIST_PORT_NOTIFY;
}

static void host_init(host *h, LilvWorld *world, const LilvPlugin *plugin)
{
	memset(h, 0, sizeof(*h));
	h->plugin = plugin;
	const lv2h_options options = {LV2H_F_ALL, false, true};
	h->h = lv2h_new_with(world, plugin, RATE, &options);
	CHECK(h->h, "cannot instantiate");
	if (!h->h) {
		exit(1);
	}
	const LV2_Worker_Interface *worker = lv2h_worker(h->h);
	CHECK(worker && worker->work && worker->work_response, "no worker interface");
	lv2h_set_schedule_hook(h->h, schedule_hook, NULL);
	h->controls = lv2h_controls(h->h);
	for (uint32_t i = 0; i < HEIST_PORT_COUNT; ++i) {
		if (is_control_port(i) && isnan(h->controls[i])) {
			h->controls[i] = 0.0f;
		}
	}
}

static void host_free(host *h)
{
	lv2h_free(h->h);
}

/* Put a patch:Set of heist:model to path (patch:Get if NULL) on the control
 * port for the next run(). */
static void send_patch(host *h, const char *path)
{
	const bool sent = path ? lv2h_patch_set_path(h->h, HEIST_MODEL_URI, path)
	                       : lv2h_patch_get(h->h, HEIST_MODEL_URI);
	CHECK(sent, "cannot send a patch message");
}

/* Read what the plugin wrote on the notify port. */
static void read_notify(host *h)
{
	const LV2_Atom_Sequence *notify = lv2h_sequence(h->h, HEIST_PORT_NOTIFY);
	LV2_ATOM_SEQUENCE_FOREACH(notify, ev)
	{
		const LV2_Atom_Object *obj = (const LV2_Atom_Object *)&ev->body;
		if (obj->body.otype != uris.patch_Set) {
			continue;
		}
		const LV2_Atom *property = NULL;
		const LV2_Atom *value = NULL;
		lv2_atom_object_get(obj, uris.patch_property, &property, uris.patch_value, &value,
		                    0);
		if (property && property->type == uris.atom_URID &&
		    ((const LV2_Atom_URID *)property)->body == uris.heist_status && value &&
		    value->type == uris.atom_String) {
			snprintf(h->status, sizeof(h->status), "%s",
			         (const char *)LV2_ATOM_BODY_CONST(value));
			h->got_status = true;
		}
		if (property && property->type == uris.atom_URID &&
		    ((const LV2_Atom_URID *)property)->body == uris.heist_model && value &&
		    value->type == uris.atom_Path) {
			snprintf(h->notified, sizeof(h->notified), "%s",
			         (const char *)LV2_ATOM_BODY_CONST(value));
		}
	}
}

/* One host cycle as jalv runs it: run(), then the worker, then its
 * responses. The control port is emptied after the run. */
static void cycle(host *h, const float *in, float *out, uint32_t n)
{
	lv2h_run(h->h, in, out, n);
	read_notify(h);
	lv2h_work(h->h);
	lv2h_deliver(h->h);
}

/* A few empty cycles: lets requests, responses and frees go through. */
static void settle(host *h, int cycles)
{
	float in[64] = {0};
	float out[64];
	for (int i = 0; i < cycles; ++i) {
		cycle(h, in, out, 64);
	}
}

static void render(host *h, const float *in, float *out, uint32_t n)
{
	lv2h_activate(h->h);
	for (uint32_t pos = 0; pos < n; pos += BLOCK) {
		cycle(h, in + pos, out + pos, n - pos < BLOCK ? n - pos : BLOCK);
	}
	lv2h_deactivate(h->h);
}

/* The same through the bare engine, with the plugin's FP mode. */
static void render_engine(const heist_model *model, const float *in, float *out, uint32_t n)
{
	const heist_config cfg = heist_config_default(RATE);
	heist_engine *e = heist_engine_new(&cfg, model);
	CHECK(e, "cannot create a reference engine");
	if (!e) {
		return;
	}
#ifdef __SSE__
	const unsigned int csr = _mm_getcsr();
	_mm_setcsr(csr | 0x8040u);
#endif
	for (uint32_t pos = 0; pos < n; pos += BLOCK) {
		heist_engine_process(e, in + pos, out + pos, n - pos < BLOCK ? n - pos : BLOCK);
	}
#ifdef __SSE__
	_mm_setcsr(csr);
#endif
	heist_engine_free(e);
}

static void generate(float *x, uint32_t n)
{
	double phase = 0.0;
	for (uint32_t i = 0; i < n; ++i) {
		const double f =
		    196.0 *
		    pow(2.0, 0.3 * sin(2.0 * 3.14159265358979323846 * 5.0 * i / RATE) / 12.0);
		x[i] = (float)(0.4 * (2.0 * phase - 1.0));
		phase += f / RATE;
		phase -= floor(phase);
	}
}

static void write_file(const char *path, const void *data, size_t size)
{
	CHECK(lv2h_write_file(path, data, size), "cannot write %s", path);
}

/* A valid random model with the shipped frame clock (250 frames/s, as
 * hsm_writer writes), or with frame_rate changed. */
static void write_model(const char *path, uint32_t seed, float frame_rate)
{
	const hsm_dims d = {1, 8, 32, 32, 40, 33, seed};
	size_t size = 0;
	uint8_t *data = hsm_write_random(&d, &size);
	if (frame_rate > 0.0f) {
		hsm_put_f32(data + 20, frame_rate);
		hsm_fix_crc(data, size);
	}
	write_file(path, data, size);
	free(data);
}

static const void *get_port_value(const char *symbol, void *user_data, uint32_t *size,
                                  uint32_t *type)
{
	host *h = user_data;
	for (uint32_t i = 0; i < HEIST_PORT_COUNT; ++i) {
		if (is_control_port(i) && !strcmp(lv2h_port_info(h->h, i)->symbol, symbol) &&
		    i <= HEIST_PORT_ENABLED) {
			*size = sizeof(float);
			*type = uris.atom_Float;
			return &h->controls[i];
		}
	}
	*size = 0;
	*type = 0;
	return NULL;
}

static void set_port_value(const char *symbol, void *user_data, const void *value, uint32_t size,
                           uint32_t type)
{
	host *h = user_data;
	if (size != sizeof(float) || type != uris.atom_Float) {
		return;
	}
	for (uint32_t i = 0; i < HEIST_PORT_COUNT; ++i) {
		if (is_control_port(i) && !strcmp(lv2h_port_info(h->h, i)->symbol, symbol)) {
			memcpy(&h->controls[i], value, sizeof(float));
		}
	}
}

static LilvState *save_state(LilvWorld *world, host *h, const char *dir)
{
	LilvState *st =
	    lilv_state_new_from_instance(h->plugin, lv2h_instance(h->h), lv2h_map(h->h), NULL, NULL,
	                                 NULL, dir, get_port_value, h, 0, lv2h_features(h->h));
	CHECK(st, "lilv_state_new_from_instance failed");
	(void)world;
	return st;
}

static char restored_status[512]; /* the status after restore_one() */

/* A host's retrieve(): one stored value, handed back as given (Carla
 * counts a path's size without its NUL), and a mapPath that maps nothing
 * (fail) or passes the path through. */
typedef struct {
	const void *value;
	size_t size;
	uint32_t type;
	bool map_fails;
} stored_value;

static const void *retrieve_one(LV2_State_Handle handle, uint32_t key, size_t *size, uint32_t *type,
                                uint32_t *flags)
{
	const stored_value *v = handle;
	if (key != uris.heist_model) {
		return NULL;
	}
	*size = v->size;
	*type = v->type;
	*flags = LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE;
	return v->value;
}

static char *absolute_path(LV2_State_Map_Path_Handle handle, const char *abstract_path)
{
	const stored_value *v = handle;
	return v->map_fails ? NULL : strdup(abstract_path);
}

static char *abstract_path(LV2_State_Map_Path_Handle handle, const char *absolute)
{
	(void)handle;
	return strdup(absolute);
}

/* Restore v into a fresh instance through its state interface, as Carla
 * does; returns the path it then plays and whether it logged a warning. */
static void restore_one(LilvWorld *world, const LilvPlugin *plugin, stored_value *v, char *playing,
                        size_t playing_size, bool *warned)
{
	host h;
	host_init(&h, world, plugin);
	lv2h_log_quiet(h.h, true);
	const lv2h_log *log = lv2h_get_log(h.h);
	const unsigned warnings = atomic_load(&log->warnings);
	const LV2_State_Interface *state =
	    lilv_instance_get_extension_data(lv2h_instance(h.h), LV2_STATE__interface);
	LV2_State_Map_Path map_path = {v, abstract_path, absolute_path};
	const LV2_Feature map_path_feature = {LV2_STATE__mapPath, &map_path};
	const LV2_Feature *features[] = {&map_path_feature, NULL};
	CHECK(state && state->restore, "no state interface");
	if (state && state->restore) {
		state->restore(lilv_instance_get_handle(lv2h_instance(h.h)), retrieve_one, v, 0,
		               features);
	}
	*warned = atomic_load(&log->warnings) > warnings;
	send_patch(&h, NULL);
	settle(&h, 1);
	snprintf(playing, playing_size, "%s", h.notified);
	snprintf(restored_status, sizeof(restored_status), "%s", h.status);
	host_free(&h);
}

static void test_carla_restore(LilvWorld *world, const LilvPlugin *plugin, const char *custom)
{
	char playing[2048];
	bool warned = false;
	LV2_URID_Map *map = lv2h_urid_map();
	const uint32_t atom_String = map->map(map->handle, LV2_ATOM__String);

	/* Carla: the size leaves out the NUL; lilv: it counts it. */
	const size_t len = strlen(custom);
	stored_value carla = {custom, len, uris.atom_Path, false};
	restore_one(world, plugin, &carla, playing, sizeof playing, &warned);
	CHECK(!strcmp(playing, custom) && !warned,
	      "a path without its NUL (Carla) plays \"%s\" (warning: %d)", playing, warned);
	stored_value lilv = {custom, len + 1, uris.atom_Path, false};
	restore_one(world, plugin, &lilv, playing, sizeof playing, &warned);
	CHECK(!strcmp(playing, custom) && !warned, "a path with its NUL plays \"%s\"", playing);

	/* Unusable values: a warning each, and the shipped model. */
	char inner[600];
	snprintf(inner, sizeof inner, "%s%cjunk", custom, 0);
	const struct {
		const char *what;
		stored_value v;
	} bad[] = {
	    {"wrong type", {custom, len + 1, atom_String, false}},
	    {"size 0", {custom, 0, uris.atom_Path, false}},
	    {"a NUL inside", {inner, len + 6, uris.atom_Path, false}},
	    {"mapPath failing", {custom, len + 1, uris.atom_Path, true}},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
		stored_value v = bad[i].v;
		restore_one(world, plugin, &v, playing, sizeof playing, &warned);
		CHECK(warned, "%s: no warning", bad[i].what);
		CHECK(strstr(restored_status, "cannot restore"), "%s: status \"%s\"", bad[i].what,
		      restored_status);
		CHECK(strstr(playing, "heist-default.hsm"), "%s: plays \"%s\"", bad[i].what,
		      playing);
	}
}

/* What the steps share: the plugin, the input and reference renders, and the
 * model files in a temporary directory. */
typedef struct {
	LilvWorld *world;
	const LilvPlugin *plugin;
	float *x, *shipped, *y, *ref; /* [N_SAMPLES] */
	char dir[32];
	char custom[512], custom2[512], bad[512], wrong_rate[512], state_dir[512];
	heist_model *custom_model;
} scenario;

static void map_test_uris(void)
{
	LV2_URID_Map *map = lv2h_urid_map();
	uris.atom_Path = map->map(map->handle, LV2_ATOM__Path);
	uris.atom_URID = map->map(map->handle, LV2_ATOM__URID);
	uris.atom_Float = map->map(map->handle, LV2_ATOM__Float);
	uris.patch_Set = map->map(map->handle, LV2_PATCH__Set);
	uris.patch_property = map->map(map->handle, LV2_PATCH__property);
	uris.patch_value = map->map(map->handle, LV2_PATCH__value);
	uris.heist_model = map->map(map->handle, HEIST_MODEL_URI);
	uris.heist_status = map->map(map->handle, HEIST_STATUS_URI);
	uris.atom_String = map->map(map->handle, LV2_ATOM__String);
}

/* Two custom models, one at another frame rate, and a damaged file. */
static void make_files(scenario *s)
{
	snprintf(s->dir, sizeof(s->dir), "/tmp/heist-state-XXXXXX");
	CHECK(mkdtemp(s->dir), "mkdtemp");
	snprintf(s->custom, sizeof(s->custom), "%s/custom.hsm", s->dir);
	snprintf(s->custom2, sizeof(s->custom2), "%s/custom2.hsm", s->dir);
	snprintf(s->bad, sizeof(s->bad), "%s/bad.hsm", s->dir);
	snprintf(s->wrong_rate, sizeof(s->wrong_rate), "%s/rate200.hsm", s->dir);
	snprintf(s->state_dir, sizeof(s->state_dir), "%s/state", s->dir);
	write_model(s->custom, 11, 0.0f);
	write_model(s->custom2, 12, 0.0f);
	write_model(s->wrong_rate, 13, 200.0f);
	write_file(s->bad, "HEISTHSM but not a model", 24);
}

/* patch:Get announces the shipped model; a custom one loads through the
 * worker and the plugin then renders what the engine renders with it. */
static void check_custom_load(scenario *s, host *a)
{
	send_patch(a, NULL);
	settle(a, 1);
	CHECK(strstr(a->notified, "heist-default.hsm"), "patch:Get answered \"%s\"", a->notified);

	send_patch(a, s->custom);
	settle(a, 3);
	CHECK(!strcmp(a->notified, s->custom), "after loading, notify says \"%s\"", a->notified);
	render(a, s->x, s->y, N_SAMPLES);
	char err[256] = "";
	s->custom_model = heist_model_load(s->custom, err, sizeof(err));
	CHECK(s->custom_model, "%s", err);
	render_engine(s->custom_model, s->x, s->ref, N_SAMPLES);
	CHECK(check_max_diff(s->y, s->ref, N_SAMPLES) <= SAME_OUTPUT_TOLERANCE,
	      "custom model: plugin and engine differ by %g",
	      (double)check_max_diff(s->y, s->ref, N_SAMPLES));
	CHECK(check_max_diff(s->y, s->shipped, N_SAMPLES) > 1e-3f,
	      "the custom model sounds like the shipped");
}

/* A damaged file, then a wrong frame rate: errors, and the custom model
 * keeps playing. */
static void check_refused_files(scenario *s, host *a)
{
	const lv2h_log *log_a = lv2h_get_log(a->h);
	const unsigned errors = atomic_load(&log_a->errors);
	a->got_status = false;
	send_patch(a, s->bad);
	settle(a, 3);
	CHECK(atomic_load(&log_a->errors) == errors + 1 && strstr(log_a->last_error, s->bad),
	      "no error naming %s (\"%s\")", s->bad, log_a->last_error);
	/* The failure reaches the notify port too, for the plugin's window. */
	CHECK(a->got_status && strstr(a->status, "cannot load") && strstr(a->status, s->bad),
	      "no status naming %s on the notify port (\"%s\")", s->bad, a->status);
	send_patch(a, s->wrong_rate);
	settle(a, 3);
	CHECK(atomic_load(&log_a->errors) == errors + 2 && strstr(log_a->last_error, "frame rate"),
	      "no frame-rate error (\"%s\")", log_a->last_error);
	CHECK(!strcmp(a->notified, s->custom), "after failed loads, notify says \"%s\"",
	      a->notified);
	CHECK(strstr(a->status, "frame rate"), "status after the wrong rate: \"%s\"", a->status);
	render(a, s->x, s->y, N_SAMPLES);
	CHECK(check_max_diff(s->y, s->ref, N_SAMPLES) <= SAME_OUTPUT_TOLERANCE,
	      "after failed loads the output changed by %g",
	      (double)check_max_diff(s->y, s->ref, N_SAMPLES));
}

/* A full ring: the load request and then the free of the old model are
 * refused a few times each, and retried. */
static void check_ring_retries(scenario *s, host *a)
{
	n_refused = 0;
	refuse = 3;
	send_patch(a, s->custom2);
	settle(a, 2);
	CHECK(!strcmp(a->notified, s->custom), "loaded although every request was refused");
	settle(a, 4);
	CHECK(!strcmp(a->notified, s->custom2), "refused request not retried (notify \"%s\")",
	      a->notified);
	CHECK(a->got_status && a->status[0] == '\0', "after a load, the status is \"%s\"",
	      a->status);
	send_patch(a, s->custom);
	settle(a, 1); /* loaded and swapped in; the old model awaits its free */
	const int frees = n_small_requests;
	refuse = 2;
	settle(a, 2);
	CHECK(n_small_requests == frees, "a free went through a refusing ring");
	settle(a, 2);
	CHECK(n_refused == 5 && n_small_requests == frees + 1 && !strcmp(a->notified, s->custom),
	      "retries: %d refused, %d frees, notify %s", n_refused, n_small_requests - frees,
	      a->notified);
}

/* Save a with a non-default control, restore into b: the same control, model
 * and output, and an equal state saved again. Returns the saved state. */
static LilvState *check_state_round_trip(scenario *s, host *a, host *b)
{
	a->controls[HEIST_PORT_PITCH_SHIFT] = 7.0f;
	LilvState *saved = save_state(s->world, a, s->state_dir);
	render(a, s->x, s->y, N_SAMPLES);

	host_init(b, s->world, s->plugin);
	if (saved) {
		lilv_state_restore(saved, lv2h_instance(b->h), set_port_value, b, 0,
		                   lv2h_features(b->h));
	}
	CHECK(b->controls[HEIST_PORT_PITCH_SHIFT] == 7.0f, "pitch_shift restored as %g",
	      (double)b->controls[HEIST_PORT_PITCH_SHIFT]);
	settle(b, 1);
	CHECK(!strcmp(b->notified, s->custom), "restored instance plays \"%s\"", b->notified);
	render(b, s->x, s->ref, N_SAMPLES);
	CHECK(check_max_diff(s->y, s->ref, N_SAMPLES) <= SAME_OUTPUT_TOLERANCE,
	      "restored instance differs by %g", (double)check_max_diff(s->y, s->ref, N_SAMPLES));
	LilvState *resaved = save_state(s->world, b, s->state_dir);
	CHECK(saved && resaved && lilv_state_equals(saved, resaved),
	      "saved and restored states differ");
	lilv_state_free(resaved);
	return saved;
}

/* The model file is gone: restoring into c warns and plays the shipped model. */
static void check_missing_model(scenario *s, host *c, const LilvState *saved)
{
	CHECK(remove(s->custom) == 0, "cannot remove %s", s->custom);
	host_init(c, s->world, s->plugin);
	const lv2h_log *log_c = lv2h_get_log(c->h);
	const unsigned warnings = atomic_load(&log_c->warnings);
	if (saved) {
		lilv_state_restore(saved, lv2h_instance(c->h), set_port_value, c, 0,
		                   lv2h_features(c->h));
	}
	CHECK(atomic_load(&log_c->warnings) == warnings + 1 &&
	          strstr(log_c->last_warning, "shipped"),
	      "no warning for a missing model (\"%s\")", log_c->last_warning);
	settle(c, 1);
	CHECK(strstr(c->notified, "heist-default.hsm"), "fallback plays \"%s\"", c->notified);
	c->controls[HEIST_PORT_PITCH_SHIFT] = 0.0f;
	render(c, s->x, s->y, N_SAMPLES);
	CHECK(check_max_diff(s->y, s->shipped, N_SAMPLES) <= SAME_OUTPUT_TOLERANCE,
	      "fallback differs from the shipped model by %g",
	      (double)check_max_diff(s->y, s->shipped, N_SAMPLES));
}

int main(void)
{
	scenario s = {0};
	s.world = lv2h_world_new();
	s.plugin = lv2h_find_plugin(s.world, HEIST_URI);
	CHECK(s.plugin, "<%s> not found", HEIST_URI);
	if (!s.plugin) {
		return check_exit("test_state");
	}
	map_test_uris();
	make_files(&s);
	s.x = calloc(N_SAMPLES, sizeof(float));
	s.shipped = calloc(N_SAMPLES, sizeof(float));
	s.y = calloc(N_SAMPLES, sizeof(float));
	s.ref = calloc(N_SAMPLES, sizeof(float));
	generate(s.x, N_SAMPLES);

	host a, b, c;
	host_init(&a, s.world, s.plugin);
	render(&a, s.x, s.shipped, N_SAMPLES);
	check_custom_load(&s, &a);
	check_refused_files(&s, &a);
	check_ring_retries(&s, &a);
	test_carla_restore(s.world, s.plugin, s.custom);
	LilvState *saved = check_state_round_trip(&s, &a, &b);
	check_missing_model(&s, &c, saved);

	lilv_state_free(saved);
	host_free(&a);
	host_free(&b);
	host_free(&c);
	heist_model_free(s.custom_model);
	free(s.x);
	free(s.shipped);
	free(s.y);
	free(s.ref);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s.dir);
	CHECK(system(cmd) == 0, "cannot remove %s", s.dir);
	lilv_world_free(s.world);
	return check_exit(
	    "test_state: worker loads, refusals, retries, state round trip and fallback");
}
