# Carillon: `make run` and `make test` are all the set-up a fresh Debian 12 machine needs.

SWIFT        ?= swift
CONFIG       ?= config/carillon.toml
BUILD_FLAGS  ?=
BIN          := $(shell $(SWIFT) build $(BUILD_FLAGS) --show-bin-path 2>/dev/null || echo .build/debug)

# Debian packages the build and the tests need: the C libraries and their data (espeak-ng voices).
DEB_PACKAGES := libasound2-dev libsndfile1-dev libsqlite3-dev libsoxr-dev libespeak-ng-dev espeak-ng-data \
                libebur128-dev libical-dev pkg-config
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build run demo test check-config clean

all: build

## deps: install the missing Debian packages (idempotent; does nothing when all are present)
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

## build: debug build of the daemon, the client and the tests
build: deps
	$(SWIFT) build $(BUILD_FLAGS) --build-tests

## run: start carillond on config/carillon.toml, data under var/
run: deps build
	$(BIN)/carillond --config $(CONFIG)

## demo: run with the output captured to var/demo.wav (for machines with no sound card)
demo: CONFIG = config/demo.toml
demo: run

# Tests that drive real audio run apart from the CPU-heavy pure ones (synthesis, parsing): they
# share the test process's two-thread pool, and audio events must not wait behind a render.
AUDIO_TESTS := EndToEndTests|CarillonAudioTests

## test: every test
test: deps build
	$(SWIFT) test $(BUILD_FLAGS) --skip-build --filter '$(AUDIO_TESTS)'
	$(SWIFT) test $(BUILD_FLAGS) --skip-build --skip '$(AUDIO_TESTS)'

## check-config: validate the config and the library it names
check-config: build
	$(BIN)/carillond --check-config --config $(CONFIG)

clean:
	rm -rf .build
