# Carillon: `make run` and `make test` are all the set-up a fresh Debian 12 machine needs.

SWIFT        ?= swift
CONFIG       ?= config/carillon.toml
BUILD_FLAGS  ?=
BIN          := $(shell $(SWIFT) build $(BUILD_FLAGS) --show-bin-path 2>/dev/null || echo .build/debug)

# Debian packages the build and the tests need: the C libraries and their data (espeak-ng voices);
# gnuplot-nox and python3 for the city tests (`city stats --png`, the HTTPS file server of bundles);
# libqrencode-dev for the pairing QR code, zbar-tools, chromium and chromium-driver for the console's tests.
DEB_PACKAGES := libasound2-dev libsndfile1-dev libsqlite3-dev libsoxr-dev libespeak-ng-dev espeak-ng-data \
                libebur128-dev libical-dev libopus-dev libssl-dev openssl util-linux pkg-config systemd sqlite3 \
                dpkg-dev debhelper lintian libmosquitto-dev mosquitto gnuplot-nox python3 libqrencode-dev zbar-tools \
                chromium chromium-driver
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build run demo test check-config bench bench-city test-rabbitmq clean install uninstall deb crash-test load-test soak fuzz test-sanitize

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

# Tests that drive real audio run apart from the CPU-heavy pure ones (synthesis, parsing): audio
# events must not wait behind a render for the two cores. Their suites are `.ownThread`
# (Tests/CarillonTesting/OwnThread.swift): each test on a thread of its own, so tests that block do
# not hold Swift's cooperative pool (one thread a core) from the ones awaiting a daemon. Swift
# Testing would then run twice as many tests at once as there are cores, really at once: four
# debug daemons and their clients on two cores glitched a live shout (ShoutTests, 2 runs in 2).
# The reliability tests (kills, faults, load) run after them, on their own: run beside the audio tests they
# starve them of the two cores, and those measure timing on the capture. The package's tests
# (PackageTests: apt installs the .deb into a fresh root) run last, alone, for the same reason; they
# run only where CARILLON_DEB names the package, and are skipped in the other groups.
AUDIO_TESTS       := EndToEndTests|CarillonAudioTests
# At most two tests at once in the audio and reliability groups (an environment variable of Swift
# Testing's, experimental in Swift 6.3; a toolchain without it runs four).
REAL_TIME_WIDTH   := SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=2
# `[.]SoakTests` is the end-to-end soak's short form (two minutes), not CarillonCoreTests' SchoolYearSoakTests.
RELIABILITY_TESTS := CrashTests|FaultInjectionTests|LoadTests|[.]SoakTests

## test: every test; the Debian package is built first (make deb), checked by lintian, and installed by
## PackageTests; fails too if a test leaves a file behind in its temporary directory
# The tests run with TMPDIR set to a directory of their own (short: UNIX socket paths live in it;
# mode 1777 like /tmp: some tests act as other uids), which must be empty at the end but for what
# `swift test` itself leaves in TMPDIR: its `_*.lock` files and five `TemporaryDirectory.*` per
# run, each holding only a `.keep-directory`, even for a run of no test at all.
test: deps build deb
	lintian --fail-on error --tag-display-limit 0 $(DEB)
	@tmp=$$(mktemp -d /tmp/carillon-test.XXXXXX) && chmod 1777 $$tmp && \
	TMPDIR=$$tmp $(REAL_TIME_WIDTH) $(SWIFT) test $(BUILD_FLAGS) --skip-build --filter '$(AUDIO_TESTS)' --skip '$(RELIABILITY_TESTS)' && \
	TMPDIR=$$tmp $(SWIFT) test $(BUILD_FLAGS) --skip-build --skip '$(AUDIO_TESTS)' && \
	TMPDIR=$$tmp $(REAL_TIME_WIDTH) $(SWIFT) test $(BUILD_FLAGS) --skip-build --filter '$(RELIABILITY_TESTS)' && \
	TMPDIR=$$tmp CARILLON_DEB=$(CURDIR)/$(DEB) $(SWIFT) test $(BUILD_FLAGS) --skip-build --filter PackageTests && \
	find $$tmp -mindepth 2 -maxdepth 2 -path "$$tmp/TemporaryDirectory.*/.keep-directory" -type f -delete && \
	find $$tmp -mindepth 1 -maxdepth 1 \( -name '_*.lock' -type f -o -name 'TemporaryDirectory.*' -type d -empty \) -delete && \
	left=$$(ls -A $$tmp) && if [ -n "$$left" ]; then \
		echo "make test: the tests left these behind in $$tmp:"; ls -lA $$tmp; exit 1; \
	fi && rmdir $$tmp

## crash-test: 200 kill -9s at random moments of schedule, bundle, import, plan and play-log writes (CARILLON_SEED=N replays); see docs/RELIABILITY.md
crash-test: deps build
	CARILLON_LONG=1 $(SWIFT) test $(BUILD_FLAGS) --skip-build --filter 'CrashTests'

## load-test: 200 clients, malformed, oversized and slow ones, through two minutes of compressed bells and a plan
load-test: deps build
	CARILLON_LONG=1 $(SWIFT) test $(BUILD_FLAGS) --skip-build --filter 'LoadTests'

## soak: an hour of real time (CARILLON_SOAK_SECONDS) at ten times a school's busiest day, failing if RssAnon, descriptors or threads grow; and a school year on the injected clock. Samples and their plot in SOAK_OUT
SOAK_OUT ?= .build/soak
soak: deps build
	@command -v gnuplot >/dev/null || { echo "installing: gnuplot-nox"; $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends gnuplot-nox; }
	mkdir -p $(SOAK_OUT)
	CARILLON_SOAK=1 CARILLON_SOAK_SAMPLES=$(abspath $(SOAK_OUT))/samples.txt $(SWIFT) test $(BUILD_FLAGS) --skip-build --filter 'SoakTests/hour|SchoolYearSoakTests'; \
	status=$$?; \
	seconds=$${CARILLON_SOAK_SECONDS:-3600}; warmup=$$(( seconds / 6 < 600 ? seconds / 6 : 600 )); \
	[ -s $(SOAK_OUT)/samples.txt ] && gnuplot -e "samples='$(SOAK_OUT)/samples.txt'; out='$(SOAK_OUT)/soak.png'; warmup=$$warmup" docs/soak/plot.gnuplot 2>/dev/null \
		&& echo "soak: plot in $(SOAK_OUT)/soak.png"; \
	exit $$status

# Fuzzing (fuzz/, its own package): libFuzzer over the parsers, with the address sanitizer. Not part of
# `test`. New inputs go to fuzz/.build/corpus, crashes to fuzz/artifacts; the seeds in fuzz/corpus stay.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= protocol toml schedule plan bundle audio lines schools shout wav speech city
FUZZ_BUILD   := $(SWIFT) build --package-path fuzz --scratch-path fuzz/.build -c release \
                -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library

## fuzz: build the fuzz targets and run each for FUZZ_SECONDS (60) s; FUZZ_TARGETS="toml plan" picks; see docs/RELIABILITY.md
fuzz: deps
	$(FUZZ_BUILD)
	bin=$$($(FUZZ_BUILD) --show-bin-path) && mkdir -p fuzz/artifacts && for t in $(FUZZ_TARGETS); do \
		mkdir -p fuzz/.build/corpus/$$t && \
		$$bin/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix=fuzz/artifacts/$$t- fuzz/.build/corpus/$$t fuzz/corpus/$$t || exit 1; \
	done

# Sanitizers: swiftc on Linux supports address and thread (`undefined` and `scudo` are refused). Each has
# its own scratch path; the end-to-end tests there spawn the sanitized daemons. Every report, the
# daemons' included, is also written under SANITIZE_LOGS, and any error report there fails the target.
SANITIZE_LOGS ?= /tmp/carillon-sanitize

## test-sanitize: every test under the address sanitizer (.build-asan), then the thread sanitizer (.build-tsan); slow
test-sanitize: deps
	rm -rf $(SANITIZE_LOGS) && mkdir -p $(SANITIZE_LOGS)
	# Writable by all, like /tmp: some tests run the client under another uid, and a sanitized process
	# that cannot open its log_path dies ("ERROR: Can't open file") instead of reporting.
	chmod 1777 $(SANITIZE_LOGS)
	# Leaks LeakSanitizer reports wrongly, seen with Swift 6.3.1 (docs/RELIABILITY.md, Sanitizers):
	# inside the toolchain's libraries: the test runner's XCTest pass at exit, one buffer of
	# FileManager.contents(atPath:), the weak-reference side table Process.run and waitUntilExit make for
	# the thread's RunLoop; and swift-nio's unix-socket address boxes, held by a channel still open at
	# exit in a multi-payload enum whose tag bits hide the pointer from LeakSanitizer.
	printf '%s\n' leak:libXCTest.so leak:readBytesFromFile leak:Foundation7ProcessC3run \
		leak:Foundation7ProcessC13waitUntilExit leak:NIOCore13SocketAddressO04UnixbC0V7address > $(SANITIZE_LOGS)/lsan.supp
	# Races ThreadSanitizer reports wrongly: Synchronization.Mutex's contended path (_lockSlow and
	# _unlockSlow, futex syscalls in the uninstrumented libswiftSynchronization.so) is invisible to it, so
	# two turns of one Mutex that met contention look like a race. Only a report whose top frame is a
	# withLock closure (its mangled type `(inout sending T) -> sending U`: zYu...YTXE) is dropped, and the
	# log still counts it (print_suppressions).
	printf '%s\n' 'race_top:zYu*YTXEfU' > $(SANITIZE_LOGS)/tsan.supp
	# The three groups of `test`, in its order and for its reasons. The audio group runs one test at a
	# time here: at a sanitizer's speed, 26 suites at once on two cores starved the tests that stop a
	# play while it sounds, and the play ended first. A failing group does not stop the others; the
	# target fails at the end.
	failed=0; \
	for s in address:asan thread:tsan; do \
		sanitizer=$${s%%:*} short=$${s##*:}; \
		$(SWIFT) build --build-tests --sanitize=$$sanitizer --scratch-path .build-$$short || exit 1; \
		for group in "--filter $(AUDIO_TESTS) --skip $(RELIABILITY_TESTS) --no-parallel" "--skip $(AUDIO_TESTS)" "--filter $(RELIABILITY_TESTS)"; do \
			echo "== $$sanitizer: $$group"; \
			CARILLON_SANITIZER=$$sanitizer ASAN_OPTIONS=log_path=$(SANITIZE_LOGS)/asan LSAN_OPTIONS=suppressions=$(SANITIZE_LOGS)/lsan.supp \
			TSAN_OPTIONS=log_path=$(SANITIZE_LOGS)/tsan:suppressions=$(SANITIZE_LOGS)/tsan.supp:print_suppressions=1 \
			$(SWIFT) test --skip-build --sanitize=$$sanitizer --scratch-path .build-$$short $$group || failed=1; \
		done; \
	done; \
	if grep -lE 'ERROR: |WARNING: ThreadSanitizer' $(SANITIZE_LOGS)/* 2>/dev/null; then exit 1; fi; \
	exit $$failed

## check-config: validate the config and the library it names
check-config: build
	$(BIN)/carillond --check-config --config $(CONFIG)

## bench: release build, then carillond and Debian's MPD measured side by side (installs mpd, mpc, gnuplot-nox); see docs/BENCHMARKS.md
bench: deps
	@missing=$$(for p in mpd mpc gnuplot-nox; do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	t0=$$(date +%s) && $(SWIFT) build -c release $(BUILD_FLAGS) && \
	echo "bench: release build took $$(($$(date +%s) - t0)) s"
	bin=$$($(SWIFT) build -c release $(BUILD_FLAGS) --show-bin-path) && \
	$$(command -v cc || command -v clang) -O2 -Wall -shared -fPIC -o $$bin/alsa-probe.so benchmarks/probe/alsa-probe.c -ldl -lasound && \
	t0=$$(date +%s) && $$bin/carillon-bench --probe $$bin/alsa-probe.so --configuration release $(BENCH_FLAGS) && \
	echo "bench: measuring took $$(($$(date +%s) - t0)) s"
	$(MAKE) --no-print-directory bench-city

## test-rabbitmq: the city link's portability run on a RabbitMQ cluster (3 nodes with the MQTT plugin on loopback; installs rabbitmq-server; a few minutes); see docs/CITY.md
RABBITMQ_PORT ?= 21883
test-rabbitmq: build
	@command -v /usr/lib/rabbitmq/bin/rabbitmq-server >/dev/null || { echo "installing: rabbitmq-server"; $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends rabbitmq-server; }
	dir=$$(mktemp -d /tmp/carillon-rabbitmq.XXXXXX) && \
	trap 'tools/rabbitmq-cluster.sh stop '"$$dir"' $(RABBITMQ_PORT); rm -rf '"$$dir" EXIT && \
	tools/rabbitmq-cluster.sh start $$dir $(RABBITMQ_PORT) && \
	CARILLON_RABBITMQ_PORT=$(RABBITMQ_PORT) SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=2 $(SWIFT) test --skip-build $(BUILD_FLAGS) --filter CityRabbitMQTests

## bench-city: the city link under load: mosquitto on loopback, CITY_SCHOOLS (2000) simulated schools and 5 real daemons; see docs/BENCHMARKS.md
CITY_SCHOOLS ?= 2000
bench-city: deps
	$(SWIFT) build -c release $(BUILD_FLAGS) --product carillond && $(SWIFT) build -c release $(BUILD_FLAGS) --product carillon && \
	$(SWIFT) build -c release $(BUILD_FLAGS) --product carillon-city-bench
	bin=$$($(SWIFT) build -c release $(BUILD_FLAGS) --show-bin-path) && \
	$$bin/carillon-city-bench --schools $(CITY_SCHOOLS) --daemons 5 --alerts 20 --results benchmarks/results/city-$$(date -u +%Y-%m-%dT%H%M%SZ).json

clean:
	rm -rf .build

# Install: `make install` (PREFIX=/usr/local, DESTDIR for staging). Release binaries linked with the
# Swift runtime statically (no toolchain needed to run them), the systemd unit, sysusers and tmpfiles
# snippets, the default library, the example notifier, the docs, man pages and shell completions; the
# config, the example schedule and the shipped plans only where there are none yet. Config and data
# are never overwritten. The config directory and its plans/ are root:CONFGROUP 0750 and the files in
# them group-readable, CONFGROUP being the service's group: on the live system (no DESTDIR) as root,
# the `carillon` account is created first if missing (systemd-sysusers). A staged tree (DESTDIR) has
# the modes but not the group: the package sets it in its postinst (debian/carillon.postinst).
PREFIX        ?= /usr/local
CONFIGURATION ?= release
STATIC        ?= --static-swift-stdlib
BINDIR        ?= $(PREFIX)/bin
SHAREDIR      ?= $(PREFIX)/share/carillon
DOCDIR        ?= $(PREFIX)/share/doc/carillon
MANDIR        ?= $(PREFIX)/share/man
SYSTEMDDIR    ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR   ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR   ?= $(PREFIX)/lib/tmpfiles.d
COMPLETIONDIR ?= $(PREFIX)/share
CONFDIR       ?= /etc/carillon
CONFGROUP     ?= carillon
BINSRC        ?= $(shell $(SWIFT) build -c $(CONFIGURATION) $(STATIC) --show-bin-path 2>/dev/null)

## install: build a release and install it (PREFIX, DESTDIR; NOBUILD=1 BINSRC=DIR installs binaries already built)
install: deps
ifndef NOBUILD
	$(SWIFT) build -c $(CONFIGURATION) $(STATIC) --product carillond
	$(SWIFT) build -c $(CONFIGURATION) $(STATIC) --product carillon
endif
	install -D -m 0755 $(BINSRC)/carillond $(DESTDIR)$(BINDIR)/carillond
	install -D -m 0755 $(BINSRC)/carillon $(DESTDIR)$(BINDIR)/carillon
	install -d $(DESTDIR)$(SYSTEMDDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(COMPLETIONDIR)/bash-completion/completions \
		$(DESTDIR)$(COMPLETIONDIR)/zsh/vendor-completions $(DESTDIR)$(COMPLETIONDIR)/fish/vendor_completions.d
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' -e 's|@CONFDIR@|$(CONFDIR)|g' systemd/carillond.service > $(DESTDIR)$(SYSTEMDDIR)/carillond.service
	chmod 0644 $(DESTDIR)$(SYSTEMDDIR)/carillond.service
	install -m 0644 systemd/carillon.sysusers $(DESTDIR)$(SYSUSERSDIR)/carillon.conf
	install -m 0644 systemd/carillon.tmpfiles $(DESTDIR)$(TMPFILESDIR)/carillon.conf
	rm -rf $(DESTDIR)$(SHAREDIR)/audio-library
	install -d $(DESTDIR)$(SHAREDIR)
	cp -R audio-library $(DESTDIR)$(SHAREDIR)/audio-library
	rm -rf $(DESTDIR)$(SHAREDIR)/web
	install -d $(DESTDIR)$(SHAREDIR)/web
	install -m 0644 web/* $(DESTDIR)$(SHAREDIR)/web/
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 docs/man/carillon.1 $(DESTDIR)$(MANDIR)/man1/carillon.1
	install -m 0644 docs/man/carillond.8 $(DESTDIR)$(MANDIR)/man8/carillond.8
	# bash sources its completions: no #! line. LC_ALL=C: the client's help follows the locale, and
	# the installed scripts must not follow the builder's.
	LC_ALL=C $(BINSRC)/carillon --generate-completion-script bash | sed '1{/^#!/d}' > $(DESTDIR)$(COMPLETIONDIR)/bash-completion/completions/carillon
	LC_ALL=C $(BINSRC)/carillon --generate-completion-script zsh > $(DESTDIR)$(COMPLETIONDIR)/zsh/vendor-completions/_carillon
	LC_ALL=C $(BINSRC)/carillon --generate-completion-script fish > $(DESTDIR)$(COMPLETIONDIR)/fish/vendor_completions.d/carillon.fish
	install -d -m 0750 $(DESTDIR)$(CONFDIR) $(DESTDIR)$(CONFDIR)/plans
	[ -e $(DESTDIR)$(CONFDIR)/carillon.toml ] || { sed -e 's|@SHAREDIR@|$(SHAREDIR)|g' -e 's|@CONFDIR@|$(CONFDIR)|g' systemd/carillon.toml.in > $(DESTDIR)$(CONFDIR)/carillon.toml && chmod 0640 $(DESTDIR)$(CONFDIR)/carillon.toml; }
	[ -e $(DESTDIR)$(CONFDIR)/schedule.toml ] || install -m 0640 config/schedule.toml $(DESTDIR)$(CONFDIR)/schedule.toml
	for f in config/plans/*.toml; do [ -e $(DESTDIR)$(CONFDIR)/plans/$$(basename $$f) ] || install -m 0640 $$f $(DESTDIR)$(CONFDIR)/plans/; done
	install -D -m 0755 contrib/notify-webhook $(DESTDIR)$(SHAREDIR)/contrib/notify-webhook
ifeq ($(DESTDIR),)
	# The service must read its config: the directories root:CONFGROUP 0750, every file in them readable by the group.
	if [ "$$(id -u)" = 0 ]; then \
		if [ "$(CONFGROUP)" = carillon ] && ! getent group carillon >/dev/null; then systemd-sysusers $(SYSUSERSDIR)/carillon.conf; fi; \
		chown root:$(CONFGROUP) $(CONFDIR) $(CONFDIR)/plans && chmod 0750 $(CONFDIR) $(CONFDIR)/plans && \
		find $(CONFDIR) -mindepth 1 -maxdepth 2 -type f -exec chgrp $(CONFGROUP) {} + -exec chmod g+r {} + ; \
	else \
		echo "make install: not root: as root, run systemd-sysusers, then chgrp -R $(CONFGROUP) $(CONFDIR) so that the service can read it"; \
	fi
endif

## uninstall: remove what install put in place, except the config and the data
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/carillond $(DESTDIR)$(BINDIR)/carillon
	rm -f $(DESTDIR)$(SYSTEMDDIR)/carillond.service $(DESTDIR)$(SYSUSERSDIR)/carillon.conf $(DESTDIR)$(TMPFILESDIR)/carillon.conf
	rm -f $(DESTDIR)$(MANDIR)/man1/carillon.1 $(DESTDIR)$(MANDIR)/man8/carillond.8
	rm -f $(DESTDIR)$(COMPLETIONDIR)/bash-completion/completions/carillon $(DESTDIR)$(COMPLETIONDIR)/zsh/vendor-completions/_carillon \
		$(DESTDIR)$(COMPLETIONDIR)/fish/vendor_completions.d/carillon.fish
	rm -rf $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(DOCDIR)

# The Debian package (debian/): one release build with the Swift runtime linked statically, laid out
# by `install` above, into $(DEBDIR)/carillon_VERSION_ARCH.deb with its .changes and .buildinfo.
VERSION := $(shell dpkg-parsechangelog -S Version 2>/dev/null)
DEBDIR  ?= dist
DEB     := $(DEBDIR)/carillon_$(VERSION)_$(shell dpkg --print-architecture).deb

## deb: build the Debian package $(DEB) (dpkg-buildpackage; the release build takes about 10 minutes)
deb: deps
	mkdir -p $(DEBDIR)
	t0=$$(date +%s) && SWIFT=$(SWIFT) DEB_OUTDIR=$(CURDIR)/$(DEBDIR) dpkg-buildpackage -b -us -uc \
		--buildinfo-file=$(DEBDIR)/carillon_$(VERSION)_$$(dpkg --print-architecture).buildinfo --buildinfo-option=-u$(DEBDIR) \
		--changes-file=$(DEBDIR)/carillon_$(VERSION)_$$(dpkg --print-architecture).changes --changes-option=-u$(DEBDIR) && \
	echo "deb: $(DEB), $$(du -k $(DEB) | cut -f1) KiB, in $$(($$(date +%s) - t0)) s"
