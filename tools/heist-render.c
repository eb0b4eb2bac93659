/* heist-render: offline rendering through the same engine as the plugin. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#ifdef __SSE__
#include <xmmintrin.h>
#endif

#include "audio_io.h"
#include "automation.h"
#include "heist.h"
#include "model.h"
#include "render_midi.h"
#include "text.h"

static void usage(FILE *to)
{
	fprintf(to,
	        "usage: heist-render IN.wav OUT.wav [options]\n"
	        "       heist-render --midi FILE.mid OUT.wav [--rate HZ] [options]\n"
	        "  --midi FILE.mid      play a Standard MIDI File (format 0 or 1) with Heist\n"
	        "                       Synth instead of transforming audio; --rate sets the\n"
	        "                       output rate (default 48000)\n"
	        "  --param NAME=VALUE   set a control (repeatable), e.g. --param pitch_shift=12;\n"
	        "                       style_a and style_b also take a style name of the\n"
	        "                       model or a unique prefix of one, e.g. --param\n"
	        "                       style_a=flute (heist-inspect lists them)\n"
	        "  --automation FILE    automate controls: lines \"time_s symbol value\", linear\n"
	        "                       between points (styles and switches step), in output\n"
	        "                       time, evaluated at each block start and split at each\n"
	        "                       point, as Ardour does (tools/automation.h); styles may\n"
	        "                       be named\n"
	        "  --model FILE.hsm     style model (default: the shipped model)\n"
	        "  --block N            host block size to simulate (default 256)\n"
	        "  --keep-latency       do not remove the plugin latency from the output\n"
	        "  --quiet              no progress or summary\n"
	        "Any rate and channel count is read; the output is mono at the input's rate,\n"
	        "time-aligned with the input unless --keep-latency, in the format its name says:\n"
	        ".wav .w64 .aif .caf .au (32-bit float), .flac (24-bit), .ogg .opus, .mp3 (where\n"
	        "libsndfile can); other names are refused. Out-of-range values are warned about\n"
	        "and clamped.\n"
	        "Controls:");
	for (int p = 0; p < HEIST_PARAM_COUNT; ++p) {
		const heist_param_info *i = heist_param_get_info((heist_param)p);
		fprintf(to, " %s", i->symbol);
	}
	fprintf(to, "\n");
}

/* The shipped model: $HEIST_MODEL, then the installed bundle, then the
 * source tree (for running from a build directory). */
static heist_model *load_default_model(char *err, size_t err_size)
{
	const char *candidates[] = {getenv("HEIST_MODEL"), HEIST_MODEL_INSTALLED,
	                            HEIST_MODEL_SOURCE};
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); ++i) {
		if (candidates[i] && *candidates[i] && access(candidates[i], R_OK) == 0) {
			return heist_model_load(candidates[i], err, err_size);
		}
	}
	snprintf(err, err_size, "no model found (set HEIST_MODEL or use --model)");
	return NULL;
}

#define MAX_PARAMS 64

/* What the command line asks for. */
typedef struct {
	const char *in_path, *out_path, *model_path, *auto_path;
	const char *midi_path; /* --midi: Heist Synth (render_midi.c) */
	double midi_rate;
	heist_param params[MAX_PARAMS];
	float values[MAX_PARAMS];
	const char *style_names[MAX_PARAMS]; /* resolved once the model is loaded */
	int n_params, quiet, keep_latency;
	long block;
} render_opts;

/* [main] NAME=VALUE. A style_a/style_b value that is no number is a style
 * name: *style_name points at it and is resolved once the model is loaded.
 * Returns 0, or -1 after a message naming what is wrong. */
static int parse_param(const char *arg, heist_param *p, float *v, const char **style_name)
{
	char shown[256];
	heist_text_sanitize(shown, sizeof shown, arg);
	*style_name = NULL;
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || (size_t)(eq - arg) >= 64) {
		fprintf(stderr, "error: --param '%s': want NAME=VALUE\n", shown);
		return -1;
	}
	char name[64];
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	*p = heist_param_from_symbol(name);
	if (*p == HEIST_PARAM_COUNT) {
		char shown_name[128];
		fprintf(stderr, "error: --param '%s': unknown control '%s' (controls:", shown,
		        heist_text_sanitize(shown_name, sizeof shown_name, name));
		for (int k = 0; k < HEIST_PARAM_COUNT; ++k) {
			fprintf(stderr, " %s", heist_param_get_info((heist_param)k)->symbol);
		}
		fprintf(stderr, ")\n");
		return -1;
	}
	char *end = NULL;
	errno = 0;
	const double d = strtod(eq + 1, &end);
	if (errno || end == eq + 1 || *end || !isfinite(d)) {
		if ((*p == HEIST_PARAM_STYLE_A || *p == HEIST_PARAM_STYLE_B) && eq[1]) {
			*style_name = eq + 1;
			*v = 0.0f;
			return 0;
		}
		fprintf(stderr, "error: --param '%s': the value is not a number\n", shown);
		return -1;
	}
	*v = (float)d;
	return 0;
}

/* [main] The value of an option that takes one, or NULL after a message. */
static const char *option_value(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		fprintf(stderr, "error: %s needs a value (see --help)\n", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

/* [main] The number that follows option argv[*i] (an integer where integer
 * is set) into *out; -1 after a message when it is missing, not a number or
 * outside lo..hi. */
static int number_option(int argc, char **argv, int *i, double lo, double hi, int integer,
                         double *out)
{
	const char *name = argv[*i];
	const char *v = option_value(argc, argv, i);
	if (!v) {
		return -1;
	}
	char *end = NULL;
	const double d = integer ? (double)strtol(v, &end, 10) : strtod(v, &end);
	if (end == v || *end || !(d >= lo && d <= hi)) {
		char shown[256];
		fprintf(stderr, "error: %s '%s': want %g..%g\n", name,
		        heist_text_sanitize(shown, sizeof shown, v), lo, hi);
		return -1;
	}
	*out = d;
	return 0;
}

/* [main] What the options must make together: an input (audio or --midi)
 * and an output. Returns -1 to go on, else 2 after a message. */
static int check_files(render_opts *o)
{
	if (o->midi_path && o->in_path && !o->out_path) {
		o->out_path = o->in_path; /* --midi FILE.mid OUT.wav: no audio input */
		o->in_path = NULL;
	}
	if (o->midi_path && (o->in_path || o->auto_path)) {
		fprintf(stderr, "error: --midi takes no audio input and no --automation\n");
		return 2;
	}
	if ((!o->in_path && !o->midi_path) || !o->out_path) {
		fprintf(stderr, "error: %s\n", o->in_path ? "no output file" : "no input file");
		usage(stderr);
		return 2;
	}
	return -1;
}

/* [main] The command line into o. Returns -1 to go on, else the exit status
 * (0 after --help; 2 after a message naming the culprit). */
static int parse_args(int argc, char **argv, render_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->block = 256;
	o->midi_rate = 48000.0;
	for (int i = 1; i < argc; ++i) {
		const char *a = argv[i];
		const char *v = NULL;
		char shown[256];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--param")) {
			if (!(v = option_value(argc, argv, &i))) {
				return 2;
			}
			if (o->n_params == MAX_PARAMS) {
				fprintf(stderr, "error: more than %d --param options\n",
				        MAX_PARAMS);
				return 2;
			}
			const int k = o->n_params;
			if (parse_param(v, &o->params[k], &o->values[k], &o->style_names[k])) {
				return 2;
			}
			++o->n_params;
		} else if (!strcmp(a, "--midi")) {
			if (!(o->midi_path = option_value(argc, argv, &i))) {
				return 2;
			}
		} else if (!strcmp(a, "--rate")) {
			if (number_option(argc, argv, &i, 8000.0, 384000.0, 0, &o->midi_rate)) {
				return 2;
			}
		} else if (!strcmp(a, "--automation")) {
			if (!(o->auto_path = option_value(argc, argv, &i))) {
				return 2;
			}
		} else if (!strcmp(a, "--model")) {
			if (!(o->model_path = option_value(argc, argv, &i))) {
				return 2;
			}
		} else if (!strcmp(a, "--block")) {
			double block = 0.0;
			if (number_option(argc, argv, &i, 1.0, 65536.0, 1, &block)) {
				return 2;
			}
			o->block = (long)block;
		} else if (!strcmp(a, "--keep-latency")) {
			o->keep_latency = 1;
		} else if (!strcmp(a, "--quiet")) {
			o->quiet = 1;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "error: unknown option '%s' (see --help)\n",
			        heist_text_sanitize(shown, sizeof shown, a));
			return 2;
		} else if (o->in_path && o->out_path) {
			fprintf(stderr,
			        "error: one argument too many: '%s' (IN and OUT are given)\n",
			        heist_text_sanitize(shown, sizeof shown, a));
			return 2;
		} else if (!o->in_path) {
			o->in_path = a;
		} else {
			o->out_path = a;
		}
	}
	return check_files(o);
}

/* [main] Style names to indices, and a warning for every value out of its
 * range. Returns 0, or -1 after a message. */
static int resolve_params(render_opts *o, const heist_model *model)
{
	for (int i = 0; i < o->n_params; ++i) {
		if (o->style_names[i]) {
			const int s = heist_find_style(model, o->style_names[i], stderr);
			if (s < 0) {
				return -1;
			}
			o->values[i] = (float)s;
		}
		heist_param_check_range(o->params[i], o->values[i], model, "--param ", stderr);
	}
	return 0;
}

static void progress(double done, double total, int on_tty)
{
	if (!on_tty) {
		return;
	}
	const int width = 40, fill = total > 0 ? (int)(width * done / total) : width;
	fprintf(stderr, "\r[%.*s%*s] %3d%%", fill, "########################################",
	        width - fill, "", total > 0 ? (int)(100.0 * done / total) : 100);
}

/* [main] The whole input through the engine in --block pieces, followed by
 * `latency` samples of silence that flush it; the output in out[total]. */
static void render(const render_opts *o, heist_engine *engine, const heist_automation *automation,
                   double rate, size_t latency, const float *in, float *out, size_t total)
{
	const int on_tty = !o->quiet && isatty(STDERR_FILENO);
#ifdef __SSE__
	/* The plugin runs with denormals flushed (FTZ | DAZ) inside run(); so does
	 * the renderer, so that both give the same samples. */
	const unsigned int saved_csr = _mm_getcsr();
	_mm_setcsr(saved_csr | 0x8040u);
#endif
	for (size_t done = 0; done < total;) {
		const size_t n = total - done < (size_t)o->block ? total - done : (size_t)o->block;
		if (o->auto_path) {
			/* The curve is in output time (tools/automation.h): the
			 * block's output starts `latency` samples before its input. */
			heist_automation_process(automation, engine, rate,
			                         (int64_t)done - (int64_t)latency, in + done,
			                         out + done, (uint32_t)n);
		} else {
			heist_engine_process(engine, in + done, out + done, (uint32_t)n);
		}
		done += n;
		if ((done / (size_t)o->block) % 256 == 0 || done == total) {
			progress((double)done, (double)total, on_tty);
		}
	}
#ifdef __SSE__
	_mm_setcsr(saved_csr);
#endif
	if (on_tty) {
		fprintf(stderr, "\n");
	}
}

/* [main] The summary line after a render. */
static void report(const render_opts *o, const heist_model *model, const heist_engine *engine,
                   const heist_audio *audio, double cpu)
{
	const double secs = (double)audio->frames / audio->sample_rate;
	const uint32_t latency = heist_engine_latency(engine);
	char shown[1024];
	fprintf(stderr,
	        "rendered %.2f s of audio at %g Hz with '%s' in %.3f s CPU (%.0fx real "
	        "time); latency %u samples (%.2f ms)%s\nwrote %s\n",
	        secs, audio->sample_rate, model->name, cpu, cpu > 0 ? secs / cpu : 0.0, latency,
	        1000.0 * latency / audio->sample_rate,
	        o->keep_latency ? ", kept in the output" : ", removed from the output",
	        heist_text_sanitize(shown, sizeof shown, o->out_path));
}

/* [main] Everything after the command line: model, automation, input,
 * engine, render, output. Returns the exit status. */
static int run_render(render_opts *o)
{
	char err[512];
	heist_model *model = o->model_path ? heist_model_load(o->model_path, err, sizeof(err))
	                                   : load_default_model(err, sizeof(err));
	if (!model) {
		fprintf(stderr, "error: %s\n", err);
		return 1;
	}
	heist_automation automation = {{NULL}, {0}};
	heist_audio audio = {NULL, 0, 0.0, 0};
	heist_engine *engine = NULL;
	float *in = NULL, *out = NULL;
	int rc = 2;
	int format = 0;
	if (resolve_params(o, model) ||
	    (o->auto_path && heist_automation_read(o->auto_path, model, &automation, stderr))) {
		goto done;
	}
	if (o->midi_path) {
		rc = heist_render_midi(o->midi_path, o->out_path, model, o->params, o->values,
		                       o->n_params, o->midi_rate, o->block, o->keep_latency,
		                       o->quiet);
		goto done;
	}
	rc = 1;
	if (heist_audio_read(o->in_path, &audio, o->quiet)) {
		goto done;
	}
	/* Refused before the work, not after it. */
	if (heist_audio_format_for(o->out_path, audio.sample_rate, &format, err, sizeof(err))) {
		char shown[512];
		fprintf(stderr, "error: cannot write '%s': %s\n",
		        heist_text_sanitize(shown, sizeof shown, o->out_path), err);
		rc = 2;
		goto done;
	}
	const heist_config cfg = heist_config_default(audio.sample_rate);
	engine = heist_engine_new(&cfg, model);
	if (!engine) {
		fprintf(stderr, "error: cannot run at %g Hz with this model\n", audio.sample_rate);
		goto done;
	}
	for (int i = 0; i < o->n_params; ++i) {
		heist_engine_set_param(engine, o->params[i], o->values[i]);
	}
	const size_t latency = o->keep_latency ? 0 : heist_engine_latency(engine);
	const size_t total = audio.frames + latency;
	in = calloc(total ? total : 1, sizeof(float));
	out = calloc(total ? total : 1, sizeof(float));
	if (!in || !out) {
		fprintf(stderr, "error: out of memory\n");
		goto done;
	}
	memcpy(in, audio.samples, audio.frames * sizeof(float));
	const clock_t t0 = clock();
	render(o, engine, &automation, audio.sample_rate, latency, in, out, total);
	const double cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
	rc = heist_audio_write(o->out_path, out + latency, audio.frames, audio.sample_rate) ? 1 : 0;
	if (!rc && !o->quiet) {
		report(o, model, engine, &audio, cpu);
	}
done:
	free(in);
	free(out);
	heist_automation_free(&automation);
	heist_engine_free(engine);
	heist_audio_free(&audio);
	heist_model_free(model);
	return rc;
}

int main(int argc, char **argv)
{
	render_opts o;
	const int rc = parse_args(argc, argv, &o);
	return rc >= 0 ? rc : run_render(&o);
}
