/* heist-lv2-bench: what a host sees. The real plugin binary (found by lilv on
 * LV2_PATH) in N instances in one process, as a session with N tracks:
 *
 *   heist-lv2-bench [--instances N] [--seconds S] [--reps R] [--cold-seconds C]
 *                   [--mem-instances M] [--no-worker]
 *
 * Prints, per rate (44.1, 48, 96 kHz):
 *   - resident memory per added instance (/proc, M instances, default 64,
 *     in a child process per rate) and malloc's heap per added instance
 *     (glibc mallinfo2; the engine's 2 MiB chunks are outside it);
 *   - cost of N instances played round-robin in 256-frame blocks against one
 *     instance, alternated run by run (ratio N x one is ideal), and one
 *     instance's real-time factor;
 *   - run() time of one instance at 32- and 64-frame blocks as a share of the
 *     block's budget (n / rate): worst and 99.9th percentile, with the caches
 *     warm (blocks back to back) and cold (a 16 MiB buffer written between
 *     blocks, as when the host's other work evicts the weights); and the
 *     plugin's own worst block: every run plays the same input, so each
 *     block's least time over the R runs is its cost without the time other
 *     processes and the VM add (which only ever add), and the worst of those
 *     is the worst block the plugin itself makes (e.g. a frame boundary).
 * --rate F measures at that rate only. The host offers urid:map and
 * worker:schedule, as session hosts do (work() runs right after the run()
 * that asked, on the same thread, and its responses are delivered then);
 * --no-worker offers urid:map only, as lv2file does.
 * Times are this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so that other
 * processes on the machine cost little beyond cache pollution; repeat and
 * compare medians. Run it against another build with LV2_PATH pointing at
 * that build's plugin folder, alternating, for an A/B comparison.
 */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/core/lv2.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>

#include "bench_util.h"

#define HEIST_URI "http://heist.audio/plugins/heist"
#define MAX_INSTANCES 256
#define MAX_REPS 15
#define MAX_PORTS 64
#define ATOM_CAPACITY 8192
#define EVICT_BYTES (16u << 20)
#define TWO_PI 6.28318530717958647692

/* ---- a minimal host: urid:map, every port connected --------------------- */

#define MAX_URIS 256
static char *uris[MAX_URIS];
static uint32_t n_uris;

static LV2_URID map_uri(LV2_URID_Map_Handle handle, const char *uri)
{
	(void)handle;
	for (uint32_t i = 0; i < n_uris; ++i) {
		if (!strcmp(uris[i], uri)) {
			return i + 1;
		}
	}
	if (n_uris == MAX_URIS) {
		return 0;
	}
	uris[n_uris] = strdup(uri);
	return ++n_uris;
}

static LV2_URID_Map map = {NULL, map_uri};
static const LV2_Feature map_feature = {LV2_URID__map, &map};
static int offer_worker = 1;

/* worker:schedule: one queue for the process (instances run one at a time
 * on one thread), so that it adds nothing to each instance's memory. */
#define WORK_QUEUE 16
#define WORK_SIZE 2048
typedef struct {
	uint32_t size;
	uint8_t data[WORK_SIZE];
} work_msg;
static work_msg requests[WORK_QUEUE], responses[WORK_QUEUE];
static uint32_t n_requests, n_responses;

static LV2_Worker_Status queue_msg(work_msg *q, uint32_t *n, uint32_t size, const void *data)
{
	if (*n == WORK_QUEUE || size > WORK_SIZE) {
		return LV2_WORKER_ERR_NO_SPACE;
	}
	q[*n].size = size;
	memcpy(q[*n].data, data, size);
	++*n;
	return LV2_WORKER_SUCCESS;
}

static LV2_Worker_Status schedule_work(LV2_Worker_Schedule_Handle handle, uint32_t size,
                                       const void *data)
{
	(void)handle;
	return queue_msg(requests, &n_requests, size, data);
}

static LV2_Worker_Status respond(LV2_Worker_Respond_Handle handle, uint32_t size, const void *data)
{
	(void)handle;
	return queue_msg(responses, &n_responses, size, data);
}

static LV2_Worker_Schedule schedule = {NULL, schedule_work};
static const LV2_Feature schedule_feature = {LV2_WORKER__schedule, &schedule};

typedef struct {
	LilvInstance *inst;
	const LV2_Worker_Interface *worker; /* NULL: the plugin has none */
	float controls[MAX_PORTS];
	LV2_Atom_Sequence *atoms[MAX_PORTS]; /* NULL for non-atom ports */
	int in_port, out_port;
	uint32_t n_ports;
	int atom_out[MAX_PORTS];
} host;

typedef struct {
	LilvWorld *world;
	const LilvPlugin *plugin;
	LilvNode *audio, *control, *atom, *input;
} world_ctx;

static int open_world(world_ctx *w)
{
	w->world = lilv_world_new();
	lilv_world_load_all(w->world);
	LilvNode *uri = lilv_new_uri(w->world, HEIST_URI);
	w->plugin = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(w->world), uri);
	lilv_node_free(uri);
	w->audio = lilv_new_uri(w->world, LV2_CORE__AudioPort);
	w->control = lilv_new_uri(w->world, LV2_CORE__ControlPort);
	w->atom = lilv_new_uri(w->world, LV2_ATOM__AtomPort);
	w->input = lilv_new_uri(w->world, LV2_CORE__InputPort);
	return w->plugin != NULL;
}

static void reset_atoms(host *h)
{
	for (uint32_t p = 0; p < h->n_ports; ++p) {
		LV2_Atom_Sequence *seq = h->atoms[p];
		if (seq) {
			seq->atom.type = map_uri(NULL, LV2_ATOM__Sequence);
			seq->body.unit = 0;
			seq->body.pad = 0;
			/* Inputs empty; outputs offer their capacity. */
			seq->atom.size = h->atom_out[p] ? ATOM_CAPACITY - sizeof(LV2_Atom)
			                                : sizeof(LV2_Atom_Sequence_Body);
		}
	}
}

static host *host_new(const world_ctx *w, double rate)
{
	host *h = calloc(1, sizeof *h);
	if (!h) {
		return NULL;
	}
	const LV2_Feature *const features[] = {&map_feature,
	                                       offer_worker ? &schedule_feature : NULL, NULL};
	h->inst = lilv_plugin_instantiate(w->plugin, rate, features);
	if (!h->inst) {
		free(h);
		return NULL;
	}
	h->worker = offer_worker ? (const LV2_Worker_Interface *)lilv_instance_get_extension_data(
	                               h->inst, LV2_WORKER__interface)
	                         : NULL;
	h->n_ports = lilv_plugin_get_num_ports(w->plugin);
	float mins[MAX_PORTS], maxs[MAX_PORTS], defs[MAX_PORTS];
	lilv_plugin_get_port_ranges_float(w->plugin, mins, maxs, defs);
	h->in_port = h->out_port = -1;
	for (uint32_t p = 0; p < h->n_ports && p < MAX_PORTS; ++p) {
		const LilvPort *port = lilv_plugin_get_port_by_index(w->plugin, p);
		const int input = lilv_port_is_a(w->plugin, port, w->input);
		if (lilv_port_is_a(w->plugin, port, w->audio)) {
			*(input ? &h->in_port : &h->out_port) = (int)p;
		} else if (lilv_port_is_a(w->plugin, port, w->atom)) {
			h->atoms[p] = aligned_alloc(64, ATOM_CAPACITY);
			h->atom_out[p] = !input;
			lilv_instance_connect_port(h->inst, p, h->atoms[p]);
		} else {
			h->controls[p] = isnan(defs[p]) ? 0.0f : defs[p];
			lilv_instance_connect_port(h->inst, p, &h->controls[p]);
		}
	}
	reset_atoms(h);
	lilv_instance_activate(h->inst);
	return h;
}

static void host_free(host *h)
{
	if (h) {
		lilv_instance_deactivate(h->inst);
		lilv_instance_free(h->inst);
		for (uint32_t p = 0; p < MAX_PORTS; ++p) {
			free(h->atoms[p]);
		}
		free(h);
	}
}

static void host_run(host *h, const float *in, float *out, uint32_t n)
{
	lilv_instance_connect_port(h->inst, (uint32_t)h->in_port, (void *)in);
	lilv_instance_connect_port(h->inst, (uint32_t)h->out_port, out);
	reset_atoms(h);
	lilv_instance_run(h->inst, n);
	/* The worker (none is asked for at the default controls). */
	LV2_Handle handle = lilv_instance_get_handle(h->inst);
	for (uint32_t i = 0; h->worker && i < n_requests; ++i) {
		h->worker->work(handle, respond, NULL, requests[i].size, requests[i].data);
	}
	for (uint32_t i = 0; h->worker && i < n_responses; ++i) {
		h->worker->work_response(handle, responses[i].size, responses[i].data);
	}
	if (h->worker && h->worker->end_run) {
		h->worker->end_run(handle);
	}
	n_requests = n_responses = 0;
}

/* ---- measuring ----------------------------------------------------------- */

/* Sorts v. */
static double quantile(double *v, size_t n, double q)
{
	sort_doubles(v, n);
	size_t i = (size_t)ceil(q * (double)n);
	return v[i == 0 ? 0 : i > n ? n - 1 : i - 1];
}

static double heap_mib(void)
{
	const struct mallinfo2 mi = mallinfo2();
	return (double)(mi.uordblks + mi.hblkhd) / 1048576.0;
}

static double rss_mib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, res = 0;
	if (f) {
		if (fscanf(f, "%ld %ld", &size, &res) != 2) {
			res = 0;
		}
		fclose(f);
	}
	return (double)res * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
}

/* A sung-like input: notes from 110 to 660 Hz with vibrato, rests, a little
 * noise. Deterministic. */
static float *make_input(double rate, size_t n)
{
	float *x = malloc(n * sizeof(float));
	uint32_t rng = 7;
	double phase = 0.0;
	for (size_t i = 0; i < n; ++i) {
		const double t = (double)i / rate;
		const int note = (int)(t / 0.4);
		const double f0 = 110.0 * pow(2.0, (double)((note * 7) % 31) / 12.0) *
		                  (1.0 + 0.01 * sin(TWO_PI * 5.5 * t));
		const int rest = note % 7 == 6;
		phase += f0 / rate;
		phase -= floor(phase);
		rng = rng * 1664525u + 1013904223u;
		const double noise = ((double)(rng >> 8) / 16777216.0 - 0.5) * 0.01;
		x[i] =
		    (float)((rest ? 0.0
		                  : 0.3 * sin(TWO_PI * phase) + 0.1 * sin(2.0 * TWO_PI * phase)) +
		            noise);
	}
	return x;
}

/* CPU seconds to play len samples through k instances round-robin in
 * blocks of `block`, each instance offset by 7 samples. */
static double play(host **h, int k, const float *in, size_t len, uint32_t block, float *out)
{
	const double t0 = cpu_now();
	for (size_t pos = 0; pos + block + 7u * (size_t)k <= len; pos += block) {
		for (int i = 0; i < k; ++i) {
			host_run(h[i], in + pos + 7u * (size_t)i, out, block);
		}
	}
	return cpu_now() - t0;
}

/* Worst and 99.9th-percentile run() time of one instance as a share of the
 * block budget; cold: evict the caches between blocks. least[] (len / block
 * values) keeps each block's least time over the calls. */
static void run_times(host *h, const float *in, size_t len, uint32_t block, double rate, int cold,
                      uint8_t *evict, double *worst, double *p999, double *least)
{
	const size_t n = len / block;
	double *t = malloc(n * sizeof *t);
	float out[64];
	uint8_t sink = 0;
	for (size_t b = 0; b < n; ++b) {
		if (cold) {
			for (size_t i = 0; i < EVICT_BYTES; i += 64) {
				evict[i] = (uint8_t)(evict[i] + 1u);
			}
			sink ^= evict[b % EVICT_BYTES];
		}
		const double t0 = cpu_now();
		host_run(h, in + b * block, out, block);
		t[b] = cpu_now() - t0;
		least[b] = t[b] < least[b] ? t[b] : least[b];
	}
	const double budget = block / rate;
	/* The first second is a warm-up (first notes, the worker-free start). */
	const size_t skip = (size_t)(rate / block) < n / 2 ? (size_t)(rate / block) : n / 2;
	*worst = 100.0 * quantile(t + skip, n - skip, 1.0) / budget;
	*p999 = 100.0 * quantile(t + skip, n - skip, 0.999) / budget;
	free(t);
	if (sink == 0xff) {
		fputc('\n', stderr); /* keeps the eviction writes alive */
	}
}

static void range(double *v, int n, double *med, double *lo, double *hi)
{
	sort_doubles(v, (size_t)n);
	*med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
	*lo = v[0];
	*hi = v[n - 1];
}

int main(int argc, char **argv)
{
	int n_inst = 32, reps = 5, mem_inst = 64;
	double seconds = 10.0, cold_seconds = 2.0, only_rate = 0.0;
	for (int i = 1; i < argc; ++i) {
		if (!int_arg(argc, argv, &i, "--instances", &n_inst) &&
		    !double_arg(argc, argv, &i, "--seconds", &seconds) &&
		    !int_arg(argc, argv, &i, "--reps", &reps) &&
		    !double_arg(argc, argv, &i, "--cold-seconds", &cold_seconds) &&
		    !int_arg(argc, argv, &i, "--mem-instances", &mem_inst) &&
		    !double_arg(argc, argv, &i, "--rate", &only_rate)) {
			if (!strcmp(argv[i], "--no-worker")) {
				offer_worker = 0;
				continue;
			}
			fprintf(stderr, "usage: heist-lv2-bench [--instances N] [--seconds S] "
			                "[--reps R] [--cold-seconds C] [--mem-instances M] "
			                "[--rate F] [--no-worker]\n");
			return 2;
		}
	}
	if (n_inst < 2 || n_inst > MAX_INSTANCES || !(seconds >= 1.0) || reps < 1 ||
	    reps > MAX_REPS || !(cold_seconds >= 1.0) || mem_inst < 2 || mem_inst > 1024 ||
	    !(only_rate == 0.0 || (only_rate >= 8000.0 && only_rate <= 384000.0))) {
		fprintf(stderr,
		        "error: --instances 2..%d, --seconds >= 1, --reps 1..%d, "
		        "--cold-seconds >= 1, --mem-instances 2..1024, --rate 8000..384000\n",
		        MAX_INSTANCES, MAX_REPS);
		return 2;
	}
	world_ctx w;
	if (!open_world(&w)) {
		fprintf(stderr, "error: %s not found on LV2_PATH=%s\n", HEIST_URI,
		        getenv("LV2_PATH") ? getenv("LV2_PATH") : "(unset)");
		return 1;
	}
	const LilvNode *lib = lilv_plugin_get_library_uri(w.plugin);
	printf("heist-lv2-bench: %s (%s), %d instances, %.0f s per run, %d runs alternated, "
	       "this thread's CPU time, %s\n",
	       HEIST_URI, lilv_node_as_uri(lib), n_inst, seconds, reps,
	       offer_worker ? "host with a worker" : "host without a worker");
	uint8_t *evict = calloc(EVICT_BYTES, 1);
	const double rates[3] = {44100.0, 48000.0, 96000.0};
	for (int r = 0; r < (only_rate > 0.0 ? 1 : 3); ++r) {
		const double rate = only_rate > 0.0 ? only_rate : rates[r];
		const size_t len = (size_t)(seconds * rate) + 8192u;
		float *in = make_input(rate, len);
		float *out = malloc(8192 * sizeof(float));
		host *h[MAX_INSTANCES] = {NULL};

		/* Memory in a child process of its own (a clean heap and page
		 * count at every rate): resident memory and heap after one
		 * instance, then after mem_inst. The engine's memory is carved
		 * from 2 MiB chunks (dsp/mem.h) that malloc's figures do not see,
		 * so resident memory is the figure; many instances make its
		 * 2 MiB steps small per instance. */
		fflush(stdout);
		const pid_t child = fork();
		if (child == 0) {
			host **m = calloc((size_t)mem_inst, sizeof *m);
			const double heap0 = heap_mib(), rss0 = rss_mib();
			m[0] = host_new(&w, rate);
			if (!m[0]) {
				_exit(1);
			}
			play(m, 1, in, (size_t)(0.5 * rate), 256,
			     out); /* touch what run() touches */
			const double heap1 = heap_mib(), rss1 = rss_mib();
			for (int i = 1; i < mem_inst; ++i) {
				if (!(m[i] = host_new(&w, rate))) {
					_exit(1);
				}
			}
			play(m, mem_inst, in, (size_t)(0.5 * rate), 256, out);
			const double heapN = heap_mib(), rssN = rss_mib();
			printf(
			    "\n%.1f kHz\n  memory (%d instances): first instance %.2f MiB "
			    "resident, "
			    "each added instance %.3f MiB resident (malloc heap: first %.2f MiB, "
			    "each added %.3f MiB)\n",
			    rate / 1000.0, mem_inst, rss1 - rss0, (rssN - rss1) / (mem_inst - 1),
			    heap1 - heap0, (heapN - heap1) / (mem_inst - 1));
			fflush(stdout);
			_exit(0);
		}
		int status = 1;
		if (child < 0 || waitpid(child, &status, 0) != child || status != 0) {
			fprintf(stderr, "error: the memory measure at %.0f Hz failed\n", rate);
			return 1;
		}
		for (int i = 0; i < n_inst; ++i) {
			if (!(h[i] = host_new(&w, rate))) {
				fprintf(stderr, "error: cannot instantiate instance %d\n", i + 1);
				return 1;
			}
		}

		/* N instances against one, alternated. */
		double ratio[MAX_REPS], rtf[MAX_REPS];
		for (int k = 0; k < reps; ++k) {
			const double t1 = play(h, 1, in, len - 8192u, 256, out);
			const double tn = play(h, n_inst, in, len - 8192u, 256, out);
			ratio[k] = tn / t1;
			rtf[k] = seconds / t1;
		}
		double med, lo, hi;
		range(ratio, reps, &med, &lo, &hi);
		printf("  %d instances cost %.2fx one (median of %d, range %.2f-%.2f)\n", n_inst,
		       med, reps, lo, hi);
		range(rtf, reps, &med, &lo, &hi);
		printf("  one instance: %.0fx real time, 256-frame blocks (range %.0f-%.0f)\n", med,
		       lo, hi);

		/* run() times of one instance (instance 0; the others idle). */
		const uint32_t blocks[2] = {32, 64};
		for (int b = 0; b < 2; ++b) {
			for (int cold = 0; cold < 2; ++cold) {
				const double s = cold ? cold_seconds : seconds;
				double wv[MAX_REPS], pv[MAX_REPS], wlo, whi, plo, phi, wm, pm;
				const size_t nb = (size_t)(s * rate) / blocks[b];
				double *least = malloc(nb * sizeof *least);
				for (size_t i = 0; i < nb; ++i) {
					least[i] = INFINITY;
				}
				for (int k = 0; k < reps; ++k) {
					run_times(h[0], in, (size_t)(s * rate), blocks[b], rate,
					          cold, evict, &wv[k], &pv[k], least);
				}
				range(wv, reps, &wm, &wlo, &whi);
				range(pv, reps, &pm, &plo, &phi);
				printf(
				    "  run() at %2u frames, %s cache: worst %5.2f %% of the block "
				    "budget (range %.2f-%.2f), 99.9th percentile %5.2f %% "
				    "(%.2f-%.2f)\n",
				    blocks[b], cold ? "cold" : "warm", wm, wlo, whi, pm, plo, phi);
				/* The same first second left out as in run_times. */
				const double budget = blocks[b] / rate;
				const size_t skip = (size_t)(rate / blocks[b]) < nb / 2
				                        ? (size_t)(rate / blocks[b])
				                        : nb / 2;
				const double own =
				    100.0 * quantile(least + skip, nb - skip, 1.0) / budget;
				const double own999 =
				    100.0 * quantile(least + skip, nb - skip, 0.999) / budget;
				printf("    the plugin's own (each block's least over the %d "
				       "runs): worst "
				       "%5.2f %%, 99.9th percentile %5.2f %%%s\n",
				       reps, own, own999,
				       rate == 48000.0 && blocks[b] == 64 && cold
				           ? " (goal: worst <= 5 %)"
				           : "");
				free(least);
				fflush(stdout);
			}
		}
		for (int i = 0; i < n_inst; ++i) {
			host_free(h[i]);
		}
		free(in);
		free(out);
	}
	free(evict);
	lilv_node_free(w.audio);
	lilv_node_free(w.control);
	lilv_node_free(w.atom);
	lilv_node_free(w.input);
	lilv_world_free(w.world);
	for (uint32_t i = 0; i < n_uris; ++i) {
		free(uris[i]);
	}
	return 0;
}
