/* heist-bench: how fast the engine runs, where the time goes, what it costs.
 *
 *   heist-bench [--model FILE.hsm] [--seconds S] [--reps R] [--no-torch]
 *
 * Prints, for a deterministic sung-like line of S seconds (default 60):
 *   - real-time factor (audio seconds per CPU second, median of R runs) at
 *     44.1, 48 and 96 kHz with host blocks of 32, 256 and 1024 frames;
 *   - the cost of each stage (analysis, network, synthesis, mix and the rest)
 *     in microseconds per second of audio and as a share, per rate;
 *   - memory per engine instance and per model, model load time;
 *   - the network alone on the frames of the 48 kHz run: microseconds per
 *     frame, GFLOP/s (FLOPs counted from the layer sizes) for each compiled
 *     kernel, and the same frames through the PyTorch reference in train/,
 *     one frame at a time, as a ratio;
 *   - 1, 8 and 32 instances in one process (sharing the model), each playing
 *     the line (7 samples apart) in 256-frame blocks round-robin after a 1 s
 *     warm-up, cost per instance as a ratio to one (the counts alternate
 *     second by second; see instances()).
 * CPU time is this thread's (CLOCK_THREAD_CPUTIME_ID), so other processes on
 * the machine cost little beyond cache pollution; repeat and compare medians.
 */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analysis.h"
#include "bench_util.h"
#include "heist.h"
#include "mem.h"
#include "model.h"
#include "net.h"
#include "profile.h"

#define TWO_PI 6.28318530717958647692
#define MAX_REPS 15

/* Stage clock: this thread's CPU time (a system call; its cost is measured
 * and taken out, see clock_cost). */
static uint64_t ns_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static double median(double *v, int n)
{
	sort_doubles(v, (size_t)n);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* A sung-like line: notes of 0.2-0.8 s from 80 to 800 Hz with vibrato,
 * glides between some of them, rests, breathy noise, a harmonic timbre that
 * changes with loudness. Deterministic. */
static float *make_line(double fs, size_t n)
{
	float *x = calloc(n, sizeof(float));
	uint32_t rng = 2024;
	double phase = 0.0, t_next = 0.0, f_from = 220.0, f_to = 220.0, t_start = 0.0, dur = 0.5,
	       amp = 0.3;
	int rest = 0, glide = 0;
	for (size_t i = 0; i < n; ++i) {
		const double t = (double)i / fs;
		if (t >= t_next) {
			rng = rng * 1664525u + 1013904223u;
			const double r1 = (rng >> 8) / 16777216.0;
			rng = rng * 1664525u + 1013904223u;
			const double r2 = (rng >> 8) / 16777216.0;
			f_from = f_to;
			f_to = 80.0 * pow(10.0, r1); /* 80..800 Hz */
			dur = 0.2 + 0.6 * r2;
			rest = r2 < 0.15;
			glide = r1 < 0.3;
			amp = 0.05 + 0.4 * r2;
			t_start = t;
			t_next = t + dur;
		}
		const double pos = (t - t_start) / dur;
		double f = glide ? f_from * pow(f_to / f_from, fmin(1.0, 4.0 * pos)) : f_to;
		f *= pow(2.0, 0.3 * sin(TWO_PI * 5.5 * t) / 12.0);
		phase += f / fs;
		phase -= floor(phase);
		const double env =
		    rest ? 0.0 : amp * fmin(1.0, fmin(20.0 * pos, 10.0 * (1.0 - pos)));
		double v = 0.0;
		for (int h = 1; h <= 12 && h * f < 0.45 * fs; ++h) {
			v += sin(TWO_PI * h * phase) * pow(0.5 + 0.4 * amp, h) / h;
		}
		rng = rng * 1664525u + 1013904223u;
		v = env * (v + 0.02 * ((rng >> 8) / 8388608.0 - 1.0));
		x[i] = (float)v;
	}
	return x;
}

/* Nanoseconds one ns_now() adds to a timed interval (median of many). */
static double clock_cost(void)
{
	double t[9];
	for (int r = 0; r < 9; ++r) {
		const uint64_t t0 = ns_now();
		for (int i = 0; i < 2000; ++i) {
			(void)ns_now();
		}
		t[r] = (double)(ns_now() - t0) / 2001.0;
	}
	return median(t, 9);
}

/* CPU seconds to run the line through one new engine in blocks. */
static double run_once(const heist_model *m, double fs, const float *in, float *out, size_t n,
                       uint32_t block, heist_profile *prof)
{
	const heist_config cfg = heist_config_default(fs);
	heist_engine *e = heist_engine_new(&cfg, m);
	if (!e) {
		fprintf(stderr, "error: no engine at %g Hz\n", fs);
		exit(1);
	}
	heist_engine_set_profile(e, prof);
	const double t0 = cpu_now();
	for (size_t done = 0; done < n;) {
		const uint32_t len = n - done < block ? (uint32_t)(n - done) : block;
		heist_engine_process(e, in + done, out + done, len);
		done += len;
	}
	const double t = cpu_now() - t0;
	heist_engine_free(e);
	return t;
}

/* Bytes the allocator handed out between two snapshots. */
static size_t heap_used(void)
{
	const struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

/* The network inputs of the 48 kHz line, framed as the engine frames it
 * (default controls: no shifts, style 0), into frames[T][I]. */
static float *record_frames(const heist_model *m, const float *x, size_t n, double fs,
                            uint32_t *n_frames)
{
	heist_analysis *a = heist_analysis_new(fs, heist_config_default(fs).lowest_pitch);
	const uint32_t span = heist_analysis_span(a), I = m->n_inputs;
	const uint32_t T = (uint32_t)((double)n / fs * m->frame_rate);
	float *seg = malloc(span * sizeof(float)), *frames = malloc((size_t)T * I * sizeof(float));
	for (uint32_t k = 0; k < T; ++k) {
		const int64_t start = heist_frame_start(k, fs, m->frame_rate, span);
		for (uint32_t i = 0; i < span; ++i) {
			const int64_t j = start + i;
			seg[i] = j >= 0 && j < (int64_t)n ? x[j] : 0.0f;
		}
		const heist_features f = heist_analysis_frame(a, seg);
		float *in = frames + (size_t)k * I;
		const float midi =
		    f.f0 > 0.0f ? 69.0f + 12.0f * log2f(f.f0 / 440.0f) : m->pitch_center;
		in[0] = (midi - m->pitch_center) / m->pitch_scale;
		in[1] = (f.loudness_db - m->loud_center) / m->loud_scale;
		in[2] = f.confidence;
		heist_net_embed(m, 0, 0, 0.0f, in + 3);
	}
	free(seg);
	heist_analysis_free(a);
	*n_frames = T;
	return frames;
}

/* Median microseconds per frame of the C network over the recorded frames. */
static double time_net(const heist_model *m, heist_net_isa isa, const float *frames, uint32_t T,
                       int reps, heist_net_isa *used)
{
	heist_net *net = heist_net_new(m);
	*used = heist_net_set_isa(net, isa);
	float out[1 + 256 + 256];
	double t[MAX_REPS];
	for (int r = 0; r < reps; ++r) {
		heist_net_reset(net);
		const double t0 = cpu_now();
		for (uint32_t k = 0; k < T; ++k) {
			heist_net_step(net, frames + (size_t)k * m->n_inputs, out);
		}
		t[r] = (cpu_now() - t0) / T * 1e6;
	}
	heist_net_free(net);
	return median(t, reps);
}

/* The PyTorch reference on the same frames, through bench/torch_net.py. */
static void torch_compare(const char *model_path, const float *frames, uint32_t T, uint32_t I,
                          double c_us)
{
	char path[] = "/tmp/heist-bench-XXXXXX";
	const int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (!f || fwrite(frames, sizeof(float) * I, T, f) != T) {
		printf("  PyTorch reference: n/a (cannot write the frames)\n");
		if (f) {
			fclose(f);
		}
		return;
	}
	fclose(f);
	char cmd[4096];
	snprintf(cmd, sizeof cmd,
	         "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 %s '%s' '%s' '%s' '%s' %u %u 2>&1",
	         HEIST_PYTHON, HEIST_BENCH_DIR "/torch_net.py", HEIST_TRAIN_DIR, model_path, path,
	         T, I);
	FILE *p = access(HEIST_PYTHON, X_OK) == 0 ? popen(cmd, "r") : NULL;
	char line[512] = "";
	if (p) {
		if (!fgets(line, sizeof line, p)) {
			line[0] = '\0';
		}
		pclose(p);
	}
	unlink(path);
	line[strcspn(line, "\n")] = '\0';
	double us = 0.0;
	char blas[128] = "", rest[256] = "";
	int threads = 0;
	if (!p) {
		printf("  PyTorch reference: n/a (%s not found)\n", HEIST_PYTHON);
	} else if (sscanf(line, "%lf %127s %d", &us, blas, &threads) == 3 && us > 0.0) {
		printf("  PyTorch reference (train/heist_model.py, %s, %d thread, one frame per "
		       "call): %.2f us/frame\n",
		       blas, threads, us);
		printf("  C network vs PyTorch: %.1fx faster\n", us / c_us);
	} else {
		/* Precision-bounded: a plain %s is -Wformat-truncation at -O0. */
		snprintf(rest, sizeof rest, "%.*s", (int)sizeof rest - 1,
		         line[0] ? line : "no output");
		printf("  PyTorch reference: %s\n", strncmp(rest, "n/a", 3) ? rest : rest);
	}
}

/* CPU seconds per instance per second of audio with n instances round-robin,
 * as a host runs them: each instance processes one 256-frame block of its
 * own input into its own output buffer in turn. All instances play the same
 * line, instance i offset by 7 i samples, so that their frames fall at
 * different points of the blocks while what they play is alike (offsets of
 * seconds would compare musical content too: a rest skips the pitch
 * search). The engines of every count exist side by side; after a 1 s
 * warm-up (not timed) the line is played in 1 s segments, each segment by
 * every count in turn, so that load on the machine drifts alike for all
 * counts. For each segment the cost per instance of count c over count 1 is
 * a ratio; ratio[c] is the median over segments and runs, per[c] the median
 * cost per instance per audio second. */
#define MAX_INST 32
#define INST_BLOCK 256u
#define INST_OFFSET 7u
#define INST_SEGMENT 187u /* blocks: 0.997 s */
#define MAX_SEGMENTS 64

/* Play [from, to) of the line with n engines, round-robin by block. */
static void play(heist_engine *const *e, int n, const float *in, float *out, size_t from, size_t to)
{
	for (size_t done = from; done + INST_BLOCK <= to; done += INST_BLOCK) {
		for (int i = 0; i < n; ++i) {
			heist_engine_process(e[i], in + done + (size_t)i * INST_OFFSET,
			                     out + (size_t)i * INST_BLOCK, INST_BLOCK);
		}
	}
}

static void instances(const heist_model *m, const float *in, size_t len, const int *counts,
                      int n_counts, int reps, double *per, double *ratio)
{
	const double fs = 48000.0;
	const size_t warm = (len / 4 < (size_t)fs ? len / 4 : (size_t)fs) / INST_BLOCK * INST_BLOCK;
	const size_t seg_len = INST_SEGMENT * INST_BLOCK;
	size_t n_seg = (len - MAX_INST * INST_OFFSET - warm) / seg_len;
	n_seg = n_seg > MAX_SEGMENTS ? MAX_SEGMENTS : n_seg;
	const heist_config cfg = heist_config_default(fs);
	float *out = malloc((size_t)MAX_INST * INST_BLOCK * sizeof(float));
	enum { MAX_COUNTS = 4 };
	heist_engine *e[MAX_COUNTS][MAX_INST];
	static double cost[MAX_COUNTS][MAX_REPS * MAX_SEGMENTS],
	    rel[MAX_COUNTS][MAX_REPS * MAX_SEGMENTS];
	size_t n_samples = 0;
	for (int r = 0; r < reps; ++r) {
		for (int c = 0; c < n_counts; ++c) {
			for (int i = 0; i < counts[c]; ++i) {
				e[c][i] = heist_engine_new(&cfg, m);
			}
		}
		for (int c = 0; c < n_counts; ++c) {
			play(e[c], counts[c], in, out, 0, warm);
		}
		for (size_t s = 0; s < n_seg; ++s, ++n_samples) {
			const size_t from = warm + s * seg_len;
			for (int c = 0; c < n_counts; ++c) {
				const double t0 = cpu_now();
				play(e[c], counts[c], in, out, from, from + seg_len);
				cost[c][n_samples] =
				    (cpu_now() - t0) / counts[c] / ((double)seg_len / fs);
			}
			for (int c = 0; c < n_counts; ++c) {
				rel[c][n_samples] = cost[c][n_samples] / cost[0][n_samples];
			}
		}
		for (int c = 0; c < n_counts; ++c) {
			for (int i = 0; i < counts[c]; ++i) {
				heist_engine_free(e[c][i]);
			}
		}
	}
	free(out);
	for (int c = 0; c < n_counts; ++c) {
		per[c] = median(cost[c], (int)n_samples);
		ratio[c] = median(rel[c], (int)n_samples);
	}
}

/* What the command line asks for. */
typedef struct {
	const char *model_path;
	double seconds;
	int reps, torch;
} options;

/* 0 = go on, else the exit status. */
static int parse_args(int argc, char **argv, options *o)
{
	*o = (options){HEIST_MODEL_SOURCE, 60.0, 3, 1};
	for (int i = 1; i < argc; ++i) {
		if (!strcmp(argv[i], "--model") && i + 1 < argc) {
			o->model_path = argv[++i];
		} else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			o->seconds = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			o->reps = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--no-torch")) {
			o->torch = 0;
		} else {
			fprintf(stderr,
			        "usage: heist-bench [--model FILE.hsm] [--seconds S] [--reps R] "
			        "[--no-torch]\n");
			return 2;
		}
	}
	o->reps = o->reps < 1 ? 1 : o->reps > MAX_REPS ? MAX_REPS : o->reps;
	if (!(o->seconds >= 1.0 && o->seconds <= 3600.0)) {
		fprintf(stderr, "error: --seconds wants 1..3600\n");
		return 2;
	}
	return 0;
}

/* Model load timings and size, filled by load_model(). */
typedef struct {
	double load_ms, net_ms;
	size_t model_bytes;
} load_cost;

/* Model load: read, parse, validate, pack (and time the kernels); then one
 * network. NULL (reported) when the model does not load. */
static heist_model *load_model(const options *o, load_cost *lc)
{
	char err[512];
	double load_ms[MAX_REPS], net_ms[MAX_REPS];
	heist_model *m = NULL;
	for (int r = 0; r < o->reps; ++r) {
		heist_model_free(m);
		const size_t h0 = heap_used();
		const double t0 = cpu_now();
		m = heist_model_load(o->model_path, err, sizeof err);
		const double t1 = cpu_now();
		if (!m) {
			fprintf(stderr, "error: %s\n", err);
			return NULL;
		}
		lc->model_bytes = heap_used() - h0;
		heist_net *net = heist_net_new(m);
		const double t2 = cpu_now();
		heist_net_free(net);
		load_ms[r] = 1e3 * (t1 - t0);
		net_ms[r] = 1e3 * (t2 - t1);
	}
	lc->load_ms = median(load_ms, o->reps);
	lc->net_ms = median(net_ms, o->reps);
	return m;
}

static const double bench_rates[3] = {44100.0, 48000.0, 96000.0};

/* Real-time factors per rate and host block size. */
static void report_realtime(const heist_model *m, const options *o, float *const *line,
                            const size_t *len)
{
	const uint32_t blocks[3] = {32, 256, 1024};
	printf(
	    "real-time factor (audio s per CPU s)\n  rate      block 32   block 256  block 1024  "
	    "latency\n");
	for (int r = 0; r < 3; ++r) {
		float *out = malloc(len[r] * sizeof(float));
		printf("  %5.1f kHz", bench_rates[r] / 1000.0);
		for (int b = 0; b < 3; ++b) {
			double t[MAX_REPS];
			for (int k = 0; k < o->reps; ++k) {
				t[k] = o->seconds / run_once(m, bench_rates[r], line[r], out,
				                             len[r], blocks[b], NULL);
			}
			printf(" %9.0fx", median(t, o->reps));
			fflush(stdout);
		}
		const heist_config cfg = heist_config_default(bench_rates[r]);
		heist_engine *e = heist_engine_new(&cfg, m);
		printf("  %u = %.2f ms\n", heist_engine_latency(e),
		       1e3 * heist_engine_latency(e) / bench_rates[r]);
		heist_engine_free(e);
		free(out);
	}
}

/* Where the time goes, per rate, at 256-frame blocks. */
static void report_stages(const heist_model *m, const options *o, float *const *line,
                          const size_t *len)
{
	printf("\nstage costs, 256-frame blocks (us per second of audio, share)\n"
	       "  rate      analysis         network          synthesis        mix+rest       "
	       "  total\n");
	const double cc = clock_cost();
	for (int r = 0; r < 3; ++r) {
		float *out = malloc(len[r] * sizeof(float));
		double st[HEIST_STAGE_COUNT + 1][MAX_REPS];
		for (int k = 0; k < o->reps; ++k) {
			heist_profile prof = {ns_now, {0}, {0}};
			double total =
			    run_once(m, bench_rates[r], line[r], out, len[r], 256, &prof);
			double sum = 0.0;
			for (int s = 0; s < HEIST_STAGE_COUNT; ++s) {
				/* An interval holds about one read; each visit made two. */
				const double ns = (double)prof.ns[s] - cc * (double)prof.visits[s];
				total -= 2e-9 * cc * (double)prof.visits[s];
				st[s][k] = 1e-3 * ns / o->seconds;
				sum += st[s][k];
			}
			st[HEIST_STAGE_COUNT][k] = 1e6 * total / o->seconds - sum;
		}
		double med[HEIST_STAGE_COUNT + 1], total = 0.0;
		for (int s = 0; s <= HEIST_STAGE_COUNT; ++s) {
			med[s] = median(st[s], o->reps);
			total += med[s];
		}
		printf("  %5.1f kHz", bench_rates[r] / 1000.0);
		for (int s = 0; s <= HEIST_STAGE_COUNT; ++s) {
			printf(" %7.0f (%4.1f%%)", med[s], 100.0 * med[s] / total);
		}
		printf(" %7.0f\n", total);
		free(out);
	}
	printf("  (thread CPU time around each stage visit, less the measured cost of the clock\n"
	       "   reads: %.0f ns each)\n",
	       cc);
}

/* Memory: what one engine allocates, the model shared by all. */
static void report_memory(const heist_model *m, const load_cost *lc)
{
	/* The engines' memory comes from dsp/mem.h (huge-page chunks): its
	 * count of bytes handed out, not the chunks' size. */
	const heist_config cfg = heist_config_default(48000.0);
	const size_t h0 = heist_mem_in_use();
	heist_engine *e = heist_engine_new(&cfg, m);
	const size_t eb = heist_mem_in_use() - h0;
	const heist_config cfg96 = heist_config_default(96000.0);
	const size_t h1 = heist_mem_in_use();
	heist_engine *e96 = heist_engine_new(&cfg96, m);
	const size_t eb96 = heist_mem_in_use() - h1;
	printf("\nmemory: %.2f MiB per instance at 48 kHz (%.2f MiB at 96 kHz), plus the "
	       "model "
	       "shared by all instances: %.2f MiB\n",
	       eb / 1048576.0, eb96 / 1048576.0, lc->model_bytes / 1048576.0);
	heist_engine_free(e);
	heist_engine_free(e96);
	printf("model load (read, check, parse, pack weights, time the kernels): %.2f ms; "
	       "network setup (allocate, pre-warm): %.3f ms\n",
	       lc->load_ms, lc->net_ms);
}

/* The network alone on the 48 kHz run's frames, every kernel. */
static void report_network(const heist_model *m, const options *o, const float *line48,
                           size_t len48)
{
	uint32_t T = 0;
	float *frames = record_frames(m, line48, len48, 48000.0, &T);
	const double flops = heist_net_flops(m);
	printf("\nnetwork: %u frames of the 48 kHz run, %.0f FLOPs per frame (2 per multiply-add, "
	       "from the layer sizes)\n",
	       T, flops);
	printf("  weights: %s\n", heist_net_half(m) ? "exact binary16 values (train/export.py), "
	                                              "so the binary16 kernels can run them"
	                                            : "float32 (not all exact in binary16)");
	double best_us = 0.0;
	const heist_net_isa best = heist_net_best_isa(m);
	for (heist_net_isa want = HEIST_NET_ISA_GENERIC; want <= HEIST_NET_ISA_AVX512_HALF;
	     ++want) {
		heist_net_isa used;
		const double us = time_net(m, want, frames, T, o->reps, &used);
		if (used != want) {
			printf("  %-44s  n/a (not this CPU or model)\n", heist_net_isa_name(want));
			continue;
		}
		printf("  %-44s %6.2f us/frame  %5.1f GFLOP/s%s\n", heist_net_isa_name(want), us,
		       flops / us * 1e-3, used == best ? "  (the one the engine runs)" : "");
		if (used == best) {
			best_us = us;
		}
	}
	if (o->torch) {
		torch_compare(o->model_path, frames, T, m->n_inputs, best_us);
	} else {
		printf("  PyTorch reference: n/a (--no-torch)\n");
	}
	free(frames);
}

/* Instances sharing one model in one process. */
static void report_instances(const heist_model *m, const options *o, const float *line48)
{
	const double inst_s = o->seconds < 20.0 ? o->seconds : 20.0;
	const size_t inst_len = (size_t)(inst_s * 48000.0);
	printf("\ninstances in one process (48 kHz, 256-frame blocks round-robin, the same line "
	       "%u samples apart, shared model; %.0f s with the first second a warm-up, played "
	       "in 1 s segments by each count in turn; medians over segments and runs)\n",
	       INST_OFFSET, inst_s);
	const int counts[3] = {1, 8, 32};
	double per[3], ratio[3];
	instances(m, line48, inst_len, counts, 3, o->reps, per, ratio);
	for (int i = 0; i < 3; ++i) {
		printf("  %2d: %7.0fx real time each, total cost %.2fx one instance (%.3f per "
		       "instance)\n",
		       counts[i], 1.0 / per[i], ratio[i] * counts[i], ratio[i]);
	}
}

int main(int argc, char **argv)
{
	options o;
	const int status = parse_args(argc, argv, &o);
	if (status) {
		return status;
	}
	load_cost lc = {0};
	heist_model *m = load_model(&o, &lc);
	if (!m) {
		return 1;
	}
	printf("heist-bench: model '%s' (%s): GRU %u, dense %u, %u harmonics, %u noise bands, "
	       "E=%u, %u styles, %.0f frames/s\n",
	       m->name, o.model_path, m->gru_hidden, m->dense_hidden, m->n_harmonics, m->n_noise,
	       m->embed_dim, m->n_styles, (double)m->frame_rate);
	printf("%.0f s of audio per run, median of %d runs, one thread, this thread's CPU time\n\n",
	       o.seconds, o.reps);

	float *line[3];
	size_t len[3];
	for (int r = 0; r < 3; ++r) {
		len[r] = (size_t)(o.seconds * bench_rates[r]);
		line[r] = make_line(bench_rates[r], len[r]);
	}
	report_realtime(m, &o, line, len);
	report_stages(m, &o, line, len);
	report_memory(m, &lc);
	report_network(m, &o, line[1], len[1]);
	report_instances(m, &o, line[1]);
	for (int r = 0; r < 3; ++r) {
		free(line[r]);
	}
	heist_model_free(m);
	return 0;
}
