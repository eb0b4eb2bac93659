/* Heist's LV2 UI: an ui:X11UI drawn with cairo on a plain Xlib window,
 * embedded in the host's window through ui:parent, driven by the host through
 * ui:idleInterface. One binary, two UIs: the effect's and Heist Synth's
 * (lv2ui_descriptor 0 and 1), each drawn from its plugin_table.
 *
 * Thread class: every function here runs in the host's UI thread ([gui]).
 *
 * Behaviour in a DAW:
 * - every user change goes out through write_function, bracketed by ui:touch
 *   (when the host offers it) so automation records gestures;
 * - values that come from the host (automation, presets, the generic UI) move
 *   the widgets and are never written back;
 * - the window keeps a fixed aspect: the layout is drawn in 760x440 layout
 *   units scaled to the window, so 1x, 2x (ui:scaleFactor) and any resize
 *   re-layout the same way;
 * - nothing is redrawn unless a visible value changed, so an idle UI costs
 *   almost nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* LV2 before Xlib: Xlib.h defines a Bool macro that breaks atom/forge.h. */
#include <lv2/atom/atom.h>
#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/core/lv2.h>
#include <lv2/options/options.h>
#include <lv2/parameters/parameters.h>
#include <lv2/patch/patch.h>
#include <lv2/ui/ui.h>
#include <lv2/urid/urid.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <cairo/cairo-xlib.h>
#include <cairo/cairo.h>

#include "heist.h"
#include "model.h"
#include "ports.h"
#include "synth_ports.h"
#include "text.h"
#include "widgets.h"

#define HEIST_UI_URI HEIST_URI "#ui"
#define HEIST_SYNTH_UI_URI HEIST_SYNTH_URI "#ui"
#define HEIST_MODEL_PROPERTY HEIST_URI "#model"
#define HEIST_DEFAULT_MODEL "heist-default.hsm"

extern char **environ;

/* Layout units; the window is drawn at scale = window size / these. */
#define BASE_W 760.0
#define BASE_H 440.0
#define MAX_STYLES 256u
#define DOUBLE_CLICK_MS 400u
#define KNOB_DRAG_PX 250.0 /* pixels of drag over a knob's full range */
#define MENU_ROW_H 26.0
#define MENU_MAX_ROWS 10u

/* How a widget is drawn and how it answers the mouse. */
typedef enum { C_KNOB, C_SLIDER, C_PICKER, C_TOGGLE } ctl_kind;

/* The widgets, in drawing order; an index into HeistUI.ctl. */
typedef enum {
	K_STYLE_A,
	K_STYLE_B,
	K_MORPH,
	K_PITCH_SHIFT, /* the row of knobs: K_PITCH_SHIFT .. K_OUTPUT_GAIN */
	K_LOWEST_PITCH,
	K_LOUDNESS_SHIFT,
	K_LOUDNESS_FIT,
	K_HARMONIC,
	K_NOISE,
	K_GATE,
	K_INPUT_GATE,
	K_DRY_WET,
	K_OUTPUT_GAIN,
	K_ENABLED,
	K_AUTO_OCTAVE,
	K_LEVEL_MATCH,
	N_CONTROLS
} ctl_id;

/* A widget: the port it writes, the parameter whose range it shows. */
typedef struct {
	ctl_kind kind;
	uint32_t port;
	heist_param param; /* HEIST_PARAM_COUNT for a voice setting of the synth */
	const char *label;
	const char *format; /* printf format of the value */
	float wheel_step;   /* in the control's units */
	double x, y, w, h;  /* hit box, layout units */
	float value;
	float min, max, def; /* the range the plugin clamps to, and its default */
} control;

/* A widget's definition in a plugin's table. */
typedef struct {
	ctl_kind kind;
	uint32_t port;
	heist_param param;
	int voice; /* a heist_voice_param when param is HEIST_PARAM_COUNT */
	const char *label, *format;
	float wheel_step;
} ctl_def;

/* A monitor (a control output) and the float of HeistUI it updates. A
 * change smaller than eps does not show, so it does not redraw. */
typedef struct {
	uint32_t port;
	size_t field; /* offsetof(HeistUI, ...) */
	float eps;
} monitor_def;

/* What differs between the two plugins of the bundle: the widgets (the
 * synth's are K_STYLE_A .. K_MORPH and a row of knobs from K_PITCH_SHIFT to
 * knob_last), the monitors, the title, and whether there is a model port and
 * bypass. */
typedef struct {
	const char *ui_uri, *plugin_uri, *title;
	const ctl_def *defs;
	int n_ctl, knob_last;
	const monitor_def *monitors;
	int n_monitors;
	bool synth;
} plugin_table;

/* The UI instance: what the host gave, the window, the widgets and what the
 * plugin last reported (monitors, model, status). */
typedef struct {
	/* Host. */
	LV2UI_Write_Function write;
	LV2UI_Controller controller;
	LV2UI_Resize *resize;
	LV2UI_Touch *touch;
	LV2UI_Request_Value *request_value;
	LV2_URID_Map *map;
	LV2_Atom_Forge forge;
	struct {
		LV2_URID atom_Path, atom_URID, atom_Float, atom_eventTransfer;
		LV2_URID patch_Set, patch_Get, patch_Put, patch_property, patch_value, patch_body;
		LV2_URID model, status, atom_String, ui_scaleFactor, param_sampleRate;
	} urid;
	uint32_t control_port, notify_port; /* LV2UI_INVALID_PORT_INDEX if none */

	/* Window. */
	Display *dpy;
	Window win;
	cairo_surface_t *surface;
	int width, height;
	double scale, ox, oy;
	bool dirty;          /* everything to redraw */
	bool dirty_monitors; /* only the note and meter card */

	/* Controls and gestures. */
	const plugin_table *table; /* chosen at instantiate from the UI's URI */
	control ctl[N_CONTROLS];   /* the first table->n_ctl are used */
	int drag;                  /* control being dragged, or -1 */
	double drag_y;
	float drag_value;
	bool drag_fine;
	int last_click;
	Time last_click_time;
	int menu;     /* picker whose menu is open, or -1 */
	int menu_top; /* the style in the open menu's first row (it scrolls) */
	bool load_pressed;

	/* Monitors. */
	float pitch_hz, confidence, loudness_db, in_db, out_db;
	float out_pitch_hz, below_range, gate_open, latency; /* latency in samples */
	double sample_rate;                                  /* for the latency in ms */

	/* The model shown, and its style names. */
	char bundle_path[1024];
	char model_path[1024];
	char model_name[HSM_NAME_SIZE];
	char status[256];        /* the UI's own trouble reading the model file */
	char plugin_status[256]; /* the plugin's last load outcome ("" if it loaded) */
	uint32_t n_styles;
	char style_names[MAX_STYLES][HSM_STYLE_NAME_SIZE];

	/* A file dialog program started for "Load model" when the host has no
	 * ui:requestValue: its stdout is read without blocking in idle(). */
	pid_t picker_pid;
	int picker_fd;
	char picker_out[1024];
	size_t picker_len;
} HeistUI;

/* ---------------------------------------------------------------- values */
/* One place where a widget's value is clamped, quantized and sent, so the UI
 * never shows or writes a value the plugin would not take. */

/* [gui] Ranges come from dsp/params.c, the same table the plugin clamps to,
 * so the UI never offers a value the plugin would not play. */
static float ctl_min(const control *c)
{
	return c->min;
}

/* [gui] Style pickers have no fixed top: the loaded model decides it. */
static float ctl_max(const control *c)
{
	if (c->kind == C_PICKER) {
		return 255.0f; /* clamped to the model's styles where known */
	}
	return c->max;
}

/* [gui] v as 0..1 of the control's range, for drawing. */
static float ctl_norm(const control *c, float v)
{
	const float lo = ctl_min(c), hi = ctl_max(c);
	const float n = (v - lo) / (hi - lo);
	return n < 0.0f ? 0.0f : n > 1.0f ? 1.0f : n;
}

/* [gui] ui:touch brackets a gesture so hosts record automation as one
 * stroke; optional, as hosts without it still take the values. */
static void touch(HeistUI *ui, const control *c, bool grabbed)
{
	if (ui->touch) {
		ui->touch->touch(ui->touch->handle, c->port, grabbed);
	}
}

/* [gui] A user change: clamp, quantize, store, write to the host. */
static void set_value(HeistUI *ui, control *c, float v)
{
	float lo = ctl_min(c), hi = ctl_max(c);
	if (c->kind == C_PICKER) {
		hi = ui->n_styles ? (float)(ui->n_styles - 1) : hi;
		v = rintf(v);
	} else if (c->kind == C_TOGGLE) {
		v = v > 0.5f ? 1.0f : 0.0f;
	}
	v = v < lo ? lo : v > hi ? hi : v;
	if (c->param == HEIST_PARAM_LOWEST_PITCH) {
		v = heist_lowest_pitch_step(v, 0); /* what the plugin plays */
	}
	if (v == c->value) {
		return;
	}
	c->value = v;
	ui->dirty = true;
	ui->write(ui->controller, c->port, sizeof(float), 0, &v);
}

/* [gui] A one-shot change (click, wheel, double-click) as one touch gesture. */
static void set_value_gesture(HeistUI *ui, control *c, float v)
{
	touch(ui, c, true);
	set_value(ui, c, v);
	touch(ui, c, false);
}

/* --------------------------------------------------------------- model */
/* The UI reads the model file only for display (name, style names); the
 * plugin loads it in its worker and says through patch messages what holds. */

/* [gui] The file name of a path, shown when a model has no name. */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* [gui] Reads the model's name and style names for display. The plugin does the
 * real loading; a file the UI cannot read still shows by its file name. */
static void load_model_info(HeistUI *ui, const char *path)
{
	snprintf(ui->model_path, sizeof(ui->model_path), "%s", path);
	char err[256] = "";
	heist_model *m = heist_model_load(path, err, sizeof(err));
	if (!m) {
		snprintf(ui->model_name, sizeof(ui->model_name), "%s", base_name(path));
		snprintf(ui->status, sizeof(ui->status), "%s", err);
		ui->n_styles = 0;
		ui->dirty = true;
		return;
	}
	snprintf(ui->model_name, sizeof(ui->model_name), "%s",
	         m->name[0] ? m->name : base_name(path));
	ui->n_styles = m->n_styles < MAX_STYLES ? m->n_styles : MAX_STYLES;
	for (uint32_t i = 0; i < ui->n_styles; ++i) {
		snprintf(ui->style_names[i], HSM_STYLE_NAME_SIZE, "%s", m->styles[i].name);
	}
	heist_model_free(m);
	ui->status[0] = '\0';
	ui->dirty = true;
}

/* [gui] The name of the style that plays at this value: the engine clamps an
 * index beyond the model's styles to its last one. */
static const char *style_name(const HeistUI *ui, float value, char *buf, size_t size)
{
	const uint32_t i = (uint32_t)(value < 0.0f ? 0.0f : value);
	if (ui->n_styles > 0) {
		return ui->style_names[i < ui->n_styles ? i : ui->n_styles - 1];
	}
	snprintf(buf, size, "style %u", i + 1u);
	return buf;
}

/* [gui] patch:Set <model> to the path, on the plugin's control port. */
static void send_model_path(HeistUI *ui, const char *path)
{
	if (ui->control_port == LV2UI_INVALID_PORT_INDEX) {
		snprintf(ui->status, sizeof(ui->status), "this plugin build has no model port");
		ui->dirty = true;
		return;
	}
	uint8_t buf[2048];
	lv2_atom_forge_set_buffer(&ui->forge, buf, sizeof(buf));
	LV2_Atom_Forge_Frame frame;
	LV2_Atom *msg =
	    (LV2_Atom *)lv2_atom_forge_object(&ui->forge, &frame, 0, ui->urid.patch_Set);
	lv2_atom_forge_key(&ui->forge, ui->urid.patch_property);
	lv2_atom_forge_urid(&ui->forge, ui->urid.model);
	lv2_atom_forge_key(&ui->forge, ui->urid.patch_value);
	lv2_atom_forge_path(&ui->forge, path, (uint32_t)strlen(path));
	lv2_atom_forge_pop(&ui->forge, &frame);
	if (!msg || strlen(path) + 128 > sizeof(buf)) {
		return; /* path too long for the message buffer */
	}
	ui->write(ui->controller, ui->control_port, lv2_atom_total_size(msg),
	          ui->urid.atom_eventTransfer, msg);
	load_model_info(ui, path);
}

/* [gui] patch:Get on the control port: the plugin answers with its properties. */
static void send_patch_get(HeistUI *ui)
{
	if (ui->control_port == LV2UI_INVALID_PORT_INDEX) {
		return;
	}
	uint8_t buf[256];
	lv2_atom_forge_set_buffer(&ui->forge, buf, sizeof(buf));
	LV2_Atom_Forge_Frame frame;
	LV2_Atom *msg =
	    (LV2_Atom *)lv2_atom_forge_object(&ui->forge, &frame, 0, ui->urid.patch_Get);
	lv2_atom_forge_pop(&ui->forge, &frame);
	ui->write(ui->controller, ui->control_port, lv2_atom_total_size(msg),
	          ui->urid.atom_eventTransfer, msg);
}

/* [gui] The status line has one short line: every absolute path in text is shown
 * by its file name alone (the window has room for the reason, not for the
 * folders). */
static void shorten_paths(char *out, size_t size, const char *text)
{
	size_t o = 0;
	for (const char *p = text; *p && o + 1 < size;) {
		const bool starts = *p == '/' && (p == text || p[-1] == ' ' || p[-1] == '(');
		if (starts) {
			const char *end = p + strcspn(p, " :;)");
			const char *name = p;
			for (const char *q = p; q < end; ++q) {
				name = *q == '/' ? q + 1 : name;
			}
			while (name < end && o + 1 < size) {
				out[o++] = *name++;
			}
			p = end;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
}

/* [gui] Looks for the model path in a patch:Set or patch:Put from the plugin. */
static void handle_patch(HeistUI *ui, const LV2_Atom *atom)
{
	if (atom->type != ui->forge.Object) {
		return;
	}
	const LV2_Atom_Object *obj = (const LV2_Atom_Object *)atom;
	const LV2_Atom *property = NULL, *value = NULL;
	if (obj->body.otype == ui->urid.patch_Set) {
		lv2_atom_object_get(obj, ui->urid.patch_property, &property, ui->urid.patch_value,
		                    &value, 0);
		if (property && property->type == ui->urid.atom_URID &&
		    ((const LV2_Atom_URID *)property)->body == ui->urid.status && value &&
		    value->type == ui->urid.atom_String) {
			/* Bounded by the atom, shown without control characters. */
			char text[256];
			const size_t n =
			    value->size < sizeof(text) ? value->size : sizeof(text) - 1;
			memcpy(text, LV2_ATOM_BODY_CONST(value), n);
			text[n] = '\0';
			heist_text_sanitize(text, sizeof(text), text);
			shorten_paths(ui->plugin_status, sizeof(ui->plugin_status), text);
			ui->dirty = true;
			return;
		}
		if (!property || property->type != ui->urid.atom_URID ||
		    ((const LV2_Atom_URID *)property)->body != ui->urid.model) {
			return;
		}
	} else if (obj->body.otype == ui->urid.patch_Put) {
		const LV2_Atom *body = NULL;
		lv2_atom_object_get(obj, ui->urid.patch_body, &body, 0);
		if (!body || body->type != ui->forge.Object) {
			return;
		}
		lv2_atom_object_get((const LV2_Atom_Object *)body, ui->urid.model, &value, 0);
	}
	if (value && value->type == ui->urid.atom_Path && value->size > 1) {
		const char *path = (const char *)LV2_ATOM_BODY_CONST(value);
		if (memchr(path, '\0', value->size) && strcmp(path, ui->model_path)) {
			load_model_info(ui, path);
		}
	}
}

/* -------------------------------------------------------- file dialog */
/* Hosts without ui:requestValue get zenity or kdialog, run as a child and
 * read without blocking: the host's UI thread must never wait on it. */

/* [gui] Whether a file dialog program is installed: checked before
 * spawning so that a missing one gives a status line, not a silent failure. */
static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char dir[1024];
	while (path && *path) {
		const char *end = strchr(path, ':');
		const size_t len = end ? (size_t)(end - path) : strlen(path);
		if (len > 0 && len < sizeof(dir) - 64) {
			memcpy(dir, path, len);
			snprintf(dir + len, sizeof(dir) - len, "/%s", prog);
			if (access(dir, X_OK) == 0) {
				return true;
			}
		}
		path = end ? end + 1 : NULL;
	}
	return false;
}

/* [gui] Starts zenity or kdialog with its stdout on a non-blocking pipe; the
 * chosen path is read in poll_picker(), so the host's UI thread never waits. */
static bool start_picker(HeistUI *ui)
{
	char *zenity[] = {"zenity", "--file-selection", "--title=Load a Heist model",
	                  "--file-filter=Heist models (*.hsm) | *.hsm", NULL};
	char *kdialog[] = {"kdialog", "--getopenfilename", ".", "*.hsm|Heist models", NULL};
	char **argv = in_path("zenity") ? zenity : in_path("kdialog") ? kdialog : NULL;
	if (!argv) {
		return false;
	}
	int fds[2];
	if (pipe(fds)) {
		return false;
	}
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&actions, fds[0]);
	const int err = posix_spawnp(&ui->picker_pid, argv[0], &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	close(fds[1]);
	if (err) {
		close(fds[0]);
		return false;
	}
	fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	ui->picker_fd = fds[0];
	ui->picker_len = 0;
	return true;
}

/* [gui] Called from idle(): reads the dialog's answer without blocking the
 * host's UI thread; a chosen absolute path is sent to the plugin. */
static void poll_picker(HeistUI *ui)
{
	if (ui->picker_fd < 0) {
		return;
	}
	for (;;) {
		const size_t room = sizeof(ui->picker_out) - 1 - ui->picker_len;
		const ssize_t n = read(ui->picker_fd, ui->picker_out + ui->picker_len, room);
		if (n > 0 && (size_t)n < room) {
			ui->picker_len += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			return; /* the dialog is still open */
		}
		break; /* end of file, error, or an overlong answer */
	}
	close(ui->picker_fd);
	ui->picker_fd = -1;
	waitpid(ui->picker_pid, NULL, 0);
	ui->picker_pid = 0;
	ui->picker_out[ui->picker_len] = '\0';
	ui->picker_out[strcspn(ui->picker_out, "\r\n")] = '\0';
	if (ui->picker_out[0] == '/') {
		send_model_path(ui, ui->picker_out);
	}
}

/* [gui] "Load model": the host's own file dialog (ui:requestValue) when it
 * has one, so the choice lands in its session like any property; else a
 * zenity/kdialog process. */
static void load_model_clicked(HeistUI *ui)
{
	if (ui->picker_fd >= 0) {
		return; /* a dialog is already open */
	}
	if (ui->request_value && ui->control_port != LV2UI_INVALID_PORT_INDEX &&
	    ui->request_value->request(ui->request_value->handle, ui->urid.model,
	                               ui->urid.atom_Path, NULL) == LV2UI_REQUEST_VALUE_SUCCESS) {
		return; /* the host shows its own file dialog and sends patch:Set */
	}
	if (!start_picker(ui)) {
		snprintf(ui->status, sizeof(ui->status),
		         "no file dialog: install zenity, or load through the host");
		ui->dirty = true;
	}
}

/* -------------------------------------------------------------- layout */
/* Fixed layout units scaled to the window: one set of coordinates serves
 * drawing and hit testing at any size or scale factor. */

/* [gui] Scale and centre the fixed 760x440 layout in the window, keeping its
 * aspect, so every size and ui:scaleFactor lay out the same. */
static void layout(HeistUI *ui)
{
	ui->scale = fmin(ui->width / BASE_W, ui->height / BASE_H);
	if (!(ui->scale > 0.05)) {
		ui->scale = 0.05;
	}
	ui->ox = 0.5 * (ui->width - BASE_W * ui->scale);
	ui->oy = 0.5 * (ui->height - BASE_H * ui->scale);
}

/* [gui] A control's hit box, in layout units. */
static void set_box(control *c, double x, double y, double w, double h)
{
	c->x = x;
	c->y = y;
	c->w = w;
	c->h = h;
}

/* Each widget's port, parameter and look, per plugin. */
static const ctl_def effect_defs[N_CONTROLS] = {
    [K_STYLE_A] = {C_PICKER, HEIST_PORT_STYLE_A, HEIST_PARAM_STYLE_A, 0, "STYLE A", "", 1},
    [K_STYLE_B] = {C_PICKER, HEIST_PORT_STYLE_B, HEIST_PARAM_STYLE_B, 0, "STYLE B", "", 1},
    [K_MORPH] = {C_SLIDER, HEIST_PORT_MORPH, HEIST_PARAM_MORPH, 0, "MORPH", "", 0.01f},
    [K_PITCH_SHIFT] = {C_KNOB, HEIST_PORT_PITCH_SHIFT, HEIST_PARAM_PITCH_SHIFT, 0, "PITCH",
                       "%+.1f st", 1.0f},
    [K_LOWEST_PITCH] = {C_KNOB, HEIST_PORT_LOWEST_PITCH, HEIST_PARAM_LOWEST_PITCH, 0, "LOWEST",
                        "%.0f Hz", 0.0f},
    [K_LOUDNESS_FIT] = {C_KNOB, HEIST_PORT_LOUDNESS_FIT, HEIST_PARAM_LOUDNESS_FIT, 0, "LOUD FIT",
                        "", 0.05f},
    [K_AUTO_OCTAVE] = {C_TOGGLE, HEIST_PORT_AUTO_OCTAVE, HEIST_PARAM_AUTO_OCTAVE, 0, "", "", 1},
    [K_LOUDNESS_SHIFT] = {C_KNOB, HEIST_PORT_LOUDNESS_SHIFT, HEIST_PARAM_LOUDNESS_SHIFT, 0,
                          "LOUDNESS", "%+.1f dB", 0.5f},
    [K_HARMONIC] = {C_KNOB, HEIST_PORT_HARMONIC_LEVEL, HEIST_PARAM_HARMONIC_LEVEL, 0, "HARMONIC",
                    "%+.1f dB", 0.5f},
    [K_NOISE] = {C_KNOB, HEIST_PORT_NOISE_LEVEL, HEIST_PARAM_NOISE_LEVEL, 0, "NOISE", "%+.1f dB",
                 0.5f},
    [K_GATE] = {C_KNOB, HEIST_PORT_CONFIDENCE_GATE, HEIST_PARAM_CONFIDENCE_GATE, 0, "CONF GATE",
                "%.2f", 0.01f},
    [K_INPUT_GATE] = {C_KNOB, HEIST_PORT_INPUT_GATE, HEIST_PARAM_INPUT_GATE, 0, "INPUT GATE",
                      "%.0f dB", 1.0f},
    [K_DRY_WET] = {C_KNOB, HEIST_PORT_DRY_WET, HEIST_PARAM_DRY_WET, 0, "DRY/WET", "", 0.01f},
    [K_OUTPUT_GAIN] = {C_KNOB, HEIST_PORT_OUTPUT_GAIN, HEIST_PARAM_OUTPUT_GAIN, 0, "OUTPUT",
                       "%+.1f dB", 0.5f},
    [K_ENABLED] = {C_TOGGLE, HEIST_PORT_ENABLED, HEIST_PARAM_ENABLED, 0, "", "", 1},
    [K_LEVEL_MATCH] = {C_TOGGLE, HEIST_PORT_LEVEL_MATCH, HEIST_PARAM_LEVEL_MATCH, 0, "", "", 1},
};

/* Heist Synth: the same pickers and morph, then one row of knobs. */
#define SYNTH_N_CTL 12
static const ctl_def synth_defs[SYNTH_N_CTL] = {
    {C_PICKER, HEIST_SYNTH_PORT_STYLE_A, HEIST_PARAM_STYLE_A, 0, "STYLE A", "", 1},
    {C_PICKER, HEIST_SYNTH_PORT_STYLE_B, HEIST_PARAM_STYLE_B, 0, "STYLE B", "", 1},
    {C_SLIDER, HEIST_SYNTH_PORT_MORPH, HEIST_PARAM_MORPH, 0, "MORPH", "", 0.01f},
    {C_KNOB, HEIST_SYNTH_PORT_TRANSPOSE, HEIST_PARAM_PITCH_SHIFT, 0, "TRANSPOSE", "%+.1f st", 1.0f},
    {C_KNOB, HEIST_SYNTH_PORT_TUNING, HEIST_PARAM_COUNT, HEIST_VOICE_TUNING, "TUNING", "%.1f Hz",
     0.5f},
    {C_KNOB, HEIST_SYNTH_PORT_BEND_RANGE, HEIST_PARAM_COUNT, HEIST_VOICE_BEND_RANGE, "BEND",
     "%.0f st", 1.0f},
    {C_KNOB, HEIST_SYNTH_PORT_PORTAMENTO, HEIST_PARAM_COUNT, HEIST_VOICE_PORTAMENTO, "GLIDE",
     "%.2f s", 0.01f},
    {C_KNOB, HEIST_SYNTH_PORT_VIBRATO, HEIST_PARAM_COUNT, HEIST_VOICE_VIBRATO, "VIBRATO",
     "%.2f\xc3\x97", 0.1f},
    {C_KNOB, HEIST_SYNTH_PORT_LOUDNESS_SHIFT, HEIST_PARAM_LOUDNESS_SHIFT, 0, "LOUDNESS", "%+.1f dB",
     0.5f},
    {C_KNOB, HEIST_SYNTH_PORT_HARMONIC_LEVEL, HEIST_PARAM_HARMONIC_LEVEL, 0, "HARMONIC", "%+.1f dB",
     0.5f},
    {C_KNOB, HEIST_SYNTH_PORT_NOISE_LEVEL, HEIST_PARAM_NOISE_LEVEL, 0, "NOISE", "%+.1f dB", 0.5f},
    {C_KNOB, HEIST_SYNTH_PORT_OUTPUT_GAIN, HEIST_PARAM_OUTPUT_GAIN, 0, "OUTPUT", "%+.1f dB", 0.5f},
};

/* The effect's monitors: the note and meter card. */
static const monitor_def effect_monitors[] = {
    {HEIST_PORT_PITCH_OUT, offsetof(HeistUI, pitch_hz), 0.05f},
    {HEIST_PORT_CONFIDENCE_OUT, offsetof(HeistUI, confidence), 0.004f},
    {HEIST_PORT_LOUDNESS_OUT, offsetof(HeistUI, loudness_db), 0.05f},
    {HEIST_PORT_INPUT_LEVEL, offsetof(HeistUI, in_db), 0.05f},
    {HEIST_PORT_OUTPUT_LEVEL, offsetof(HeistUI, out_db), 0.05f},
    {HEIST_PORT_OUT_PITCH, offsetof(HeistUI, out_pitch_hz), 0.05f},
    {HEIST_PORT_BELOW_RANGE, offsetof(HeistUI, below_range), 0.5f},
    {HEIST_PORT_GATE_OPEN, offsetof(HeistUI, gate_open), 0.5f},
    {HEIST_PORT_LATENCY, offsetof(HeistUI, latency), 0.5f},
};

/* Heist Synth's: its output level and latency. */
static const monitor_def synth_monitors[] = {
    {HEIST_SYNTH_PORT_OUTPUT_LEVEL, offsetof(HeistUI, out_db), 0.05f},
    {HEIST_SYNTH_PORT_LATENCY, offsetof(HeistUI, latency), 0.5f},
};

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const plugin_table effect_table = {
    .ui_uri = HEIST_UI_URI,
    .plugin_uri = HEIST_URI,
    .title = "HEIST",
    .defs = effect_defs,
    .n_ctl = N_CONTROLS,
    .knob_last = K_OUTPUT_GAIN,
    .monitors = effect_monitors,
    .n_monitors = N_OF(effect_monitors),
    .synth = false,
};
static const plugin_table synth_table = {
    .ui_uri = HEIST_SYNTH_UI_URI,
    .plugin_uri = HEIST_SYNTH_URI,
    .title = "HEIST SYNTH",
    .defs = synth_defs,
    .n_ctl = SYNTH_N_CTL,
    .knob_last = K_PITCH_SHIFT + SYNTH_N_CTL - 4,
    .monitors = synth_monitors,
    .n_monitors = N_OF(synth_monitors),
    .synth = true,
};

/* [gui] The plugin's widgets from its table; values start at the plugin's
 * defaults until the host sends the real ones. */
static void init_controls(HeistUI *ui)
{
	const plugin_table *t = ui->table;
	for (int i = 0; i < t->n_ctl; ++i) {
		control *c = &ui->ctl[i];
		const ctl_def *d = &t->defs[i];
		c->kind = d->kind;
		c->port = d->port;
		c->param = d->param;
		c->label = d->label;
		c->format = d->format;
		c->wheel_step = d->wheel_step;
		const heist_param_info *info =
		    d->param < HEIST_PARAM_COUNT
		        ? heist_param_get_info(d->param)
		        : heist_voice_param_get_info((heist_voice_param)d->voice);
		c->min = info->min;
		c->max = info->max;
		c->def = info->def;
		c->value = c->def;
	}
	/* Fixed boxes in layout units (see draw()). */
	set_box(&ui->ctl[K_STYLE_A], 332, 92, 190, 38);
	set_box(&ui->ctl[K_STYLE_B], 538, 92, 190, 38);
	set_box(&ui->ctl[K_MORPH], 342, 176, 376, 44);
	if (!t->synth) {
		set_box(&ui->ctl[K_ENABLED], 632, 12, 112, 30);
		set_box(&ui->ctl[K_AUTO_OCTAVE], 396, 254, 128, 26);
		set_box(&ui->ctl[K_LEVEL_MATCH], 536, 254, 128, 26);
	}
	const int knobs = t->knob_last - K_PITCH_SHIFT + 1;
	for (int i = 0; i < knobs; ++i) {
		const double col = 728.0 / knobs;
		set_box(&ui->ctl[K_PITCH_SHIFT + i], 16 + col * i, 304, col, 120);
	}
}

#define LOAD_X 496.0
#define LOAD_Y 12.0
#define LOAD_W 124.0
#define LOAD_H 30.0

/* ---------------------------------------------------------------- draw */
/* Cairo in layout units, one function per card; redraw() decides what is
 * drawn at all, so these need not be cheap. */

/* [gui] A control's value as shown under it (percentages, style names). */
static void format_value(const HeistUI *ui, const control *c, char *buf, size_t size)
{
	if (c->param == HEIST_PARAM_DRY_WET) {
		snprintf(buf, size, "%.0f%% wet", 100.0 * c->value);
	} else if (c->param == HEIST_PARAM_INPUT_GATE && c->value <= -89.5f) {
		snprintf(buf, size, "off");
	} else if (c->param == HEIST_PARAM_MORPH || c->param == HEIST_PARAM_LOUDNESS_FIT) {
		snprintf(buf, size, "%.0f%%", 100.0 * c->value);
	} else if (c->kind == C_PICKER) {
		char tmp[32];
		snprintf(buf, size, "%s", style_name(ui, c->value, tmp, sizeof(tmp)));
	} else {
		snprintf(buf, size, c->format, (double)c->value);
	}
}

/* [gui] Meter colour: above 0 dBFS clips, above -6 dBFS is hot. */
static hui_rgb level_colour(float db)
{
	return db > 0.0f ? hui_meter_clip : db > -6.0f ? hui_meter_hot : hui_meter_ok;
}

/* [gui] One labelled meter bar with its value. */
static void draw_meter_row(cairo_t *cr, double y, const char *label, double norm, hui_rgb c,
                           const char *value)
{
	hui_text(cr, label, 32, y + 9, 11, true, HUI_LEFT, hui_text_dim, 0);
	hui_meter(cr, 82, y, 146, 10, norm, c);
	hui_text(cr, value, 286, y + 9, 11, false, HUI_RIGHT, hui_text_fg, 0);
}

/* [gui] The monitor card: detected note, pitch, confidence, loudness and
 * levels; the only part redrawn while sound plays (see redraw()). */
static void draw_note(HeistUI *ui, cairo_t *cr)
{
	static const char *names[12] = {
	    "C", "C\xe2\x99\xaf", "D", "D\xe2\x99\xaf", "E", "F", "F\xe2\x99\xaf",
	    "G", "G\xe2\x99\xaf", "A", "A\xe2\x99\xaf", "B"};
	hui_card(cr, 16, 60, 284, 226);
	hui_text(cr, "INPUT NOTE", 32, 82, 11, true, HUI_LEFT, hui_text_dim, 0);
	char buf[64];
	/* The note the instrument plays (after shifts and auto octave), and
	 * the warnings a musician needs: a note under the lowest pitch (played
	 * octaves up), and the gate letting the input through. */
	if (ui->out_pitch_hz > 0.0f && isfinite(ui->out_pitch_hz)) {
		const long n = lrint(69.0 + 12.0 * log2(ui->out_pitch_hz / 440.0));
		snprintf(buf, sizeof(buf), "OUT %s%ld", names[((n % 12) + 12) % 12], n / 12 - 1);
	} else {
		snprintf(buf, sizeof(buf), "OUT \xe2\x80\x93");
	}
	hui_text(cr, buf, 286, 82, 11, true, HUI_RIGHT, hui_accent, 0);
	if (ui->below_range > 0.5f) {
		hui_text(cr, "BELOW RANGE", 160, 82, 11, true, HUI_CENTER, hui_meter_clip, 0);
	} else {
		hui_text(cr, ui->gate_open > 0.5f ? "GATE OPEN" : "GATE", 160, 82, 11, true,
		         HUI_CENTER, ui->gate_open > 0.5f ? hui_meter_ok : hui_text_dim, 0);
	}
	double cents = 0.0;
	const bool voiced = ui->pitch_hz > 0.0f && isfinite(ui->pitch_hz);
	if (voiced) {
		const double midi = 69.0 + 12.0 * log2(ui->pitch_hz / 440.0);
		const long n = lrint(midi);
		cents = 100.0 * (midi - (double)n);
		snprintf(buf, sizeof(buf), "%s%ld", names[((n % 12) + 12) % 12], n / 12 - 1);
		hui_text(cr, buf, 30, 148, 58, true, HUI_LEFT, hui_pitch, 150);
		snprintf(buf, sizeof(buf), "%+.0f \xc2\xa2", cents);
		hui_text(cr, buf, 286, 112, 22, true, HUI_RIGHT, hui_text_fg, 0);
		snprintf(buf, sizeof(buf), "%.1f Hz", (double)ui->pitch_hz);
		hui_text(cr, buf, 286, 136, 13, false, HUI_RIGHT, hui_text_dim, 0);
	}
	if (ui->latency > 0.0f) {
		if (ui->sample_rate > 0.0) {
			snprintf(buf, sizeof(buf), "latency %.1f ms",
			         1e3 * ui->latency / ui->sample_rate);
		} else {
			snprintf(buf, sizeof(buf), "latency %.0f samples", (double)ui->latency);
		}
		hui_text(cr, buf, 160, 100, 10, false, HUI_CENTER, hui_text_dim, 0);
	} else {
		hui_text(cr, "\xe2\x80\x93", 30, 136, 40, false, HUI_LEFT, hui_text_dim, 0);
		hui_text(cr, "no pitch", 286, 136, 13, false, HUI_RIGHT, hui_text_dim, 0);
	}
	/* Tuning strip: -50..+50 cents. */
	const double x0 = 32, w = 254, y = 158;
	hui_round_rect(cr, x0, y, w, 6, 3);
	hui_set(cr, hui_track, 1.0);
	cairo_fill(cr);
	cairo_rectangle(cr, x0 + 0.5 * w - 1, y - 3, 2, 12);
	hui_set(cr, hui_text_dim, 1.0);
	cairo_fill(cr);
	if (voiced) {
		const double nx = x0 + 0.5 * w + 0.5 * w * fmax(-1.0, fmin(1.0, cents / 50.0));
		cairo_arc(cr, nx, y + 3, 6, 0, 2 * 3.14159265358979);
		hui_set(cr, fabs(cents) < 10.0 ? hui_meter_ok : hui_pitch, 1.0);
		cairo_fill(cr);
	}

	snprintf(buf, sizeof(buf), "%.0f%%", 100.0 * ui->confidence);
	draw_meter_row(cr, 184, "CONF", ui->confidence, hui_pitch, buf);
	const float loud = ui->loudness_db;
	if (loud > -119.0f) {
		snprintf(buf, sizeof(buf), "%.1f dB", (double)loud);
	} else {
		snprintf(buf, sizeof(buf), "-inf");
	}
	draw_meter_row(cr, 208, "LOUD", (loud + 90.0) / 90.0, hui_pitch, buf);
	snprintf(buf, sizeof(buf), ui->in_db > -89.5f ? "%.1f dB" : "-inf", (double)ui->in_db);
	draw_meter_row(cr, 232, "IN", (ui->in_db + 60.0) / 66.0, level_colour(ui->in_db), buf);
	snprintf(buf, sizeof(buf), ui->out_db > -89.5f ? "%.1f dB" : "-inf", (double)ui->out_db);
	draw_meter_row(cr, 256, "OUT", (ui->out_db + 60.0) / 66.0, level_colour(ui->out_db), buf);
}

/* [gui] Heist Synth's monitor card, where the effect shows its input note:
 * the output level and the latency (the synth has no input to track). */
static void draw_output(HeistUI *ui, cairo_t *cr)
{
	hui_card(cr, 16, 60, 284, 226);
	hui_text(cr, "MIDI INSTRUMENT", 32, 82, 11, true, HUI_LEFT, hui_text_dim, 0);
	char buf[64];
	if (ui->latency > 0.0f && ui->sample_rate > 0.0) {
		snprintf(buf, sizeof(buf), "latency %.1f ms", 1e3 * ui->latency / ui->sample_rate);
	} else if (ui->latency > 0.0f) {
		snprintf(buf, sizeof(buf), "latency %.0f samples", (double)ui->latency);
	} else {
		snprintf(buf, sizeof(buf), "latency \xe2\x80\x93");
	}
	hui_text(cr, buf, 286, 82, 11, false, HUI_RIGHT, hui_text_dim, 0);
	const bool sounding = ui->out_db > -89.5f;
	snprintf(buf, sizeof(buf), sounding ? "%.1f" : "\xe2\x80\x93", (double)ui->out_db);
	hui_text(cr, buf, 30, 160, 58, true, HUI_LEFT, sounding ? hui_pitch : hui_text_dim, 220);
	hui_text(cr, "dBFS peak", 286, 160, 13, false, HUI_RIGHT, hui_text_dim, 0);
	snprintf(buf, sizeof(buf), sounding ? "%.1f dB" : "-inf", (double)ui->out_db);
	draw_meter_row(cr, 256, "OUT", (ui->out_db + 60.0) / 66.0, level_colour(ui->out_db), buf);
}

/* [gui] The style card: pickers A and B, morph, auto octave. */
static void draw_style(HeistUI *ui, cairo_t *cr)
{
	hui_card(cr, 316, 60, 428, 226);
	char buf[64], tmp[32];
	for (int k = K_STYLE_A; k <= K_STYLE_B; ++k) {
		const control *c = &ui->ctl[k];
		hui_text(cr, c->label, c->x, 84, 11, true, HUI_LEFT, hui_text_dim, 0);
		hui_picker(cr, c->x, c->y, c->w, c->h, style_name(ui, c->value, tmp, sizeof(tmp)),
		           ui->menu == k, hui_accent);
	}
	const control *m = &ui->ctl[K_MORPH];
	hui_text(cr, "MORPH", 332, 166, 13, true, HUI_LEFT, hui_text_fg, 0);
	format_value(ui, m, buf, sizeof(buf));
	hui_text(cr, buf, 728, 166, 13, true, HUI_RIGHT, hui_accent, 0);
	hui_hslider(cr, m->x, m->y, m->w, m->h, ctl_norm(m, m->value), hui_accent,
	            ui->drag == K_MORPH);
	hui_text(cr, style_name(ui, ui->ctl[K_STYLE_A].value, tmp, sizeof(tmp)), 332, 248, 12,
	         false, HUI_LEFT, hui_text_dim, 126);
	hui_text(cr, style_name(ui, ui->ctl[K_STYLE_B].value, tmp, sizeof(tmp)), 728, 248, 12,
	         false, HUI_RIGHT, hui_text_dim, 126);
	if (!ui->table->synth) {
		const control *oct = &ui->ctl[K_AUTO_OCTAVE];
		hui_button(cr, oct->x, oct->y, oct->w, oct->h, "AUTO OCTAVE", oct->value > 0.5f,
		           false);
		const control *lm = &ui->ctl[K_LEVEL_MATCH];
		hui_button(cr, lm->x, lm->y, lm->w, lm->h, "LEVEL MATCH", lm->value > 0.5f, false);
	}
	hui_text(cr, "A", 332, 272, 11, true, HUI_LEFT, hui_text_dim, 0);
	hui_text(cr, "B", 728, 272, 11, true, HUI_RIGHT, hui_text_dim, 0);
}

/* [gui] The row of knobs; the mark on each is its default. */
static void draw_knobs(HeistUI *ui, cairo_t *cr)
{
	hui_card(cr, 16, 298, 728, 130);
	char buf[64];
	for (int k = K_PITCH_SHIFT; k <= ui->table->knob_last; ++k) {
		const control *c = &ui->ctl[k];
		const double cx = c->x + 0.5 * c->w;
		hui_text(cr, c->label, cx, 322, 11, true, HUI_CENTER, hui_text_dim, c->w - 8);
		hui_knob(cr, cx, 364, 24, ctl_norm(c, c->value), ctl_norm(c, c->def),
		         c->param == HEIST_PARAM_OUTPUT_GAIN || c->param == HEIST_PARAM_DRY_WET
		             ? hui_text_fg
		             : hui_pitch,
		         ui->drag == k);
		format_value(ui, c, buf, sizeof(buf));
		hui_text(cr, buf, cx, 414, 13, false, HUI_CENTER, hui_text_fg, c->w - 8);
	}
}

/* [gui] Title, the model shown (or the last error), Load and bypass. */
static void draw_header(HeistUI *ui, cairo_t *cr)
{
	/* The synth's longer title pushes the model line to the right. */
	const double mx = ui->table->synth ? 216 : 120;
	hui_text(cr, ui->table->title, 20, 36, 24, true, HUI_LEFT, hui_accent, 0);
	hui_text(cr, "MODEL", mx, 24, 10, true, HUI_LEFT, hui_text_dim, 0);
	char buf[sizeof(ui->model_path) + sizeof(ui->model_name) + 8];
	if (ui->plugin_status[0] || ui->status[0]) {
		snprintf(buf, sizeof(buf), "%s",
		         ui->plugin_status[0] ? ui->plugin_status : ui->status);
		hui_text(cr, buf, mx, 41, 12, false, HUI_LEFT, hui_meter_clip, 366);
	} else {
		snprintf(buf, sizeof(buf), "%s  \xc2\xb7  %s",
		         ui->model_name[0] ? ui->model_name : "?",
		         ui->model_path[0] ? base_name(ui->model_path) : "");
		hui_text(cr, buf, mx, 41, 14, false, HUI_LEFT, hui_text_fg, 366);
	}
	if (ui->table->synth) {
		return; /* no model port, no bypass */
	}
	hui_button(cr, LOAD_X, LOAD_Y, LOAD_W, LOAD_H, "Load model\xe2\x80\xa6", false,
	           ui->load_pressed);
	const control *en = &ui->ctl[K_ENABLED];
	hui_button(cr, en->x, en->y, en->w, en->h, en->value > 0.5f ? "ACTIVE" : "BYPASSED",
	           en->value > 0.5f, false);
}

/* [gui] Rows the style menu shows at once; it scrolls through the rest. */
static uint32_t menu_rows(const HeistUI *ui)
{
	return ui->n_styles < MENU_MAX_ROWS ? ui->n_styles : MENU_MAX_ROWS;
}

/* [gui] Scroll the open menu by delta rows, within the styles. */
static void menu_scroll(HeistUI *ui, int delta)
{
	const int last_top = (int)(ui->n_styles - menu_rows(ui));
	int top = ui->menu_top + delta;
	top = top < 0 ? 0 : top > last_top ? last_top : top;
	if (top != ui->menu_top) {
		ui->menu_top = top;
		ui->dirty = true;
	}
}

/* [gui] Open picker i's menu with its current style in view. */
static void menu_open(HeistUI *ui, int i)
{
	const int rows = (int)menu_rows(ui);
	const int value = (int)ui->ctl[i].value;
	ui->menu = i;
	ui->menu_top = 0;
	menu_scroll(ui, value >= rows ? value - rows / 2 : 0);
	ui->dirty = true;
}

/* [gui] An open style menu, drawn last so it lies over the cards. */
static void draw_menu(HeistUI *ui, cairo_t *cr)
{
	if (ui->menu < 0) {
		return;
	}
	const control *c = &ui->ctl[ui->menu];
	const uint32_t rows = menu_rows(ui);
	const uint32_t top = (uint32_t)ui->menu_top;
	const double y0 = c->y + c->h + 4;
	hui_round_rect(cr, c->x, y0, c->w, rows * MENU_ROW_H + 8, 6);
	hui_set(cr, hui_bg, 0.97);
	cairo_fill_preserve(cr);
	hui_set(cr, hui_accent, 1.0);
	cairo_set_line_width(cr, 1.5);
	cairo_stroke(cr);
	for (uint32_t i = 0; i < rows; ++i) {
		const double y = y0 + 4 + i * MENU_ROW_H;
		if ((uint32_t)c->value == top + i) {
			hui_round_rect(cr, c->x + 4, y, c->w - 8, MENU_ROW_H, 4);
			hui_set(cr, hui_track, 1.0);
			cairo_fill(cr);
		}
		hui_text(cr, ui->style_names[top + i], c->x + 14, y + 18, 14, false, HUI_LEFT,
		         hui_text_fg, c->w - 44);
	}
	/* More styles above or below: arrows at the right, the wheel scrolls. */
	if (top > 0) {
		hui_text(cr, "\xe2\x96\xb2", c->x + c->w - 12, y0 + 22, 11, false, HUI_RIGHT,
		         hui_accent, 0);
	}
	if (top + rows < ui->n_styles) {
		hui_text(cr, "\xe2\x96\xbc", c->x + c->w - 12, y0 + rows * MENU_ROW_H, 11, false,
		         HUI_RIGHT, hui_accent, 0);
	}
}

/* [gui] The whole window, in layout units. */
static void draw(HeistUI *ui, cairo_t *cr)
{
	hui_set(cr, hui_bg, 1.0);
	cairo_paint(cr);
	cairo_translate(cr, ui->ox, ui->oy);
	cairo_scale(cr, ui->scale, ui->scale);
	draw_header(ui, cr);
	if (ui->table->synth) {
		draw_output(ui, cr);
	} else {
		draw_note(ui, cr);
	}
	draw_style(ui, cr);
	draw_knobs(ui, cr);
	draw_menu(ui, cr);
}

/* [gui] Monitors change up to the host's update rate (30 Hz in jalv) while sound
 * plays: then only their card is redrawn, a fifth of the window. */
static void redraw(HeistUI *ui)
{
	cairo_t *cr = cairo_create(ui->surface);
	if (!ui->dirty) {
		cairo_rectangle(cr, floor(ui->ox + 16 * ui->scale), floor(ui->oy + 60 * ui->scale),
		                ceil(285 * ui->scale), ceil(227 * ui->scale));
		cairo_clip(cr);
	}
	cairo_push_group(cr); /* drawn off-screen, shown at once: no flicker */
	if (ui->dirty) {
		draw(ui, cr);
	} else {
		hui_set(cr, hui_bg, 1.0);
		cairo_paint(cr);
		cairo_translate(cr, ui->ox, ui->oy);
		cairo_scale(cr, ui->scale, ui->scale);
		if (ui->table->synth) {
			draw_output(ui, cr);
		} else {
			draw_note(ui, cr);
		}
	}
	cairo_pop_group_to_source(cr);
	cairo_paint(cr);
	cairo_destroy(cr);
	cairo_surface_flush(ui->surface);
	XFlush(ui->dpy);
	ui->dirty = ui->dirty_monitors = false;
}

/* -------------------------------------------------------------- events */
/* X events arrive through idle() (the UI has no loop of its own); each turns
 * into set_value() calls bracketed by touch gestures for automation. */

/* [gui] Whether (x, y) lies in the box. */
static bool inside(double x, double y, double bx, double by, double bw, double bh)
{
	return x >= bx && x < bx + bw && y >= by && y < by + bh;
}

/* [gui] The control under a point (layout units), with a 6-unit margin so
 * small widgets are easy to hit; -1 for none. */
static int hit(const HeistUI *ui, double x, double y)
{
	for (int i = 0; i < ui->table->n_ctl; ++i) {
		const control *c = &ui->ctl[i];
		if (inside(x, y, c->x - 6, c->y - 6, c->w + 12, c->h + 12)) {
			return i;
		}
	}
	return -1;
}

/* [gui] The slider value at x: sliders follow the pointer absolutely. */
static float slider_value(const control *c, double x)
{
	const double n = (x - c->x) / c->w;
	return ctl_min(c) + (float)(n < 0 ? 0 : n > 1 ? 1 : n) * (ctl_max(c) - ctl_min(c));
}

/* [gui] A click on an open menu: picks a row, or closes it. */
static bool menu_click(HeistUI *ui, double x, double y)
{
	if (ui->menu < 0) {
		return false;
	}
	control *c = &ui->ctl[ui->menu];
	const uint32_t rows = menu_rows(ui);
	const double y0 = c->y + c->h + 8;
	if (inside(x, y, c->x, y0, c->w, rows * MENU_ROW_H)) {
		const uint32_t row = (uint32_t)((y - y0) / MENU_ROW_H);
		set_value_gesture(ui, c,
		                  (float)((uint32_t)ui->menu_top + (row < rows ? row : rows - 1)));
	}
	ui->menu = -1;
	ui->dirty = true;
	return true;
}

/* [gui] Wheel: one step (Shift: a tenth); click: toggle, picker arrows or
 * menu, start of a drag; double-click: back to the default. */
static void button_press(HeistUI *ui, const XButtonEvent *ev)
{
	const double x = (ev->x - ui->ox) / ui->scale;
	const double y = (ev->y - ui->oy) / ui->scale;
	if ((ev->button == Button4 || ev->button == Button5) && ui->menu >= 0) {
		/* An open menu takes the wheel: it scrolls the list, and never
		 * turns the control under it. */
		menu_scroll(ui, ev->button == Button4 ? -1 : 1);
		return;
	}
	if (ev->button == Button4 || ev->button == Button5) {
		const int i = hit(ui, x, y);
		if (i >= 0 && ui->drag < 0) {
			control *c = &ui->ctl[i];
			const float dir = ev->button == Button4 ? 1.0f : -1.0f;
			const float step = c->wheel_step * ((ev->state & ShiftMask) ? 0.1f : 1.0f);
			float v = c->value + dir * step;
			if (c->kind == C_TOGGLE) {
				v = dir > 0 ? 1.0f : 0.0f;
			} else if (c->param == HEIST_PARAM_LOWEST_PITCH) {
				v = heist_lowest_pitch_step(c->value, (int)dir); /* one floor */
			}
			set_value_gesture(ui, c, v);
		}
		return;
	}
	if (ev->button != Button1 || menu_click(ui, x, y)) {
		return;
	}
	if (!ui->table->synth && inside(x, y, LOAD_X, LOAD_Y, LOAD_W, LOAD_H)) {
		ui->load_pressed = true;
		ui->dirty = true;
		return;
	}
	const int i = hit(ui, x, y);
	if (i < 0) {
		return;
	}
	control *c = &ui->ctl[i];
	const bool dbl = i == ui->last_click && ev->time - ui->last_click_time < DOUBLE_CLICK_MS;
	ui->last_click = i;
	ui->last_click_time = ev->time;
	if (dbl && c->kind != C_TOGGLE) {
		set_value_gesture(ui, c, c->def);
		ui->last_click = -1;
		ui->menu = -1;
		return;
	}
	switch (c->kind) {
	case C_TOGGLE:
		set_value_gesture(ui, c, c->value > 0.5f ? 0.0f : 1.0f);
		break;
	case C_PICKER:
		if (x < c->x + c->h) {
			set_value_gesture(ui, c, c->value - 1.0f);
		} else if (x > c->x + c->w - c->h) {
			set_value_gesture(ui, c, c->value + 1.0f);
		} else if (ui->n_styles > 0) {
			menu_open(ui, i);
		}
		break;
	case C_SLIDER: /* jumps to the click, then follows the pointer */
		ui->drag = i;
		touch(ui, c, true);
		set_value(ui, c, slider_value(c, x));
		ui->dirty = true;
		break;
	case C_KNOB: /* relative vertical drag; Shift is fine control */
		ui->drag = i;
		ui->drag_y = ev->y;
		ui->drag_value = c->value;
		ui->drag_fine = ev->state & ShiftMask;
		touch(ui, c, true);
		ui->dirty = true;
		break;
	}
}

/* [gui] A drag: knobs move relative to where the drag began, so grabbing
 * one never makes it jump. */
static void motion(HeistUI *ui, const XMotionEvent *ev)
{
	if (ui->drag < 0) {
		return;
	}
	control *c = &ui->ctl[ui->drag];
	if (c->kind == C_SLIDER) {
		set_value(ui, c, slider_value(c, (ev->x - ui->ox) / ui->scale));
	} else {
		const bool fine = ev->state & ShiftMask;
		if (fine != ui->drag_fine) { /* re-anchor so the value does not jump */
			ui->drag_fine = fine;
			ui->drag_y = ev->y;
			ui->drag_value = c->value;
		}
		const double px = KNOB_DRAG_PX * ui->scale * (fine ? 10.0 : 1.0);
		const double dv = (ui->drag_y - ev->y) / px * (ctl_max(c) - ctl_min(c));
		set_value(ui, c, ui->drag_value + (float)dv);
	}
}

/* [gui] Ends a drag's touch gesture; Load acts on release inside it, as
 * buttons do. */
static void button_release(HeistUI *ui, const XButtonEvent *ev)
{
	if (ev->button != Button1) {
		return;
	}
	if (ui->load_pressed) {
		ui->load_pressed = false;
		ui->dirty = true;
		const double x = (ev->x - ui->ox) / ui->scale;
		const double y = (ev->y - ui->oy) / ui->scale;
		if (inside(x, y, LOAD_X, LOAD_Y, LOAD_W, LOAD_H)) {
			load_model_clicked(ui);
		}
	}
	if (ui->drag >= 0) {
		touch(ui, &ui->ctl[ui->drag], false);
		ui->drag = -1;
		ui->dirty = true;
	}
}

/* [gui] A new window size from X or the host: new surface size and layout. */
static void resized(HeistUI *ui, int w, int h)
{
	if (w == ui->width && h == ui->height) {
		return;
	}
	ui->width = w;
	ui->height = h;
	cairo_xlib_surface_set_size(ui->surface, w, h);
	layout(ui);
	ui->dirty = true;
}

/* [gui] One X event; the UI has its own window but no event loop, so
 * idle() feeds it the pending ones. */
static void handle_event(HeistUI *ui, XEvent *ev)
{
	switch (ev->type) {
	case Expose:
		if (ev->xexpose.count == 0) {
			ui->dirty = true;
		}
		break;
	case ConfigureNotify:
		resized(ui, ev->xconfigure.width, ev->xconfigure.height);
		break;
	case ButtonPress:
		button_press(ui, &ev->xbutton);
		break;
	case ButtonRelease:
		button_release(ui, &ev->xbutton);
		break;
	case MotionNotify:
		/* Only the latest position matters. */
		while (XCheckTypedWindowEvent(ui->dpy, ui->win, MotionNotify, ev)) {
		}
		motion(ui, &ev->xmotion);
		break;
	default:
		break;
	}
}

/* ----------------------------------------------------------------- LV2 */
/* The ui:X11UI entry points: instantiate, port events in, idle; every host
 * feature is optional except the parent window and URID map. */

/* [gui] ui:idleInterface: the host calls it regularly; it is the UI's event
 * loop (X events, the file dialog) and redraws only what changed. */
static int idle(LV2UI_Handle handle)
{
	HeistUI *ui = (HeistUI *)handle;
	poll_picker(ui);
	while (XPending(ui->dpy) > 0) {
		XEvent ev;
		XNextEvent(ui->dpy, &ev);
		handle_event(ui, &ev);
	}
	if (ui->dirty || ui->dirty_monitors) {
		redraw(ui);
	}
	return 0;
}

/* [gui] Closes a file dialog still open (its answer is no longer wanted),
 * then the window and display. */
static void cleanup(LV2UI_Handle handle)
{
	HeistUI *ui = (HeistUI *)handle;
	if (ui->picker_fd >= 0) {
		kill(ui->picker_pid, SIGTERM);
		close(ui->picker_fd);
		waitpid(ui->picker_pid, NULL, 0);
	}
	if (ui->surface) {
		cairo_surface_destroy(ui->surface);
	}
	if (ui->dpy) {
		if (ui->win) {
			XDestroyWindow(ui->dpy, ui->win);
		}
		XCloseDisplay(ui->dpy);
	}
	free(ui);
}

/* [gui] A monitor's new value from the host: false if port is none of the
 * plugin's monitors. Redrawn only on a change that shows. */
static bool monitor_event(HeistUI *ui, uint32_t port, float v)
{
	const plugin_table *t = ui->table;
	for (int i = 0; i < t->n_monitors; ++i) {
		const monitor_def *m = &t->monitors[i];
		if (m->port == port) {
			float *field = (float *)((char *)ui + m->field);
			if (fabsf(*field - v) >= m->eps) {
				*field = v;
				ui->dirty_monitors = true;
			}
			return true;
		}
	}
	return false;
}

/* [gui] Changes that hosts send: monitors, automation, presets. Stored and shown,
 * never written back (no echo). */
static void port_event(LV2UI_Handle handle, uint32_t port, uint32_t size, uint32_t format,
                       const void *buffer)
{
	HeistUI *ui = (HeistUI *)handle;
	if (format == ui->urid.atom_eventTransfer && port == ui->notify_port &&
	    size >= sizeof(LV2_Atom)) {
		handle_patch(ui, (const LV2_Atom *)buffer);
		return;
	}
	if (format != 0 || size != sizeof(float)) {
		return;
	}
	const float v = *(const float *)buffer;
	if (!isfinite(v)) {
		return;
	}
	if (monitor_event(ui, port, v)) {
		return;
	}
	for (int i = 0; i < ui->table->n_ctl; ++i) {
		control *c = &ui->ctl[i];
		if (c->port == port) {
			if (ui->drag != i && c->value != v) { /* the user's hand wins */
				c->value = v;
				ui->dirty = true;
			}
			return;
		}
	}
}

/* [gui] The host's float option key; NAN if it passes none. */
static float float_option(const HeistUI *ui, const LV2_Options_Option *opts, LV2_URID key)
{
	for (const LV2_Options_Option *o = opts; o && o->key; ++o) {
		if (o->key == key && o->type == ui->urid.atom_Float && o->size == sizeof(float)) {
			return *(const float *)o->value;
		}
	}
	return NAN;
}

/* [gui] The initial size factor: HEIST_UI_SCALE (tests, odd setups), else the
 * host's ui:scaleFactor, else 1. */
static float scale_factor(const HeistUI *ui, const LV2_Options_Option *opts)
{
	const char *env = getenv("HEIST_UI_SCALE");
	if (env && atof(env) >= 0.5 && atof(env) <= 4.0) {
		return (float)atof(env);
	}
	const float s = float_option(ui, opts, ui->urid.ui_scaleFactor);
	return s >= 0.5f && s <= 4.0f ? s : 1.0f;
}

/* [gui] The host's sample rate, if it passes one (for the latency in ms); 0 if not. */
static double sample_rate_option(const HeistUI *ui, const LV2_Options_Option *opts)
{
	const float r = float_option(ui, opts, ui->urid.param_sampleRate);
	return r >= 1000.0f && r <= 1e6f ? r : 0.0;
}

/* [gui] URIDs mapped once, so messages compare integers. */
static void map_urids(HeistUI *ui)
{
	LV2_URID_Map *m = ui->map;
	ui->urid.atom_Path = m->map(m->handle, LV2_ATOM__Path);
	ui->urid.atom_URID = m->map(m->handle, LV2_ATOM__URID);
	ui->urid.atom_Float = m->map(m->handle, LV2_ATOM__Float);
	ui->urid.atom_eventTransfer = m->map(m->handle, LV2_ATOM__eventTransfer);
	ui->urid.patch_Set = m->map(m->handle, LV2_PATCH__Set);
	ui->urid.patch_Get = m->map(m->handle, LV2_PATCH__Get);
	ui->urid.patch_Put = m->map(m->handle, LV2_PATCH__Put);
	ui->urid.patch_property = m->map(m->handle, LV2_PATCH__property);
	ui->urid.patch_value = m->map(m->handle, LV2_PATCH__value);
	ui->urid.patch_body = m->map(m->handle, LV2_PATCH__body);
	ui->urid.model = m->map(m->handle, HEIST_MODEL_PROPERTY);
	ui->urid.status = m->map(m->handle, HEIST_STATUS_URI);
	ui->urid.atom_String = m->map(m->handle, LV2_ATOM__String);
	ui->urid.ui_scaleFactor = m->map(m->handle, LV2_UI__scaleFactor);
	ui->urid.param_sampleRate = m->map(m->handle, LV2_PARAMETERS__sampleRate);
	lv2_atom_forge_init(&ui->forge, m);
}

/* [gui] The host's features into ui (map, resize, touch, requestValue) and
 * the ones instantiate() needs only once into the out arguments. */
static void read_features(HeistUI *ui, const LV2_Feature *const *features, void **parent,
                          LV2UI_Port_Map **port_map, const LV2_Options_Option **opts)
{
	for (int i = 0; features && features[i]; ++i) {
		const char *uri = features[i]->URI;
		void *data = features[i]->data;
		if (!strcmp(uri, LV2_UI__parent)) {
			*parent = data;
		} else if (!strcmp(uri, LV2_URID__map)) {
			ui->map = (LV2_URID_Map *)data;
		} else if (!strcmp(uri, LV2_UI__resize)) {
			ui->resize = (LV2UI_Resize *)data;
		} else if (!strcmp(uri, LV2_UI__touch)) {
			ui->touch = (LV2UI_Touch *)data;
		} else if (!strcmp(uri, LV2_UI__requestValue)) {
			ui->request_value = (LV2UI_Request_Value *)data;
		} else if (!strcmp(uri, LV2_UI__portMap)) {
			*port_map = (LV2UI_Port_Map *)data;
		} else if (!strcmp(uri, LV2_OPTIONS__options)) {
			*opts = (const LV2_Options_Option *)data;
		}
	}
}

/* [gui] Our own X window inside the host's parent, at the host's scale
 * factor, with its cairo surface; false when there is no display. */
static bool open_window(HeistUI *ui, void *parent, const LV2_Options_Option *opts)
{
	ui->dpy = XOpenDisplay(NULL);
	if (!ui->dpy) {
		fprintf(stderr, "heist_ui: cannot open the X display\n");
		return false;
	}
	const float scale = scale_factor(ui, opts);
	ui->sample_rate = sample_rate_option(ui, opts);
	ui->width = (int)lrint(BASE_W * scale);
	ui->height = (int)lrint(BASE_H * scale);
	const int screen = DefaultScreen(ui->dpy);
	ui->win = XCreateSimpleWindow(ui->dpy, (Window)(uintptr_t)parent, 0, 0, (unsigned)ui->width,
	                              (unsigned)ui->height, 0, BlackPixel(ui->dpy, screen),
	                              BlackPixel(ui->dpy, screen));
	XSelectInput(ui->dpy, ui->win,
	             ExposureMask | StructureNotifyMask | ButtonPressMask | ButtonReleaseMask |
	                 Button1MotionMask);
	XSizeHints hints = {0};
	hints.flags = PMinSize | PBaseSize;
	hints.min_width = (int)(BASE_W * 0.5);
	hints.min_height = (int)(BASE_H * 0.5);
	hints.base_width = ui->width;
	hints.base_height = ui->height;
	XSetWMNormalHints(ui->dpy, ui->win, &hints);
	ui->surface = cairo_xlib_surface_create(ui->dpy, ui->win, DefaultVisual(ui->dpy, screen),
	                                        ui->width, ui->height);
	XMapRaised(ui->dpy, ui->win);
	XFlush(ui->dpy);
	return true;
}

/* [gui] The shipped model's name and styles until the plugin answers the
 * patch:Get (sent here) with the model it plays. */
static void show_shipped_model(HeistUI *ui, const char *bundle_path)
{
	snprintf(ui->bundle_path, sizeof(ui->bundle_path), "%s", bundle_path ? bundle_path : "");
	char path[1200];
	const size_t blen = strlen(ui->bundle_path);
	snprintf(path, sizeof(path), "%s%s%s", ui->bundle_path,
	         blen && ui->bundle_path[blen - 1] == '/' ? "" : "/", HEIST_DEFAULT_MODEL);
	load_model_info(ui, path);
	send_patch_get(ui);
}

/* [gui] Needs ui:parent and urid:map; everything else (resize, touch,
 * requestValue, portMap, options) is optional. Shows the shipped model until
 * the plugin answers the patch:Get with the one it plays. */
static LV2UI_Handle instantiate(const LV2UI_Descriptor *descriptor, const char *plugin_uri,
                                const char *bundle_path, LV2UI_Write_Function write_function,
                                LV2UI_Controller controller, LV2UI_Widget *widget,
                                const LV2_Feature *const *features)
{
	/* One binary, two UIs: the descriptor says which plugin's table. */
	const plugin_table *table =
	    !strcmp(descriptor->URI, HEIST_SYNTH_UI_URI) ? &synth_table : &effect_table;
	if (strcmp(plugin_uri, table->plugin_uri)) {
		return NULL;
	}
	HeistUI *ui = (HeistUI *)calloc(1, sizeof(HeistUI));
	if (!ui) {
		return NULL;
	}
	ui->table = table;
	ui->write = write_function;
	ui->controller = controller;
	ui->drag = ui->menu = ui->last_click = -1;
	ui->picker_fd = -1;
	ui->control_port = ui->notify_port = LV2UI_INVALID_PORT_INDEX;
	ui->loudness_db = -120.0f;
	ui->in_db = ui->out_db = -90.0f;

	void *parent = NULL;
	LV2UI_Port_Map *port_map = NULL;
	const LV2_Options_Option *opts = NULL;
	read_features(ui, features, &parent, &port_map, &opts);
	if (!parent || !ui->map) {
		fprintf(stderr, "heist_ui: the host must provide ui:parent and urid:map\n");
		free(ui);
		return NULL;
	}
	map_urids(ui);
	/* The atom ports for model loading are looked up by symbol, so the UI
	 * works with plugin builds that have them and without. */
	if (port_map) {
		ui->control_port = port_map->port_index(port_map->handle, "control");
		ui->notify_port = port_map->port_index(port_map->handle, "notify");
	}

	if (!open_window(ui, parent, opts)) {
		free(ui);
		return NULL;
	}

	init_controls(ui);
	layout(ui);
	ui->dirty = true;

	show_shipped_model(ui, bundle_path);

	/* A host that passes ui:resize anyway (undeclared: deprecated) is told
	 * the size; the others read it from the window. */
	if (ui->resize) {
		ui->resize->ui_resize(ui->resize->handle, ui->width, ui->height);
	}
	*widget = (LV2UI_Widget)(uintptr_t)ui->win;
	return (LV2UI_Handle)ui;
}

/* [any] The idle interface (required: the UI has no thread of its own) and
 * ui:resize for hosts that resize the UI. */
static const void *extension_data(const char *uri)
{
	static const LV2UI_Idle_Interface idle_iface = {idle};
	if (!strcmp(uri, LV2_UI__idleInterface)) {
		return &idle_iface;
	}
	return NULL;
}

static const LV2UI_Descriptor descriptors[2] = {
    {HEIST_UI_URI, instantiate, cleanup, port_event, extension_data},
    {HEIST_SYNTH_UI_URI, instantiate, cleanup, port_event, extension_data},
};

/* [any] 0: the effect's UI, 1: Heist Synth's. */
LV2_SYMBOL_EXPORT const LV2UI_Descriptor *lv2ui_descriptor(uint32_t index)
{
	return index < 2 ? &descriptors[index] : NULL;
}
