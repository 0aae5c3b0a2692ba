#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pkg_help_options.sh: for every command, the options its parser takes, the
# options `godiag CMD --help` lists, the options its man page lists and the
# options bash completion offers are the same set.  Commands come from the
# table in src/main.c, so a command added later is checked too (and fails
# until it has doc/help/godiag-CMD.txt; see docs/help-format.md).
#
# The parser's options are read from the command's source after the C
# preprocessor (so shared blocks like OPT_HTTP() are expanded): option-table
# entries (.long_name/.short_name), getopt_long tables and optstrings.
# -h/--help is everywhere and is left out.
set -uo pipefail
GODIAG=${GODIAG:?GODIAG must name the godiag binary}
SRCDIR=${SRCDIR:?}
BUILDDIR=${BUILDDIR:?}
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
command -v man >/dev/null || { echo "SKIP: man (man-db) is not installed"; exit 77; }
command -v cc >/dev/null || { echo "SKIP: no C compiler for the preprocessor"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. "$SRCDIR/tests/lib/helpopts.sh"
# Options the parser of the file defining function $1 takes.
parser_opts() {
	local fn=$1 file
	file=$(grep -lE "^int $fn\(int argc" "$SRCDIR"/src/cmd/*.c | head -1)
	[ -n "$file" ] || { echo "?no-source-for-$fn"; return; }
	cc -E -D_GNU_SOURCE -DGODIAG_VERSION='"0"' -I"$SRCDIR/src" -I"$BUILDDIR" -I"$BUILDDIR/src" \
		$(pkg-config --cflags libcurl jansson libprotobuf-c 2>/dev/null) "$file" 2>"$work/cc.err" |
		grep -v '^#' | tr '\n' ' ' >"$work/pp"
	[ -s "$work/pp" ] || { echo "?preprocessor-failed:$(head -c 300 "$work/cc.err")"; return; }
	{
		grep -oE '\.long_name = \("[a-z0-9-]+"\)' "$work/pp" | sed -E 's/.*"(.*)".*/--\1/'
		grep -oE "\.short_name = \('[A-Za-z0-9?]'\)" "$work/pp" | sed -E "s/.*'(.)'.*/-\1/"
		grep -oE '\{ *"[a-z0-9][a-z0-9-]*" *, *[012] *,' "$work/pp" | sed -E 's/\{ *"([^"]*)".*/--\1/'
		grep -oE 'getopt_long *\( *[a-z]+ *, *[a-z]+ *, *"[^"]*"' "$work/pp" | sed -E 's/.*"(.*)"/\1/' |
			tr -d ':+' | grep -oE '[A-Za-z0-9?]' | sed 's/^/-/'
	} | grep -vxE -- '-h|--help' | sort -u
}
compl_opts() {
	bash -c 'source "$1"; __godiag_cmd_opts "$2"' _ "$BUILDDIR/doc/godiag" "$1" | tr ' ' '\n' | grep . | sort -u
}
same() { # LABEL A B
	if cmp -s "$2" "$3"; then ok; else bad "$1"; diff "$2" "$3" | sed 's/^/    /'; fi
}

# The commands: src/main.c's table, godiag.txt's COMMANDS (as --help prints
# them), and one man page each.
grep -oE '^\s*\{ "[a-z][a-z0-9-]*", cmd_[a-z_]+' "$SRCDIR/src/main.c" | sed -E 's/.*"(.*)", (cmd_.*)/\1 \2/' >"$work/table"
[ -s "$work/table" ] || { bad "no command table found in src/main.c"; exit 1; }
cut -d' ' -f1 "$work/table" | sort >"$work/cmds.table"
"$GODIAG" --help | awk '/^commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }' | sort >"$work/cmds.help"
same "commands in src/main.c vs godiag --help (doc/help/godiag.txt COMMANDS)" "$work/cmds.table" "$work/cmds.help"

# godiag itself: --help and --version.
"$GODIAG" --help | help_opts >"$work/top.help"
MANWIDTH=80 man -P cat -l "$BUILDDIR/doc/godiag.1" 2>/dev/null | man_opts >"$work/top.man"
printf -- '--version\n' >"$work/top.want"
same "godiag --help options vs the parser (--version)" "$work/top.want" "$work/top.help"
same "godiag --help vs godiag(1) options" "$work/top.help" "$work/top.man"

while read -r cmd fn; do
	page="$BUILDDIR/doc/godiag-$cmd.1"
	if [ ! -f "$page" ]; then
		bad "$cmd: no man page $page (no doc/help/godiag-$cmd.txt?)"
		continue
	fi
	"$GODIAG" "$cmd" --help >"$work/$cmd.txt" 2>&1
	rc=$?
	[ "$rc" = 0 ] || bad "$cmd --help: exit $rc"
	grep -q "^usage: godiag $cmd" "$work/$cmd.txt" || bad "$cmd --help does not print the help source's usage"
	help_opts <"$work/$cmd.txt" >"$work/$cmd.help"
	MANWIDTH=80 man -P cat -l "$page" 2>/dev/null | man_opts >"$work/$cmd.man"
	parser_opts "$fn" >"$work/$cmd.parser"
	compl_opts "$cmd" >"$work/$cmd.compl"
	same "$cmd: options its parser takes (<) vs its --help (>)" "$work/$cmd.parser" "$work/$cmd.help"
	same "$cmd: --help (<) vs man page (>)" "$work/$cmd.help" "$work/$cmd.man"
	same "$cmd: --help (<) vs bash completion (>)" "$work/$cmd.help" "$work/$cmd.compl"
	# groff must render it without a warning (lintian runs the same check)
	w=$(LC_ALL=C.UTF-8 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)
	[ -z "$w" ] && ok || bad "$cmd: man --warnings: $w"
done <"$work/table"

# A sanity check of the extraction itself, so an empty parse cannot pass:
# doctor takes --json and -H, and stacks -q.
grep -qx -- '--json' "$work/doctor.parser" && grep -qx -- '-H' "$work/doctor.parser" &&
	grep -qx -- '-q' "$work/stacks.parser" && ok || bad "the option extraction found too little"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
