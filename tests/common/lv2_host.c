/* A small LV2 test host over lilv (see lv2_host.h). */
#include "lv2_host.h"

#include "hsm_writer.h"
#include "spsc.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lv2/atom/atom.h>
#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/core/lv2.h>
#include <lv2/log/log.h>
#include <lv2/options/options.h>
#include <lv2/patch/patch.h>
#include <lv2/worker/worker.h>

#define MAX_URIDS 256
#define URI_LEN 192
#define ATOM_CAPACITY 65536u
#define RING 32
#define MSG_MAX 4096u

typedef struct {
	uint32_t size;
	_Alignas(8) uint8_t data[MSG_MAX];
} message;

/* Single-producer/single-consumer ring of messages: requests go from the
 * audio thread to the worker, responses back. Lock-free, so the worker may
 * run on its own thread (lv2h_worker_thread_start()). */
typedef struct {
	message slot[RING];
	spsc_index index;
} msg_ring;

struct lv2_host {
	const LilvPlugin *plugin;
	LilvInstance *instance;
	double rate;

	uint32_t n_ports;
	lv2h_port *ports;
	float *values;    /* one cell per port, used by control ports */
	uint8_t **atoms;  /* per port: sequence buffer (atom ports) */
	uint32_t atom_in; /* index of the control atom input, or UINT32_MAX */

	bool active;

	/* Features. */
	lv2h_log log;
	LV2_Worker_Schedule schedule;
	LV2_Options_Option options[6];
	int32_t opt_min_block, opt_max_block, opt_nominal_block;
	float opt_rate;
	LV2_Feature f_schedule, f_options, f_bounded;
	const LV2_Feature *features[7];

	const LV2_Worker_Interface *worker;
	lv2h_schedule_hook schedule_hook;
	void *schedule_user;
	msg_ring requests, responses;
	atomic_uint scheduled, delivered;
	pthread_t worker_thread;
	atomic_int worker_stop;
	bool worker_running;

	LV2_URID atom_Sequence, atom_Chunk, atom_Path, atom_URID, patch_Set, patch_Get,
	    patch_property, patch_value, atom_Int, atom_Float, bufsz_min, bufsz_max, bufsz_nominal,
	    param_rate;
	uint32_t pad;
};

/* ---- the world ---------------------------------------------------------- */

/* [main] Debian 12's lilv crashes in lilv_world_load_all() on a relative
 * LV2_PATH entry (it cannot map it to a file URI): make every entry absolute
 * first, so `LV2_PATH=build/plugin` works as a user would type it. */
static void absolute_lv2_path(void)
{
	const char *path = getenv("LV2_PATH");
	char cwd[4096];
	if (!path || !*path || !getcwd(cwd, sizeof cwd)) {
		return;
	}
	char out[8192] = "";
	size_t used = 0;
	for (const char *p = path; *p; p += *p == ':') {
		size_t n = strcspn(p, ":");
		if (n > 0) {
			int w =
			    snprintf(out + used, sizeof out - used, "%s%s%s%.*s", used ? ":" : "",
			             *p == '/' ? "" : cwd, *p == '/' ? "" : "/", (int)n, p);
			if (w < 0 || (size_t)w >= sizeof out - used) {
				return; /* too long to rewrite: leave LV2_PATH as it is */
			}
			used += (size_t)w;
		}
		p += n;
	}
	setenv("LV2_PATH", out, 1);
}

LilvWorld *lv2h_world_new(void)
{
	absolute_lv2_path();
	LilvWorld *world = lilv_world_new();
	if (world) {
		lilv_world_load_all(world);
	}
	return world;
}

const LilvPlugin *lv2h_find_plugin(LilvWorld *world, const char *uri)
{
	LilvNode *node = lilv_new_uri(world, uri);
	const LilvPlugin *p = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(world), node);
	lilv_node_free(node);
	if (!p) {
		const char *path = getenv("LV2_PATH");
		fprintf(stderr, "lv2_host: <%s> not found on LV2_PATH=%s\n", uri,
		        path ? path : "(unset)");
	}
	return p;
}

/* ---- urid:map (mutex: a real host's map is called from several threads) -- */

static char uri_table[MAX_URIDS][URI_LEN];
static uint32_t n_uris;
static pthread_mutex_t uri_lock = PTHREAD_MUTEX_INITIALIZER;

static LV2_URID map_uri(LV2_URID_Map_Handle handle, const char *uri)
{
	(void)handle;
	LV2_URID id = 0;
	pthread_mutex_lock(&uri_lock);
	for (uint32_t i = 0; i < n_uris; ++i) {
		if (!strcmp(uri_table[i], uri)) {
			id = i + 1;
			break;
		}
	}
	if (!id && n_uris < MAX_URIDS && strlen(uri) < URI_LEN) {
		strcpy(uri_table[n_uris], uri);
		id = ++n_uris;
	}
	pthread_mutex_unlock(&uri_lock);
	return id;
}

static const char *unmap_uri(LV2_URID_Unmap_Handle handle, LV2_URID urid)
{
	(void)handle;
	pthread_mutex_lock(&uri_lock);
	const char *uri = urid >= 1 && urid <= n_uris ? uri_table[urid - 1] : NULL;
	pthread_mutex_unlock(&uri_lock);
	return uri;
}

static LV2_URID_Map uri_map = {NULL, map_uri};
static LV2_URID_Unmap uri_unmap = {NULL, unmap_uri};
static const LV2_Feature map_feature = {LV2_URID__map, &uri_map};
static const LV2_Feature unmap_feature = {LV2_URID__unmap, &uri_unmap};

LV2_URID_Map *lv2h_urid_map(void)
{
	return &uri_map;
}

LV2_URID_Unmap *lv2h_urid_unmap(void)
{
	return &uri_unmap;
}

const LV2_Feature *lv2h_map_feature(void)
{
	return &map_feature;
}

const LV2_Feature *lv2h_unmap_feature(void)
{
	return &unmap_feature;
}

/* ---- log:log ---------------------------------------------------------- */

static int log_vprintf(LV2_Log_Handle handle, LV2_URID type, const char *fmt, va_list ap)
{
	lv2h_log *l = handle;
	va_list copy;
	va_copy(copy, ap);
	vsnprintf(l->last, sizeof l->last, fmt, copy);
	va_end(copy);
	/* memcpy, not the printf family: the real-time guard counts those. */
	if (type && type == l->error) {
		memcpy(l->last_error, l->last, sizeof l->last);
		atomic_fetch_add(&l->errors, 1);
	} else if (type && type == l->warning) {
		memcpy(l->last_warning, l->last, sizeof l->last);
		atomic_fetch_add(&l->warnings, 1);
	}
	atomic_fetch_add(&l->count, 1);
	/* vfprintf is counted by the real-time guard when run() logs. */
	return l->quiet ? 0 : vfprintf(stderr, fmt, ap);
}

static int log_printf(LV2_Log_Handle handle, LV2_URID type, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const int r = log_vprintf(handle, type, fmt, ap);
	va_end(ap);
	return r;
}

void lv2h_log_init(lv2h_log *l, bool quiet)
{
	memset(l, 0, sizeof *l);
	l->log = (LV2_Log_Log){l, log_printf, log_vprintf};
	l->feature = (LV2_Feature){LV2_LOG__log, &l->log};
	l->error = map_uri(NULL, LV2_LOG__Error);
	l->warning = map_uri(NULL, LV2_LOG__Warning);
	l->quiet = quiet;
}

bool lv2h_write_file(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		return false;
	}
	const bool ok = fwrite(data, 1, size, f) == size;
	return fclose(f) == 0 && ok;
}

/* ---- worker ------------------------------------------------------------- */

static LV2_Worker_Status ring_push(msg_ring *r, uint32_t size, const void *data)
{
	const int at = spsc_write_slot(&r->index, RING);
	if (size > MSG_MAX || at < 0) {
		return LV2_WORKER_ERR_NO_SPACE;
	}
	message *m = &r->slot[at];
	m->size = size;
	memcpy(m->data, data, size);
	spsc_publish(&r->index);
	return LV2_WORKER_SUCCESS;
}

/* The oldest message, or NULL; ring_pop() releases it after use. */
static const message *ring_peek(msg_ring *r)
{
	const int at = spsc_read_slot(&r->index, RING);
	return at < 0 ? NULL : &r->slot[at];
}

static void ring_pop(msg_ring *r)
{
	spsc_release(&r->index);
}

/* [audio] Called by the plugin from run(): queue only. */
static LV2_Worker_Status schedule_work(LV2_Worker_Schedule_Handle handle, uint32_t size,
                                       const void *data)
{
	lv2_host *h = handle;
	if (h->schedule_hook) {
		const LV2_Worker_Status refused = h->schedule_hook(h->schedule_user, size, data);
		if (refused != LV2_WORKER_SUCCESS) {
			return refused;
		}
	}
	const LV2_Worker_Status st = ring_push(&h->requests, size, data);
	if (st == LV2_WORKER_SUCCESS) {
		atomic_fetch_add_explicit(&h->scheduled, 1, memory_order_relaxed);
	}
	return st;
}

static LV2_Worker_Status respond(LV2_Worker_Respond_Handle handle, uint32_t size, const void *data)
{
	lv2_host *h = handle;
	return ring_push(&h->responses, size, data);
}

uint32_t lv2h_work(lv2_host *h)
{
	uint32_t n = 0;
	const message *m;
	while (h->worker && (m = ring_peek(&h->requests))) {
		h->worker->work(lilv_instance_get_handle(h->instance), respond, h, m->size,
		                m->data);
		ring_pop(&h->requests);
		++n;
	}
	return n;
}

static void *worker_main(void *arg)
{
	lv2_host *h = arg;
	while (!atomic_load(&h->worker_stop)) {
		if (lv2h_work(h) == 0) {
			const struct timespec ts = {0, 200000};
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

bool lv2h_worker_thread_start(lv2_host *h)
{
	if (!h->worker || h->worker_running) {
		return false;
	}
	atomic_store(&h->worker_stop, 0);
	h->worker_running = pthread_create(&h->worker_thread, NULL, worker_main, h) == 0;
	return h->worker_running;
}

void lv2h_worker_thread_stop(lv2_host *h)
{
	if (h->worker_running) {
		atomic_store(&h->worker_stop, 1);
		pthread_join(h->worker_thread, NULL);
		h->worker_running = false;
	}
}

bool lv2h_has_worker(const lv2_host *h)
{
	return h->worker != NULL;
}

const LV2_Worker_Interface *lv2h_worker(const lv2_host *h)
{
	return h->worker;
}

void lv2h_set_schedule_hook(lv2_host *h, lv2h_schedule_hook hook, void *user)
{
	h->schedule_hook = hook;
	h->schedule_user = user;
}

uint32_t lv2h_work_scheduled(const lv2_host *h)
{
	return atomic_load(&h->scheduled);
}

uint32_t lv2h_responses_delivered(const lv2_host *h)
{
	return atomic_load(&h->delivered);
}

/* ---- ports ---------------------------------------------------------------- */

/* Empty the atom inputs, or make the whole buffer room for the outputs. */
static void reset_atom_ports(lv2_host *h, bool inputs)
{
	for (uint32_t i = 0; i < h->n_ports; ++i) {
		if (!h->atoms[i] || h->ports[i].input != inputs) {
			continue;
		}
		LV2_Atom_Sequence *seq = (LV2_Atom_Sequence *)h->atoms[i];
		if (inputs) {
			seq->atom.type = h->atom_Sequence;
			seq->atom.size = sizeof(LV2_Atom_Sequence_Body);
			seq->body.unit = 0;
			seq->body.pad = 0;
		} else {
			seq->atom.type = h->atom_Chunk;
			seq->atom.size = ATOM_CAPACITY - sizeof(LV2_Atom);
		}
	}
}

static void describe_ports(lv2_host *h, LilvWorld *world, bool atom_buffers)
{
	LilvNode *audio = lilv_new_uri(world, LV2_CORE__AudioPort);
	LilvNode *control = lilv_new_uri(world, LV2_CORE__ControlPort);
	LilvNode *input = lilv_new_uri(world, LV2_CORE__InputPort);
	LilvNode *atom = lilv_new_uri(world, LV2_ATOM__AtomPort);
	LilvNode *toggled = lilv_new_uri(world, LV2_CORE__toggled);
	LilvNode *integer = lilv_new_uri(world, LV2_CORE__integer);
	float *mins = calloc(h->n_ports, sizeof(float));
	float *maxs = calloc(h->n_ports, sizeof(float));
	float *defs = calloc(h->n_ports, sizeof(float));
	lilv_plugin_get_port_ranges_float(h->plugin, mins, maxs, defs);
	for (uint32_t i = 0; i < h->n_ports; ++i) {
		const LilvPort *port = lilv_plugin_get_port_by_index(h->plugin, i);
		lv2h_port *p = &h->ports[i];
		p->index = i;
		p->symbol = lilv_node_as_string(lilv_port_get_symbol(h->plugin, port));
		p->input = lilv_port_is_a(h->plugin, port, input);
		p->audio = lilv_port_is_a(h->plugin, port, audio);
		p->control = lilv_port_is_a(h->plugin, port, control);
		p->atom = lilv_port_is_a(h->plugin, port, atom);
		p->toggled = lilv_port_has_property(h->plugin, port, toggled);
		p->integer = lilv_port_has_property(h->plugin, port, integer);
		p->min = mins[i];
		p->max = maxs[i];
		p->def = defs[i];
		if (p->atom && atom_buffers) {
			h->atoms[i] = aligned_alloc(8, ATOM_CAPACITY);
			if (p->input && h->atom_in == UINT32_MAX) {
				h->atom_in = i;
			}
		}
	}
	free(mins);
	free(maxs);
	free(defs);
	lilv_node_free(audio);
	lilv_node_free(control);
	lilv_node_free(input);
	lilv_node_free(atom);
	lilv_node_free(toggled);
	lilv_node_free(integer);
}

lv2_host *lv2h_new(LilvWorld *world, const LilvPlugin *plugin, double rate)
{
	return lv2h_new_with(world, plugin, rate, NULL);
}

lv2_host *lv2h_new_with(LilvWorld *world, const LilvPlugin *plugin, double rate,
                        const lv2h_options *options)
{
	const lv2h_options all = {LV2H_F_ALL, false, false};
	const lv2h_options *o = options ? options : &all;
	const unsigned want = o->features ? o->features : LV2H_F_ALL;
	lv2_host *h = calloc(1, sizeof *h);
	if (!h) {
		return NULL;
	}
	h->plugin = plugin;
	h->rate = rate;
	h->atom_in = UINT32_MAX;
	lv2h_log_init(&h->log, false);
	h->schedule.handle = h;
	h->schedule.schedule_work = schedule_work;

	LV2_URID_Map *m = &uri_map;
	h->atom_Sequence = m->map(NULL, LV2_ATOM__Sequence);
	h->atom_Chunk = m->map(NULL, LV2_ATOM__Chunk);
	h->atom_Path = m->map(NULL, LV2_ATOM__Path);
	h->atom_URID = m->map(NULL, LV2_ATOM__URID);
	h->atom_Int = m->map(NULL, LV2_ATOM__Int);
	h->atom_Float = m->map(NULL, LV2_ATOM__Float);
	h->patch_Set = m->map(NULL, LV2_PATCH__Set);
	h->patch_Get = m->map(NULL, LV2_PATCH__Get);
	h->patch_property = m->map(NULL, LV2_PATCH__property);
	h->patch_value = m->map(NULL, LV2_PATCH__value);
	h->bufsz_min = m->map(NULL, LV2_BUF_SIZE__minBlockLength);
	h->bufsz_max = m->map(NULL, LV2_BUF_SIZE__maxBlockLength);
	h->bufsz_nominal = m->map(NULL, LV2_BUF_SIZE__nominalBlockLength);
	h->param_rate = m->map(NULL, "http://lv2plug.in/ns/ext/parameters#sampleRate");

	h->opt_min_block = 0;
	h->opt_max_block = LV2H_MAX_BLOCK;
	h->opt_nominal_block = 256;
	h->opt_rate = (float)rate;
	const LV2_Options_Option opts[6] = {
	    {LV2_OPTIONS_INSTANCE, 0, h->bufsz_min, sizeof(int32_t), h->atom_Int,
	     &h->opt_min_block},
	    {LV2_OPTIONS_INSTANCE, 0, h->bufsz_max, sizeof(int32_t), h->atom_Int,
	     &h->opt_max_block},
	    {LV2_OPTIONS_INSTANCE, 0, h->bufsz_nominal, sizeof(int32_t), h->atom_Int,
	     &h->opt_nominal_block},
	    {LV2_OPTIONS_INSTANCE, 0, h->param_rate, sizeof(float), h->atom_Float, &h->opt_rate},
	    {LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, NULL},
	    {LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, NULL},
	};
	memcpy(h->options, opts, sizeof opts);
	h->f_schedule = (LV2_Feature){LV2_WORKER__schedule, &h->schedule};
	h->f_options = (LV2_Feature){LV2_OPTIONS__options, h->options};
	h->f_bounded = (LV2_Feature){LV2_BUF_SIZE__boundedBlockLength, NULL};
	const struct {
		unsigned flag;
		const LV2_Feature *feature;
	} offered[] = {
	    {LV2H_F_MAP, &map_feature},      {LV2H_F_UNMAP, &unmap_feature},
	    {LV2H_F_LOG, &h->log.feature},   {LV2H_F_SCHEDULE, &h->f_schedule},
	    {LV2H_F_OPTIONS, &h->f_options}, {LV2H_F_BOUNDED, &h->f_bounded},
	};
	size_t n_features = 0;
	for (size_t i = 0; i < sizeof offered / sizeof offered[0]; ++i) {
		if (want & offered[i].flag) {
			h->features[n_features++] = offered[i].feature;
		}
	}
	h->features[n_features] = NULL;

	h->n_ports = lilv_plugin_get_num_ports(plugin);
	h->ports = calloc(h->n_ports, sizeof *h->ports);
	h->values = calloc(h->n_ports, sizeof *h->values);
	h->atoms = calloc(h->n_ports, sizeof *h->atoms);
	if (!h->ports || !h->values || !h->atoms) {
		lv2h_free(h);
		return NULL;
	}
	describe_ports(h, world, !o->no_atom_buffers);

	h->instance = lilv_plugin_instantiate(plugin, rate, h->features);
	if (!h->instance) {
		fprintf(stderr, "lv2_host: instantiate at %.0f Hz failed (%s)\n", rate,
		        h->log.count ? h->log.last : "no message");
		lv2h_free(h);
		return NULL;
	}
	h->worker = lilv_instance_get_extension_data(h->instance, LV2_WORKER__interface);
	lv2h_defaults(h);
	lv2h_connect_controls(h);
	for (uint32_t i = 0; i < h->n_ports; ++i) {
		if (h->atoms[i]) {
			lilv_instance_connect_port(h->instance, i, h->atoms[i]);
		}
	}
	reset_atom_ports(h, true);
	reset_atom_ports(h, false);
	if (!o->inactive) {
		lv2h_activate(h);
	}
	return h;
}

void lv2h_activate(lv2_host *h)
{
	if (!h->active) {
		lilv_instance_activate(h->instance);
		h->active = true;
	}
}

void lv2h_deactivate(lv2_host *h)
{
	if (h->active) {
		lilv_instance_deactivate(h->instance);
		h->active = false;
	}
}

void lv2h_connect_controls(lv2_host *h)
{
	for (uint32_t i = 0; i < h->n_ports; ++i) {
		if (h->ports[i].control) {
			lilv_instance_connect_port(h->instance, i, &h->values[i]);
		}
	}
}

void lv2h_free(lv2_host *h)
{
	if (!h) {
		return;
	}
	lv2h_worker_thread_stop(h);
	if (h->instance) {
		lv2h_deactivate(h);
		lilv_instance_free(h->instance);
	}
	for (uint32_t i = 0; h->atoms && i < h->n_ports; ++i) {
		free(h->atoms[i]);
	}
	free(h->atoms);
	free(h->values);
	free(h->ports);
	free(h);
}

LilvInstance *lv2h_instance(lv2_host *h)
{
	return h->instance;
}

LV2_URID_Map *lv2h_map(lv2_host *h)
{
	(void)h;
	return &uri_map;
}

lv2h_log *lv2h_get_log(lv2_host *h)
{
	return &h->log;
}

const LV2_Feature *const *lv2h_features(lv2_host *h)
{
	return h->features;
}

uint32_t lv2h_n_ports(const lv2_host *h)
{
	return h->n_ports;
}

const lv2h_port *lv2h_port_info(const lv2_host *h, uint32_t index)
{
	return index < h->n_ports ? &h->ports[index] : NULL;
}

float *lv2h_control(lv2_host *h, const char *symbol)
{
	for (uint32_t i = 0; i < h->n_ports; ++i) {
		if (h->ports[i].control && !strcmp(h->ports[i].symbol, symbol)) {
			return &h->values[i];
		}
	}
	return NULL;
}

float *lv2h_control_at(lv2_host *h, uint32_t index)
{
	return index < h->n_ports && h->ports[index].control ? &h->values[index] : NULL;
}

float *lv2h_controls(lv2_host *h)
{
	return h->values;
}

const LV2_Atom_Sequence *lv2h_sequence(const lv2_host *h, uint32_t index)
{
	return index < h->n_ports && h->atoms[index] ? (const LV2_Atom_Sequence *)h->atoms[index]
	                                             : NULL;
}

void lv2h_defaults(lv2_host *h)
{
	for (uint32_t i = 0; i < h->n_ports; ++i) {
		h->values[i] = h->ports[i].input ? h->ports[i].def : 0.0f;
	}
}

void lv2h_run(lv2_host *h, const float *in, float *out, uint32_t n)
{
	for (uint32_t i = 0; i < h->n_ports; ++i) {
		if (h->ports[i].audio) {
			/* The LV2 API takes a non-const pointer for inputs too. */
			lilv_instance_connect_port(h->instance, i,
			                           h->ports[i].input ? (void *)(uintptr_t)in : out);
		}
	}
	reset_atom_ports(h, false);
	lilv_instance_run(h->instance, n);
	lv2h_deliver(h);
	reset_atom_ports(h, true);
}

uint32_t lv2h_deliver(lv2_host *h)
{
	uint32_t n = 0;
	const message *m;
	while ((m = ring_peek(&h->responses))) {
		if (h->worker && h->worker->work_response) {
			h->worker->work_response(lilv_instance_get_handle(h->instance), m->size,
			                         m->data);
		}
		ring_pop(&h->responses);
		atomic_fetch_add_explicit(&h->delivered, 1, memory_order_relaxed);
		++n;
	}
	if (h->worker && h->worker->end_run) {
		h->worker->end_run(lilv_instance_get_handle(h->instance));
	}
	return n;
}

/* A patch:Set (path given) or patch:Get of property, appended to the atom
 * input. */
static bool patch_message(lv2_host *h, const char *property, const char *path)
{
	if (h->atom_in == UINT32_MAX) {
		return false;
	}
	LV2_Atom_Sequence *seq = (LV2_Atom_Sequence *)h->atoms[h->atom_in];
	const uint32_t used = (uint32_t)sizeof(LV2_Atom) + seq->atom.size;
	uint8_t *ev_at = (uint8_t *)seq + lv2_atom_pad_size(used);
	const uint32_t room = ATOM_CAPACITY - (uint32_t)(ev_at - (uint8_t *)seq);
	if (room < sizeof(LV2_Atom_Event) + 64u) {
		return false;
	}
	LV2_Atom_Event *ev = (LV2_Atom_Event *)ev_at;
	ev->time.frames = 0;
	LV2_Atom_Forge forge;
	lv2_atom_forge_init(&forge, &uri_map);
	/* The body starts right after the 8-byte time stamp. */
	lv2_atom_forge_set_buffer(&forge, ev_at + offsetof(LV2_Atom_Event, body),
	                          room - offsetof(LV2_Atom_Event, body));
	LV2_Atom_Forge_Frame frame;
	bool ok = lv2_atom_forge_object(&forge, &frame, 0, path ? h->patch_Set : h->patch_Get) &&
	          lv2_atom_forge_key(&forge, h->patch_property) &&
	          lv2_atom_forge_urid(&forge, map_uri(NULL, property)) &&
	          (!path || (lv2_atom_forge_key(&forge, h->patch_value) &&
	                     lv2_atom_forge_path(&forge, path, (uint32_t)strlen(path))));
	if (!ok) {
		return false;
	}
	lv2_atom_forge_pop(&forge, &frame);
	seq->atom.size = (uint32_t)(ev_at - (uint8_t *)&seq->body) + (uint32_t)sizeof(ev->time) +
	                 lv2_atom_pad_size((uint32_t)sizeof(LV2_Atom) + ev->body.size);
	return true;
}

bool lv2h_patch_set_path(lv2_host *h, const char *property, const char *path)
{
	return patch_message(h, property, path);
}

bool lv2h_patch_get(lv2_host *h, const char *property)
{
	return patch_message(h, property, NULL);
}

bool lv2h_append_event(lv2_host *h, int64_t frames, const char *type, const void *body,
                       uint32_t size)
{
	if (h->atom_in == UINT32_MAX) {
		return false;
	}
	LV2_Atom_Sequence *seq = (LV2_Atom_Sequence *)h->atoms[h->atom_in];
	const uint32_t used = (uint32_t)sizeof(LV2_Atom) + seq->atom.size;
	uint8_t *ev_at = (uint8_t *)seq + lv2_atom_pad_size(used);
	const uint32_t room = ATOM_CAPACITY - (uint32_t)(ev_at - (uint8_t *)seq);
	if (room < sizeof(LV2_Atom_Event) + lv2_atom_pad_size(size)) {
		return false;
	}
	LV2_Atom_Event *ev = (LV2_Atom_Event *)ev_at;
	ev->time.frames = frames;
	ev->body.type = map_uri(NULL, type);
	ev->body.size = size;
	memcpy(ev + 1, body, size);
	seq->atom.size = (uint32_t)(ev_at - (uint8_t *)&seq->body) + (uint32_t)sizeof(ev->time) +
	                 lv2_atom_pad_size((uint32_t)sizeof(LV2_Atom) + size);
	return true;
}

uint32_t lv2h_log_count(const lv2_host *h)
{
	return atomic_load(&h->log.count);
}

void lv2h_log_quiet(lv2_host *h, bool quiet)
{
	h->log.quiet = quiet;
}

const char *lv2h_log_last(const lv2_host *h)
{
	return h->log.last;
}

char *lv2h_path_parameter(LilvWorld *world, const LilvPlugin *plugin)
{
	/* lilv loads a plugin's data files lazily: asking for its ports does. */
	(void)lilv_plugin_get_num_ports(plugin);
	LilvNode *writable = lilv_new_uri(world, LV2_PATCH__writable);
	LilvNode *range = lilv_new_uri(world, "http://www.w3.org/2000/01/rdf-schema#range");
	LilvNode *path = lilv_new_uri(world, LV2_ATOM__Path);
	LilvNodes *props =
	    lilv_world_find_nodes(world, lilv_plugin_get_uri(plugin), writable, NULL);
	char *found = NULL;
	LILV_FOREACH(nodes, it, props)
	{
		const LilvNode *n = lilv_nodes_get(props, it);
		if (!found && lilv_node_is_uri(n) && lilv_world_ask(world, n, range, path)) {
			const char *uri = lilv_node_as_uri(n);
			found = malloc(strlen(uri) + 1);
			if (found) {
				strcpy(found, uri);
			}
		}
	}
	lilv_nodes_free(props);
	lilv_node_free(path);
	lilv_node_free(range);
	lilv_node_free(writable);
	return found;
}

bool lv2h_write_models(const char *path, const char *bad_path, uint32_t seed)
{
	const hsm_dims d = {1, 8, 32, 32, 60, 65, seed};
	size_t size;
	uint8_t *p = hsm_write_random(&d, &size);
	bool ok = p && lv2h_write_file(path, p, size);
	if (ok && bad_path) {
		p[size / 2] ^= 0x55;
		ok = lv2h_write_file(bad_path, p, size);
	}
	free(p);
	return ok;
}
