# Thin wrapper over Meson; the real build is meson.build.
BUILD ?= build
DEB_OUT ?= $(CURDIR)/build-deb
.PHONY: all check demo deps deb asan fuzz bench clean

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD)

check: all
	meson test -C $(BUILD) --print-errorlogs

demo: all
	bash tests/demo.sh $(BUILD)/godiag

deps:
	bash scripts/deps.sh

# A Debian package (debian/, dpkg-buildpackage) built from a clean copy of
# the tree; the last line printed is the .deb's path.
deb:
	@bash scripts/make-deb.sh $(DEB_OUT)

asan:
	CC=clang meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false 2>/dev/null || true
	ninja -C build-asan && meson test -C build-asan --print-errorlogs

fuzz:
	CC=clang meson setup build-fuzz -Dfuzzers=true -Db_lundef=false 2>/dev/null || true
	ninja -C build-fuzz && bash fuzz/run.sh build-fuzz $${FUZZ_SECONDS:-60}

bench: all
	bash bench/run.sh $(BUILD)/godiag

clean:
	rm -rf $(BUILD) build-asan build-fuzz build-deb
