/* heist-render: offline rendering through the same engine as the plugin. */
#include <errno.h>
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

static void usage(FILE *to)
{
	fprintf(
	    to,
	    "usage: heist-render IN.wav OUT.wav [options]\n"
	    "       heist-render --midi FILE.mid OUT.wav [--rate HZ] [options]\n"
	    "  --midi FILE.mid      play a Standard MIDI File (format 0 or 1) with Heist\n"
	    "                       Synth instead of transforming audio; --rate sets the\n"
	    "                       output rate (default 48000)\n"
	    "  --param NAME=VALUE   set a control (repeatable), e.g. --param pitch_shift=12;\n"
	    "                       style_a and style_b also take a style name of the\n"
	    "                       model, e.g. --param style_a=flute (heist-inspect lists them)\n"
	    "  --automation FILE    automate controls: lines \"time_s symbol value\", linear\n"
	    "                       between points, in output time, evaluated at each block\n"
	    "                       start and split at each point, as Ardour does\n"
	    "                       (tools/automation.h)\n"
	    "  --model FILE.hsm     style model (default: the shipped model)\n"
	    "  --block N            host block size to simulate (default 256)\n"
	    "  --keep-latency       do not remove the plugin latency from the output\n"
	    "  --quiet              no progress or summary\n"
	    "Any rate and channel count is read; the output is mono 32-bit float WAV at the\n"
	    "input's rate, time-aligned with the input unless --keep-latency.\n"
	    "Controls:");
	for (int p = 0; p < HEIST_PARAM_COUNT; ++p) {
		const heist_param_info *i = heist_param_get_info((heist_param)p);
		fprintf(to, " %s", i->symbol);
	}
	fprintf(to, "\n");
}

/* The index of the style called name (ignoring case), or -1. */
static int find_style(const heist_model *m, const char *name)
{
	for (uint32_t s = 0; s < m->n_styles; ++s) {
		if (!strcasecmp(m->styles[s].name, name)) {
			return (int)s;
		}
	}
	return -1;
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

/* NAME=VALUE. A style_a/style_b value that is no number is a style name:
 * *style_name points at it and is resolved once the model is loaded. */
static int parse_param(const char *arg, heist_param *p, float *v, const char **style_name)
{
	*style_name = NULL;
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || (size_t)(eq - arg) >= 64) {
		return -1;
	}
	char name[64];
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	*p = heist_param_from_symbol(name);
	if (*p == HEIST_PARAM_COUNT) {
		return -1;
	}
	char *end = NULL;
	errno = 0;
	const double d = strtod(eq + 1, &end);
	if (errno || end == eq + 1 || *end) {
		if ((*p == HEIST_PARAM_STYLE_A || *p == HEIST_PARAM_STYLE_B) && eq[1]) {
			*style_name = eq + 1;
			*v = 0.0f;
			return 0;
		}
		return -1;
	}
	*v = (float)d;
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

int main(int argc, char **argv)
{
	const char *in_path = NULL, *out_path = NULL, *model_path = NULL, *auto_path = NULL;
	const char *midi_path = NULL; /* --midi: Heist Synth (render_midi.c) */
	double midi_rate = 48000.0;
	heist_param params[64];
	float values[64];
	const char *style_names[64];
	int n_params = 0, quiet = 0, keep_latency = 0;
	long block = 256;
	for (int i = 1; i < argc; ++i) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--param") && i + 1 < argc) {
			if (n_params == 64 ||
			    parse_param(argv[++i], &params[n_params], &values[n_params],
			                &style_names[n_params])) {
				fprintf(stderr,
				        "error: bad --param '%s' (want NAME=VALUE; see --help)\n",
				        argv[i]);
				return 2;
			}
			++n_params;
		} else if (!strcmp(a, "--midi") && i + 1 < argc) {
			midi_path = argv[++i];
		} else if (!strcmp(a, "--rate") && i + 1 < argc) {
			midi_rate = strtod(argv[++i], NULL);
			if (!(midi_rate >= 8000.0 && midi_rate <= 384000.0)) {
				fprintf(stderr, "error: --rate wants 8000..384000\n");
				return 2;
			}
		} else if (!strcmp(a, "--automation") && i + 1 < argc) {
			auto_path = argv[++i];
		} else if (!strcmp(a, "--model") && i + 1 < argc) {
			model_path = argv[++i];
		} else if (!strcmp(a, "--block") && i + 1 < argc) {
			block = strtol(argv[++i], NULL, 10);
			if (block < 1 || block > 65536) {
				fprintf(stderr, "error: --block wants 1..65536\n");
				return 2;
			}
		} else if (!strcmp(a, "--keep-latency")) {
			keep_latency = 1;
		} else if (!strcmp(a, "--quiet")) {
			quiet = 1;
		} else if (a[0] == '-' || (in_path && out_path)) {
			usage(stderr);
			return 2;
		} else if (!in_path) {
			in_path = a;
		} else {
			out_path = a;
		}
	}
	if (midi_path && in_path && !out_path) {
		out_path = in_path; /* --midi FILE.mid OUT.wav: no audio input */
		in_path = NULL;
	}
	if ((!in_path && !midi_path) || !out_path || (midi_path && (in_path || auto_path))) {
		usage(stderr);
		return 2;
	}

	heist_automation automation = {{NULL}, {0}};
	if (auto_path && heist_automation_read(auto_path, &automation, stderr)) {
		return 2;
	}

	char err[512];
	heist_model *model = model_path ? heist_model_load(model_path, err, sizeof(err))
	                                : load_default_model(err, sizeof(err));
	if (!model) {
		fprintf(stderr, "error: %s\n", err);
		return 1;
	}
	for (int i = 0; i < n_params; ++i) {
		if (style_names[i]) {
			const int s = find_style(model, style_names[i]);
			if (s < 0) {
				fprintf(stderr, "error: the model '%s' has no style '%s' (it has:",
				        model->name, style_names[i]);
				for (uint32_t k = 0; k < model->n_styles; ++k) {
					fprintf(stderr, "%s '%s'", k ? "," : "",
					        model->styles[k].name);
				}
				fprintf(stderr, ")\n");
				heist_model_free(model);
				return 2;
			}
			values[i] = (float)s;
		}
	}
	if (midi_path) {
		const int rc = heist_render_midi(midi_path, out_path, model, params, values,
		                                 n_params, midi_rate, block, keep_latency, quiet);
		heist_model_free(model);
		return rc;
	}
	heist_audio audio;
	if (heist_audio_read(in_path, &audio, quiet)) {
		heist_model_free(model);
		return 1;
	}
	const heist_config cfg = heist_config_default(audio.sample_rate);
	heist_engine *engine = heist_engine_new(&cfg, model);
	if (!engine) {
		fprintf(stderr, "error: cannot run at %g Hz with this model\n", audio.sample_rate);
		heist_audio_free(&audio);
		heist_model_free(model);
		return 1;
	}
	for (int i = 0; i < n_params; ++i) {
		heist_engine_set_param(engine, params[i], values[i]);
	}

	const size_t latency = keep_latency ? 0 : heist_engine_latency(engine);
	const size_t total = audio.frames + latency;
	float *in = calloc(total ? total : 1, sizeof(float));
	float *out = calloc(total ? total : 1, sizeof(float));
	if (!in || !out) {
		fprintf(stderr, "error: out of memory\n");
		return 1;
	}
	memcpy(in, audio.samples, audio.frames * sizeof(float));
	const int on_tty = !quiet && isatty(STDERR_FILENO);
	const clock_t t0 = clock();
#ifdef __SSE__
	/* The plugin runs with denormals flushed (FTZ | DAZ) inside run(); so does
	 * the renderer, so that both give the same samples. */
	const unsigned int saved_csr = _mm_getcsr();
	_mm_setcsr(saved_csr | 0x8040u);
#endif
	for (size_t done = 0; done < total;) {
		const size_t n = total - done < (size_t)block ? total - done : (size_t)block;
		if (auto_path) {
			/* The curve is in output time (tools/automation.h): the
			 * block's output starts `latency` samples before its input. */
			heist_automation_process(&automation, engine, audio.sample_rate,
			                         (int64_t)done - (int64_t)latency, in + done,
			                         out + done, (uint32_t)n);
		} else {
			heist_engine_process(engine, in + done, out + done, (uint32_t)n);
		}
		done += n;
		if ((done / (size_t)block) % 256 == 0 || done == total) {
			progress((double)done, (double)total, on_tty);
		}
	}
#ifdef __SSE__
	_mm_setcsr(saved_csr);
#endif
	const double cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
	if (on_tty) {
		fprintf(stderr, "\n");
	}
	const int rc = heist_audio_write(out_path, out + latency, audio.frames, audio.sample_rate);
	if (!rc && !quiet) {
		const double secs = (double)audio.frames / audio.sample_rate;
		fprintf(stderr,
		        "rendered %.2f s of audio at %g Hz with '%s' in %.3f s CPU (%.0fx real "
		        "time); latency %u samples (%.2f ms)%s\nwrote %s\n",
		        secs, audio.sample_rate, model->name, cpu, cpu > 0 ? secs / cpu : 0.0,
		        heist_engine_latency(engine),
		        1000.0 * heist_engine_latency(engine) / audio.sample_rate,
		        keep_latency ? ", kept in the output" : ", removed from the output",
		        out_path);
	}
	free(in);
	free(out);
	heist_automation_free(&automation);
	heist_engine_free(engine);
	heist_audio_free(&audio);
	heist_model_free(model);
	return rc ? 1 : 0;
}
