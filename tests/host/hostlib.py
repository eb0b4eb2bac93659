"""Shared helpers of the host tests: arguments, installing the bundle, test
signals, heist-render, comparisons and background processes that are always
cleaned up. Uses Debian's python3-numpy and python3-soundfile."""

import argparse
import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from typing import Dict, List, Optional, Sequence

import numpy as np
import soundfile as sf

URI = "http://heist.audio/plugins/heist"
PRESET_PREFIX = "http://heist.audio/presets/"
SKIP = 77  # meson's exit code for a skipped test


def parse_args(description: str) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--work", required=True, help="scratch folder (wiped first)")
    p.add_argument("--build-root", required=True)
    p.add_argument("--bundle-install-dir", required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--meson", required=True)
    p.add_argument("--render", required=True, help="heist-render")
    a = p.parse_args()
    a.work = os.path.abspath(a.work)
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    return a


def need(*programs: str) -> None:
    """Skip the test (exit 77) when a host program is not installed."""
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        print("SKIP: not installed: " + " ".join(missing))
        sys.exit(SKIP)


def install_bundle(a: argparse.Namespace) -> str:
    """`meson install --destdir` into the work folder; returns the LV2_PATH
    folder that holds only this heist.lv2 (as an installed user sees it)."""
    dest = os.path.join(a.work, "destdir")
    subprocess.run([a.meson, "install", "-C", a.build_root, "--destdir", dest,
                    "--no-rebuild", "--quiet"], check=True, stdout=subprocess.DEVNULL)
    bundle = a.bundle_install_dir
    if not os.path.isabs(bundle):
        bundle = os.path.join(a.prefix, bundle)
    bundle = os.path.join(dest, os.path.relpath(bundle, "/"))
    if not os.path.isfile(os.path.join(bundle, "manifest.ttl")):
        raise SystemExit(f"FAIL: no manifest.ttl installed in {bundle}")
    # Only heist.lv2 on the path: a private folder with a link to it.
    lv2_path = os.path.join(a.work, "lv2")
    os.makedirs(lv2_path, exist_ok=True)
    link = os.path.join(lv2_path, "heist.lv2")
    if os.path.islink(link):  # a rerun in the same work folder
        os.remove(link)
    os.symlink(bundle, link)
    return lv2_path


def host_env(lv2_path: str, **extra: str) -> Dict[str, str]:
    """Environment for a host program: LV2_PATH restricted to the install;
    under ASan the sanitizer runtime preloaded (hosts are not instrumented)."""
    env = dict(os.environ, LV2_PATH=lv2_path, **extra)
    preload = os.environ.get("HEIST_HOST_PRELOAD")
    if preload:
        env["LD_PRELOAD"] = preload
        env["ASAN_OPTIONS"] = "detect_leaks=0:" + env.get("ASAN_OPTIONS", "")
    return env


def preset_values(bundle_dir: str, name: str) -> Dict[str, float]:
    """Control values of a preset file (lv2:symbol / pset:value pairs)."""
    with open(os.path.join(bundle_dir, name + ".ttl"), encoding="utf-8") as f:
        text = f.read()
    pairs = re.findall(r'lv2:symbol\s+"(\w+)"\s*;\s*pset:value\s+([-+0-9.eE]+)', text)
    if not pairs:
        raise SystemExit(f"FAIL: no port values in preset {name}")
    return {s: float(v) for s, v in pairs}


def sung_line(rate: int, seconds: float, seed: int = 1) -> np.ndarray:
    """A voice-like test line: a band-limited sawtooth gliding over a few
    notes (A3 C4 E4 D4) with vibrato, note gaps and a breath of noise, so the
    pitch tracker, the gate and the noise path all do something."""
    n = int(rate * seconds)
    t = np.arange(n) / rate
    notes = np.array([57, 60, 64, 62], dtype=float)
    seg = np.minimum((t / (seconds / len(notes))).astype(int), len(notes) - 1)
    midi = notes[seg] + 0.3 * np.sin(2 * np.pi * 5.5 * t)
    f0 = 440.0 * 2.0 ** ((midi - 69.0) / 12.0)
    phase = np.cumsum(f0 / rate)
    x = np.zeros(n)
    for k in range(1, 16):
        x += np.sin(2 * np.pi * k * phase) / k * (k * f0 < rate / 2)
    env = np.clip(np.minimum((t % (seconds / 4)) / 0.03, ((seconds / 4) - t % (seconds / 4)) / 0.06), 0, 1)
    rng = np.random.default_rng(seed)
    y = 0.25 * x * env + 0.003 * rng.standard_normal(n)
    return y.astype(np.float32)


def write_wav(path: str, x: np.ndarray, rate: int) -> None:
    sf.write(path, x, rate, subtype="FLOAT")


def read_mono(path: str) -> np.ndarray:
    y, _ = sf.read(path, dtype="float32", always_2d=True)
    return y[:, 0]


def render(a: argparse.Namespace, wav_in: str, wav_out: str, params: Dict[str, float],
           extra: Sequence[str] = ()) -> np.ndarray:
    """heist-render with the plugin's latency kept (hosts that do not
    compensate it) unless extra says otherwise, on the model of the bundle
    under test (not whichever heist-render would find first: an earlier
    install of the plugin may hold another one)."""
    model = os.path.join(a.build_root, "plugin", "heist.lv2", "heist-default.hsm")
    cmd = [a.render, wav_in, wav_out, "--quiet", "--model", model] + list(extra)
    for k, v in params.items():
        cmd += ["--param", f"{k}={v!r}"]
    subprocess.run(cmd, check=True)
    return read_mono(wav_out)


def compare(name: str, got: np.ndarray, want: np.ndarray, tolerance: float,
            why: str) -> bool:
    """Sample-by-sample comparison; prints the worst difference and the
    signal level so a failure says how far off it is."""
    n = min(len(got), len(want))
    ok = len(got) == len(want)
    if not ok:
        print(f"FAIL: {name}: {len(got)} samples, expected {len(want)}")
    d = np.abs(got[:n].astype(np.float64) - want[:n])
    worst = float(np.max(d)) if n else 0.0
    rms = float(np.sqrt(np.mean(np.square(want[:n], dtype=np.float64)))) if n else 0.0
    finite = bool(np.all(np.isfinite(got)))
    ok = ok and finite and worst <= tolerance and rms > 1e-3
    status = "ok" if ok else "FAIL"
    print(f"{status}: {name}: max |diff| {worst:.3g} (tolerance {tolerance:g}: {why}); "
          f"reference RMS {20 * np.log10(max(rms, 1e-12)):.1f} dBFS")
    return ok


class Background:
    """A background process killed (process group, then SIGKILL) at exit,
    whatever way the test ends."""
    live: List["Background"] = []

    def __init__(self, cmd: List[str], env: Optional[Dict[str, str]] = None,
                 stdin=None, log: Optional[str] = None):
        self.log = open(log, "wb") if log else subprocess.DEVNULL
        self.proc = subprocess.Popen(cmd, env=env, stdin=stdin, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        Background.live.append(self)

    def stop(self, timeout: float = 10.0) -> Optional[int]:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self in Background.live:
            Background.live.remove(self)
        return self.proc.returncode


@atexit.register
def _stop_all() -> None:
    for b in list(Background.live):
        b.stop(timeout=3.0)


def _on_signal(signum, frame):  # noqa: ARG001
    _stop_all()
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)


def wait_for(what: str, check, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.1)
    raise SystemExit(f"FAIL: timed out waiting for {what}")


# JACK and jalv: the scaffolding the jalv tests share.


def import_jack():
    """Debian's python3-jack-client, or a skip (exit 77) where it is missing."""
    try:
        import jack  # pylint: disable=import-outside-toplevel
    except ImportError:
        print("SKIP: python3-jack-client missing")
        sys.exit(SKIP)
    return jack


def start_jack_for_jalv(a: argparse.Namespace, server: str, rate: int,
                        period: int) -> Dict[str, str]:
    """Installs the bundle, starts a private JACK dummy server and returns the
    environment jalv runs in on it."""
    lv2_path = install_bundle(a)
    env = host_env(lv2_path, JACK_DEFAULT_SERVER=server, JACK_NO_START_SERVER="1")
    Background(["jackd", "-n", server, "--no-realtime", "-d", "dummy", "-r", str(rate),
                "-p", str(period)], log=os.path.join(a.work, "jackd.log"))
    return env


def jack_client(jack, name: str, server: str):
    """A client of the private server, once the server accepts one."""
    box = {}

    def connect():
        try:
            box["c"] = jack.Client(name, servername=server, no_start_server=True)
            return True
        except jack.JackError:
            return False

    wait_for("the JACK server", connect, 20)
    return box["c"]


def jalv_session(a: argparse.Namespace, tag: str, client_name: str, rate: int, period: int):
    """jalv and jackd (or a skip), a private JACK server named after the
    test, and a client of it: (jack module, jalv's environment, client)."""
    need("jalv", "jackd")
    jack = import_jack()
    server = f"heist-{tag}-{os.getpid()}"
    env = start_jack_for_jalv(a, server, rate, period)
    return jack, env, jack_client(jack, client_name, server)


def start_jalv(a: argparse.Namespace, env: Dict[str, str], name: str, uri: str) -> Background:
    """jalv on its console (stdin kept open: at EOF it quits, which is how
    the tests end it); its log in the work folder."""
    return Background(["jalv", "-n", name, uri], env=env, stdin=subprocess.PIPE,
                      log=os.path.join(a.work, name + ".log"))


def send_due(port, events, pos: int, frames: int) -> None:
    """[audio: JACK process callback] Writes the events (frame, ..., bytes)
    that fall in this cycle at their offsets."""
    for at, *_, data in events:
        if pos <= at < pos + frames:
            port.write_midi_event(at - pos, data)


def advance(state: Dict, frames: int, n_total: int) -> None:
    """[audio: JACK process callback] Moves the score on by one cycle; sets
    state["done"] at its end."""
    state["pos"] += frames
    if state["pos"] >= n_total:
        state["done"].set()


def play_freewheeling(client, freewheeling: threading.Event, state: Dict,
                      seconds: float, settle: float) -> Optional[bool]:
    """Starts the score (state["start"]) in freewheel mode and waits for its
    end (state["done"]); None when freewheel mode did not begin."""
    time.sleep(1.0)
    if not enter_freewheel(client, freewheeling):
        return None
    state["start"] = True
    ok = state["done"].wait(seconds + 20)
    print(("ok" if ok else "FAIL") + ": the score played")
    client.set_freewheel(False)
    time.sleep(settle)
    return ok


def watch_freewheel(client) -> threading.Event:
    """Set before activate(): the event tells when freewheel mode has begun."""
    freewheeling = threading.Event()
    client.set_freewheel_callback(lambda on: freewheeling.set() if on else None)
    return freewheeling


def enter_freewheel(client, freewheeling: threading.Event) -> bool:
    """Freewheel: no missed cycles when the machine is busy (HOSTS.md: the
    dummy driver's -w corrupts audio)."""
    client.set_freewheel(True)
    if not freewheeling.wait(10):
        print("FAIL: JACK did not enter freewheel mode")
        return False
    return True


def quit_jalv(jalv: Background) -> bool:
    """Ends jalv as a user would (end of its console input); True when it
    exits with status 0."""
    jalv.proc.stdin.close()
    try:
        code = jalv.proc.wait(15)
    except subprocess.TimeoutExpired:
        code = None
    print(("ok" if code == 0 else "FAIL") + f": jalv quit with status {code}")
    return code == 0


def render_latency(a: argparse.Namespace, args: Sequence[str]) -> int:
    """The latency heist-render reports for these arguments."""
    rep = subprocess.run([a.render] + list(args), capture_output=True, text=True, check=True)
    return int(rep.stderr.split("latency ")[1].split()[0])


def synth_latency(a: argparse.Namespace, rate: int) -> int:
    """The synth's latency at this rate (heist-render --midi on one note: only
    the report is wanted)."""
    mid = os.path.join(a.work, "one.mid")
    with open(mid, "wb") as f:
        trk = b"\x00\x90\x45\x40\x60\x80\x45\x00\x00\xff\x2f\x00"
        f.write(b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0MTrk" +
                len(trk).to_bytes(4, "big") + trk)
    return render_latency(a, ["--midi", mid, os.path.join(a.work, "one.wav"),
                              "--rate", str(rate)])
