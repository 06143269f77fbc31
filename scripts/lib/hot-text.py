#!/usr/bin/env python3
"""The functions of an executable that runs execute, as a linker script fragment.

    hot-text.py [--exe NAME] [--made-by TEXT] MAP OUT CALLGRIND_FILE...

MAP is the linker's map of the executable: `llb-gen` by default (`LLB_GEN_LINK_MAP=FILE cargo
build ...`, linked without this layout: `LLB_GEN_HOT_TEXT=off`), or the one `--exe` names (the
frontend's: scripts/frontend-hot-text); each CALLGRIND_FILE is a
`valgrind --tool=callgrind --dump-instr=yes` run of that executable. `--made-by` replaces the
first lines of the script's comment (what made it, from which runs). OUT gets a GNU ld / lld
script that puts the sections of every function with an executed instruction into one output
section, `.text.hot`, before `.text` (`INSERT BEFORE .text`, so the default script stays in
force).

Why: the kernel maps an executable's code in 64 KiB blocks around each page a run touches
(fault-around), and the ~1,200 functions a conversion runs were spread over most of the 8 MB of
code, so most of it was resident. Together, they take about 2 MB (docs/performance-history.md,
"The online CLI, fourth session").

The section names are the functions' symbols, whose hashes depend on the build's profile and
flags (`17h<hash>E` in legacy names, the crate disambiguators `Cs<hash>_` and back-references
`B<n>_` in v0 names, `.llvm.<n>` suffixes of thin LTO). The script names each section twice:
first exactly but for a `.llvm.<n>` suffix (what the build the map came from needs, and a
profile-guided build of the same sources with a new profile, whose suffixes change: only the
code that ran, packed), then with those parts as wildcards, after all exact names (what any other
build of the same sources needs: it also takes the other instances of a generic function that
ran). A function the list does not name (new, renamed) is laid out as usual: a stale list costs
memory, never correctness.
"""
import bisect
import re
import sys


def sections(map_file):
    """(start, size, name) of the map's input sections named `.text.<something>`, by address.
    Reads lld's map (rustc's default linker on x86_64 Linux) and GNU ld's."""
    out, pending = [], None
    lld = re.compile(r"^\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+\s+\S.*:\((\.text\.[^)]+)\)$")
    with open(map_file) as f:
        for line in f:
            m = lld.match(line)
            if m:
                out.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3)))
                continue
            parts = line.split()
            if pending is not None:  # GNU ld: a long name's address and size on the next line
                if len(parts) >= 2 and parts[0].startswith("0x"):
                    out.append((int(parts[0], 16), int(parts[1], 16), pending))
                pending = None
            elif line.startswith(" .text.") and len(parts) >= 3 and parts[1].startswith("0x"):
                out.append((int(parts[1], 16), int(parts[2], 16), parts[0]))
            elif line.startswith(" .text.") and len(parts) == 1:
                pending = parts[0]
    return sorted(s for s in out if s[0] != 0 and s[1] != 0)


def executed(callgrind, exe_suffix):
    """The addresses of the executable's instructions a callgrind run executed."""
    names, current, addr, seen = {}, None, 0, set()
    with open(callgrind) as f:
        for line in f:
            if line.startswith(("ob=", "cob=")):
                m = re.match(r"c?ob=\((\d+)\)(?: (.*))?", line.strip())
                if m and m.group(2):
                    names[m.group(1)] = m.group(2)
                if line.startswith("ob=") and m:
                    current = names.get(m.group(1))
                continue
            tok = line.split(" ", 1)[0]
            if tok.startswith("0x"):
                addr = int(tok, 16)
            elif tok[:1] in ("+", "-") and tok[1:].isdigit():
                addr += int(tok)
            elif tok != "*":
                continue
            if current and current.endswith(exe_suffix):
                seen.add(addr)
    return seen


# In `.text` itself (crt files), not in a section of their own; as patterns they would match
# far too much.
NOT_OWN_SECTION = {"_start", "main", "_init", "_fini", "deregister_tm_clones",
                   "register_tm_clones", "frame_dummy"}


def patterns(section):
    """The wildcard patterns of a section (see the module's doc). Rust symbols get their
    build-dependent parts as wildcards and a trailing one (a `.llvm.<n>` suffix comes and goes
    between builds), with or without a prefix (`.text.hot.`, `.text.unlikely.`) but never
    `.text.split.`: there LLVM's machine function splitter (scripts/build-cli) puts the blocks of
    a function that did not run. C functions (aws-lc's constructors and destructors run in every
    process) are matched by name, with any section prefix (`.text.startup.`)."""
    symbol = re.sub(r"^\.text\.(unlikely\.|startup\.|exit\.|hot\.|split\.)?", "", section)
    if section.startswith(".text.split."):
        return []
    if symbol.startswith(("_ZN", "_R")):
        p = re.sub(r"\.llvm\.(\d+|\*)$", "", symbol)
        p = re.sub(r"17h[0-9a-f]{16}E", "17h*E", p)
        if p.startswith("_R"):
            p = re.sub(r"Cs[0-9a-zA-Z]+_", "Cs*_", p)
            p = re.sub(r"B[0-9a-zA-Z]*_", "B*_", p)
        return [f".text.{p}*", f".text.[!s]*.{p}*"]
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", symbol) and symbol not in NOT_OWN_SECTION:
        return [f".text.*{symbol}"]
    return []


CLI_MADE_BY = """Generated by scripts/cli-hot-text from callgrind runs of llb-gen on the
   500-stage file (offline; online cold, warm, and warm with the registry far
   away): the functions they ran,"""


def main():
    args = sys.argv[1:]
    exe, made_by = "llb-gen", CLI_MADE_BY
    while args and args[0] in ("--exe", "--made-by"):
        if args[0] == "--exe":
            exe = args[1]
        else:
            made_by = args[1]
        args = args[2:]
    map_file, out, runs = args[0], args[1], args[2:]
    secs = sections(map_file)
    starts = [s[0] for s in secs]
    # Each section ranked by the first run that executed it: the code of the first run (the
    # smallest) lies together at the start, and what later runs add after it.
    hot = {}
    for rank, run in enumerate(runs):
        for a in executed(run, "/" + exe):
            i = bisect.bisect_right(starts, a) - 1
            if i >= 0 and a < secs[i][0] + secs[i][1]:
                hot.setdefault(i, rank)
    # Thin LTO names a promoted local `<name>.llvm.<n>`, <n> a digest of its module, which a new
    # profile changes (scripts/build-cli trains anew each time): only that part is a wildcard.
    exact = [re.sub(r"\.llvm\.\d+$", ".llvm.*", secs[i][2])
             for i in sorted(hot, key=lambda i: (hot[i], i))]
    wild = []
    for name in exact:
        for p in patterns(name):
            if p not in wild:
                wild.append(p)
    rules = exact + wild
    with open(out, "w") as f:
        f.write(f"/* {made_by}\n")
        f.write("   laid out together (see scripts/lib/hot-text.py). Do not edit by hand. */\n")
        f.write("SECTIONS\n{\n  .text.hot : {\n")
        for p in rules:
            f.write(f"    *({p})\n")
        f.write("  }\n}\nINSERT BEFORE .text;\n")
    size = sum(secs[i][1] for i in hot)
    print(f"hot-text: {len(hot)} sections ({size / 1e6:.2f} MB), {len(wild)} patterns -> {out}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
