/* The plugin run through lilv as a host would: instantiate at 44.1 and
 * 48 kHz, connect every port, play a voiced input in varied block sizes, and
 * check the output, the monitors and the reported latency. Also checks that
 * in-place processing (in == out, lv2:inPlaceBroken is not declared) and a
 * fixed block size give the same samples, and that bypass is the input
 * delayed by exactly the reported latency.
 * Run with LV2_PATH restricted to the build tree.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lilv/lilv.h>
#include <lv2/core/lv2.h>
#include <lv2/urid/urid.h>

#ifdef __SSE__
#include <xmmintrin.h>
#endif

#include "check.h"
#include "heist.h"
#include "lv2_host.h"
#include "model.h"
#include "ports.h"

#define PI 3.14159265358979323846

/* The test signal: a sawtooth at 220 Hz with a 5.5 Hz vibrato of +-0.25
 * semitone, 0.5 peak (about -11 dBFS RMS), 2 s long. */
#define F0_HZ 220.0
#define VIBRATO_HZ 5.5
#define VIBRATO_SEMITONES 0.25
#define PEAK 0.5
#define DURATION_S 2.0

/* A working wet path renders at a level comparable to the input (about
 * -11 dBFS RMS); -60 dBFS is 50 dB below that, so only a silent or broken
 * path fails, whatever the model's exact gain. */
#define MIN_OUTPUT_RMS 1e-3

/* The vibrato moves the pitch by +-1.5 %; a further 1.5 % leaves room for the
 * detector's error on a note it should track easily. */
#define PITCH_TOLERANCE 0.03

/* The design's block-size invariance bound (DESIGN.md). */
#define SAME_OUTPUT_TOLERANCE 1e-6f

/* Bypass is reached through a short crossfade from the engine's defaults
 * (enabled) after activate(); it is over long before this. */
#define BYPASS_SETTLE_S 0.25

/* Long enough for every smoothed parameter to reach its target. */
#define PORT_MAPPING_S 0.5

static const uint32_t block_sizes[] = {1, 37, 256, 4096, 100, 513, 64, 2048, 7, 1000};

/* The host offers urid:map only, the least the plugin needs, and leaves the
 * atom ports unconnected (the plugin then ignores them; tests/host/test_state.c
 * drives them). */
static const lv2h_options minimal_host = {LV2H_F_MAP, true, true};

static void generate(float *x, uint32_t n, double rate)
{
	double phase = 0.0;
	for (uint32_t i = 0; i < n; ++i) {
		const double t = i / rate;
		const double semis = VIBRATO_SEMITONES * sin(2.0 * PI * VIBRATO_HZ * t);
		const double f = F0_HZ * pow(2.0, semis / 12.0);
		x[i] = (float)(PEAK * (2.0 * phase - 1.0));
		phase += f / rate;
		phase -= floor(phase);
	}
}

/* Defaults on the control inputs; NaN on the outputs so that a port the
 * plugin never writes shows (and on the ports after them). */
static void set_default_controls(lv2_host *h)
{
	float *ctl = lv2h_controls(h);
	for (uint32_t i = 0; i < HEIST_PORT_COUNT; ++i) {
		ctl[i] = i >= HEIST_PORT_PITCH_OUT ? NAN : lv2h_port_info(h, i)->def;
	}
	lv2h_connect_controls(h);
}

/* The host's floating-point mode, less the sticky exception flags: run()
 * may switch on flush-to-zero but must restore it before returning. */
static unsigned fp_mode(void)
{
#ifdef __SSE__
	return _mm_getcsr() & ~0x3Fu;
#else
	return 0;
#endif
}

static int compare_floats(const void *a, const void *b)
{
	const float x = *(const float *)a;
	const float y = *(const float *)b;
	return (x > y) - (x < y);
}

/* run(), checking that it leaves the host's floating-point mode as it was. */
static void run_checked(lv2_host *h, const float *in, float *out, uint32_t n)
{
	const unsigned mode = fp_mode();
	lv2h_run(h, in, out, n);
	CHECK(fp_mode() == mode, "run() left the FP mode at %#x (was %#x)", fp_mode(), mode);
}

/* Render n samples from in to out (which may be the same buffer), starting
 * from activate(). With varied, block sizes cycle through block_sizes; else
 * 256. Monitor pitch readings from the second half go into pitches. */
static uint32_t render(lv2_host *h, const float *in, float *out, uint32_t n, bool varied,
                       float *pitches)
{
	uint32_t n_pitches = 0;
	uint32_t b = 0;
	lv2h_activate(h);
	run_checked(h, in, out, 0); /* allowed, and must change nothing */
	for (uint32_t pos = 0; pos < n;) {
		uint32_t len =
		    varied ? block_sizes[b++ % (sizeof(block_sizes) / sizeof(block_sizes[0]))]
		           : 256;
		len = len < n - pos ? len : n - pos;
		run_checked(h, in + pos, out + pos, len);
		pos += len;
		if (pitches && pos > n / 2) {
			pitches[n_pitches++] = lv2h_controls(h)[HEIST_PORT_PITCH_OUT];
		}
	}
	lv2h_deactivate(h);
	return n_pitches;
}

/* The model the bundle ships, loaded directly. */
static heist_model *load_bundle_model(const LilvPlugin *plugin)
{
	const LilvNode *bundle = lilv_plugin_get_bundle_uri(plugin);
	char *dir = lilv_file_uri_parse(lilv_node_as_uri(bundle), NULL);
	char path[4096];
	snprintf(path, sizeof(path), "%s/heist-default.hsm", dir);
	lilv_free(dir);

	char err[256] = "";
	heist_model *model = heist_model_load(path, err, sizeof(err));
	CHECK(model, "cannot load %s: %s", path, err);
	return model;
}

/* The latency the engine reports for the bundle's model at this rate. */
static uint32_t engine_latency(const LilvPlugin *plugin, double rate)
{
	heist_model *model = load_bundle_model(plugin);
	const heist_config cfg = heist_config_default(rate);
	heist_engine *e = model ? heist_engine_new(&cfg, model) : NULL;
	const uint32_t latency = e ? heist_engine_latency(e) : 0;
	heist_engine_free(e);
	heist_model_free(model);
	return latency;
}

/* Each control input drives its own parameter, written out independently of
 * the plugin's switch. */
static const struct {
	heist_port port;
	heist_param param;
} control_map[] = {
    {HEIST_PORT_PITCH_SHIFT, HEIST_PARAM_PITCH_SHIFT},
    {HEIST_PORT_LOUDNESS_SHIFT, HEIST_PARAM_LOUDNESS_SHIFT},
    {HEIST_PORT_HARMONIC_LEVEL, HEIST_PARAM_HARMONIC_LEVEL},
    {HEIST_PORT_NOISE_LEVEL, HEIST_PARAM_NOISE_LEVEL},
    {HEIST_PORT_CONFIDENCE_GATE, HEIST_PARAM_CONFIDENCE_GATE},
    {HEIST_PORT_DRY_WET, HEIST_PARAM_DRY_WET},
    {HEIST_PORT_OUTPUT_GAIN, HEIST_PARAM_OUTPUT_GAIN},
    {HEIST_PORT_ENABLED, HEIST_PARAM_ENABLED},
};
#define N_CONTROLS (sizeof(control_map) / sizeof(control_map[0]))

/* The engine driven directly as the plugin should drive it: all parameters
 * at their defaults except one, set before each 256-frame block, with
 * flush-to-zero on as in run(). */
static void render_engine(const heist_model *model, double rate, heist_param changed, float value,
                          const float *in, float *out, uint32_t n)
{
	const heist_config cfg = heist_config_default(rate);
	heist_engine *e = heist_engine_new(&cfg, model);
	if (!e) {
		CHECK(false, "heist_engine_new at %.0f Hz", rate);
		return;
	}
	heist_engine_reset(e);
#ifdef __SSE__
	const unsigned saved = _mm_getcsr();
	_mm_setcsr(saved | 0x8040u); /* FTZ | DAZ */
#endif
	for (uint32_t pos = 0; pos < n; pos += 256) {
		for (size_t i = 0; i < N_CONTROLS; ++i) {
			const heist_param p = control_map[i].param;
			heist_engine_set_param(e, p,
			                       p == changed ? value : heist_param_get_info(p)->def);
		}
		heist_engine_process(e, in + pos, out + pos, n - pos < 256 ? n - pos : 256);
	}
#ifdef __SSE__
	_mm_setcsr(saved);
#endif
	heist_engine_free(e);
}

/* Each control port, moved off its default, gives what the engine gives with
 * the corresponding parameter moved: catches miswired or unforwarded ports. */
static void test_port_mapping(lv2_host *h, const LilvPlugin *plugin, double rate, const float *x,
                              float *y, float *z, uint32_t n)
{
	heist_model *model = load_bundle_model(plugin);
	if (!model) {
		return;
	}
	for (size_t i = 0; i < N_CONTROLS; ++i) {
		const heist_param_info *info = heist_param_get_info(control_map[i].param);
		/* Three quarters up the range: off the default for every parameter
		 * (checked below); 0 (off) for the toggle. */
		const float value = control_map[i].port == HEIST_PORT_ENABLED
		                        ? 0.0f
		                        : info->min + 0.75f * (info->max - info->min);
		CHECK(value != info->def, "%s: test value is the default", info->symbol);

		set_default_controls(h);
		lv2h_controls(h)[control_map[i].port] = value;
		render(h, x, y, n, false, NULL);
		render_engine(model, rate, control_map[i].param, value, x, z, n);

		const float max_diff = check_max_diff(y, z, n);
		CHECK(max_diff <= SAME_OUTPUT_TOLERANCE,
		      "%.0f Hz: %s = %g through the plugin differs by %g from the engine", rate,
		      info->symbol, (double)value, (double)max_diff);
	}
	set_default_controls(h);
	heist_model_free(model);
}

static void test_rate(LilvWorld *world, const LilvPlugin *plugin, double rate)
{
	const uint32_t n = (uint32_t)(DURATION_S * rate);
	lv2_host *h = lv2h_new_with(world, plugin, rate, &minimal_host);
	CHECK(h, "instantiate at %.0f Hz", rate);
	if (!h) {
		return;
	}
	float *ctl = lv2h_controls(h);
	set_default_controls(h);

	float *x = malloc(n * sizeof(float));
	float *y = malloc(n * sizeof(float));
	float *z = malloc(n * sizeof(float));
	float *pitches = malloc(n * sizeof(float));
	if (!x || !y || !z || !pitches) {
		abort();
	}
	generate(x, n, rate);

	/* Separate buffers, varied blocks. */
	const uint32_t n_pitches = render(h, x, y, n, true, pitches);

	const float latency_port = ctl[HEIST_PORT_LATENCY];
	const uint32_t latency = engine_latency(plugin, rate);
	CHECK(isfinite(latency_port) && latency_port > 0.0f,
	      "%.0f Hz: latency port %g is not positive", rate, (double)latency_port);
	CHECK(latency_port == (float)latency, "%.0f Hz: latency port %g, engine says %u", rate,
	      (double)latency_port, latency);

	bool finite = true;
	double sum2 = 0.0;
	for (uint32_t i = 0; i < n; ++i) {
		finite = finite && isfinite(y[i]);
		if (i >= latency) {
			sum2 += (double)y[i] * y[i];
		}
	}
	const double rms = latency < n ? sqrt(sum2 / (n - latency)) : 0.0;
	CHECK(finite, "%.0f Hz: non-finite output", rate);
	CHECK(rms > MIN_OUTPUT_RMS, "%.0f Hz: output RMS %g (%.1f dBFS) is below %g", rate, rms,
	      20.0 * log10(rms + 1e-30), MIN_OUTPUT_RMS);

	qsort(pitches, n_pitches, sizeof(float), compare_floats);
	const float median = n_pitches ? pitches[n_pitches / 2] : 0.0f;
	CHECK(fabs(median - F0_HZ) <= PITCH_TOLERANCE * F0_HZ,
	      "%.0f Hz: median monitored pitch %g Hz, expected %g Hz +- %g %%", rate,
	      (double)median, F0_HZ, 100.0 * PITCH_TOLERANCE);
	const float confidence = ctl[HEIST_PORT_CONFIDENCE_OUT];
	CHECK(confidence >= 0.0f && confidence <= 1.0f, "%.0f Hz: confidence %g outside 0..1", rate,
	      (double)confidence);
	CHECK(isfinite(ctl[HEIST_PORT_LOUDNESS_OUT]), "%.0f Hz: loudness not finite", rate);

	/* In place, fixed blocks, after a re-activation: the same samples. */
	memcpy(z, x, n * sizeof(float));
	render(h, z, z, n, false, NULL);
	const float max_diff = check_max_diff(z, y, n);
	CHECK(max_diff <= SAME_OUTPUT_TOLERANCE,
	      "%.0f Hz: in-place/fixed-block output differs by %g from varied blocks", rate,
	      (double)max_diff);

	/* Bypass: the input delayed by the reported latency. */
	ctl[HEIST_PORT_ENABLED] = 0.0f;
	render(h, x, z, n, true, NULL);
	ctl[HEIST_PORT_ENABLED] = 1.0f;
	float max_bypass_diff = 0.0f;
	for (uint32_t i = (uint32_t)(BYPASS_SETTLE_S * rate); i < n; ++i) {
		const float dry = i >= latency ? x[i - latency] : 0.0f;
		const float d = fabsf(z[i] - dry);
		max_bypass_diff = d > max_bypass_diff || isnan(d) ? d : max_bypass_diff;
	}
	CHECK(max_bypass_diff <= SAME_OUTPUT_TOLERANCE,
	      "%.0f Hz: bypass differs by %g from the input delayed by %u", rate,
	      (double)max_bypass_diff, latency);

	/* Unconnected control inputs read as their defaults. */
	for (uint32_t i = HEIST_PORT_PITCH_SHIFT; i <= HEIST_PORT_ENABLED; ++i) {
		lilv_instance_connect_port(lv2h_instance(h), i, NULL);
	}
	render(h, x, z, n, true, NULL);
	CHECK(!memcmp(y, z, n * sizeof(float)),
	      "%.0f Hz: unconnected controls do not give the default output", rate);

	/* Out-of-range and non-finite controls are clamped or ignored. */
	set_default_controls(h);
	ctl[HEIST_PORT_PITCH_SHIFT] = 1e9f;
	ctl[HEIST_PORT_LOUDNESS_SHIFT] = -INFINITY;
	ctl[HEIST_PORT_HARMONIC_LEVEL] = NAN;
	ctl[HEIST_PORT_NOISE_LEVEL] = 1e30f;
	ctl[HEIST_PORT_CONFIDENCE_GATE] = -5.0f;
	ctl[HEIST_PORT_DRY_WET] = 7.0f;
	ctl[HEIST_PORT_OUTPUT_GAIN] = NAN;
	ctl[HEIST_PORT_ENABLED] = NAN;
	render(h, x, z, n, true, NULL);
	bool wild_finite = true;
	for (uint32_t i = 0; i < n; ++i) {
		wild_finite = wild_finite && isfinite(z[i]);
	}
	CHECK(wild_finite, "%.0f Hz: non-finite output with out-of-range controls", rate);
	CHECK(ctl[HEIST_PORT_LATENCY] == (float)latency,
	      "%.0f Hz: latency changed with the controls", rate);

	test_port_mapping(h, plugin, rate, x, y, z, (uint32_t)(PORT_MAPPING_S * rate));

	printf("%.0f Hz: latency %u, RMS %.1f dBFS, median pitch %.1f Hz, "
	       "in-place diff %g, bypass diff %g\n",
	       rate, latency, 20.0 * log10(rms + 1e-30), (double)median, (double)max_diff,
	       (double)max_bypass_diff);

	free(pitches);
	free(z);
	free(y);
	free(x);
	lv2h_free(h);
}

int main(void)
{
	LilvWorld *world = lv2h_world_new();
	const LilvPlugin *plugin = lv2h_find_plugin(world, HEIST_URI);
	CHECK(plugin, "<%s> not found on LV2_PATH", HEIST_URI);
	if (plugin) {
		test_rate(world, plugin, 44100.0);
		test_rate(world, plugin, 48000.0);
	}
	lilv_world_free(world);
	return check_exit("test_lilv_run");
}
