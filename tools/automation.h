/* Parameter automation for heist-render: breakpoints read from a text file
 * and applied the way Ardour 7 applies plugin automation, so that a render
 * and an Ardour export of the same curve play the same parameter values.
 *
 * File: one breakpoint per line, "time_s symbol value" (seconds from the
 * start of the input, a port symbol, a value in the port's units); blank lines
 * and lines starting with '#' are ignored. Points of a symbol need not be in
 * order; they are sorted by time (ties keep file order).
 *
 * A style's value may be a style name of the model, or a unique prefix of
 * one ("style_a choir"). Values outside a control's range (a style's: the
 * model's styles) are warned about; the engine clamps them.
 *
 * Styles and switches (style_a, style_b, enabled, auto_octave) are stepped:
 * each point's value holds until the next point, so a ramp from style 0 to
 * style 2 never plays style 1 (Ardour treats enumerations and toggles as
 * discrete too).
 *
 * Interpolation of the other controls, as Ardour's PluginInsert::automate_and_run() and
 * Evoral::ControlList (linear, the default for continuous plugin controls);
 * checked sample for sample against an Ardour 7.3 export by
 * tests/host/test_ardour.py:
 *   - the curve's time is the time of the output: a process call that
 *     produces output from sample k of the timeline on (k = input position
 *     minus the latency removed from the output: heist-render removes the
 *     plugin latency unless --keep-latency) evaluates the curve at k. Ardour
 *     does the same: it runs a plugin with the transport position of the
 *     audio that leaves the track, while the latency-compensated disk
 *     reader feeds it input from `latency` samples later;
 *   - each host block is split at every breakpoint that falls inside it; a
 *     breakpoint at time t splits at the first sample at or after it,
 *     ceil(t * rate), where t * rate within 1e-6 of an integer counts as
 *     that sample (decimal seconds are seldom exact binary fractions);
 *   - at the start of each piece, every automated parameter is set to the
 *     curve's value there, linearly interpolated between the neighbouring
 *     breakpoints; before the first point the curve holds the first value,
 *     after the last the last value;
 *   - the value then holds until the next piece (the engine smooths it).
 * So between breakpoints the curve is sampled once per host block: the same
 * --block as the host's period gives the same values as the host.
 */
#ifndef HEIST_AUTOMATION_H
#define HEIST_AUTOMATION_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "heist.h"

typedef struct {
	double time_s;
	float value;
} heist_auto_point;

typedef struct {
	heist_auto_point *points[HEIST_PARAM_COUNT]; /* sorted by time */
	size_t count[HEIST_PARAM_COUNT];
} heist_automation;

/* [main] Read an automation file; style names are looked up in model (NULL:
 * numbers only). Returns 0, or -1 after printing a message naming the file,
 * the line and the reason to err. */
int heist_automation_read(const char *path, const heist_model *model, heist_automation *a,
                          FILE *err);

/* [main] The index of model's style called name (case ignored), or else the
 * one style whose name starts with name; -1 (and a message listing the
 * styles on err) when none or several match. */
int heist_find_style(const heist_model *m, const char *name, FILE *err);

/* [any] Whether p takes only whole values (styles, switches): automated as
 * steps. */
int heist_param_stepped(heist_param p);

/* [main] Warn on err (prefixed with where) when v is outside p's range (a
 * style's: model's styles, when model is given); returns 1 if it was. */
int heist_param_check_range(heist_param p, float v, const heist_model *model, const char *where,
                            FILE *err);

void heist_automation_free(heist_automation *a);

/* [main] Value of parameter p's curve at time t (seconds); p must have
 * points. */
float heist_automation_value(const heist_automation *a, heist_param p, double t);

/* [main] Process one host block of n samples whose output starts at sample
 * pos of the output timeline (the input position minus the latency removed
 * from the output; negative while that latency is being filled): split at
 * breakpoints, set the automated parameters at the start of each piece,
 * process. */
void heist_automation_process(const heist_automation *a, heist_engine *e, double rate, int64_t pos,
                              const float *in, float *out, uint32_t n);

#endif
