#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""helpgen.py: one help source per command (doc/help/godiag-CMD.txt, format in
docs/help-format.md) becomes, at build time, the `--help` text embedded in the
binary, the man page and the bash completion, so the three cannot drift.

  helpgen.py c OUT.c SRC...                  C table of the --help texts
  helpgen.py man OUTDIR VERSION SRC...       OUTDIR/godiag.1, OUTDIR/godiag-CMD.1
  helpgen.py bash OUT TEMPLATE SRC...        the completion script from TEMPLATE
  helpgen.py check SRC...                    parse only (exit 1 with file:line: why)

SRC are all the help sources, godiag.txt among them: the top page lists the
commands, and every command page names the top page in SEE ALSO."""
import os
import re
import sys
import textwrap
import time

LIST_SECTIONS = {"OPTIONS", "EXIT STATUS", "COMMANDS", "ENVIRONMENT", "FILES"}
KNOWN_SECTIONS = LIST_SECTIONS | {"NAME", "SYNOPSIS", "DESCRIPTION", "NOTES", "EXAMPLES", "SEE ALSO"}
# Placeholders whose values completion can offer.
CHOICES = {"WHEN": ["auto", "always", "never"]}
FILE_ARGS = {"FILE", "PATH"}
DIR_ARGS = {"DIR"}
PID_ARGS = {"PID"}

TERM_RE = re.compile(r"^(?P<names>-[A-Za-z0-9?](?:, --[a-z0-9][a-z0-9-]*)?|--[a-z0-9][a-z0-9-]*)(?:[ =](?P<arg>\S.*))?$")


class HelpError(Exception):
    pass


class Option:
    def __init__(self, term, where):
        m = TERM_RE.match(term)
        if not m:
            raise HelpError(f"{where}: option term '{term}' is not '-x', '--name', '-x, --name', each optionally followed by ' ARG'")
        self.term = term
        self.names = [n for n in m.group("names").split(", ")]
        self.arg = m.group("arg")
        self.desc = []

    def arg_kind(self):
        if not self.arg:
            return None
        a = self.arg.strip("[]")
        if a in CHOICES:
            return "choice:" + " ".join(CHOICES[a])
        if a in FILE_ARGS:
            return "file"
        if a in DIR_ARGS:
            return "dir"
        if a in PID_ARGS:
            return "pid"
        return "none"


class Page:
    """One parsed help source."""

    def __init__(self, path):
        self.path = path
        base = os.path.basename(path)
        if not base.endswith(".txt") or not base.startswith("godiag"):
            raise HelpError(f"{path}: help sources are named godiag.txt or godiag-CMD.txt")
        self.page = base[:-4]                   # godiag-doctor
        self.cmd = self.page[len("godiag-"):] if self.page != "godiag" else None
        self.sections = []                      # [(title, [(lineno, level, text)])]
        self._read()
        self._check()

    def _read(self):
        with open(self.path, encoding="utf-8") as f:
            for n, raw in enumerate(f, 1):
                line = raw.rstrip("\n").rstrip()
                where = f"{self.path}:{n}"
                if line.startswith("#"):
                    continue
                if "\t" in line:
                    raise HelpError(f"{where}: a tab; indent with spaces (4 or 8)")
                if line and not line[0].isspace():
                    if line not in KNOWN_SECTIONS:
                        raise HelpError(f"{where}: '{line}' is not a section ({', '.join(sorted(KNOWN_SECTIONS))})")
                    if any(t == line for t, _ in self.sections):
                        raise HelpError(f"{where}: section {line} twice")
                    self.sections.append((line, []))
                    continue
                if not self.sections:
                    raise HelpError(f"{where}: text before the first section")
                if not line:
                    self.sections[-1][1].append((n, 0, ""))
                    continue
                ind = len(line) - len(line.lstrip(" "))
                if ind < 4:
                    raise HelpError(f"{where}: indent text by 4 (or 8) spaces")
                level = 1 if ind < 8 else 2
                text = line[4:] if level == 1 else line[8:]
                self.sections[-1][1].append((n, level, text))

    def section(self, title):
        for t, lines in self.sections:
            if t == title:
                return lines
        return None

    def _check(self):
        name = [t for _, lv, t in (self.section("NAME") or []) if lv]
        if len(name) != 1 or " - " not in name[0]:
            raise HelpError(f"{self.path}: NAME must be one line 'NAME - summary'")
        nm, self.summary = name[0].split(" - ", 1)
        if nm != self.page:
            raise HelpError(f"{self.path}: NAME says '{nm}', the file is {self.page}")
        syn = self.section("SYNOPSIS")
        if not syn or not any(lv == 1 for _, lv, _ in syn):
            raise HelpError(f"{self.path}: no SYNOPSIS")
        want = "godiag" if self.cmd is None else "godiag " + self.cmd
        for n, lv, t in syn:
            if lv == 1 and not (t == want or t.startswith(want + " ")):
                raise HelpError(f"{self.path}:{n}: a SYNOPSIS line starts with '{want}'")
        self.options = []
        self.option_groups = []  # [(heading or None, [Option])]
        for title, lines in self.sections:
            if title in LIST_SECTIONS:
                self._items(title, lines)  # validates
        seen = set()
        for o in self.options:
            for nme in o.names:
                if nme in seen:
                    raise HelpError(f"{self.path}: option {nme} listed twice")
                seen.add(nme)

    def _items(self, title, lines):
        """A list section as [(heading, [item])], item = Option or (term, [desc])."""
        groups = [(None, [])]
        last = None
        for n, lv, t in lines:
            where = f"{self.path}:{n}"
            if lv == 0:
                continue
            if lv == 1:
                if title == "OPTIONS" and t.endswith(":") and not t.startswith("-"):
                    groups.append((t, []))
                    last = None
                    continue
                if title == "OPTIONS":
                    last = Option(t, where)
                    self.options.append(last)
                else:
                    last = [t, []]
                groups[-1][1].append(last)
            else:
                if last is None:
                    raise HelpError(f"{where}: a description (8 spaces) without a term (4 spaces) above it")
                (last.desc if isinstance(last, Option) else last[1]).append(t)
        for _, items in groups:
            for it in items:
                desc = it.desc if isinstance(it, Option) else it[1]
                if not desc and title != "COMMANDS":
                    term = it.term if isinstance(it, Option) else it[0]
                    raise HelpError(f"{self.path}: '{term}' has no description (indent it by 8 spaces under the term)")
        return [g for g in groups if g[0] is not None or g[1]]

    def items(self, title):
        lines = self.section(title)
        return self._items(title, lines) if lines is not None else []

    def synopsis(self):
        """[(line, [continuations])]"""
        out = []
        for _, lv, t in self.section("SYNOPSIS"):
            if lv == 1:
                out.append((t, []))
            elif lv == 2:
                out[-1][1].append(t)
        return out

    def positional_kinds(self):
        """What the non-option words of the synopsis want: pid, dir, file."""
        kinds = []
        for line, cont in self.synopsis():
            words = " ".join([line] + cont).split()[2 if self.cmd else 1:]
            prev_opt = False
            for w in words:
                if w.lstrip("[").startswith("-"):
                    prev_opt = not w.endswith("]")  # its argument follows
                    continue
                if prev_opt:
                    prev_opt = False
                    continue
                bare = w.strip("[]")
                if bare in ("PID", "PID...", "TARGET", "TARGET...", "LATER_TARGET"):
                    kinds.append("pid")
                if bare in ("TARGET", "LATER_TARGET", "A", "B", "DIR"):
                    kinds.append("dir")
                if bare in ("TARGET", "LATER_TARGET", "A", "B", "SRC...", "SRC", "FILE", "FILE..."):
                    kinds.append("file")
        return sorted(set(kinds))


def prose_blocks(lines):
    """Paragraphs and displays of a prose section: [('p'|'d', [lines])]."""
    blocks = []
    for _, lv, t in lines:
        if lv == 0:
            blocks.append(None)
            continue
        kind = "p" if lv == 1 else "d"
        if blocks and blocks[-1] is not None and blocks[-1][0] == kind:
            blocks[-1][1].append(t)
        else:
            blocks.append((kind, [t]))
    return [b for b in blocks if b is not None]


# ---- --help text -------------------------------------------------------------

def help_text(page, pages):
    out = []
    syn = page.synopsis()
    for i, (line, cont) in enumerate(syn):
        out.append(("usage: " if i == 0 else "       ") + line)
        # continuations line up after the first argument, as usage lines do
        pad = " " * (7 + len(" ".join(line.split()[:3 if page.cmd else 2])) + 1)
        out.extend(pad + c for c in cont)
    for title, lines in page.sections:
        if title in ("NAME", "SYNOPSIS", "SEE ALSO"):
            continue
        out.append("")
        if title == "OPTIONS":
            out.extend(help_options(page))
        elif title == "COMMANDS":
            out.append("commands:")
            for _, items in page.items("COMMANDS"):
                for term, desc in items:
                    p = page_for(pages, term)
                    out.append(f"  {term:<8} {p.summary}")
        elif title == "EXIT STATUS":
            codes = [f"{t} {' '.join(d)}" for _, items in page.items(title) for t, d in items]
            # "0 x, 1 y", or "0 x; 1 y, z" when a description has a comma of its own
            codes = ("; " if any("," in c for c in codes) else ", ").join(codes)
            out.extend(textwrap.wrap("Exit status: " + codes + ".", 79, break_on_hyphens=False))
        elif title in LIST_SECTIONS:
            out.append(title.lower() + ":")
            for _, items in page.items(title):
                for term, desc in items:
                    out.extend(two_columns(term, desc, 18))
        else:
            if title not in ("DESCRIPTION", "NOTES"):
                out.append(title.lower() + ":")
            first = True
            for kind, blines in prose_blocks(lines):
                if not first and kind == "p":
                    out.append("")
                first = False
                out.extend(blines if kind == "p" else ["  " + b for b in blines])
    return "\n".join(out) + "\n"


def two_columns(term, desc, width):
    term = "  " + term
    rows = []
    if len(term) + 1 > width + 2:
        rows.append(term)
        rows.extend(" " * (width + 2) + d for d in desc)
    else:
        rows.append(term.ljust(width + 2) + desc[0])
        rows.extend(" " * (width + 2) + d for d in desc[1:])
    return rows


def help_options(page):
    terms = [o.term for o in page.options]
    longest = max([len(t) for t in terms if len(t) <= 22] + [12])
    width = longest + 2
    out = []
    for heading, opts in page.items("OPTIONS"):
        if heading:
            out.append(heading)
        for o in opts:
            out.extend(two_columns(o.term, o.desc, width))
    return out


def c_string(s):
    out = []
    for line in s.splitlines(True):
        esc = line.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        esc = re.sub(r"\?\?", "?\\?", esc)  # no trigraphs
        out.append(f'\t"{esc}"')
    return "\n".join(out) if out else '\t""'


def gen_c(out_path, pages):
    rows = []
    for p in pages:
        rows.append(f'\t{{ "{p.cmd or ""}",\n{c_string(help_text(p, pages))} }},')
    text = (
        "/* Generated by scripts/helpgen.py from doc/help/godiag*.txt: do not edit. */\n"
        '#include <stddef.h>\n#include "cmd/help.h"\n\n'
        "const struct help_page help_pages[] = {\n" + "\n".join(rows) + "\n};\n"
        f"const size_t help_pages_nr = {len(pages)};\n"
    )
    write_if_changed(out_path, text)


# ---- man pages ---------------------------------------------------------------

def roff(s):
    s = s.replace("\\", "\\e")
    s = re.sub(r"(?<![\w\\])-", r"\\-", s)
    s = s.replace("`", "\\(ga").replace("'", "\\(aq")
    if s.startswith(".") or s.startswith(" "):
        s = "\\&" + s
    return s


def roff_term(o):
    names = ", ".join(f"\\fB{roff(n)}\\fR" for n in o.names)
    return names + (f" \\fI{roff(o.arg)}\\fR" if o.arg else "")


def man_page(page, pages, version, date):
    title = page.page.upper()
    out = [
        f'.\\" Generated by scripts/helpgen.py from doc/help/{page.page}.txt: do not edit.',
        f'.TH "{title}" "1" "{date}" "godiag {version}" "godiag manual"',
        ".SH NAME",
        f"{roff(page.page)} \\- {roff(page.summary)}",
        ".SH SYNOPSIS",
        ".nf",
    ]
    word = "godiag " + page.cmd if page.cmd else "godiag"
    for line, cont in page.synopsis():
        out.append(f"\\fB{roff(word)}\\fR{roff(line[len(word):])}")
        out.extend("\\&    " + roff(c) for c in cont)
    out.append(".fi")
    for title_, lines in page.sections:
        if title_ in ("NAME", "SYNOPSIS", "SEE ALSO"):
            continue
        out.append(f'.SH "{title_}"')
        if title_ == "OPTIONS":
            for heading, opts in page.items("OPTIONS"):
                if heading:
                    out.append(f'.SS "{roff(heading.rstrip(":").capitalize())}"')
                for o in opts:
                    out.append(".TP")
                    out.append(roff_term(o))
                    out.extend(roff(d) for d in o.desc)
        elif title_ == "COMMANDS":
            for _, items in page.items("COMMANDS"):
                for term, _ in items:
                    p = page_for(pages, term)
                    out.append(".TP")
                    out.append(f"\\fB{roff(p.page)}\\fR(1)")
                    out.append(roff(p.summary))
        elif title_ in LIST_SECTIONS:
            for _, items in page.items(title_):
                for term, desc in items:
                    out.append(".TP")
                    out.append(f"\\fB{roff(term)}\\fR")
                    out.extend(roff(d) for d in desc)
        else:
            for kind, blines in prose_blocks(lines):
                if kind == "p":
                    out.append(".PP")
                    out.extend(roff(b) for b in blines)
                else:
                    out.extend([".PP", ".RS 4", ".nf"])
                    out.extend("\\&" + roff(b) for b in blines)
                    out.extend([".fi", ".RE"])
    out.append(".SH \"SEE ALSO\"")
    refs = []
    if page.cmd:
        refs.append("\\fBgodiag\\fR(1)")
    else:
        refs.extend(f"\\fB{roff(p.page)}\\fR(1)" for p in pages if p.cmd)
    extra = page.section("SEE ALSO") or []
    text = " ".join(t for _, lv, t in extra if lv)
    if text:
        refs.append(roff(text))
    out.append(",\n".join(refs))
    return "\n".join(out) + "\n"


def gen_man(outdir, version, pages):
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        t = int(epoch)
    else:
        t = max(int(os.stat(p.path).st_mtime) for p in pages)
    date = time.strftime("%Y-%m-%d", time.gmtime(t))
    for p in pages:
        write_if_changed(os.path.join(outdir, p.page + ".1"), man_page(p, pages, version, date))


# ---- bash completion ---------------------------------------------------------

def sh_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def gen_bash(out_path, template, pages):
    cmds = [p for p in order_commands(pages) if p.cmd]
    opts_cases, arg_cases, pos_cases = [], [], []
    for p in cmds:
        names = " ".join(n for o in p.options for n in o.names)
        opts_cases.append(f"\t{p.cmd}) echo {sh_quote(names)} ;;")
        for o in p.options:
            k = o.arg_kind()
            if k is not None:
                for n in o.names:
                    arg_cases.append(f"\t{sh_quote(p.cmd + ' ' + n)}) echo {sh_quote(k)} ;;")
        pos_cases.append(f"\t{p.cmd}) echo {sh_quote(' '.join(p.positional_kinds()))} ;;")
    top = [p for p in pages if not p.cmd][0]
    top_opts = " ".join(n for o in top.options for n in o.names)
    with open(template, encoding="utf-8") as f:
        text = f.read()
    repl = {
        "@COMMANDS@": " ".join(p.cmd for p in cmds),
        "@TOP_OPTIONS@": top_opts,
        "@OPTION_CASES@": "\n".join(opts_cases),
        "@ARG_CASES@": "\n".join(arg_cases),
        "@POSITIONAL_CASES@": "\n".join(pos_cases),
    }
    for k, v in repl.items():
        if k not in text:
            raise HelpError(f"{template}: no {k}")
        text = text.replace(k, v)
    write_if_changed(out_path, "# Generated by scripts/helpgen.py from doc/help/*.txt and " + os.path.basename(template) + ": do not edit.\n" + text)


# ---- common ------------------------------------------------------------------

def page_for(pages, cmd):
    for p in pages:
        if p.cmd == cmd:
            return p
    raise HelpError(f"godiag.txt: COMMANDS lists '{cmd}', which has no doc/help/godiag-{cmd}.txt")


def order_commands(pages):
    """The top page first, then the commands in the order godiag.txt lists them."""
    tops = [p for p in pages if not p.cmd]
    if len(tops) != 1:
        raise HelpError("exactly one godiag.txt is needed among the help sources")
    top = tops[0]
    listed = [t for _, items in top.items("COMMANDS") for t, _ in items]
    for p in pages:
        if p.cmd and p.cmd not in listed:
            raise HelpError(f"{top.path}: COMMANDS does not list '{p.cmd}' (doc/help/{p.page}.txt exists)")
    return [top] + [page_for(pages, c) for c in listed]


def write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except OSError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    mode = argv[1]
    try:
        if mode == "c" and len(argv) >= 4:
            pages = order_commands([Page(p) for p in argv[3:]])
            gen_c(argv[2], pages)
        elif mode == "man" and len(argv) >= 5:
            pages = order_commands([Page(p) for p in argv[4:]])
            gen_man(argv[2], argv[3], pages)
        elif mode == "bash" and len(argv) >= 5:
            pages = order_commands([Page(p) for p in argv[4:]])
            gen_bash(argv[2], argv[3], pages)
        elif mode == "check" and len(argv) >= 3:
            order_commands([Page(p) for p in argv[2:]])
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except HelpError as e:
        print(f"helpgen: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
