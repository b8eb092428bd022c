#!/usr/bin/env python3
# The layering check of .ci/lint: every #include of grammar/, statemachine/ and each runtime/
# folder against the allowed-arrows table of docs/arch/overview.md (## Layering), every runtime
# folder present in that table, the arrows of runtime/CMakeLists.txt equal to the table's, and no
# "../" in an include anywhere (fuzz/ and tests/ too). Prints one line per violation; exits
# non-zero on any.
import os
import re
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
problems = []


def table():
    text = open(os.path.join(root, "docs/arch/overview.md"), encoding="utf-8").read()
    section = text.split("## Layering", 1)[1].split("\n## ", 1)[0]
    arrows = {}
    for line in section.splitlines():
        m = re.match(r"^\|\s*([a-z/]+)\s*\|\s*(.*?)\s*\|$", line)
        if not m or m.group(1) == "folder":
            continue
        uses = set() if m.group(2).startswith("(") else {
            u.strip() for u in m.group(2).split(",")}
        arrows[m.group(1)] = {u if u in ("grammar", "statemachine") else "runtime/" + u
                              for u in uses}
    return arrows


def cmake_arrows():
    text = open(os.path.join(root, "runtime/CMakeLists.txt"), encoding="utf-8").read()
    arrows = {}
    for m in re.finditer(r"^smtpd_runtime_folder\((\w+)([^)]*)\)", text, re.M):
        words = m.group(2).split()
        uses = words[words.index("USES") + 1:] if "USES" in words else []
        if "LIBS" in uses:
            uses = uses[:uses.index("LIBS")]
        arrows["runtime/" + m.group(1)] = set(uses)
    m = re.search(r"set\(SMTPD_MAIN_USES([^)]*)\)", text)
    arrows["runtime/main"] = set(m.group(1).split()) if m else set()
    return {k: {u if u in ("grammar", "statemachine") else "runtime/" + u for u in v}
            for k, v in arrows.items()}


def layer_of(path):
    parts = path.split("/")
    if parts[0] == "runtime" and len(parts) > 2:
        return "runtime/" + parts[1]
    return parts[0]


def target_of(include, source):
    if include.startswith("smtpd/sm/"):
        return "statemachine"
    first = include.split("/")[0]
    if "/" in include and os.path.isdir(os.path.join(root, "runtime", first)):
        return "runtime/" + first
    if os.path.exists(os.path.join(root, os.path.dirname(source), include)):
        return layer_of(source)
    return "grammar"


arrows = table()
folders = {"runtime/" + d for d in os.listdir(os.path.join(root, "runtime"))
           if os.path.isdir(os.path.join(root, "runtime", d))}
for folder in sorted(folders | {"grammar", "statemachine"}):
    if folder not in arrows:
        problems.append(f"{folder}: missing from the table of docs/arch/overview.md")
cmake = cmake_arrows()
for folder in sorted(folders):
    if folder in arrows and cmake.get(folder) != arrows[folder]:
        problems.append(f"{folder}: runtime/CMakeLists.txt links {sorted(cmake.get(folder, []))}"
                        f", the table says {sorted(arrows[folder])}")

include = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
for top in ("grammar", "statemachine", "runtime"):
    for dirpath, _, names in os.walk(os.path.join(root, top)):
        for name in names:
            if not name.endswith((".cpp", ".hpp")):
                continue
            source = os.path.relpath(os.path.join(dirpath, name), root)
            own = layer_of(source)
            allowed = arrows.get(own, set()) | {own}
            text = open(os.path.join(root, source), encoding="utf-8").read()
            for inc in include.findall(text):
                if "../" in inc:
                    problems.append(f"{source}: #include \"{inc}\": no ../ in an include")
                elif target_of(inc, source) not in allowed:
                    problems.append(f"{source}: #include \"{inc}\": {own} may not use "
                                    f"{target_of(inc, source)} (docs/arch/overview.md)")
# fuzz/ and tests/ may include any layer, but through the include directories of the targets
# they link (test support shared by both lives in grammar/testing and statemachine/testing):
# never a "../" path, so no fuzz target reaches into a tests/ folder.
for top in ("fuzz", "tests"):
    for dirpath, _, names in os.walk(os.path.join(root, top)):
        for name in names:
            if name.endswith((".cpp", ".hpp")):
                source = os.path.relpath(os.path.join(dirpath, name), root)
                text = open(os.path.join(root, source), encoding="utf-8").read()
                for inc in include.findall(text):
                    if "../" in inc:
                        problems.append(f"{source}: #include \"{inc}\": no ../ in an include")
for p in problems:
    print(f"lint: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
