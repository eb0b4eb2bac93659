/* The LV2 test host over lilv of every C test that runs the plugin: finds
 * the bundle on LV2_PATH (the build tree's), instantiates it, connects every
 * port it describes (audio, control, atom), and provides urid:map,
 * urid:unmap, log:log, options:options and worker:schedule (or fewer:
 * lv2h_new_with()). The pieces serve tests that build their own feature
 * lists too: one process-wide URID map, a log that records what the plugin
 * says, file writing. schedule_work() (called from run()) only queues the
 * request in a fixed lock-free ring; lv2h_work() runs the queued work()
 * calls later on the calling (non-real-time) thread, or a worker thread does
 * (lv2h_worker_thread_start()); the responses are delivered by the next
 * lv2h_run() right after run(), followed by end_run(), as jalv does. Nothing
 * here allocates after lv2h_new(). */
#ifndef LV2_HOST_H
#define LV2_HOST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/core/lv2.h>
#include <lv2/log/log.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>

#define LV2H_MAX_BLOCK 8192u

typedef struct lv2_host lv2_host;

/* ---- the world ---------------------------------------------------------- */

/* [main] A lilv world with every bundle on LV2_PATH loaded. */
LilvWorld *lv2h_world_new(void);
/* [main] The plugin with this URI in world, or NULL (and a line on stderr
 * naming the LV2_PATH searched). */
const LilvPlugin *lv2h_find_plugin(LilvWorld *world, const char *uri);

/* ---- pieces for a test's own feature lists ------------------------------ */

/* urid:map and urid:unmap over one process-wide table (thread-safe), and
 * their features. Every lv2_host uses them too. */
LV2_URID_Map *lv2h_urid_map(void);
LV2_URID_Unmap *lv2h_urid_unmap(void);
const LV2_Feature *lv2h_map_feature(void);
const LV2_Feature *lv2h_unmap_feature(void);

/* log:log that counts the messages (errors and warnings also apart) and
 * keeps the last one of each, from any thread, and prints them on stderr
 * unless quiet. Its feature is .feature; read the fields directly. */
#define LV2H_LOG_LEN 512u
typedef struct {
	LV2_Log_Log log;
	LV2_Feature feature;
	LV2_URID error, warning;
	atomic_uint count, errors, warnings;
	bool quiet;
	char last[LV2H_LOG_LEN], last_error[LV2H_LOG_LEN], last_warning[LV2H_LOG_LEN];
} lv2h_log;

/* [main] Ready to use (the URIDs of the types from lv2h_urid_map()). */
void lv2h_log_init(lv2h_log *l, bool quiet);

/* [main] Write size bytes to path; false on any error. */
bool lv2h_write_file(const char *path, const void *data, size_t size);

/* ---- the host ----------------------------------------------------------- */

/* Features lv2h_new_with() may offer (lv2h_new(): all of them). */
enum {
	LV2H_F_MAP = 1u << 0,
	LV2H_F_UNMAP = 1u << 1,
	LV2H_F_LOG = 1u << 2,
	LV2H_F_SCHEDULE = 1u << 3,
	LV2H_F_OPTIONS = 1u << 4, /* options:options, with the block lengths and rate */
	LV2H_F_BOUNDED = 1u << 5, /* buf-size:boundedBlockLength */
	LV2H_F_ALL = (1u << 6) - 1u,
};

typedef struct {
	unsigned features;    /* LV2H_F_*; 0 means LV2H_F_ALL */
	bool no_atom_buffers; /* leave the atom ports unconnected */
	bool inactive;        /* do not activate (lv2h_activate() does) */
} lv2h_options;

/* The host side of worker:schedule may refuse a request: a test's hook,
 * called by schedule_work() first, returns LV2_WORKER_SUCCESS to let it be
 * queued or the status to refuse it with. */
typedef LV2_Worker_Status (*lv2h_schedule_hook)(void *user, uint32_t size, const void *data);

typedef struct {
	const char *symbol;
	uint32_t index;
	bool input, audio, control, atom, toggled, integer;
	float min, max, def;
} lv2h_port;

/* [main] NULL if instantiation fails (the reason is printed). Every
 * feature, atom buffers connected, activated. */
lv2_host *lv2h_new(LilvWorld *world, const LilvPlugin *plugin, double rate);
/* [main] The same with options (NULL: as lv2h_new()). */
lv2_host *lv2h_new_with(LilvWorld *world, const LilvPlugin *plugin, double rate,
                        const lv2h_options *options);
/* [main] Deactivates first if active. */
void lv2h_free(lv2_host *h);
/* [main] activate() / deactivate(), if not already so. */
void lv2h_activate(lv2_host *h);
void lv2h_deactivate(lv2_host *h);

LilvInstance *lv2h_instance(lv2_host *h);
LV2_URID_Map *lv2h_map(lv2_host *h);
const LV2_Feature *const *lv2h_features(lv2_host *h);
/* The host's log:log (lv2h_log_* below read it too). */
lv2h_log *lv2h_get_log(lv2_host *h);

uint32_t lv2h_n_ports(const lv2_host *h);
const lv2h_port *lv2h_port_info(const lv2_host *h, uint32_t index);
/* The value cell of a control port, by symbol; NULL if there is none. */
float *lv2h_control(lv2_host *h, const char *symbol);
float *lv2h_control_at(lv2_host *h, uint32_t index);
/* The value cells of all ports, indexed by port index (control ports are
 * connected to theirs). */
float *lv2h_controls(lv2_host *h);
/* All control inputs to their defaults, outputs to 0. */
void lv2h_defaults(lv2_host *h);
/* [main] (Re)connect every control port to its cell. */
void lv2h_connect_controls(lv2_host *h);
/* The buffer of an atom port (a sequence), or NULL. An output holds what
 * the last run() wrote until the next lv2h_run(). */
const LV2_Atom_Sequence *lv2h_sequence(const lv2_host *h, uint32_t index);

/* [audio] Connect in/out (n <= LV2H_MAX_BLOCK frames; in == out allowed),
 * make room in the atom outputs, run, deliver pending worker responses,
 * end_run, then empty the atom input sequence. */
void lv2h_run(lv2_host *h, const float *in, float *out, uint32_t n);
/* [audio] Deliver pending worker responses now, then end_run (as
 * lv2h_run() does after run()); returns how many were delivered. */
uint32_t lv2h_deliver(lv2_host *h);

/* [main] Run queued work() calls; returns how many ran. */
uint32_t lv2h_work(lv2_host *h);
/* [main] Run the worker on its own thread instead (lv2h_work() then must
 * not be called); stopped by lv2h_worker_thread_stop() or lv2h_free(). */
bool lv2h_worker_thread_start(lv2_host *h);
void lv2h_worker_thread_stop(lv2_host *h);
/* Whether the plugin has the worker interface, and the interface. */
bool lv2h_has_worker(const lv2_host *h);
const LV2_Worker_Interface *lv2h_worker(const lv2_host *h);
/* [main] Call hook (NULL: none) on each schedule_work() from now on. */
void lv2h_set_schedule_hook(lv2_host *h, lv2h_schedule_hook hook, void *user);
/* Worker requests scheduled / responses delivered so far. */
uint32_t lv2h_work_scheduled(const lv2_host *h);
uint32_t lv2h_responses_delivered(const lv2_host *h);

/* [main] Append a patch:Set of property (a URI) to an atom:Path value to the
 * control atom input; sent with the next lv2h_run(). False if the plugin has
 * no atom input. */
bool lv2h_patch_set_path(lv2_host *h, const char *property, const char *path);
/* [main] The same with a patch:Get of property. */
bool lv2h_patch_get(lv2_host *h, const char *property);

/* [main] Append an event (an atom of type URI `type`, size bytes of body)
 * at `frames` to the first atom input; sent with the next lv2h_run(). False
 * if there is no atom input or no room. Events are appended as given, in or
 * out of order, so tests can send what a careless host would. */
bool lv2h_append_event(lv2_host *h, int64_t frames, const char *type, const void *body,
                       uint32_t size);

/* [main] The plugin's writable atom:Path parameter (its patch:writable), as
 * a malloc'ed URI, or NULL if it declares none. */
char *lv2h_path_parameter(LilvWorld *world, const LilvPlugin *plugin);

/* [main] Write a random valid model (tests/model/hsm_writer.c) to path,
 * and, if bad_path is not NULL, a copy with one corrupted byte. */
bool lv2h_write_models(const char *path, const char *bad_path, uint32_t seed);

/* Log messages received (any thread), and the last one. */
uint32_t lv2h_log_count(const lv2_host *h);
/* [main] Count log messages without printing them. */
void lv2h_log_quiet(lv2_host *h, bool quiet);
const char *lv2h_log_last(const lv2_host *h);

#endif
