#!/usr/bin/env python3
"""CPU cost of Heist's UI while nobody touches it (goal: under 2 % of one core).

Usage: bench/ui_idle.py [LV2_PATH] [SECONDS]
  LV2_PATH  folder holding heist.lv2 (default: build/plugin)
  SECONDS   length of each measurement (default: 20)

Runs jalv.gtk3 with the UI embedded under a private Xvfb and JACK dummy server
(the same setup as tests/ui/test_ui.py) and reads, from /proc, the CPU time of
jalv's GUI thread, which runs GTK, suil and the whole UI (idle() calls, X
events, drawing); the plugin's DSP runs in the JACK thread and is not counted.
Two measurements: silence (nothing on screen changes) and a 440 Hz tone (the
note readout and the meters move at jalv's 30 Hz update rate). Prints one line
each, in percent of one core.
"""

import importlib.util
import os
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "test_ui", os.path.join(here, "..", "tests", "ui", "test_ui.py"))
test_ui = importlib.util.module_from_spec(spec)
spec.loader.exec_module(test_ui)


def thread_cpu_s(pid, tid):
    with open(f"/proc/{pid}/task/{tid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat(5); fields[0] is field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(s, jalv, seconds):
    t0, c0 = time.monotonic(), thread_cpu_s(jalv.pid, jalv.pid)
    time.sleep(seconds)
    t1, c1 = time.monotonic(), thread_cpu_s(jalv.pid, jalv.pid)
    return 100.0 * (c1 - c0) / (t1 - t0)


def main():
    lv2_path = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/plugin")
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
    import tempfile
    with tempfile.TemporaryDirectory(prefix="heist-ui-bench-") as tmp:
        s = test_ui.Session(tmp)
        try:
            s.start_x()
            s.start_jack()
            client = "heist-ui-bench"
            jalv = test_ui.start_jalv(s, lv2_path, client)
            test_ui.wait_for("the Heist UI", lambda: test_ui.find_ui_window(
                s, test_ui.BASE_W, test_ui.BASE_H), 30)
            time.sleep(2.0)  # past start-up drawing
            silent = measure(s, jalv, seconds)
            print(f"ui idle CPU, silence: {silent:.2f} % of one core "
                  f"(jalv.gtk3 GUI thread, {seconds:.0f} s)")
            test_ui.connect_tone(s, client)
            time.sleep(1.0)
            tone = measure(s, jalv, seconds)
            print(f"ui idle CPU, 440 Hz tone (meters moving): {tone:.2f} % of one core "
                  f"(jalv.gtk3 GUI thread, {seconds:.0f} s)")
        except test_ui.Fail as e:
            print(f"FAIL: {e}")
            return 1
        finally:
            s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
