/* heist-inspect: print what a .hsm style model contains, after the same
 * validation the plugin applies. [main] throughout.
 *
 * With --ttl TEMPLATE OUTPUT it also writes TEMPLATE to OUTPUT with every
 * "@STYLE_SCALE_POINTS@" replaced by the model's styles as lv2:scalePoint
 * objects and every "@STYLE_MAX@" by the last style's index: the build
 * generates the plugin's TTL this way, so the Style A/B enumerations carry
 * the shipped model's style names and range.
 *
 * Everything printed from the file (names, the path) has its control
 * characters shown as '?' (text.h): a model cannot drive the terminal. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "text.h"
#include "voice.h"

/* The stored CRC (the file's last 4 bytes); the parser has already checked
 * it against the contents. Returns 0 when it cannot be read back. */
static int read_stored_crc(const char *path, uint32_t *crc)
{
	FILE *f = fopen(path, "rb");
	unsigned char b[4];
	int ok = f && fseek(f, -4L, SEEK_END) == 0 && fread(b, 1, 4, f) == 4;
	if (f) {
		fclose(f);
	}
	if (ok) {
		*crc = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		       (uint32_t)b[3] << 24;
	}
	return ok;
}

static uint64_t parameter_count(const heist_model *m)
{
	const uint64_t S = m->n_styles, E = m->embed_dim, H = m->gru_hidden;
	const uint64_t D = m->dense_hidden, I = m->n_inputs, O = m->n_outputs;
	return S * E + 3 * H * I + 3 * H * H + 6 * H + D * (H + I) + D + O * D + O;
}

/* One Turtle string literal: quotes and backslashes escaped, control
 * characters dropped (style names are NUL-terminated UTF-8). */
static void put_turtle_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; ++s) {
		if (*s == '"' || *s == '\\') {
			fputc('\\', out);
		}
		if ((unsigned char)*s >= 0x20) {
			fputc(*s, out);
		}
	}
	fputc('"', out);
}

static void put_scale_points(FILE *out, const heist_model *m)
{
	fputs("[\n", out);
	for (uint32_t s = 0; s < m->n_styles; ++s) {
		fputs("\t\t\trdfs:label ", out);
		put_turtle_string(out, m->styles[s].name);
		fprintf(out, " ;\n\t\t\trdf:value %" PRIu32 "\n\t\t]%s", s,
		        s + 1 < m->n_styles ? " , [\n" : "");
	}
}

#define TTL_MARK "@STYLE_SCALE_POINTS@"
#define TTL_MAX_MARK "@STYLE_MAX@"

/* One template line with both marks replaced; counts TTL_MARKs. */
static void put_ttl_line(FILE *out, const char *line, const heist_model *m, int *marks)
{
	for (;;) {
		const char *a = strstr(line, TTL_MARK);
		const char *b = strstr(line, TTL_MAX_MARK);
		const char *at = a && (!b || a < b) ? a : b;
		if (!at) {
			fputs(line, out);
			return;
		}
		fwrite(line, 1, (size_t)(at - line), out);
		if (at == a) {
			put_scale_points(out, m);
			line = at + strlen(TTL_MARK);
			++*marks;
		} else {
			fprintf(out, "%" PRIu32, m->n_styles - 1);
			line = at + strlen(TTL_MAX_MARK);
		}
	}
}

/* Copies template to output with the marks replaced. Returns 0 on success. */
static int write_ttl(const char *template, const char *output, const heist_model *m)
{
	FILE *in = fopen(template, "r");
	FILE *out = in ? fopen(output, "w") : NULL;
	int marks = 0;
	char line[4096];
	while (out && fgets(line, sizeof line, in)) {
		put_ttl_line(out, line, m, &marks);
	}
	const int ok = in && out && !ferror(in) && marks > 0;
	if (in) {
		fclose(in);
	}
	if (out && fclose(out) != 0) {
		return 1;
	}
	if (!ok) {
		fprintf(stderr, "heist-inspect: cannot make %s from %s%s\n", output, template,
		        in && out && marks == 0 ? " (no " TTL_MARK " in it)" : "");
	}
	return ok ? 0 : 1;
}

/* "(dB + 50) / 30" rather than "(dB - -50) / 30". */
static void print_scaling(const char *label, const char *unit, float center, float scale)
{
	printf("%s (%s %c %g) / %g\n", label, unit, center < 0.0f ? '+' : '-',
	       (double)fabsf(center), (double)scale);
}

/* What Heist Synth plays each style with (dsp/voice.c): from the model's
 * profile section, else the styles' loudness statistics and one envelope. */
static void print_expression(const heist_model *m)
{
	printf("\nHeist Synth expression (%s)\n  #  %-24s %8s %8s %8s %8s %9s %9s %8s %8s\n",
	       m->profiles ? "from the model's profile" : "no profile: one envelope for all",
	       "style", "vel 1 dB", "127 dB", "attack s", "depth dB", "rel. dB/s", "tail dB/s",
	       "vib. Hz", "cents");
	for (uint32_t s = 0; s < m->n_styles; ++s) {
		const heist_voice_style v = heist_voice_style_of(m, s, s, 0.0f);
		printf("%3" PRIu32 "  %-24s %8.2f %8.2f %8.3f %8.1f %9.1f %9.1f %8.2f %8.1f\n", s,
		       m->styles[s].name, (double)v.loud_lo, (double)v.loud_hi, (double)v.attack_s,
		       (double)v.attack_depth_db, (double)v.release_db_s,
		       (double)v.release_tail_db_s, (double)v.vibrato_hz, (double)v.vibrato_cents);
	}
}

/* The profile section: the band extension's levels and the loudness
 * percentiles as stored. */
static void print_profile(const heist_model *m)
{
	if (!m->profiles) {
		printf("\nprofile:       none (band extension by the fitted slope)\n");
		return;
	}
	printf("\nprofile (section PROF v%u): band extension, each band's energy per Hz over "
	       "the total (dB re 1/Hz), at a pitch (MIDI) with a slope (dB/octave)\n  #  %-24s",
	       HSM_PROFILE_VERSION, "style");
	for (uint32_t b = 0; b < m->n_ext_bands; ++b) {
		char band[32];
		snprintf(band, sizeof band, "%.0f-%.0fk", (double)m->ext_edges[b] / 1000.0,
		         (double)m->ext_edges[b + 1] / 1000.0);
		printf(" %8s", band);
	}
	printf(" %8s %8s %8s %8s %8s\n", "pitch", "dB/oct", "loud 5%", "50%", "95%");
	for (uint32_t s = 0; s < m->n_styles; ++s) {
		const heist_style_profile *p = &m->profiles[s];
		printf("%3" PRIu32 "  %-24s", s, m->styles[s].name);
		for (uint32_t b = 0; b < m->n_ext_bands; ++b) {
			printf(" %8.1f", (double)p->band_db[b]);
		}
		printf(" %8.1f %8.1f %8.1f %8.1f %8.1f\n", (double)p->band_pitch,
		       (double)p->band_pitch_db_oct, (double)p->loud_p5, (double)p->loud_p50,
		       (double)p->loud_p95);
	}
}

/* The spectral correction section: the centres, then per style and pitch
 * anchor the gain (dB) at each centre. */
static void print_speq(const heist_model *m)
{
	if (!m->speq_db) {
		printf("\nspectral correction: none\n");
		return;
	}
	const uint32_t nb = m->speq_bands, np = m->speq_pitches;
	printf("\nspectral correction (section SPEQ v%u): gain (dB) at each centre (Hz) for a "
	       "note at each pitch (MIDI)\n  #  %-14s %5s",
	       HSM_SPEQ_VERSION, "style", "pitch");
	for (uint32_t b = 0; b < nb; ++b) {
		printf(" %5.0f", (double)m->speq_centres[b]);
	}
	printf("\n");
	for (uint32_t s = 0; s < m->n_styles; ++s) {
		for (uint32_t i = 0; i < np; ++i) {
			printf("%3" PRIu32 "  %-14.14s %5.1f", s, i ? "" : m->styles[s].name,
			       (double)m->speq_pitch[s * np + i]);
			for (uint32_t b = 0; b < nb; ++b) {
				printf(" %5.1f", (double)m->speq_db[((size_t)s * np + i) * nb + b]);
			}
			printf("\n");
		}
	}
}

int main(int argc, char **argv)
{
	const int ttl = argc == 5 && !strcmp(argv[1], "--ttl");
	if ((argc != 2 && !ttl) || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fprintf(argc == 2 ? stdout : stderr,
		        "usage: heist-inspect MODEL.hsm\n"
		        "       heist-inspect --ttl TEMPLATE OUTPUT MODEL.hsm\n");
		return argc == 2 ? 0 : 2;
	}
	const char *path = argv[argc - 1];
	char err[512];
	heist_model *m = heist_model_load(path, err, sizeof err);
	if (!m) {
		fprintf(stderr, "heist-inspect: %s\n", err);
		return 1;
	}
	if (ttl) {
		const int rc = write_ttl(argv[2], argv[3], m);
		heist_model_free(m);
		return rc;
	}
	uint32_t crc = 0;
	const int have_crc = read_stored_crc(path, &crc);

	char shown[1024];
	printf("file:          %s\n", heist_text_sanitize(shown, sizeof shown, path));
	printf("model:         %s\n", m->name);
	printf("format:        .hsm version %u\n", HSM_VERSION);
	printf("frame rate:    %g frames/s\n", (double)m->frame_rate);
	printf("sample rate:   %g Hz (training)\n", (double)m->sample_rate);
	printf("styles:        %" PRIu32 "\n", m->n_styles);
	printf("embedding:     %" PRIu32 "\n", m->embed_dim);
	printf("inputs:        %" PRIu32 " (3 features + embedding)\n", m->n_inputs);
	printf("GRU hidden:    %" PRIu32 "\n", m->gru_hidden);
	printf("dense hidden:  %" PRIu32 "\n", m->dense_hidden);
	printf("harmonics:     %" PRIu32 "\n", m->n_harmonics);
	printf("noise bands:   %" PRIu32 "\n", m->n_noise);
	printf("outputs:       %" PRIu32 " (1 amplitude + harmonics + noise)\n", m->n_outputs);
	print_scaling("pitch scaling:", "midi", m->pitch_center, m->pitch_scale);
	print_scaling("loud scaling: ", "dB", m->loud_center, m->loud_scale);
	printf("parameters:    %" PRIu64 "\n", parameter_count(m));
	if (have_crc) {
		printf("CRC-32:        0x%08" PRIx32 "\n", crc);
	}
	printf("\n  #  %-24s %8s %8s %8s %8s %8s %8s\n", "style", "pitch lo", "hi", "median",
	       "loud lo", "hi", "median");
	for (uint32_t s = 0; s < m->n_styles; ++s) {
		const heist_style *st = &m->styles[s];
		printf("%3" PRIu32 "  %-24s %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f\n", s, st->name,
		       (double)st->pitch_lo, (double)st->pitch_hi, (double)st->pitch_median,
		       (double)st->loud_lo, (double)st->loud_hi, (double)st->loud_median);
	}
	print_expression(m);
	print_profile(m);
	print_speq(m);
	heist_model_free(m);
	return 0;
}
