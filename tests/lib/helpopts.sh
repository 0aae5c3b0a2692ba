# SPDX-License-Identifier: MIT
# helpopts.sh: sourced by tests/integration/pkg_*.sh.  The option names a
# `godiag CMD --help` text and a rendered man page list, one a line, sorted,
# -h/--help left out (every command takes them).

# --help: lines "  -x, --name ARG   text" (two spaces, then the term).
help_opts() {
	grep -E '^  -' | sed -E 's/^  //; s/  .*//' |
		grep -oE '(^|, )(-[A-Za-z0-9?]|--[a-z0-9][a-z0-9-]*)' | sed 's/^, //' |
		grep -vxE -- '-h|--help' | sort -u
}

# man -P cat output: the OPTIONS section's tags, at 7 spaces.
man_opts() {
	awk '/^[A-Z]/ { on = ($0 == "OPTIONS"); next } on' |
		grep -E '^ {7}-' | sed -E 's/^ {7}//' |
		grep -oE '^(-[A-Za-z0-9?]|--[a-z0-9][a-z0-9-]*)(, --[a-z0-9][a-z0-9-]*)?' |
		tr ',' '\n' | sed 's/^ //' | grep -vxE -- '-h|--help' | sort -u
}
