#!/usr/bin/python3
"""README's user install (issue 15, item 9): the meson setup line under the
"user-install" marker, run with HOME set to an empty folder, must configure
an install in which every file goes under HOME: no root needed. Checked with
`meson introspect --installed` (no build, no install).

usage: test_user_install.py SOURCE_ROOT MESON WORKDIR
"""
import json
import os
import re
import shutil
import subprocess
import sys


def main():
    src, meson, work = sys.argv[1:4]
    readme = open(os.path.join(src, "README.md"), encoding="utf-8").read()
    m = re.search(r"<!-- user-install[^>]*-->\s*```sh\n(.*?)```", readme, re.S)
    if not m:
        print("FAIL: no user-install block in README.md")
        return 1
    setup = [line for line in m.group(1).splitlines() if line.startswith("meson setup")]
    if len(setup) != 1:
        print(f"FAIL: want one meson setup line in the block, got {setup}")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    home = os.path.join(work, "home")
    os.makedirs(home)
    env = dict(os.environ, HOME=home)
    # The README's line, with this meson, in WORKDIR, from the source tree.
    cmd = setup[0].replace("meson setup", f"'{meson}' setup", 1)
    cmd = cmd.replace("build-user", os.path.join(work, "build-user"), 1)
    p = subprocess.run(["sh", "-c", f"cd '{src}' && {cmd} -Dtests=false"], env=env,
                       capture_output=True, text=True)
    if p.returncode:
        print(p.stdout[-3000:], p.stderr[-3000:])
        print("FAIL: the README's meson setup line failed")
        return 1
    q = subprocess.run([meson, "introspect", "--installed", os.path.join(work, "build-user")],
                       capture_output=True, text=True, check=True)
    installed = json.loads(q.stdout)
    outside = sorted(d for d in installed.values() if not d.startswith(home + "/"))
    lv2 = [d for d in installed.values() if d.startswith(os.path.join(home, ".lv2", "heist.lv2/"))]
    print(f"{len(installed)} files installed, {len(lv2)} in ~/.lv2/heist.lv2, "
          f"{len(outside)} outside HOME")
    ok = installed and not outside and lv2
    for d in outside[:10]:
        print(f"FAIL: installs outside HOME: {d}")
    if not lv2:
        print("FAIL: nothing goes to ~/.lv2/heist.lv2")
    print(f"test_user_install: {'ok' if ok else 'failed'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
