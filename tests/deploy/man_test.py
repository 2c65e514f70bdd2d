#!/usr/bin/env python3
"""The man pages bpfport(8) and check_core_support(8), as built:
- they render without a warning (lintian's own check: man --warnings, and
  groff -ww);
- every command, subcommand and option the CLI accepts (bpfport help
  --options, read from the parsers' tables) is documented: a command by its
  subsection under COMMANDS and its SYNOPSIS line, a subcommand in both, an
  option among the terms of its command's subsection (check's also in
  check_core_support(8)); and no term names an option its command does not
  accept. A new option without its documentation fails here;
- each command's --help names each of its options (-h, --help aside) and no
  other; the page's run names every probe that run --help lists.

  man_test.py --bpfport PATH --man-dir DIR
"""
import argparse
import gzip
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness  # noqa: E402
from harness import check  # noqa: E402

OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


def cli_words(bpfport):
    """({command: {"subs": set, "options": set of spellings}}, top-level options)"""
    out = subprocess.run([bpfport, "help", "--options"], capture_output=True, text=True,
                         check=True).stdout
    cmds, top = {}, set()
    for line in out.splitlines():
        w = line.split()
        if w[0].startswith("-"):
            top.update(w)
        elif len(w) == 1:
            cmds.setdefault(w[0], {"subs": set(), "options": set()})
        elif w[1].startswith("-"):
            cmds[w[0]]["options"].update(x for x in w[1:] if x != "ARG")
        else:
            cmds[w[0]]["subs"].add(w[1])
    return cmds, top


def plain(roff_line):
    """a roff line as the text it prints"""
    s = re.sub(r"\\f[BIRP]", "", roff_line)
    return s.replace("\\-", "-").replace("\\&", "").replace("\\e", "\\")


def sections(roff):
    """{(SH, SS or None): {"text": [lines], "terms": [.TP terms]}}"""
    out, key, lines = {}, None, roff.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(".SH "):
            key = (line[4:].strip('"'), None)
        elif line.startswith(".SS "):
            key = (key[0], plain(line[4:]))
        if key is None:
            continue
        sec = out.setdefault(key, {"text": [], "terms": []})
        if line == ".TP":
            sec["terms"].append(plain(lines[i + 1]))
        elif not line.startswith("."):
            sec["text"].append(plain(line))
    return out


def check_renders(path):
    env = dict(os.environ, LC_ALL="C.UTF-8", MANROFFSEQ="", MANWIDTH="80")
    p = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", path],
                       capture_output=True, text=True, env=env)
    check(p.returncode == 0 and not p.stderr, "man --warnings %s: %s" % (path, p.stderr))
    p = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z"], input=read(path),
                       capture_output=True, text=True)
    check(p.returncode == 0 and not p.stderr, "groff -ww %s: %s" % (path, p.stderr))


def read(path):
    return gzip.open(path, "rt").read()


def check_terms(page, cmd, sec, accepted):
    """every accepted spelling among the terms, and no other"""
    named = {o for t in sec["terms"] for o in OPTION.findall(t)}
    missing = sorted(accepted - named)
    check(not missing, "%s: %s: undocumented: %s" % (page, cmd, " ".join(missing)))
    unknown = sorted(named - accepted)
    check(not unknown, "%s: %s: documented but not accepted: %s" % (page, cmd, " ".join(unknown)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bpfport", required=True)
    ap.add_argument("--man-dir", required=True)
    args = ap.parse_args()

    def body():
        for tool in ("man", "groff"):
            if not shutil.which(tool):
                harness.skip("no %s (ci/install-deps installs it)" % tool)
        cmds, top = cli_words(args.bpfport)
        version = subprocess.run([args.bpfport, "--version"], capture_output=True,
                                 text=True).stdout.split()[1]
        pages = {p: os.path.join(args.man_dir, p + ".8.gz")
                 for p in ("bpfport", "check_core_support")}
        for page, path in pages.items():
            check_renders(path)
            roff = read(path)
            check(roff.startswith('.TH %s 8 "" "bpfport %s"' % (page.upper(), version)),
                  "%s: header is not for version %s: %s" % (page, version, roff.splitlines()[0]))
            name = sections(roff)[("NAME", None)]["text"]
            check(name and name[0].startswith(page + " - "),
                  "%s: NAME is not 'name - description' (whatis): %s" % (page, name))
        print("ok   both pages render without warnings; NAME lines; version %s" % version)

        secs = sections(read(pages["bpfport"]))
        synopsis = " ".join(secs[("SYNOPSIS", None)]["text"])
        text = " ".join(" ".join(s["text"] + s["terms"]) for s in secs.values())
        for cmd, what in sorted(cmds.items()):
            sec = secs.get(("COMMANDS", cmd))
            check(sec is not None, "bpfport(8): no subsection for command %s" % cmd)
            check("bpfport " + cmd in synopsis, "bpfport(8): %s not in SYNOPSIS" % cmd)
            for sub in what["subs"]:
                check("bpfport %s %s" % (cmd, sub) in synopsis,
                      "bpfport(8): '%s %s' not in SYNOPSIS" % (cmd, sub))
                check(sub in " ".join(sec["text"] + sec["terms"]),
                      "bpfport(8): %s: subcommand %s not described" % (cmd, sub))
            check_terms("bpfport(8)", cmd, sec, what["options"])
        usage = subprocess.run([args.bpfport, "run", "--help"], capture_output=True,
                               text=True).stdout
        probes = re.search(r"comma-separated: ([\w,]+)", usage).group(1).split(",")
        run = " ".join(secs[("COMMANDS", "run")]["text"])
        missing = [p for p in probes if not re.search(r"\b%s\b" % p, run)]
        check(not missing, "bpfport(8): run: probes not named: %s" % missing)
        extra = sorted(k[1] for k in secs if k[0] == "COMMANDS" and k[1] and k[1] not in cmds)
        check(not extra, "bpfport(8): subsections for commands the CLI lacks: %s" % extra)
        missing = sorted(o for o in top if not re.search(r"(?<![\w-])%s(?![\w-])" % o, text))
        check(not missing, "bpfport(8): top-level options undocumented: %s" % missing)
        n = sum(len(w["options"]) for w in cmds.values())
        print("ok   bpfport(8): %d commands, their subcommands and %d option spellings, "
              "each documented under its command" % (len(cmds), n))

        for cmd, what in sorted(cmds.items()):
            if "--help" not in what["options"]:
                continue	# version, help: no --help of their own
            usage = subprocess.run([args.bpfport, cmd, "--help"], capture_output=True,
                                   text=True).stdout
            named = set(OPTION.findall(usage))
            missing = sorted(what["options"] - named - {"-h", "--help"})
            check(not missing, "bpfport %s --help: missing %s" % (cmd, " ".join(missing)))
            unknown = sorted(named - what["options"])
            check(not unknown, "bpfport %s --help: names %s, which it does not accept"
                  % (cmd, " ".join(unknown)))
        print("ok   every command's --help names its options")

        ccs = sections(read(pages["check_core_support"]))
        check_terms("check_core_support(8)", "check", ccs[("DESCRIPTION", None)],
                    cmds["check"]["options"])
        print("ok   check_core_support(8): every option of check")

    harness.run_main(body)


if __name__ == "__main__":
    main()
