/* A small LV2 test host over lilv for the robustness tests: instantiates the
 * bundle found on LV2_PATH, connects every port it describes (audio, control,
 * atom), and provides urid:map, log:log, options:options and
 * worker:schedule. schedule_work() (called from run()) only queues the
 * request in a fixed lock-free ring; lv2h_work() runs the queued work()
 * calls later on the calling (non-real-time) thread, or a worker thread does
 * (lv2h_worker_thread_start()); the responses are delivered by the next
 * lv2h_run() right after run(), followed by end_run(), as jalv does. Nothing
 * here allocates after lv2h_new(). */
#ifndef LV2_HOST_H
#define LV2_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include <lilv/lilv.h>
#include <lv2/urid/urid.h>

#define LV2H_MAX_BLOCK 8192u

typedef struct lv2_host lv2_host;

typedef struct {
	const char *symbol;
	uint32_t index;
	bool input, audio, control, atom, toggled, integer;
	float min, max, def;
} lv2h_port;

/* [main] NULL if instantiation fails (the reason is printed). */
lv2_host *lv2h_new(LilvWorld *world, const LilvPlugin *plugin, double rate);
void lv2h_free(lv2_host *h);

LilvInstance *lv2h_instance(lv2_host *h);
LV2_URID_Map *lv2h_map(lv2_host *h);
const LV2_Feature *const *lv2h_features(lv2_host *h);

uint32_t lv2h_n_ports(const lv2_host *h);
const lv2h_port *lv2h_port_info(const lv2_host *h, uint32_t index);
/* The value cell of a control port, by symbol; NULL if there is none. */
float *lv2h_control(lv2_host *h, const char *symbol);
float *lv2h_control_at(lv2_host *h, uint32_t index);
/* All control inputs to their defaults. */
void lv2h_defaults(lv2_host *h);

/* [audio] Connect in/out (n <= LV2H_MAX_BLOCK frames; in == out allowed),
 * run, deliver pending worker responses, end_run, then empty the atom input
 * sequence. */
void lv2h_run(lv2_host *h, const float *in, float *out, uint32_t n);

/* [main] Run queued work() calls; returns how many ran. */
uint32_t lv2h_work(lv2_host *h);
/* [main] Run the worker on its own thread instead (lv2h_work() then must
 * not be called); stopped by lv2h_worker_thread_stop() or lv2h_free(). */
bool lv2h_worker_thread_start(lv2_host *h);
void lv2h_worker_thread_stop(lv2_host *h);
/* Whether the plugin has the worker interface. */
bool lv2h_has_worker(const lv2_host *h);
/* Worker requests scheduled / responses delivered so far. */
uint32_t lv2h_work_scheduled(const lv2_host *h);
uint32_t lv2h_responses_delivered(const lv2_host *h);

/* [main] Append a patch:Set of property (a URI) to an atom:Path value to the
 * control atom input; sent with the next lv2h_run(). False if the plugin has
 * no atom input. */
bool lv2h_patch_set_path(lv2_host *h, const char *property, const char *path);

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
