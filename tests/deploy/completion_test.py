#!/usr/bin/env python3
"""The bash completion (deploy/bash-completion/bpfport), sourced in a plain
bash and called as readline would (COMP_WORDS, COMP_CWORD, then COMPREPLY):
the first word completes to the commands; each command's options, and
check_core_support's, to exactly the spellings the CLI accepts (bpfport help
--options); btf and cache to their subcommands; --mode, --output, --format
and --probes to the values run --help names (--probes: the last of a comma
list; also as --mode=VALUE); paths to files or directories.

  completion_test.py --bpfport PATH --completion FILE
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness  # noqa: E402
from harness import check  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from man_test import cli_words  # noqa: E402


def complete(completion, cases):
    """COMPREPLY (a set) for each list of words; the last is the one completed"""
    script = ["set -u", ". " + shlex.quote(completion)]
    for words in cases:
        script += ["COMP_WORDS=(%s)" % " ".join(shlex.quote(w) for w in words),
                   "COMP_CWORD=%d" % (len(words) - 1),
                   "COMPREPLY=()", "_bpfport",
                   'printf "%s\\n" "${COMPREPLY[@]}"', "echo ---end---"]
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", "\n".join(script)],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 0 and not p.stderr, "bash: exit %d: %s" % (p.returncode, p.stderr))
    replies = p.stdout.split("---end---\n")[:-1]
    return [{w for w in r.splitlines() if w} for r in replies]


def help_values(bpfport, option):
    """the values run --help lists for an option: auto|core|... or a comma list"""
    text = subprocess.run([bpfport, "run", "--help"], capture_output=True, text=True).stdout
    line = next(l for l in text.splitlines() if re.search(r"%s\b" % option, l))
    m = re.search(r"(\w[\w-]*(?:\|\w[\w-]*)+)", line) or re.search(r": (\w+(?:,\w+)+)", line)
    return set(re.split(r"[|,]", m.group(1)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bpfport", required=True)
    ap.add_argument("--completion", required=True)
    args = ap.parse_args()

    def body():
        bp = os.path.abspath(args.bpfport)
        ccs = os.path.join(os.path.dirname(bp), "check_core_support")
        cmds, top = cli_words(bp)
        probes = help_values(bp, "--probes") | {"all"}
        with tempfile.TemporaryDirectory(prefix="bpfport-compl-") as tmp:
            os.mkdir(os.path.join(tmp, "dir"))
            open(os.path.join(tmp, "file.btf"), "w").close()
            cases = {
                "commands": ([bp, ""], set(cmds)),
                "prefix": ([bp, "c"], {c for c in cmds if c.startswith("c")}),
                "top options": ([bp, "-"], top),
                "check_core_support": ([ccs, "-"], cmds["check"]["options"]),
                "mode": ([bp, "run", "--mode", ""], help_values(bp, "--mode")),
                "-m co": ([bp, "check", "-m", "co"], {"core", "core-btfhub"}),
                "--mode=": ([bp, "run", "--mode", "=", ""], help_values(bp, "--mode")),
                "output": ([bp, "run", "--output", ""], help_values(bp, "--output")),
                "format": ([bp, "run", "-f", ""], help_values(bp, "--format")),
                "probes": ([bp, "run", "--probes", ""], probes),
                "probes list": ([bp, "compile", "-p", "exec,o"],
                                {"exec," + p for p in probes if p.startswith("o")}),
                "file": ([bp, "run", "--btf", tmp + "/"], {tmp + "/dir", tmp + "/file.btf"}),
                "dir": ([bp, "cache", "clear", "--cache-dir", tmp + "/"], {tmp + "/dir"}),
            }
            for cmd, what in cmds.items():
                if what["subs"]:
                    cases[cmd + " subcommands"] = ([bp, cmd, ""], what["subs"])
                    words = [bp, cmd, sorted(what["subs"])[0], "-"]
                else:
                    words = [bp, cmd, "-"]
                cases[cmd + " options"] = (words, what["options"])
            got = complete(args.completion, [c[0] for c in cases.values()])
            for (name, (words, want)), reply in zip(cases.items(), got):
                check(reply == want, "%s: %s completes to %s, not %s" % (
                    name, " ".join(words[1:]), sorted(reply), sorted(want)))
        print("ok   %d completions: commands, every command's options as the CLI accepts "
              "them, subcommands, option values, paths" % len(cases))

    harness.run_main(body)


if __name__ == "__main__":
    main()
