#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pkg_deb.sh: the Debian package, end to end, as a user gets it.
#   1. `make deb` builds it (once) and prints its path on the last line;
#   2. lintian reports no error on it;
#   3. `apt-get install ./godiag_*.deb` installs it, with the files it promises;
#   4. the INSTALLED /usr/bin/godiag diagnoses the demo service (tests/demo.sh's
#      scenario: httpidle, 200 idle keep-alive clients) and names the cause;
#   5. `man godiag-doctor` renders, and every command's man page lists the
#      options its --help lists;
#   6. completion works in a real interactive bash loaded with the system's
#      bash-completion (commands, options, option values, the PID of the Go
#      service and not of a non-Go process), and a Tab pressed in tmux
#      completes a command;
#   7. `apt-get remove -y godiag` at the end, whatever happened.
# Needs root (apt-get install); otherwise SKIP (77).  The package is built
# with DEB_BUILD_OPTIONS=nocheck: the unit tests it would run are in this
# suite already.
set -uo pipefail
SRCDIR=${SRCDIR:?}
BUILDDIR=${BUILDDIR:-$SRCDIR/build}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (apt-get install of the package)"; exit 77; }
# The package is built from the tree, not from this build: once is enough,
# in the plain build (CI runs the suite again under ASan).
if jq -e '.[] | select(.name == "b_sanitize") | .value != "none"' \
	"$BUILDDIR/meson-info/intro-buildoptions.json" >/dev/null 2>&1; then
	echo "SKIP: a sanitizer build; the package test runs in the plain build"
	exit 77
fi
for t in dpkg-buildpackage dh lintian apt-get man git jq; do
	command -v "$t" >/dev/null || { echo "SKIP: $t is not installed (make deps)"; exit 77; }
done
[ -f /usr/share/bash-completion/bash_completion ] || { echo "SKIP: bash-completion is not installed"; exit 77; }
if dpkg-query -W -f='${Status}' godiag 2>/dev/null | grep -q 'install ok installed'; then
	echo "SKIP: a godiag package is installed already; not replacing it (apt-get remove godiag)"
	exit 77
fi
. "$SRCDIR/tests/lib/helpopts.sh"
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
work=$(mktemp -d)
svc="" installed=0 tmux_sock="$work/tmux.sock"
cleanup() {
	[ -n "$svc" ] && kill "$svc" 2>/dev/null && wait "$svc" 2>/dev/null
	command -v tmux >/dev/null && tmux -S "$tmux_sock" kill-server 2>/dev/null
	if [ "$installed" = 1 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get remove -y -q -o DPkg::Lock::Timeout=120 godiag >"$work/remove.log" 2>&1 ||
			{ echo "FAIL: apt-get remove godiag"; cat "$work/remove.log"; }
		rm -f /var/cache/man/cat1/godiag.1.gz /var/cache/man/cat1/godiag-*.1.gz # man-db's cat pages, if any
	fi
	rm -rf "$work"
}
trap cleanup EXIT
t0=$(date +%s)

# 1. make deb, once.  The Go service builds meanwhile (both take a while).
BUILDDIR=$BUILDDIR "$SRCDIR/tests/lib/gobuild.sh" "$SRCDIR/tests/scenarios/httpidle" "$work/httpidle" \
	>"$work/gobuild.log" 2>&1 &
gobuild=$!
want=$("$SRCDIR/scripts/git-describe.sh" "$SRCDIR" 2>/dev/null || echo unknown) # what make deb records
DEB_BUILD_OPTIONS=nocheck make -s -C "$SRCDIR" deb DEB_OUT="$work/deb" >"$work/make.out" 2>"$work/make.err"
rc=$?
deb=$(tail -n 1 "$work/make.out")
if [ "$rc" != 0 ] || [ ! -f "$deb" ] || [[ $deb != *.deb ]]; then
	bad "make deb: exit $rc, last line '$deb'"
	tail -n 30 "$work/make.err" "$work/deb/build.log" 2>/dev/null
	exit 1
fi
ok "make deb printed $deb ($(($(date +%s) - t0)) s)"
dpkg-deb -f "$deb" Depends >"$work/depends"
check "Depends computed from the shared libraries (libcurl4, libelf1, libjansson4, ...)" \
	grep -qE 'libc6.*libcurl4.*libelf1.*libjansson4' "$work/depends"

# 2. lintian: no errors (warnings and the rest are printed; today there are none).
lintian --tag-display-limit 0 "$deb" >"$work/lintian" 2>&1
cat "$work/lintian" | grep -v 'running with root privileges' | sed 's/^/  lintian: /'
check "lintian: no errors" bash -c '! grep -q "^E: " "$1"' _ "$work/lintian"

# 3. apt-get install the printed path.
if DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=120 "$deb" >"$work/install.log" 2>&1; then
	installed=1
	ok "apt-get install $deb"
else
	bad "apt-get install $deb"; tail -n 20 "$work/install.log"; exit 1
fi
dpkg -L godiag >"$work/files"
for f in /usr/bin/godiag /usr/share/man/man1/godiag.1.gz /usr/share/man/man1/godiag-doctor.1.gz \
	/usr/share/bash-completion/completions/godiag /usr/share/doc/godiag/rules.md.gz \
	/usr/share/doc/godiag/copyright; do
	check "the package installs $f" grep -qx "$f" "$work/files"
done
G=/usr/bin/godiag
"$G" version >"$work/version" 2>&1
check "installed godiag version names the build's git describe ($want)" \
	grep -qF "godiag $(dpkg-deb -f "$deb" Version) (git $want)" "$work/version"
check "installed godiag version lists libcurl's run-time version" grep -qE '^  libcurl +[0-9]' "$work/version"

# 4. doctor of the demo service, with the installed binary.
if ! wait "$gobuild"; then
	bad "building tests/scenarios/httpidle"; cat "$work/gobuild.log"
else
	"$work/httpidle" -serve -n 200 -ttl 120s >"$work/svc.out" 2>&1 &
	svc=$!
	for _ in $(seq 100); do grep -q '^ADDR=' "$work/svc.out" && break; sleep 0.1; done
	sleep 3 # as tests/demo.sh: the clients' connections sit idle
	"$G" doctor --idle-threshold 2s --suspect-after 1s --json "$svc" >"$work/doctor.json" 2>"$work/doctor.err"
	rc=$?
	check "installed godiag doctor exits 1 (findings) on the demo service (exit $rc)" test "$rc" = 1
	check "doctor names http-server-idle-conn with the 200 idle connections" \
		jq -e '[.findings[] | select(.rule == "http-server-idle-conn" and .sockets >= 200)] | length == 1' \
			"$work/doctor.json" >/dev/null
	[ "$failed" = 0 ] || head -c 2000 "$work/doctor.err" "$work/doctor.json"
fi

# 5. man pages, through man(1) and the installed pages.  MANWIDTH=100: at
# the default 80 columns man-db may show a cat page it cached from an
# earlier install whose page had the same mtime (dpkg clamps mtimes to the
# changelog's date), not the page installed now.
MANWIDTH=100 man -P cat godiag-doctor >"$work/man.doctor" 2>"$work/man.err"
check "man godiag-doctor renders" grep -q '^GODIAG-DOCTOR(1)' "$work/man.doctor"
check "man godiag-doctor documents --idle-threshold" grep -qE '^ {7}--idle-threshold D' "$work/man.doctor"
check "man -w godiag finds the installed page" test "$(man -w godiag 2>/dev/null)" = /usr/share/man/man1/godiag.1.gz
"$G" --help | awk '/^commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }' >"$work/cmds"
check "godiag --help lists commands" test -s "$work/cmds"
while read -r c; do
	"$G" "$c" --help | help_opts >"$work/h.$c"
	MANWIDTH=100 man -P cat "godiag-$c" 2>/dev/null | man_opts >"$work/m.$c"
	if cmp -s "$work/h.$c" "$work/m.$c" && [ -s "$work/h.$c" ]; then
		ok "man godiag-$c lists the options of godiag $c --help"
	else
		bad "man godiag-$c vs godiag $c --help"; diff "$work/h.$c" "$work/m.$c" | sed 's/^/    /'
	fi
done <"$work/cmds"

# 6. completion in a real interactive bash with the system's bash-completion,
# which loads /usr/share/bash-completion/completions/godiag on demand.
cat >"$work/rc" <<'EOF'
PS1='$ '
. /usr/share/bash-completion/bash_completion
EOF
cat >"$work/drive.sh" <<'EOF'
complete -p godiag >/dev/null 2>&1 && echo "PRELOADED"
__load_completion godiag
echo "SPEC: $(complete -p godiag)"
comp() {
	COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
	_godiag godiag "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
	printf '%s\n' "REPLY[$*]: ${COMPREPLY[*]}"
}
comp godiag do
comp godiag ""
comp godiag doctor --idle
comp godiag stacks --color ""
comp godiag conns --proc-root /us
comp godiag mem ""
comp godiag doctor ""
EOF
(cd "$work" && bash --rcfile "$work/rc" -i <"$work/drive.sh" >"$work/compl.out" 2>"$work/compl.err")
reply() { awk -v k="REPLY[$1]: " 'index($0, k) == 1 { print substr($0, length(k) + 1) }' "$work/compl.out"; }
check "bash: complete -p godiag shows _godiag, loaded from the installed file on demand" \
	grep -qx 'SPEC: complete -F _godiag godiag' "$work/compl.out"
check "bash: 'godiag do' completes to doctor" test "$(reply 'godiag do')" = doctor
check "bash: 'godiag ' offers every command" \
	bash -c 'for c in $(cat "$1"); do [[ " $2 " == *" $c "* ]] || exit 1; done' _ "$work/cmds" "$(reply 'godiag ')"
check "bash: 'godiag doctor --idle' completes to --idle-threshold" \
	test "$(reply 'godiag doctor --idle')" = --idle-threshold
check "bash: 'godiag stacks --color ' offers auto always never" \
	test "$(reply 'godiag stacks --color ')" = "auto always never"
check "bash: 'godiag conns --proc-root /us' completes a directory" \
	bash -c '[[ " $1 " == *" /usr "* ]]' _ "$(reply 'godiag conns --proc-root /us')"
if [ -n "$svc" ]; then
	check "bash: 'godiag mem ' offers the Go service's PID $svc" \
		bash -c '[[ " $1 " == *" $2 "* ]]' _ "$(reply 'godiag mem ')" "$svc"
	check "bash: 'godiag mem ' does not offer a non-Go PID ($$, this bash)" \
		bash -c '[[ " $1 " != *" $2 "* ]]' _ "$(reply 'godiag mem ')" "$$"
	check "bash: 'godiag doctor ' offers the PID too" \
		bash -c '[[ " $1 " == *" $2 "* ]]' _ "$(reply 'godiag doctor ')" "$svc"
fi
[ "$failed" = 0 ] || { echo "--- completion output"; cat "$work/compl.out"; head -c 2000 "$work/compl.err"; }

# A real Tab, in a real terminal: tmux.
if command -v tmux >/dev/null; then
	tmux -S "$tmux_sock" new-session -d -x 120 -y 30 "bash --rcfile $work/rc -i"
	for _ in $(seq 50); do # the prompt, once bash-completion is loaded
		tmux -S "$tmux_sock" capture-pane -p | grep -q '^\$ ' && break
		sleep 0.1
	done
	# (completing a command adds the space after it)
	tmux -S "$tmux_sock" send-keys 'godiag stac' Tab
	sleep 0.3
	tmux -S "$tmux_sock" send-keys -- '--min-c' Tab
	for _ in $(seq 30); do
		tmux -S "$tmux_sock" capture-pane -p >"$work/pane"
		grep -q 'godiag stacks --min-count' "$work/pane" && break
		sleep 0.2
	done
	check "tmux: Tab completes 'godiag stac --min-c' to 'godiag stacks --min-count'" \
		grep -q 'godiag stacks --min-count' "$work/pane"
else
	echo "note: tmux not installed, the Tab-in-a-terminal check is left out"
fi

echo "$passed passed, $failed failed ($(($(date +%s) - t0)) s)"
[ "$failed" -eq 0 ]
