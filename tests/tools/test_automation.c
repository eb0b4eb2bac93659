/* tools/automation.c with the shipped model: style names (and unique
 * prefixes) in automation files, styles and switches stepped while the other
 * controls stay linear, out-of-range values warned about, and errors that
 * name the line and what is wrong with it.
 *
 * Usage: test_automation MODEL.hsm WORKDIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "automation.h"
#include "check.h"
#include "model.h"

/* Read text as an automation file; the messages go to msgs. */
static int read_text(const char *dir, const char *text, const heist_model *m, heist_automation *a,
                     char *msgs, size_t msgs_size)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/auto.txt", dir);
	FILE *f = fopen(path, "w");
	CHECK(f, "cannot write %s", path);
	if (!f) {
		return -1;
	}
	fputs(text, f);
	fclose(f);
	FILE *err = tmpfile();
	const int rc = heist_automation_read(path, m, a, err);
	rewind(err);
	const size_t got = fread(msgs, 1, msgs_size - 1, err);
	msgs[got] = '\0';
	fclose(err);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: test_automation MODEL.hsm WORKDIR\n");
		return 2;
	}
	char err[512] = "";
	heist_model *m = heist_model_load(argv[1], err, sizeof err);
	CHECK(m && m->n_styles >= 13, "%s", err);
	if (!m) {
		return check_exit("test_automation");
	}
	char msgs[4096];
	heist_automation a;

	/* Names, a prefix, numbers; a ramp of styles steps. */
	int rc = read_text(argv[2],
	                   "0 style_a violin\n1.0 style_a flute\n0 style_b ch\n"
	                   "0 pitch_shift 0\n1 pitch_shift 12\n0 enabled 1\n1 enabled 0\n",
	                   m, &a, msgs, sizeof msgs);
	CHECK(rc == 0, "names refused: %s", msgs);
	if (rc == 0) {
		CHECK(heist_automation_value(&a, HEIST_PARAM_STYLE_A, 0.0) == 0.0f, "violin");
		CHECK(heist_automation_value(&a, HEIST_PARAM_STYLE_A, 0.5) == 0.0f,
		      "style_a at 0.5 s: %g (interpolated, not stepped)",
		      (double)heist_automation_value(&a, HEIST_PARAM_STYLE_A, 0.5));
		CHECK(heist_automation_value(&a, HEIST_PARAM_STYLE_A, 0.999) == 0.0f,
		      "before flute");
		CHECK(heist_automation_value(&a, HEIST_PARAM_STYLE_A, 1.0) == 2.0f, "flute");
		CHECK(heist_automation_value(&a, HEIST_PARAM_STYLE_B, 0.0) == 12.0f,
		      "'ch' is choir");
		CHECK(heist_automation_value(&a, HEIST_PARAM_ENABLED, 0.7) == 1.0f,
		      "enabled steps");
		/* A continuous control stays linear (Ardour's default). */
		CHECK(heist_automation_value(&a, HEIST_PARAM_PITCH_SHIFT, 0.5) == 6.0f,
		      "pitch_shift at 0.5 s: %g",
		      (double)heist_automation_value(&a, HEIST_PARAM_PITCH_SHIFT, 0.5));
		CHECK(!strstr(msgs, "warning"), "warnings for values in range: %s", msgs);
		heist_automation_free(&a);
	}

	/* Out of range: warned, with the file and line. */
	rc = read_text(argv[2], "0 pitch_shift 30\n0 style_a 40\n", m, &a, msgs, sizeof msgs);
	CHECK(rc == 0, "out-of-range values refused: %s", msgs);
	CHECK(strstr(msgs, "auto.txt:1: pitch_shift=30 is outside") &&
	          strstr(msgs, "auto.txt:2: style_a=40 is outside"),
	      "out-of-range warnings: %s", msgs);
	if (rc == 0) {
		heist_automation_free(&a);
	}

	/* Errors name the line and the problem. */
	rc = read_text(argv[2], "0 pitch_shift 1\n1 no_such_control 3\n", m, &a, msgs, sizeof msgs);
	CHECK(rc != 0 && strstr(msgs, "auto.txt:2") && strstr(msgs, "unknown control symbol") &&
	          strstr(msgs, "no_such_control"),
	      "unknown symbol: %s", msgs);
	rc = read_text(argv[2], "0 style_a kazoo\n", m, &a, msgs, sizeof msgs);
	CHECK(rc != 0 && strstr(msgs, "no style 'kazoo'") && strstr(msgs, "auto.txt:1"),
	      "unknown style: %s", msgs);
	rc = read_text(argv[2], "0 style_a t\n", m, &a, msgs, sizeof msgs);
	CHECK(rc != 0 && strstr(msgs, "more than one style 't'"), "ambiguous prefix: %s", msgs);
	rc = read_text(argv[2], "0 pitch_shift loud\n", m, &a, msgs, sizeof msgs);
	CHECK(rc != 0 && strstr(msgs, "not a number"), "a name for a number: %s", msgs);

	/* Exact names win over prefixes; case is ignored. */
	CHECK(heist_find_style(m, "Tuba", stderr) == 8, "Tuba");
	CHECK(heist_find_style(m, "french", stderr) == 9, "french");
	heist_model_free(m);
	return check_exit("test_automation");
}
