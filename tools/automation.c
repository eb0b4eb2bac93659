/* Parameter automation for heist-render (see automation.h). */
#include "automation.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model.h"
#include "text.h"

/* Sort key: time, then file order (qsort is not stable). */
typedef struct {
	heist_auto_point point;
	size_t line;
} numbered_point;

static int compare_points(const void *a, const void *b)
{
	const numbered_point *x = a;
	const numbered_point *y = b;
	if (x->point.time_s != y->point.time_s) {
		return x->point.time_s < y->point.time_s ? -1 : 1;
	}
	return (x->line > y->line) - (x->line < y->line);
}

/* [main] Append a point to parameter p's list (unsorted). */
static int add_point(numbered_point **list, size_t *count, size_t *cap, numbered_point p)
{
	if (*count == *cap) {
		const size_t new_cap = *cap ? 2 * *cap : 16;
		numbered_point *grown = realloc(*list, new_cap * sizeof(**list));
		if (!grown) {
			return -1;
		}
		*list = grown;
		*cap = new_cap;
	}
	(*list)[(*count)++] = p;
	return 0;
}

int heist_find_style(const heist_model *m, const char *name, FILE *err)
{
	const size_t len = strlen(name);
	int found = -1;
	int matches = 0;
	for (uint32_t s = 0; s < m->n_styles; ++s) {
		if (!strcasecmp(m->styles[s].name, name)) {
			return (int)s; /* an exact name wins over being a prefix of others */
		}
		if (len > 0 && !strncasecmp(m->styles[s].name, name, len)) {
			found = (int)s;
			++matches;
		}
	}
	if (matches == 1) {
		return found;
	}
	char shown[128], model_name[HSM_NAME_SIZE];
	fprintf(err, "error: the model '%s' has %s style '%s' (it has:",
	        heist_text_sanitize(model_name, sizeof model_name, m->name),
	        matches ? "more than one" : "no", heist_text_sanitize(shown, sizeof shown, name));
	for (uint32_t k = 0; k < m->n_styles; ++k) {
		fprintf(err, "%s '%s'", k ? "," : "", m->styles[k].name);
	}
	fprintf(err, ")\n");
	return -1;
}

int heist_param_stepped(heist_param p)
{
	return p == HEIST_PARAM_STYLE_A || p == HEIST_PARAM_STYLE_B || p == HEIST_PARAM_ENABLED ||
	       p == HEIST_PARAM_AUTO_OCTAVE;
}

int heist_param_check_range(heist_param p, float v, const heist_model *m, const char *where,
                            FILE *err)
{
	const heist_param_info *info = heist_param_get_info(p);
	float lo = info->min, hi = info->max;
	if (m && (p == HEIST_PARAM_STYLE_A || p == HEIST_PARAM_STYLE_B)) {
		hi = (float)(m->n_styles - 1);
	}
	if (v >= lo && v <= hi) {
		return 0;
	}
	fprintf(err, "warning: %s%s=%g is outside %s's range [%g, %g]; %g plays\n", where,
	        info->symbol, (double)v, info->symbol, (double)lo, (double)hi,
	        (double)(v < lo ? lo : hi));
	return 1;
}

/* [main] Parse "time_s symbol value"; the value of a style may be a style
 * name of model (or a unique prefix). Returns 0, 1 for a blank or comment
 * line, -1 for a malformed one (with the reason in why), -2 for an unknown
 * style name (the message is printed). */
static int parse_line(char *line, double *time_s, heist_param *p, float *value,
                      const heist_model *model, const char **why, FILE *err)
{
	char *s = line + strspn(line, " \t\r\n");
	if (*s == '\0' || *s == '#') {
		return 1;
	}
	char *end = NULL;
	errno = 0;
	*time_s = strtod(s, &end);
	if (errno || end == s || !isfinite(*time_s) || *time_s < 0.0) {
		*why = "the time is not a number of seconds >= 0";
		return -1;
	}
	s = end + strspn(end, " \t");
	const size_t len = strcspn(s, " \t\r\n");
	if (len == 0 || len >= 64) {
		*why = "no control symbol";
		return -1;
	}
	char symbol[64];
	memcpy(symbol, s, len);
	symbol[len] = '\0';
	*p = heist_param_from_symbol(symbol);
	if (*p == HEIST_PARAM_COUNT) {
		*why = "unknown control symbol";
		return -1;
	}
	s += len + strspn(s + len, " \t");
	const size_t vlen = strcspn(s, "\r\n");
	char text[128];
	if (vlen == 0 || vlen >= sizeof text) {
		*why = "no value";
		return -1;
	}
	memcpy(text, s, vlen);
	text[vlen] = '\0';
	for (size_t n = vlen; n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t'); --n) {
		text[n - 1] = '\0';
	}
	errno = 0;
	const double v = strtod(text, &end);
	if (!errno && end != text && *end == '\0' && isfinite(v)) {
		*value = (float)v;
		return 0;
	}
	if ((*p == HEIST_PARAM_STYLE_A || *p == HEIST_PARAM_STYLE_B) && model) {
		const int style = heist_find_style(model, text, err);
		if (style < 0) {
			return -2;
		}
		*value = (float)style;
		return 0;
	}
	*why = "the value is not a number";
	return -1;
}

int heist_automation_read(const char *path, const heist_model *model, heist_automation *a,
                          FILE *err)
{
	memset(a, 0, sizeof(*a));
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(err, "error: cannot open automation file %s: %s\n", path, strerror(errno));
		return -1;
	}
	numbered_point *lists[HEIST_PARAM_COUNT] = {NULL};
	size_t caps[HEIST_PARAM_COUNT] = {0};
	char line[512];
	size_t line_no = 0;
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		++line_no;
		double t = 0.0;
		heist_param p = HEIST_PARAM_COUNT;
		float v = 0.0f;
		const char *why = "";
		const int parsed = parse_line(line, &t, &p, &v, model, &why, err);
		if (parsed == -1) {
			char shown[512];
			line[strcspn(line, "\r\n")] = '\0';
			fprintf(err, "error: %s:%zu: %s in \"%s\" (want \"time_s symbol value\")\n",
			        path, line_no, why, heist_text_sanitize(shown, sizeof shown, line));
			rc = -1;
		} else if (parsed == -2) {
			fprintf(err, "error: %s:%zu: unknown style\n", path, line_no);
			rc = -1;
		} else if (parsed == 0) {
			char where[600];
			snprintf(where, sizeof where, "%s:%zu: ", path, line_no);
			heist_param_check_range(p, v, model, where, err);
			const numbered_point np = {{t, v}, line_no};
			if (add_point(&lists[p], &a->count[p], &caps[p], np)) {
				fprintf(err, "error: out of memory reading %s\n", path);
				rc = -1;
			}
		}
	}
	fclose(f);
	for (int p = 0; p < HEIST_PARAM_COUNT; ++p) {
		if (rc == 0 && a->count[p] > 0) {
			qsort(lists[p], a->count[p], sizeof(numbered_point), compare_points);
			a->points[p] = malloc(a->count[p] * sizeof(heist_auto_point));
			if (!a->points[p]) {
				fprintf(err, "error: out of memory reading %s\n", path);
				rc = -1;
			} else {
				for (size_t i = 0; i < a->count[p]; ++i) {
					a->points[p][i] = lists[p][i].point;
				}
			}
		}
		free(lists[p]);
	}
	if (rc) {
		heist_automation_free(a);
	}
	return rc;
}

void heist_automation_free(heist_automation *a)
{
	for (int p = 0; p < HEIST_PARAM_COUNT; ++p) {
		free(a->points[p]);
		a->points[p] = NULL;
		a->count[p] = 0;
	}
}

float heist_automation_value(const heist_automation *a, heist_param p, double t)
{
	const heist_auto_point *pts = a->points[p];
	const size_t n = a->count[p];
	if (t <= pts[0].time_s) {
		return pts[0].value;
	}
	if (t >= pts[n - 1].time_s) {
		return pts[n - 1].value;
	}
	/* The last point at or before t (binary search). */
	size_t lo = 0;
	size_t hi = n - 1;
	while (hi - lo > 1) {
		const size_t mid = lo + (hi - lo) / 2;
		if (pts[mid].time_s <= t) {
			lo = mid;
		} else {
			hi = mid;
		}
	}
	const double span = pts[hi].time_s - pts[lo].time_s;
	if (span <= 0.0) {
		return pts[hi].value;
	}
	if (heist_param_stepped(p)) {
		return pts[lo].value; /* a style or a switch: no values in between */
	}
	const double frac = (t - pts[lo].time_s) / span;
	return (float)(pts[lo].value + frac * ((double)pts[hi].value - pts[lo].value));
}

/* [main] The sample a breakpoint splits at: the first at or after it, a
 * product within 1e-6 of an integer taken as that integer. */
static double split_sample(const heist_auto_point *point, double rate)
{
	return ceil(point->time_s * rate - 1e-6);
}

/* [main] The first breakpoint sample in (pos, end), or end. Points are
 * sorted, so a binary search finds each parameter's first one after pos. */
static int64_t next_split(const heist_automation *a, double rate, int64_t pos, int64_t end)
{
	int64_t next = end;
	for (int p = 0; p < HEIST_PARAM_COUNT; ++p) {
		size_t lo = 0;
		size_t hi = a->count[p];
		while (lo < hi) {
			const size_t mid = lo + (hi - lo) / 2;
			if (split_sample(&a->points[p][mid], rate) > (double)pos) {
				hi = mid;
			} else {
				lo = mid + 1;
			}
		}
		if (lo < a->count[p]) {
			const double at = split_sample(&a->points[p][lo], rate);
			if (at < (double)next) {
				next = (int64_t)at;
			}
		}
	}
	return next;
}

void heist_automation_process(const heist_automation *a, heist_engine *e, double rate, int64_t pos,
                              const float *in, float *out, uint32_t n)
{
	const int64_t end = pos + (int64_t)n;
	while (pos < end) {
		for (int p = 0; p < HEIST_PARAM_COUNT; ++p) {
			if (a->count[p] > 0) {
				heist_engine_set_param(
				    e, (heist_param)p,
				    heist_automation_value(a, (heist_param)p, (double)pos / rate));
			}
		}
		const int64_t next = next_split(a, rate, pos, end);
		const uint32_t len = (uint32_t)(next - pos);
		heist_engine_process(e, in, out, len);
		in += len;
		out += len;
		pos = next;
	}
}
