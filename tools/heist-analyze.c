/* heist-analyze: per-frame f0, confidence and loudness of an audio file, from
 * the same analysis code the plugin plays from (training features). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "audio_io.h"
#include "heist.h"

static void usage(FILE *to)
{
	fprintf(to, "usage: heist-analyze IN.wav [-o OUT.tsv] [--frame-rate FPS] "
	            "[--lowest-pitch HZ]\n"
	            "Writes one row per frame: time_s f0_hz f0_raw_hz confidence loudness_db "
	            "voiced below_range\n");
}

static int parse_float(const char *s, float lo, float hi, float *out)
{
	char *end = NULL;
	errno = 0;
	const double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi)) {
		return -1;
	}
	*out = (float)v;
	return 0;
}

typedef struct {
	const char *in_path, *out_path; /* out_path NULL: stdout */
	float frame_rate, lowest;
} analyze_args;

/* [main] The command line into a; -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, analyze_args *a)
{
	*a = (analyze_args){NULL, NULL, 250.0f, heist_config_default(48000.0).lowest_pitch};
	for (int i = 1; i < argc; ++i) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			a->out_path = argv[++i];
		} else if (!strcmp(argv[i], "--frame-rate") && i + 1 < argc) {
			if (parse_float(argv[++i], 10.0f, 2000.0f, &a->frame_rate)) {
				fprintf(stderr, "error: --frame-rate wants 10..2000, got '%s'\n",
				        argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--lowest-pitch") && i + 1 < argc) {
			if (parse_float(argv[++i], 20.0f, 1000.0f, &a->lowest)) {
				fprintf(stderr,
				        "error: --lowest-pitch wants 20..1000 Hz, got '%s'\n",
				        argv[i]);
				return 2;
			}
		} else if (argv[i][0] == '-' || a->in_path) {
			usage(stderr);
			return 2;
		} else {
			a->in_path = argv[i];
		}
	}
	if (!a->in_path) {
		usage(stderr);
		return 2;
	}
	return -1;
}

/* [main] The '#' header lines: the input, the framing, the analyser's
 * constants (so that train/features.py reads them instead of keeping
 * copies), the column names. */
static void write_header(FILE *out, const analyze_args *a, double sample_rate, uint32_t span)
{
	fprintf(out, "# heist-analyze %s\n# sample_rate=%g frame_rate=%g lowest_pitch=%g span=%u\n",
	        a->in_path, sample_rate, (double)a->frame_rate, (double)a->lowest, span);
	fprintf(out, "# constants pitch_hold_confidence=%g loudness_floor_db=%g pitch_max_hz=%g\n",
	        (double)HEIST_PITCH_HOLD_CONFIDENCE, (double)HEIST_LOUDNESS_FLOOR_DB,
	        (double)HEIST_PITCH_MAX_HZ);
	fprintf(out, "# time_s\tf0_hz\tf0_raw_hz\tconfidence\tloudness_db\tvoiced\tbelow_range\n");
}

/* [main] One row per frame whose centre lies inside the audio; samples
 * outside it are zeros. seg holds the history the sub-floor detector reads,
 * then the analysis span, as the engine gathers them; frames go through
 * heist_analysis_frame_at() as in the engine, so the decimation stages keep
 * what consecutive spans share (same features, bit for bit). */
static void write_frames(FILE *out, const heist_audio *audio, heist_analysis *an, float *seg,
                         float frame_rate)
{
	const uint32_t span = heist_analysis_span(an), history = heist_analysis_history(an);
	const int64_t n = (int64_t)audio->frames;
	for (uint64_t k = 0; heist_frame_centre(k, audio->sample_rate, frame_rate) < (double)n;
	     ++k) {
		const int64_t start =
		    heist_frame_start(k, audio->sample_rate, frame_rate, span) - (int64_t)history;
		for (uint32_t i = 0; i < history + span; ++i) {
			const int64_t j = start + i;
			seg[i] = (j >= 0 && j < n) ? audio->samples[j] : 0.0f;
		}
		const heist_features f =
		    heist_analysis_frame_at(an, seg + history, 1, start + (int64_t)history);
		fprintf(out, "%.6f\t%.4f\t%.4f\t%.5f\t%.3f\t%d\t%d\n", (double)k / frame_rate,
		        (double)f.f0, (double)f.f0_raw, (double)f.confidence, (double)f.loudness_db,
		        f.voiced, f.below_range);
	}
}

int main(int argc, char **argv)
{
	analyze_args a;
	const int rc = parse_args(argc, argv, &a);
	if (rc >= 0) {
		return rc;
	}

	heist_audio audio;
	if (heist_audio_read(a.in_path, &audio, 0)) {
		return 1;
	}
	heist_analysis *an = heist_analysis_new(audio.sample_rate, a.lowest);
	if (!an) {
		fprintf(stderr, "error: cannot analyse at %g Hz\n", audio.sample_rate);
		heist_audio_free(&audio);
		return 1;
	}
	float *seg = malloc((heist_analysis_history(an) + heist_analysis_span(an)) * sizeof(float));
	FILE *out = a.out_path ? fopen(a.out_path, "w") : stdout;
	if (!seg || !out) {
		fprintf(stderr, "error: cannot open '%s' for writing\n",
		        a.out_path ? a.out_path : "-");
		free(seg);
		heist_analysis_free(an);
		heist_audio_free(&audio);
		return 1;
	}
	write_header(out, &a, audio.sample_rate, heist_analysis_span(an));
	write_frames(out, &audio, an, seg, a.frame_rate);
	const int err = ferror(out);
	if (out != stdout) {
		fclose(out);
	}
	free(seg);
	heist_analysis_free(an);
	heist_audio_free(&audio);
	if (err) {
		fprintf(stderr, "error: writing the features failed\n");
		return 1;
	}
	return 0;
}
