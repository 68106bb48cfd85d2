# aws-elevate: build, test, demo and benchmark on Debian 12.
#   make deps    install missing Debian packages and the Python venv (.venv) of the test peers; idempotent
#   make build   release binary (static Swift stdlib) and the debug build with tests
#   make test    deps, build, swift test, then the end-to-end suite (pytest) against the release binary
#   make demo    the real aws CLI getting credentials through aws-elevate from a local moto STS
#   make bench   start-up time of aws-elevate against a static Swift hello-world and /bin/true
#   make install the release binary, shell file, completions, man page and docs under $(DESTDIR)$(PREFIX)
#                (PREFIX=/usr/local); `make uninstall` removes exactly what it installed
#   make deb     the Debian package .build/deb/aws-elevate_VERSION_ARCH.deb (packaging/deb.sh)
#   make package-test  make deb, then install it with apt into a fresh minimal Debian 12 root (debootstrap, cached
#                under .build/package-test) and run it there in a chroot against moto and the IMDS emulator (root)
#   make fuzz    libFuzzer targets of Tests/Fuzz: the committed corpus, then FUZZ_SECONDS (default 10) per target
#   make version print the version (written once, in Sources/ElevateCommands/AWSElevate.swift)
#   make clean   remove build outputs (.build); `make distclean` also removes .venv
# Longer logic lives in Tests/support/*.sh and *.py.

SHELL := /bin/bash
.DEFAULT_GOAL := build

export VENV := $(CURDIR)/.venv
# No $ORIGIN run path: the binary needs no library of its own, and libraries it dlopens (libcurl.so.4, ...) must
# never be looked for next to it, in a folder its user may be able to write.
RELEASE_FLAGS := -c release --static-swift-stdlib --disable-local-rpath
RELEASE_BIN := $(CURDIR)/.build/release/aws-elevate
# The one place the version is written is AWSElevate.version; packaging reads it from there.
VERSION := $(shell sed -n 's/^ *public static let version = "\(.*\)"$$/\1/p' Sources/ElevateCommands/AWSElevate.swift)
FUZZ_SECONDS ?= 10
# libFuzzer and AddressSanitizer over every Swift module, in a build folder of their own.
FUZZ_FLAGS := --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING

.PHONY: deps deps-apt deps-venv build build-release build-debug version test unit-test fuzz e2e-test demo bench clean distclean
.PHONY: install uninstall manual-generator deb package-test

PREFIX ?= /usr/local
DESTDIR ?=
# zsh reads $(PREFIX)/share/zsh/site-functions for local installs; Debian's own packages use vendor-completions.
ZSH_COMPLETION_DIR ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/share/zsh/vendor-completions,$(PREFIX)/share/zsh/site-functions)
# The binary `make install` puts down. Naming one already built (INSTALL_BIN=path) skips the release build.
INSTALL_BIN ?=
# MANIFEST=no for a package's staging tree (make install DESTDIR=staging PREFIX=/usr MANIFEST=no).
MANIFEST ?= yes
# swift-argument-parser's manual generator, built into the debug build folder (make manual-generator).
GENERATE_MANUAL = $(shell swift build --show-bin-path)/generate-manual
INSTALL_ENV = DESTDIR='$(DESTDIR)' PREFIX='$(PREFIX)' ZSH_COMPLETION_DIR='$(ZSH_COMPLETION_DIR)' MANIFEST='$(MANIFEST)'

deps: deps-apt deps-venv

deps-apt:
	bash Tests/support/deps.sh apt

deps-venv:
	bash Tests/support/deps.sh venv

build: build-release build-debug

# The commit goes into the binary through Sources/CBuildInfo/commit.h (Tests/support/build_commit.sh).
build-release: deps-apt
	bash Tests/support/build_commit.sh Sources/CBuildInfo
	swift build $(RELEASE_FLAGS) --product aws-elevate

build-debug: deps-apt
	swift build --build-tests

test: deps build
	$(MAKE) --no-print-directory unit-test
	$(MAKE) --no-print-directory fuzz
	$(MAKE) --no-print-directory e2e-test

version:
	@echo $(VERSION)

unit-test:
	swift test

fuzz: deps-apt
	swift build $(FUZZ_FLAGS) --product elevate-fuzz
	bash Tests/support/fuzz.sh $(CURDIR)/.build-fuzz/debug/elevate-fuzz $(FUZZ_SECONDS)

# Real peers (moto_server, the aws CLI, boto3, bash, zsh) are started and stopped by the pytest fixtures.
e2e-test:
	AWS_ELEVATE_BIN=$(RELEASE_BIN) $(VENV)/bin/python -m pytest Tests/e2e

demo: deps build-release
	AWS_ELEVATE_BIN=$(RELEASE_BIN) bash Tests/support/demo.sh

bench: deps-apt build-release
	AWS_ELEVATE_BIN=$(RELEASE_BIN) bash Tests/support/bench.sh

# The generate-manual product of swift-argument-parser, a debug build of that product alone (the plugin's own build
# names its copy generate-manual-tool, and building through the plugin would build the package in release mode
# without the static stdlib, replacing the release binary); install.sh runs it on the binary it installs.
# Built once, so that `sudo make install INSTALL_BIN=...` after a build as yourself writes nothing into .build.
manual-generator:
	@test -x '$(GENERATE_MANUAL)' || swift build --product generate-manual >/dev/null

install: $(if $(INSTALL_BIN),,build-release) manual-generator
	$(INSTALL_ENV) bash packaging/install.sh install '$(or $(INSTALL_BIN),$(RELEASE_BIN))' '$(GENERATE_MANUAL)'

uninstall:
	$(INSTALL_ENV) bash packaging/install.sh uninstall

DEB_DIR := $(CURDIR)/.build/deb
DEB = $(DEB_DIR)/aws-elevate_$(VERSION)_$(shell dpkg --print-architecture).deb

# deb.sh stages the files with `make install DESTDIR=... PREFIX=/usr MANIFEST=no INSTALL_BIN=<stripped binary>`.
deb: build-release manual-generator
	bash packaging/deb.sh '$(RELEASE_BIN)' '$(VERSION)' '$(DEB_DIR)'

# The clean root and its mounts are made and removed by the fixtures of Tests/package (needs root).
package-test: deps deb
	AWS_ELEVATE_DEB='$(DEB)' AWS_ELEVATE_BIN=$(RELEASE_BIN) $(VENV)/bin/python -m pytest Tests/package/test_deb_package.py Tests/package/test_clean_root.py

clean:
	rm -rf .build .build-fuzz

distclean: clean
	rm -rf .venv
