#!/usr/bin/env python3
# The negative build test: the layering of docs/arch/overview.md is enforced by the build, so an
# include across a forbidden boundary must fail to compile. Each probe is compiled with the exact
# command of a real source of the folder it pretends to be in (from compile_commands.json) and
# must fail with one error, naming the forbidden header; compiled again with SMTPD_PROBE_CONTROL
# (the forbidden include left out) it must succeed, so a probe broken for another reason fails.
# usage: probe_test.py <build dir>
import json
import os
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# (probe, the folder whose compile command it borrows, the header it must fail on)
PROBES = [
    ("dispatcher_includes_queue.cpp", "runtime/dispatcher/", "queue/queue_process.hpp"),
    ("statemachine_includes_runtime.cpp", "statemachine/src/", "common/result.hpp"),
]


def donor_command(commands, folder):
    """The argument list that compiles the first source of `folder`, and its directory."""
    prefix = os.path.join(ROOT, folder)
    for entry in commands:
        if entry["file"].startswith(prefix):
            args = entry.get("arguments") or shlex.split(entry["command"])
            return args, entry["directory"], entry["file"]
    sys.exit(f"probe_test: no source of {folder} in compile_commands.json")


def probe_command(args, source, probe, control):
    """The donor's command compiling `probe` instead, to no output, ccache left out."""
    out = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
            continue
        if arg in ("-MD", "-MMD") or arg.endswith("ccache"):
            continue
        out.append(probe if arg == source else arg)
    out += ["-fsyntax-only"]
    if control:
        out += ["-DSMTPD_PROBE_CONTROL"]
    return out


def errors_of(output):
    return [line for line in output.splitlines() if "error" in line and ": " in line]


def main():
    build = sys.argv[1]
    with open(os.path.join(build, "compile_commands.json"), encoding="utf-8") as f:
        commands = json.load(f)
    failed = False
    for probe, folder, header in PROBES:
        args, directory, source = donor_command(commands, folder)
        path = os.path.join(HERE, probe)
        control = subprocess.run(probe_command(args, source, path, True), cwd=directory,
                                 capture_output=True, text=True, check=False)
        if control.returncode != 0:
            print(f"FAIL {probe}: the control build (forbidden include left out) fails:\n"
                  f"{control.stderr}")
            failed = True
            continue
        run = subprocess.run(probe_command(args, source, path, False), cwd=directory,
                             capture_output=True, text=True, check=False)
        errors = errors_of(run.stderr)
        # clang: "fatal error: 'queue/queue_process.hpp' file not found"
        # g++:   "fatal error: queue/queue_process.hpp: No such file or directory"
        names_header = len(errors) == 1 and header in errors[0] and (
            "file not found" in errors[0] or "No such file" in errors[0])
        if run.returncode == 0 or not names_header:
            print(f"FAIL {probe}: expected one error naming {header}, got (exit "
                  f"{run.returncode}):\n{run.stderr}")
            failed = True
            continue
        print(f"ok {probe}: {errors[0].strip()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
