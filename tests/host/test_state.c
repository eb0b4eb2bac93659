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
 *    shipped model: the output equals a fresh instance's.
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
#include "model.h"
#include "ports.h"

#define RATE 48000.0
#define N_SAMPLES 48000u /* 1 s */
#define BLOCK 256u
#define ATOM_CAPACITY 8192u

/* The design's block-size invariance bound (DESIGN.md): the plugin and the
 * bare engine run the same code on the same blocks in the same FP mode. */
#define SAME_OUTPUT_TOLERANCE 1e-6f

/* urid:map and urid:unmap over a small table. */
#define MAX_URIDS 256
static char *urid_table[MAX_URIDS];
static uint32_t n_urids;

static LV2_URID map_uri(LV2_URID_Map_Handle handle, const char *uri)
{
	(void)handle;
	for (uint32_t i = 0; i < n_urids; ++i) {
		if (!strcmp(urid_table[i], uri)) {
			return i + 1;
		}
	}
	if (n_urids == MAX_URIDS) {
		return 0;
	}
	urid_table[n_urids] = strdup(uri);
	return ++n_urids;
}

static const char *unmap_uri(LV2_URID_Unmap_Handle handle, LV2_URID urid)
{
	(void)handle;
	return urid >= 1 && urid <= n_urids ? urid_table[urid - 1] : NULL;
}

static LV2_URID_Map map = {NULL, map_uri};
static LV2_URID_Unmap unmap = {NULL, unmap_uri};

/* log:log: keeps the last error and warning. */
static char last_error[1024];
static char last_warning[1024];
static int n_errors, n_warnings;

static int log_vprintf(LV2_Log_Handle handle, LV2_URID type, const char *fmt, va_list ap)
{
	(void)handle;
	char msg[1024];
	const int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "[plugin log %s] %s", unmap_uri(NULL, type), msg);
	if (type == map_uri(NULL, LV2_LOG__Error)) {
		snprintf(last_error, sizeof(last_error), "%s", msg);
		++n_errors;
	} else if (type == map_uri(NULL, LV2_LOG__Warning)) {
		snprintf(last_warning, sizeof(last_warning), "%s", msg);
		++n_warnings;
	}
	return n;
}

static int log_printf(LV2_Log_Handle handle, LV2_URID type, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const int n = log_vprintf(handle, type, fmt, ap);
	va_end(ap);
	return n;
}

static LV2_Log_Log log_feature_data = {NULL, log_printf, log_vprintf};

/* The host side of worker:schedule: a queue of requests that the test runs
 * after run(), and a queue of responses delivered after that. refuse makes
 * the next schedule_work() calls fail as with a full ring. */
typedef struct {
	uint32_t size;
	uint8_t data[2048];
} message;

#define QUEUE 32
static message requests[QUEUE], responses[QUEUE];
static uint32_t n_requests, n_responses;
static int refuse;
static int n_refused;
static int n_small_requests; /* accepted requests shorter than a path: frees */

static LV2_Worker_Status schedule_work(LV2_Worker_Schedule_Handle handle, uint32_t size,
                                       const void *data)
{
	(void)handle;
	if (refuse > 0) {
		--refuse;
		++n_refused;
		return LV2_WORKER_ERR_NO_SPACE;
	}
	if (n_requests == QUEUE || size > sizeof(requests[0].data)) {
		return LV2_WORKER_ERR_NO_SPACE;
	}
	requests[n_requests].size = size;
	memcpy(requests[n_requests].data, data, size);
	n_small_requests += size < 64;
	++n_requests;
	return LV2_WORKER_SUCCESS;
}

static LV2_Worker_Status respond(LV2_Worker_Respond_Handle handle, uint32_t size, const void *data)
{
	(void)handle;
	if (n_responses == QUEUE || size > sizeof(responses[0].data)) {
		return LV2_WORKER_ERR_NO_SPACE;
	}
	responses[n_responses].size = size;
	memcpy(responses[n_responses].data, data, size);
	++n_responses;
	return LV2_WORKER_SUCCESS;
}

static LV2_Worker_Schedule schedule = {NULL, schedule_work};

static const LV2_Feature map_f = {LV2_URID__map, &map};
static const LV2_Feature unmap_f = {LV2_URID__unmap, &unmap};
static const LV2_Feature log_f = {LV2_LOG__log, &log_feature_data};
static const LV2_Feature schedule_f = {LV2_WORKER__schedule, &schedule};
static const LV2_Feature *const features[] = {&map_f, &unmap_f, &log_f, &schedule_f, NULL};

typedef struct {
	const LilvPlugin *plugin;
	LilvInstance *instance;
	const LV2_Worker_Interface *worker;
	float controls[HEIST_PORT_COUNT];
	LV2_Atom_Sequence *control; /* ATOM_CAPACITY bytes */
	LV2_Atom_Sequence *notify;
	char notified[2048]; /* last path announced on the notify port */
	LV2_Atom_Forge forge;
} host;

static struct {
	LV2_URID atom_Path, atom_URID, atom_Float, patch_Set, patch_Get, patch_property,
	    patch_value, heist_model;
} uris;

static bool is_control_port(uint32_t i)
{
	return i >= HEIST_PORT_PITCH_SHIFT && i != HEIST_PORT_CONTROL && i != HEIST_PORT_NOTIFY;
}

static void host_init(host *h, const LilvPlugin *plugin)
{
	memset(h, 0, sizeof(*h));
	h->plugin = plugin;
	h->instance = lilv_plugin_instantiate(plugin, RATE, features);
	CHECK(h->instance, "cannot instantiate");
	if (!h->instance) {
		exit(1);
	}
	h->worker = lilv_instance_get_extension_data(h->instance, LV2_WORKER__interface);
	CHECK(h->worker && h->worker->work && h->worker->work_response, "no worker interface");
	float def[HEIST_PORT_COUNT];
	lilv_plugin_get_port_ranges_float(plugin, NULL, NULL, def);
	h->control = calloc(1, ATOM_CAPACITY);
	h->notify = calloc(1, ATOM_CAPACITY);
	for (uint32_t i = 0; i < HEIST_PORT_COUNT; ++i) {
		if (is_control_port(i)) {
			h->controls[i] = isnan(def[i]) ? 0.0f : def[i];
			lilv_instance_connect_port(h->instance, i, &h->controls[i]);
		}
	}
	lilv_instance_connect_port(h->instance, HEIST_PORT_CONTROL, h->control);
	lilv_instance_connect_port(h->instance, HEIST_PORT_NOTIFY, h->notify);
	lv2_atom_forge_init(&h->forge, &map);
	h->control->atom.type = map_uri(NULL, LV2_ATOM__Sequence);
	h->control->atom.size = sizeof(LV2_Atom_Sequence_Body);
}

static void host_free(host *h)
{
	lilv_instance_free(h->instance);
	free(h->control);
	free(h->notify);
}

/* Put one patch message on the control port for the next run(). */
static void send_patch(host *h, LV2_URID otype, const char *path)
{
	LV2_Atom_Forge *f = &h->forge;
	LV2_Atom_Forge_Frame seq, obj;
	lv2_atom_forge_set_buffer(f, (uint8_t *)h->control, ATOM_CAPACITY);
	lv2_atom_forge_sequence_head(f, &seq, 0);
	lv2_atom_forge_frame_time(f, 0);
	lv2_atom_forge_object(f, &obj, 0, otype);
	lv2_atom_forge_key(f, uris.patch_property);
	lv2_atom_forge_urid(f, uris.heist_model);
	if (path) {
		lv2_atom_forge_key(f, uris.patch_value);
		lv2_atom_forge_path(f, path, (uint32_t)strlen(path));
	}
	lv2_atom_forge_pop(f, &obj);
	lv2_atom_forge_pop(f, &seq);
}

/* Read what the plugin wrote on the notify port. */
static void read_notify(host *h)
{
	LV2_ATOM_SEQUENCE_FOREACH(h->notify, ev)
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
	h->notify->atom.type = 0;
	h->notify->atom.size = ATOM_CAPACITY - sizeof(LV2_Atom);
	lilv_instance_connect_port(h->instance, HEIST_PORT_IN, (void *)(uintptr_t)in);
	lilv_instance_connect_port(h->instance, HEIST_PORT_OUT, out);
	lilv_instance_run(h->instance, n);
	read_notify(h);
	h->control->atom.size = sizeof(LV2_Atom_Sequence_Body);

	const LV2_Handle handle = lilv_instance_get_handle(h->instance);
	for (uint32_t i = 0; i < n_requests; ++i) {
		h->worker->work(handle, respond, NULL, requests[i].size, requests[i].data);
	}
	n_requests = 0;
	for (uint32_t i = 0; i < n_responses; ++i) {
		h->worker->work_response(handle, responses[i].size, responses[i].data);
	}
	n_responses = 0;
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
	lilv_instance_activate(h->instance);
	for (uint32_t pos = 0; pos < n; pos += BLOCK) {
		cycle(h, in + pos, out + pos, n - pos < BLOCK ? n - pos : BLOCK);
	}
	lilv_instance_deactivate(h->instance);
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

static float max_diff(const float *a, const float *b, uint32_t n)
{
	float m = 0.0f;
	for (uint32_t i = 0; i < n; ++i) {
		const float d = fabsf(a[i] - b[i]);
		m = d > m || isnan(d) ? d : m;
	}
	return m;
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
	FILE *f = fopen(path, "wb");
	CHECK(f && fwrite(data, 1, size, f) == size, "cannot write %s", path);
	if (f) {
		fclose(f);
	}
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
		const LilvPort *port = lilv_plugin_get_port_by_index(h->plugin, i);
		if (is_control_port(i) &&
		    !strcmp(lilv_node_as_string(lilv_port_get_symbol(h->plugin, port)), symbol) &&
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
		const LilvPort *port = lilv_plugin_get_port_by_index(h->plugin, i);
		if (is_control_port(i) &&
		    !strcmp(lilv_node_as_string(lilv_port_get_symbol(h->plugin, port)), symbol)) {
			memcpy(&h->controls[i], value, sizeof(float));
		}
	}
}

static LilvState *save_state(LilvWorld *world, host *h, const char *dir)
{
	LilvState *st = lilv_state_new_from_instance(h->plugin, h->instance, &map, NULL, NULL, NULL,
	                                             dir, get_port_value, h, 0, features);
	CHECK(st, "lilv_state_new_from_instance failed");
	(void)world;
	return st;
}

int main(void)
{
	LilvWorld *world = lilv_world_new();
	lilv_world_load_all(world);
	LilvNode *uri = lilv_new_uri(world, HEIST_URI);
	const LilvPlugin *plugin = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(world), uri);
	if (!plugin) {
		fprintf(stderr, "FAIL: <%s> not found\n", HEIST_URI);
		return 1;
	}
	uris.atom_Path = map_uri(NULL, LV2_ATOM__Path);
	uris.atom_URID = map_uri(NULL, LV2_ATOM__URID);
	uris.atom_Float = map_uri(NULL, LV2_ATOM__Float);
	uris.patch_Set = map_uri(NULL, LV2_PATCH__Set);
	uris.patch_Get = map_uri(NULL, LV2_PATCH__Get);
	uris.patch_property = map_uri(NULL, LV2_PATCH__property);
	uris.patch_value = map_uri(NULL, LV2_PATCH__value);
	uris.heist_model = map_uri(NULL, HEIST_MODEL_URI);

	char dir[] = "/tmp/heist-state-XXXXXX";
	CHECK(mkdtemp(dir), "mkdtemp");
	char custom[512], custom2[512], bad[512], wrong_rate[512], state_dir[512];
	snprintf(custom, sizeof(custom), "%s/custom.hsm", dir);
	snprintf(custom2, sizeof(custom2), "%s/custom2.hsm", dir);
	snprintf(bad, sizeof(bad), "%s/bad.hsm", dir);
	snprintf(wrong_rate, sizeof(wrong_rate), "%s/rate200.hsm", dir);
	snprintf(state_dir, sizeof(state_dir), "%s/state", dir);
	write_model(custom, 11, 0.0f);
	write_model(custom2, 12, 0.0f);
	write_model(wrong_rate, 13, 200.0f);
	write_file(bad, "HEISTHSM but not a model", 24);

	float *x = calloc(N_SAMPLES, sizeof(float));
	float *shipped = calloc(N_SAMPLES, sizeof(float));
	float *y = calloc(N_SAMPLES, sizeof(float));
	float *ref = calloc(N_SAMPLES, sizeof(float));
	generate(x, N_SAMPLES);

	host a;
	host_init(&a, plugin);
	render(&a, x, shipped, N_SAMPLES);

	/* patch:Get: the shipped model's path is announced. */
	send_patch(&a, uris.patch_Get, NULL);
	settle(&a, 1);
	CHECK(strstr(a.notified, "heist-default.hsm"), "patch:Get answered \"%s\"", a.notified);

	/* A custom model through the worker. */
	send_patch(&a, uris.patch_Set, custom);
	settle(&a, 3);
	CHECK(!strcmp(a.notified, custom), "after loading, notify says \"%s\"", a.notified);
	render(&a, x, y, N_SAMPLES);
	char err[256] = "";
	heist_model *custom_model = heist_model_load(custom, err, sizeof(err));
	CHECK(custom_model, "%s", err);
	render_engine(custom_model, x, ref, N_SAMPLES);
	CHECK(max_diff(y, ref, N_SAMPLES) <= SAME_OUTPUT_TOLERANCE,
	      "custom model: plugin and engine differ by %g", (double)max_diff(y, ref, N_SAMPLES));
	CHECK(max_diff(y, shipped, N_SAMPLES) > 1e-3f, "the custom model sounds like the shipped");

	/* A damaged file, then a wrong frame rate: errors, and the custom model
	 * keeps playing. */
	n_errors = 0;
	send_patch(&a, uris.patch_Set, bad);
	settle(&a, 3);
	CHECK(n_errors == 1 && strstr(last_error, bad), "no error naming %s (\"%s\")", bad,
	      last_error);
	send_patch(&a, uris.patch_Set, wrong_rate);
	settle(&a, 3);
	CHECK(n_errors == 2 && strstr(last_error, "frame rate"), "no frame-rate error (\"%s\")",
	      last_error);
	CHECK(!strcmp(a.notified, custom), "after failed loads, notify says \"%s\"", a.notified);
	render(&a, x, y, N_SAMPLES);
	CHECK(max_diff(y, ref, N_SAMPLES) <= SAME_OUTPUT_TOLERANCE,
	      "after failed loads the output changed by %g", (double)max_diff(y, ref, N_SAMPLES));

	/* A full ring: the load request and then the free of the old model are
	 * refused a few times each, and retried. */
	n_refused = 0;
	refuse = 3;
	send_patch(&a, uris.patch_Set, custom2);
	settle(&a, 2);
	CHECK(!strcmp(a.notified, custom), "loaded although every request was refused");
	settle(&a, 4);
	CHECK(!strcmp(a.notified, custom2), "refused request not retried (notify \"%s\")",
	      a.notified);
	send_patch(&a, uris.patch_Set, custom);
	settle(&a, 1); /* loaded and swapped in; the old model awaits its free */
	const int frees = n_small_requests;
	refuse = 2;
	settle(&a, 2);
	CHECK(n_small_requests == frees, "a free went through a refusing ring");
	settle(&a, 2);
	CHECK(n_refused == 5 && n_small_requests == frees + 1 && !strcmp(a.notified, custom),
	      "retries: %d refused, %d frees, notify %s", n_refused, n_small_requests - frees,
	      a.notified);

	/* Save with a non-default control, restore into a new instance. */
	a.controls[HEIST_PORT_PITCH_SHIFT] = 7.0f;
	LilvState *saved = save_state(world, &a, state_dir);
	render(&a, x, y, N_SAMPLES);

	host b;
	host_init(&b, plugin);
	if (saved) {
		lilv_state_restore(saved, b.instance, set_port_value, &b, 0, features);
	}
	CHECK(b.controls[HEIST_PORT_PITCH_SHIFT] == 7.0f, "pitch_shift restored as %g",
	      (double)b.controls[HEIST_PORT_PITCH_SHIFT]);
	settle(&b, 1);
	CHECK(!strcmp(b.notified, custom), "restored instance plays \"%s\"", b.notified);
	render(&b, x, ref, N_SAMPLES);
	CHECK(max_diff(y, ref, N_SAMPLES) <= SAME_OUTPUT_TOLERANCE,
	      "restored instance differs by %g", (double)max_diff(y, ref, N_SAMPLES));
	LilvState *resaved = save_state(world, &b, state_dir);
	CHECK(saved && resaved && lilv_state_equals(saved, resaved),
	      "saved and restored states differ");

	/* The model file is gone: a warning, and the shipped model. */
	CHECK(remove(custom) == 0, "cannot remove %s", custom);
	host c;
	host_init(&c, plugin);
	n_warnings = 0;
	if (saved) {
		lilv_state_restore(saved, c.instance, set_port_value, &c, 0, features);
	}
	CHECK(n_warnings == 1 && strstr(last_warning, "shipped"),
	      "no warning for a missing model (\"%s\")", last_warning);
	settle(&c, 1);
	CHECK(strstr(c.notified, "heist-default.hsm"), "fallback plays \"%s\"", c.notified);
	c.controls[HEIST_PORT_PITCH_SHIFT] = 0.0f;
	render(&c, x, y, N_SAMPLES);
	CHECK(max_diff(y, shipped, N_SAMPLES) <= SAME_OUTPUT_TOLERANCE,
	      "fallback differs from the shipped model by %g",
	      (double)max_diff(y, shipped, N_SAMPLES));

	lilv_state_free(saved);
	lilv_state_free(resaved);
	host_free(&a);
	host_free(&b);
	host_free(&c);
	heist_model_free(custom_model);
	free(x);
	free(shipped);
	free(y);
	free(ref);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0, "cannot remove %s", dir);
	lilv_node_free(uri);
	lilv_world_free(world);
	for (uint32_t i = 0; i < n_urids; ++i) {
		free(urid_table[i]);
	}
	return check_exit(
	    "test_state: worker loads, refusals, retries, state round trip and fallback");
}
