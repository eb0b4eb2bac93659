#!/usr/bin/env python3
"""Heist's X11 UI in a real host: jalv.gtk3 embeds it under Xvfb.

Usage: test_ui.py LV2_PATH OUT_DIR

Starts, all private to this run: an Xvfb server on a free display, a JACK
dummy server with its own name, a 440 Hz tone (jack_metro) into the plugin's
input, and jalv.gtk3 with the build-tree bundle. Then checks that:

1. the UI window is embedded in jalv's window and mapped (viewable);
2. a screenshot of it (OUT_DIR/heist-ui.png) is not blank;
3. a synthetic drag with xdotool on the Morph slider changes the value in
   the plugin's morph port: jalv's own "Save State" (Ctrl+S) writes the port
   values it feeds the plugin, before (default 0) and after the drag;
4. the Style A menu reaches every one of the shipped model's 14 styles: it
   shows 10 rows and the mouse wheel scrolls it (OUT_DIR/heist-ui-menu.png);
   the wheel over the open menu never turns the control under it (the Morph
   slider there keeps its value); a click on the last row after scrolling
   picks the style shown there;
5. at ui:scaleFactor 2 (HEIST_UI_SCALE=2) the window is twice the size and
   its screenshot (OUT_DIR/heist-ui-2x.png) is not blank either;
6. restored states (jalv -l): a model file the plugin refuses puts a red
   status line in the header (the plugin's heist:status on the notify port;
   none for a good model); with a 1-style custom model, Style A at 7 shows
   the same label as at 0 (the style that plays), not "style 8";
7. Heist Synth's UI (the second descriptor of the same binary) is embedded in
   jalv's "Heist Synth" window the same way, is not blank
   (OUT_DIR/heist-synth-ui.png), the Morph drag and the Style A menu write the
   synth's ports as in 3 and 4, and it follows the host's port values: with
   a restored state (morph 0.6, tuning 442 Hz) one wheel step up writes 0.61
   and 442.5, steps from the values the host sent, not from the defaults.

Usage: test_ui.py LV2_PATH OUT_DIR [WRITE_MODEL] (tests/tools/write_model;
without it, 6 is left out).

Every process started here is stopped by its pid at the end.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

URI = "http://heist.audio/plugins/heist"
SYNTH_URI = "http://heist.audio/plugins/heist-synth"
TUNING_CX, KNOB_CY = 16 + 728 / 9 * 1.5, 364  # the synth's Tuning knob (2nd of 9)
BASE_W, BASE_H = 760, 440  # layout units of ui/heist_ui.c
MORPH_X0, MORPH_W, MORPH_CY = 342, 376, 198  # the Morph slider track, layout units
STYLE_A_X, STYLE_A_Y, STYLE_A_W, STYLE_A_H = 332, 92, 190, 38  # the Style A picker
MENU_ROW_H, MENU_ROWS = 26, 10  # the style menu's rows (ui/heist_ui.c)
TOOLS = ["Xvfb", "jackd", "jack_lsp", "jack_connect", "jack_metro", "jalv.gtk3", "xdotool",
         "xwininfo", "import", "identify", "convert"]


class Fail(Exception):
    pass


def wait_for(what, predicate, timeout):
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise Fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


class Session:
    """The private servers and clients, stopped in reverse order."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.procs = []
        self.env = dict(os.environ)
        for key in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS"):
            self.env.pop(key, None)
        # Quiet, self-contained GTK: no accessibility bus, no dconf writes.
        self.env.update(HOME=tmp, XDG_CONFIG_HOME=tmp, XDG_RUNTIME_DIR=tmp, NO_AT_BRIDGE="1",
                        GSETTINGS_BACKEND="memory", JACK_NO_START_SERVER="1")

    def start(self, name, argv, env=None, **kw):
        log = open(os.path.join(self.tmp, name + ".log"), "w")
        proc = subprocess.Popen(argv, env=env or self.env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, **kw)
        self.procs.append((name, proc, log))
        return proc

    def log(self, name):
        with open(os.path.join(self.tmp, name + ".log"), errors="replace") as f:
            return f.read()

    def run(self, argv, check=True):
        r = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=30)
        if check and r.returncode != 0:
            raise Fail(f"{' '.join(argv)} failed: {r.stderr.strip()}")
        return r.stdout

    def stop(self, proc):
        for name, p, log in list(self.procs):
            if p is proc:
                self._stop_one(p)
                log.close()
                self.procs.remove((name, p, log))

    @staticmethod
    def _stop_one(p):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def close(self):
        for _, p, log in reversed(self.procs):
            self._stop_one(p)
            log.close()
        self.procs = []

    def start_x(self):
        r, w = os.pipe()
        self.start("xvfb", ["Xvfb", "-displayfd", str(w), "-screen", "0", "1600x1000x24",
                            "-nolisten", "tcp"], pass_fds=(w,))
        os.close(w)
        with os.fdopen(r) as f:
            display = f.readline().strip()
        if not display:
            raise Fail("Xvfb did not start:\n" + self.log("xvfb"))
        self.env["DISPLAY"] = ":" + display

    def start_jack(self):
        name = f"heist-ui-test-{os.getpid()}"
        self.env["JACK_DEFAULT_SERVER"] = name
        jackd = self.start("jackd", ["jackd", "--no-realtime", "-n", name, "-d", "dummy",
                                     "-r", "48000", "-p", "256"])

        def up():
            if jackd.poll() is not None:
                raise Fail("jackd exited:\n" + self.log("jackd"))
            return self.run(["jack_lsp"], check=False)

        wait_for("the JACK server", up, 15)
        # A near-steady A4 for the note readout and the meters: 990 ms tones
        # on 1 s beats (jack_metro wants the tone shorter than the beat).
        self.start("tone", ["jack_metro", "-n", "heist-tone", "-f", "440", "-A", "0.3",
                            "-D", "990", "-a", "1", "-d", "1", "-b", "60"])


def window_tree(s):
    """(id, name, width, height, depth) of every window, in tree order."""
    # The tree walk queries each window in turn; one that a client destroys
    # meanwhile (GTK's short-lived popups) fails the whole walk with
    # BadWindow, so a failed walk is taken again.
    for attempt in range(5):
        r = subprocess.run(["xwininfo", "-root", "-tree"], env=s.env, capture_output=True,
                           text=True, timeout=30)
        if r.returncode == 0:
            break
        if attempt == 4:
            raise Fail(f"xwininfo -root -tree failed: {r.stderr.strip()}")
        time.sleep(0.2)
    out = r.stdout
    rows = []
    pat = re.compile(r'^(\s*)(0x[0-9a-f]+) (\(has no name\)|"[^"]*").*?\s(\d+)x(\d+)[+-]')
    for line in out.splitlines():
        m = pat.match(line)
        if m:
            rows.append((int(m.group(2), 16), m.group(3).strip('"'), int(m.group(4)),
                         int(m.group(5)), len(m.group(1))))
    return rows


def find_ui_window(s, width, height, title="Heist"):
    """The UI's own window: inside jalv's "Heist" window, created by another
    X client (heist_ui.c opens its own connection), of the expected size."""
    rows = window_tree(s)
    for i, (wid, name, _, _, depth) in enumerate(rows):
        if name != title:
            continue
        client = wid & ~0x1FFFFF
        for cid, _, w, h, d in rows[i + 1:]:
            if d <= depth:
                break
            if cid & ~0x1FFFFF != client and (w, h) == (width, height):
                return wid, cid
    return None


def geometry(s, wid):
    out = s.run(["xwininfo", "-id", hex(wid)])
    g = {}
    for key, pat in (("x", r"Absolute upper-left X:\s+(-?\d+)"),
                     ("y", r"Absolute upper-left Y:\s+(-?\d+)"),
                     ("w", r"Width:\s+(\d+)"), ("h", r"Height:\s+(\d+)"),
                     ("state", r"Map State:\s+(\w+)")):
        m = re.search(pat, out)
        if not m:
            raise Fail(f"xwininfo: no {key} for {hex(wid)}")
        g[key] = m.group(1) if key == "state" else int(m.group(1))
    return g


def check_not_blank(s, png):
    """A blank or single-colour picture has (almost) no spread and few colours."""
    stats = s.run(["identify", "-format", "%[fx:standard_deviation] %k", png]).split()
    spread, colours = float(stats[0]), int(stats[1])
    # The dark theme's background alone has a spread near 0 and < 10 colours;
    # text, knobs and gradients give thousands of colours.
    if spread < 0.03 or colours < 200:
        raise Fail(f"{png} looks blank: spread {spread:.3f}, {colours} colours")
    print(f"ok: {png}: spread {spread:.3f}, {colours} colours")


def connect_tone(s, client):
    def ports():
        out = s.run(["jack_lsp"], check=False)
        tone = [p for p in out.splitlines() if p.startswith("heist-tone:")]
        # jalv names JACK ports by port symbol or name, depending on version.
        inp = [p for p in out.splitlines() if p in (client + ":in", client + ":Input")]
        return (tone[0], inp[0]) if tone and inp else None

    src, dst = wait_for("the tone and jalv's JACK ports", ports, 15)
    s.run(["jack_connect", src, dst])


def save_state(s, toplevel, path, symbol="morph"):
    """jalv.gtk3's File > Save (Ctrl+S): a folder with state.ttl, holding the
    values of the plugin's control ports. Returns the value of the port
    symbol (morph), or a dict of them when symbol is a list."""
    s.run(["xdotool", "windowfocus", "--sync", str(toplevel), "key", "ctrl+s"])

    def dialog():
        out = s.run(["xdotool", "search", "--name", "^Save State$"], check=False)
        return out.split()[0] if out.split() else None

    d = wait_for("jalv's Save State dialog", dialog, 15)
    s.run(["xdotool", "windowfocus", "--sync", d, "type", "--delay", "10", path])
    ttl = os.path.join(path, "state.ttl")
    # The first Return may only close the name entry's completion popup.
    for _ in range(5):
        s.run(["xdotool", "key", "Return"])
        try:
            wait_for(ttl, lambda: os.path.exists(ttl), 3)
            break
        except Fail:
            continue
    wait_for(ttl, lambda: os.path.exists(ttl), 5)
    time.sleep(0.3)  # written in one go, but let jalv finish the file
    with open(ttl) as f:
        text = f.read()
    values = {}
    for sym in symbol if isinstance(symbol, list) else [symbol]:
        m = re.search(r'lv2:symbol "' + sym + r'" ;\s*pset:value ([-+0-9.eE]+)', text)
        if not m:
            raise Fail(f"no {sym} port value in {ttl}:\n{text}")
        values[sym] = float(m.group(1))
    return values if isinstance(symbol, list) else values[symbol]


def start_jalv(s, lv2_path, client, scale=None, state=None, uri=URI):
    env = dict(s.env, LV2_PATH=lv2_path)
    preload = os.environ.get("HEIST_UI_PRELOAD")
    if preload:  # sanitizer build: the runtime must come first in jalv
        env["LD_PRELOAD"] = preload
        env["ASAN_OPTIONS"] = "detect_leaks=0:" + env.get("ASAN_OPTIONS", "")
    if scale:
        env["HEIST_UI_SCALE"] = str(scale)
    load = ["-l", state] if state else []
    argv = ["jalv.gtk3", "--jack-name", client, "-x"] + load + [uri]
    # Under a loaded CI machine GTK's first connection to Xvfb has been
    # refused ("Cannot open display:", jalv gone in under a second) about
    # once in six runs, with Xvfb alive and answering the next client. That
    # is the test's own X server, not the UI: a jalv that exits at GTK's
    # start that way, while `xwininfo -root` still answers, is started again
    # (twice at most); every check below still runs on the jalv that stays.
    for attempt in range(3):
        jalv = s.start(client, argv, env=env)
        end = time.monotonic() + 2.0
        while jalv.poll() is None and time.monotonic() < end:
            time.sleep(0.1)
        if jalv.poll() is None or attempt == 2:
            return jalv
        if "Cannot open display" not in s.log(client):
            return jalv  # another failure: the caller reports it
        s.run(["xwininfo", "-root"])  # raises Fail if the X server is gone
        s.stop(jalv)
        print(f"note: {client}: jalv.gtk3 could not open the display, started again")
    return jalv


def run_1x(s, lv2_path, out_dir, synth=False):
    """Checks 1-4 on the effect's UI, or (synth) 7 without the tone."""
    client = "heist-synth-ui-1x" if synth else "heist-ui-1x"
    title, shot_name = ("Heist Synth", "heist-synth-ui") if synth else ("Heist", "heist-ui")
    jalv = start_jalv(s, lv2_path, client, uri=SYNTH_URI if synth else URI)

    def ui():
        if jalv.poll() is not None:
            raise Fail("jalv.gtk3 exited:\n" + s.log(client))
        return find_ui_window(s, BASE_W, BASE_H, title)

    toplevel, win = wait_for("the Heist UI window in jalv.gtk3", ui, 30)
    g = wait_for("the UI window to be viewable",
                 lambda: (lambda g: g if g["state"] == "IsViewable" else None)(geometry(s, win)),
                 10)
    print(f"ok: UI window {hex(win)} embedded in jalv's {hex(toplevel)}, "
          f"{g['w']}x{g['h']} at {g['x']},{g['y']}, IsViewable")

    if not synth:  # the synth has no audio input
        connect_tone(s, client)
    time.sleep(1.5)  # meters and note readout follow the tone at jalv's 30 Hz
    before = save_state(s, toplevel, os.path.join(s.tmp, client + "-state-before"))

    shot = os.path.join(out_dir, shot_name + ".png")
    s.run(["import", "-window", hex(win), shot])
    check_not_blank(s, shot)
    s.run(["import", "-window", hex(toplevel),
           os.path.join(out_dir, "jalv-heist-synth.png" if synth else "jalv-heist.png")])

    # Drag the Morph thumb from 10 % to 75 % of its track, in small steps.
    scale = min(g["w"] / BASE_W, g["h"] / BASE_H)
    ox, oy = g["x"] + (g["w"] - BASE_W * scale) / 2, g["y"] + (g["h"] - BASE_H * scale) / 2
    y = round(oy + MORPH_CY * scale)
    x0 = round(ox + (MORPH_X0 + 0.10 * MORPH_W) * scale)
    x1 = round(ox + (MORPH_X0 + 0.75 * MORPH_W) * scale)
    argv = ["xdotool", "mousemove", str(x0), str(y), "mousedown", "1"]
    for i in range(1, 11):
        argv += ["mousemove", str(x0 + (x1 - x0) * i // 10), str(y), "sleep", "0.03"]
    argv += ["mouseup", "1"]
    s.run(argv)
    time.sleep(0.5)  # the UI writes at once; jalv applies it on the next cycle
    after = save_state(s, toplevel, os.path.join(s.tmp, client + "-state-after"))
    s.run(["import", "-window", hex(win), os.path.join(out_dir, shot_name + "-after-drag.png")])

    print(f"morph in the plugin: {before:.4f} before the drag, {after:.4f} after")
    if abs(before) > 1e-6:
        raise Fail(f"morph was {before} before the drag, not its default 0")
    # 0.75 +- the rounding of the pointer position to whole pixels.
    if abs(after - 0.75) > 0.02:
        raise Fail(f"after dragging the Morph thumb to 75 %, the plugin's morph is {after}")

    # The Style A menu over the Morph slider: 5 wheel steps down, 2 up
    # (the list scrolls to start at style 2; before, the slider turned),
    # then a click on the last row: style 2 + 9 = 11.
    def at(lx, ly):
        return [str(round(ox + lx * scale)), str(round(oy + ly * scale))]
    s.run(["xdotool", "mousemove"] + at(STYLE_A_X + STYLE_A_W / 2, STYLE_A_Y + STYLE_A_H / 2) +
          ["click", "1"])
    time.sleep(0.3)
    s.run(["xdotool", "mousemove"] + at(STYLE_A_X + STYLE_A_W / 2, MORPH_CY) +
          ["click", "--repeat", "5", "--delay", "60", "5",
           "click", "--repeat", "2", "--delay", "60", "4"])
    time.sleep(0.3)
    s.run(["import", "-window", hex(win), os.path.join(out_dir, shot_name + "-menu.png")])
    last_row_y = STYLE_A_Y + STYLE_A_H + 8 + (MENU_ROWS - 1) * MENU_ROW_H + MENU_ROW_H / 2
    s.run(["xdotool", "mousemove"] + at(STYLE_A_X + STYLE_A_W / 2, last_row_y) + ["click", "1"])
    time.sleep(0.5)
    menu = save_state(s, toplevel, os.path.join(s.tmp, client + "-state-menu"),
                      ["morph", "style_a"])
    print(f"after the menu: style_a {menu['style_a']:g}, morph {menu['morph']:.4f}")
    if abs(menu["morph"] - after) > 1e-6:
        raise Fail(f"the wheel over the open style menu moved Morph: {after} -> {menu['morph']}")
    if menu["style_a"] != 11:
        raise Fail(f"scrolled style menu: the last row picked style {menu['style_a']}, not 11")
    s.stop(jalv)


SYNTH_STATE_TTL = """@prefix lv2: <http://lv2plug.in/ns/lv2core#> .
@prefix pset: <http://lv2plug.in/ns/ext/presets#> .

<>
    a pset:Preset ;
    lv2:appliesTo <http://heist.audio/plugins/heist-synth> ;
    lv2:port [
        lv2:symbol "morph" ;
        pset:value 0.6
    ] , [
        lv2:symbol "tuning" ;
        pset:value 442.0
    ] .
"""


def run_synth_follows(s, lv2_path, out_dir):
    """Check 7's second half: the synth UI steps from the values the host
    sent it (a restored state), so it took the host's port events."""
    state = os.path.join(s.tmp, "state-synth-restored")
    os.makedirs(state)
    with open(os.path.join(state, "state.ttl"), "w") as f:
        f.write(SYNTH_STATE_TTL)
    client = "heist-synth-ui-restored"
    jalv = start_jalv(s, lv2_path, client, state=state, uri=SYNTH_URI)

    def ui():
        if jalv.poll() is not None:
            raise Fail("jalv.gtk3 exited:\n" + s.log(client))
        return find_ui_window(s, BASE_W, BASE_H, "Heist Synth")

    toplevel, win = wait_for("the Heist Synth UI window (restored)", ui, 30)
    g = wait_for("the UI to be viewable",
                 lambda: (lambda g: g if g["state"] == "IsViewable" else None)(geometry(s, win)),
                 10)
    time.sleep(1.0)  # jalv sends the restored values to the UI at its rate
    s.run(["import", "-window", hex(win), os.path.join(out_dir, "heist-synth-ui-restored.png")])
    scale = min(g["w"] / BASE_W, g["h"] / BASE_H)
    ox, oy = g["x"] + (g["w"] - BASE_W * scale) / 2, g["y"] + (g["h"] - BASE_H * scale) / 2

    def at(lx, ly):
        return [str(round(ox + lx * scale)), str(round(oy + ly * scale))]
    # One wheel step up over each: Morph's step is 0.01, Tuning's 0.5 Hz.
    s.run(["xdotool", "mousemove"] + at(MORPH_X0 + MORPH_W / 2, MORPH_CY) + ["click", "4"])
    s.run(["xdotool", "mousemove"] + at(TUNING_CX, KNOB_CY) + ["click", "4"])
    time.sleep(0.5)
    v = save_state(s, toplevel, os.path.join(s.tmp, "state-synth-stepped"), ["morph", "tuning"])
    print(f"synth after one wheel step from the restored state: morph {v['morph']:.4f}, "
          f"tuning {v['tuning']:.2f}")
    # Float steps: 0.6 + 0.01 in single precision, well inside 1e-4.
    if abs(v["morph"] - 0.61) > 1e-4 or abs(v["tuning"] - 442.5) > 1e-3:
        raise Fail("the synth UI did not step from the host's values (0.6, 442 Hz)")
    s.stop(jalv)


def run_2x(s, lv2_path, out_dir):
    client = "heist-ui-2x"
    jalv = start_jalv(s, lv2_path, client, scale=2)

    def ui():
        if jalv.poll() is not None:
            raise Fail("jalv.gtk3 exited:\n" + s.log(client))
        return find_ui_window(s, 2 * BASE_W, 2 * BASE_H)

    _, win = wait_for("the 2x Heist UI window", ui, 30)
    wait_for("the 2x UI to be viewable", lambda: geometry(s, win)["state"] == "IsViewable", 10)
    connect_tone(s, client)
    time.sleep(1.5)
    shot = os.path.join(out_dir, "heist-ui-2x.png")
    s.run(["import", "-window", hex(win), shot])
    check_not_blank(s, shot)
    s.stop(jalv)


STATE_TTL = """@prefix lv2: <http://lv2plug.in/ns/lv2core#> .
@prefix pset: <http://lv2plug.in/ns/ext/presets#> .
@prefix state: <http://lv2plug.in/ns/ext/state#> .

<>
    a pset:Preset ;
    lv2:appliesTo <http://heist.audio/plugins/heist> ;
    lv2:port [
        lv2:symbol "style_a" ;
        pset:value {style_a}
    ] ;
    state:state [
        <http://heist.audio/plugins/heist#model> <file://{model}>
    ] .
"""


def pixels(s, png, x, y, w, h):
    """(r, g, b) of every pixel of a region, through ImageMagick's txt:."""
    out = s.run(["convert", png, "-crop", f"{w}x{h}+{x}+{y}", "+repage", "-depth", "8", "txt:-"])
    px = []
    for line in out.splitlines()[1:]:
        m = re.search(r"\((\d+),(\d+),(\d+)", line)
        if m:
            px.append(tuple(int(v) for v in m.groups()))
    return px


def run_restored(s, lv2_path, out_dir, write_model):
    one = os.path.join(s.tmp, "one.hsm")
    bad = os.path.join(s.tmp, "bad.hsm")
    s.run([write_model, one, "one"])
    with open(bad, "w") as f:
        f.write("HEISTHSM but not a model")
    shots = {}
    for name, model, style_a in (("bad", bad, 0), ("one-7", one, 7), ("one-0", one, 0)):
        state = os.path.join(s.tmp, "state-" + name)
        os.makedirs(state)
        with open(os.path.join(state, "state.ttl"), "w") as f:
            f.write(STATE_TTL.format(style_a=style_a, model=model))
        client = "heist-ui-" + name
        jalv = start_jalv(s, lv2_path, client, state=state)

        def ui():
            if jalv.poll() is not None:
                raise Fail("jalv.gtk3 exited:\n" + s.log(client))
            return find_ui_window(s, BASE_W, BASE_H)

        _, win = wait_for(f"the Heist UI window ({name})", ui, 30)
        wait_for("the UI to be viewable", lambda: geometry(s, win)["state"] == "IsViewable", 10)
        time.sleep(1.5)  # the notify port's messages reach the UI at jalv's rate
        shot = os.path.join(out_dir, f"heist-ui-{name}.png")
        s.run(["import", "-window", hex(win), shot])
        shots[name] = shot
        s.stop(jalv)

    # The status line: red text (widgets.c hui_meter_clip, 237/76/70) in
    # the header's model line, layout 120..486 x 28..46 (1x: pixels).
    def red(png):
        return sum(1 for r, g, b in pixels(s, png, 120, 28, 366, 18)
                   if r > 180 and g < 110 and b < 110)
    n_bad, n_good = red(shots["bad"]), red(shots["one-0"])
    print(f"status line: {n_bad} red pixels after a refused model, {n_good} after a good one")
    if n_bad < 20 or n_good > 0:
        raise Fail("a refused model is not shown in the window (or a good one is)")
    # Style A's label, between the picker's arrows: the same at 7 as at 0.
    a7 = pixels(s, shots["one-7"], 332 + 40, 94, 190 - 80, 34)
    a0 = pixels(s, shots["one-0"], 332 + 40, 94, 190 - 80, 34)
    differ = sum(1 for p, q in zip(a7, a0) if p != q)
    print(f"Style A at 7 and at 0 with a 1-style model: {differ} pixels differ")
    if differ:
        raise Fail("with a 1-style model, Style A at 7 does not show the style that plays")


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__)
        return 2
    lv2_path, out_dir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    write_model = sys.argv[3] if len(sys.argv) == 4 else None
    if os.environ.get("HEIST_UI_SKIP"):
        print("SKIP: " + os.environ["HEIST_UI_SKIP"])
        return 77
    missing = [t for t in TOOLS if not shutil.which(t)]
    if missing:
        print("FAIL: missing programs (scripts/install-deps installs them): " +
              " ".join(missing))
        return 1
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="heist-ui-test-") as tmp:
        s = Session(tmp)
        try:
            s.start_x()
            s.start_jack()
            run_1x(s, lv2_path, out_dir)
            run_2x(s, lv2_path, out_dir)
            if write_model:
                run_restored(s, lv2_path, out_dir, write_model)
            run_1x(s, lv2_path, out_dir, synth=True)
            run_synth_follows(s, lv2_path, out_dir)
        except (Fail, subprocess.TimeoutExpired) as e:
            print(f"FAIL: {e}")
            for name, _, log in s.procs:
                log.flush()
                print(f"--- {name} log (tail) ---\n" + s.log(name)[-3000:])
            return 1
        finally:
            s.close()
    print(f"ok: screenshots in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
