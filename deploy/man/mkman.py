#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""mkman.py SRC PAGE VERSION OUT: one man page (PAGE: bpfport or
check_core_support) from the markdown-like SRC (bpfport.8.md), as roff,
gzip -9n'd (no name, no time: the same bytes on every build).

What SRC may hold:
  # TITLE {PAGE ...}       a section (.SH) of the pages named; without
                           braces, of bpfport(8) only
  ## NAME                  a subsection (.SS), e.g. a command
  text lines               a paragraph
  | line                   a line kept as it is (SYNOPSIS)
  TERM / : text            a definition (.TP); its text continues on lines
                           indented by two spaces
  <!-- include: NAME -->   the body of the subsection NAME
  <!-- ... -->             a comment
Inline: **bold**, *italic*, `literal` (bold). Blocks are separated by
blank lines."""
import gzip
import re
import sys

INCLUDE = re.compile(r"<!-- include: (\S+) -->$")


def parse(text):
    """[{title, pages, body: [("SS", name) | ("line", text)]}]"""
    text = re.sub(r"<!--(?! include:).*?-->\n?", "", text, flags=re.S)
    sections = []
    for line in text.splitlines():
        m = re.match(r"# (.+?)(?: \{(.+)\})?$", line)
        if m:
            sections.append({"title": m.group(1), "body": [],
                             "pages": (m.group(2) or "bpfport").split()})
        elif line.startswith("## "):
            sections[-1]["body"].append(("SS", line[3:]))
        elif sections:
            sections[-1]["body"].append(("line", line.rstrip()))
        elif line.strip():
            sys.exit("mkman.py: text before the first section: %r" % line)
    return sections


def subsection(sections, name):
    """the lines of subsection NAME, heading excluded"""
    for s in sections:
        body = s["body"]
        for i, (kind, val) in enumerate(body):
            if kind == "SS" and val == name:
                end = next((j for j in range(i + 1, len(body)) if body[j][0] == "SS"),
                           len(body))
                return [v for _, v in body[i + 1:end]]
    sys.exit("mkman.py: include: no subsection %r" % name)


def inline(s):
    out = []
    for tok in re.split(r"(\*\*[^*]+\*\*|\*[^*]+\*|`[^`]+`)", s):
        if tok.startswith("**"):
            out.append(r"\fB%s\fR" % escape(tok[2:-2]))
        elif tok.startswith(("*", "`")) and len(tok) > 1:
            out.append((r"\fI%s\fR" if tok[0] == "*" else r"\fB%s\fR") % escape(tok[1:-1]))
        else:
            out.append(escape(tok))
    line = "".join(out)
    return "\\&" + line if line.startswith((".", "'")) else line


def escape(s):
    # every hyphen a minus: options and mode names must copy and search as typed
    return s.replace("\\", "\\e").replace("-", "\\-")


def blocks(lines):
    block = []
    for line in lines + [""]:
        if line:
            block.append(line)
        elif block:
            yield block
            block = []


def render_lines(lines, sections, out, first=True):
    """first: the lines start a section (no paragraph break before them)"""
    for b in blocks(lines):
        m = INCLUDE.match(b[0])
        if m:
            render_lines(subsection(sections, m.group(1)), sections, out, first)
        elif b[0].startswith("| "):
            for line in b:
                out += [inline(line[2:]), ".br"]
        elif any(line.startswith(": ") for line in b):
            i = next(i for i, line in enumerate(b) if line.startswith(": "))
            out += [".TP", inline(" ".join(b[:i])), inline(b[i][2:])]
            out += [inline(line.strip()) for line in b[i + 1:]]
        else:
            if not first:
                out.append(".PP")
            out += [inline(line) for line in b]
        first = False


def render(sections, page, version):
    # not hyphenated, not justified: option and mode names stay whole
    out = ['.TH %s 8 "" "bpfport %s" "System Administration"' % (page.upper(), version),
           ".nh", ".ad l"]
    for s in sections:
        if page not in s["pages"]:
            continue
        out.append('.SH "%s"' % s["title"])
        lines = []
        for kind, val in s["body"]:
            if kind == "SS":
                render_lines(lines, sections, out)
                out.append(".SS %s" % escape(val))
                lines = []
            else:
                lines.append(val)
        render_lines(lines, sections, out)
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    src, page, version, dst = sys.argv[1:]
    roff = render(parse(open(src).read()), page, version)
    with open(dst, "wb") as f:
        f.write(gzip.compress(roff.encode(), compresslevel=9, mtime=0))


if __name__ == "__main__":
    main()
