# hoist - GitOps for Kubernetes, rendered-artifact style.
#
#   make               build hoist and hoist-agent (installs missing Debian packages)
#   make test          unit + integration tests; ends with "N passed, N failed"
#   make asan          the whole test suite under ASan+UBSan
#   make valgrind      the unit tests under valgrind
#   make fuzz          every fuzz target under libFuzzer, FUZZ_SECONDS (60) each
#   make conformance   render output against kubectl kustomize (and helm-oracle)
#   make bench         benchmarks against the reference tools, as ratios
#   make demo          render + pack + push the embedded example to a local OCI layout
#   make deps          install what a fresh Debian bookworm lacks
#   make man           man pages into $(BUILD)/man, generated from the command tables
#   make install PREFIX=/usr/local   binaries, man pages, bash and zsh completion
#   V=1                show full commands

PREFIX ?= /usr/local
CC ?= cc
BUILD ?= build
V ?= 0
ifeq ($(V),0)
Q = @
say = @printf '  %-8s %s\n' $(1) $(2);
else
Q =
say =
endif

PKGS = libgit2 libcurl yaml-0.1 libarchive zlib libcrypto libxcrypt
TEST_PKGS = cmocka
# Only hoist-agent links these (its HTTP server); `hoist` must not load them.
AGENT_PKGS = libmicrohttpd

# Install missing packages before anything that needs them: `make` on a
# fresh machine must just work.  The check is cheap (pkg-config only).
# NO_DEPS=1 skips it (a container build installs its own packages).
ifeq ($(filter deps clean format,$(MAKECMDGOALS))$(NO_DEPS),)
ifneq ($(shell pkg-config --exists $(PKGS) $(TEST_PKGS) $(AGENT_PKGS) 2>/dev/null && command -v docker-registry >/dev/null && command -v rsync >/dev/null && command -v skopeo >/dev/null && command -v go >/dev/null && command -v groff >/dev/null && command -v script >/dev/null && command -v jq >/dev/null && command -v zsh >/dev/null && test -d /usr/share/gocode/src/sigs.k8s.io/structured-merge-diff && { command -v gitlab-ci-local >/dev/null || ! command -v npm >/dev/null; } && echo ok),ok)
$(info hoist: installing missing build dependencies (make deps))
$(shell sh scripts/deps.sh >&2)
endif
endif

OPT ?= -O2
WARN = -Wall -Wextra -Wformat=2 -Wvla -Wstrict-prototypes -Wmissing-prototypes \
       -Wwrite-strings -Wshadow -Wpointer-arith -Wno-unused-parameter \
       -Wno-missing-field-initializers
ifneq ($(CI),)
WARN += -Werror
endif
CFLAGS ?= $(OPT) -g
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) -I. \
	     $(shell pkg-config --cflags $(PKGS)) -MMD -MP
LIBS = $(shell pkg-config --libs $(PKGS)) -lm -lpthread
TEST_LIBS = $(shell pkg-config --libs $(TEST_PKGS))
AGENT_CFLAGS = $(shell pkg-config --cflags $(AGENT_PKGS))
# hoist-agent links no libgit2 (nor any libhoist.a object that needs it):
# it idles in a small container and never touches a Git repository.  Nor
# libarchive: it only reads artifacts (oci/artifact-read.c walks the tar).
AGENT_LIBS = $(shell pkg-config --libs $(filter-out libgit2 libxcrypt libarchive,$(PKGS)) $(AGENT_PKGS)) -lm -lpthread

# The test, conformance, bench and demo scripts run Debian's python3: a
# pyenv or venv shim earlier in PATH can take seconds to start (2.8 s
# against 0.2 s measured here, and the suite starts python3 hundreds of
# times), and the scripts need only the standard library.
PYBIN = $(abspath $(BUILD))/pybin
RUN_ENV = PATH="$(PYBIN):$$PATH"

VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)
ALL_CFLAGS += -DHOIST_VERSION='"$(VERSION)"'

LIB_SRC = $(wildcard core/*.c) $(wildcard model/*.c) $(wildcard oci/*.c) \
	  $(wildcard source/*.c) $(wildcard render/*.c) $(wildcard render/*/*.c) \
	  $(wildcard hooks/*.c) $(wildcard ci/*.c)
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o)
AGENT_SRC = $(wildcard agent/*.c)
AGENT_OBJ = $(AGENT_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC = $(wildcard tests/unit/test-*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC = $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_BIN = $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/%)

all: $(BUILD)/hoist $(BUILD)/hoist-agent
	$(Q)ln -sf $(BUILD)/hoist hoist
	$(Q)ln -sf $(BUILD)/hoist-agent hoist-agent

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libhoist.a: $(LIB_OBJ)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

$(BUILD)/hoist: $(BUILD)/hoist.o $(BUILD)/libhoist.a
	$(call say,LINK,$@)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/libagent.a: $(AGENT_OBJ)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

$(BUILD)/hoist-agent: $(BUILD)/hoist-agent.o $(BUILD)/libagent.a $(BUILD)/libhoist.a
	$(call say,LINK,$@)$(CC) $(ALL_CFLAGS) -o $@ $^ $(AGENT_LIBS)

# The agent's unit tests and fuzz target link the agent's objects too.
# The tests pack artifacts (libarchive), which the agent itself never does.
$(BUILD)/tests/test-agent-%: $(BUILD)/tests/unit/test-agent-%.o $(BUILD)/libagent.a $(BUILD)/libhoist.a
	$(call say,LINK,$@)$(CC) $(ALL_CFLAGS) -o $@ $^ $(AGENT_LIBS) $(shell pkg-config --libs libarchive) $(TEST_LIBS)

$(BUILD)/tests/fuzz-kube: $(BUILD)/tests/fuzz/fuzz-kube.o $(BUILD)/tests/fuzz/replay.o $(BUILD)/libagent.a $(BUILD)/libhoist.a
	$(call say,LINK,$@)$(CC) $(ALL_CFLAGS) -o $@ $^ $(AGENT_LIBS)

$(BUILD)/tests/fuzz-agent-%: $(BUILD)/tests/fuzz/fuzz-agent-%.o $(BUILD)/tests/fuzz/replay.o $(BUILD)/libagent.a $(BUILD)/libhoist.a
	$(call say,LINK,$@)$(CC) $(ALL_CFLAGS) -o $@ $^ $(AGENT_LIBS)

$(AGENT_OBJ): ALL_CFLAGS += $(AGENT_CFLAGS)

$(BUILD)/tests/test-%: $(BUILD)/tests/unit/test-%.o $(BUILD)/libhoist.a
	$(call say,LINK,$@)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS)

# Fuzz targets link a replay driver, so `make test` replays their corpora
# without clang; build them with -fsanitize=fuzzer by hand for real fuzzing.
$(BUILD)/tests/fuzz-%: $(BUILD)/tests/fuzz/fuzz-%.o $(BUILD)/tests/fuzz/replay.o $(BUILD)/libhoist.a
	$(call say,LINK,$@)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/fuzz/replay.o: tests/fuzz/replay.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The template engine's differential test driver (tests/integration/t6001).
$(BUILD)/tests/helm-diff-c: $(BUILD)/tests/helm-diff/helm-diff.o $(BUILD)/libhoist.a
	$(call say,LINK,$@)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

test-bin: all $(UNIT_BIN) $(FUZZ_BIN) $(BUILD)/tests/hoist-test-apiserver $(BUILD)/tests/helm-diff-c

# The test Kubernetes API server (Go, built offline from Debian's packages;
# tests/lib.sh also builds it on demand).
$(BUILD)/tests/hoist-test-apiserver: $(wildcard tests/apiserver/*.go) tests/apiserver/build.sh
	$(call say,GO,$@)sh tests/apiserver/build.sh $(abspath $@)

$(PYBIN)/python3:
	@mkdir -p $(dir $@)
	$(Q)if [ -x /usr/bin/python3 ]; then ln -sf /usr/bin/python3 $@; else ln -sf "$$(command -v python3)" $@; fi

test: test-bin $(PYBIN)/python3
	$(Q)$(RUN_ENV) HOIST_BUILD=$(abspath $(BUILD)) sh tests/run.sh

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer, in
# its own build directory; the arena hands each block to malloc so ASan
# sees every allocation.
asan:
	$(Q)$(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 \
		EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -DHOIST_ARENA_MALLOC" \
		test-bin $(abspath build-asan)/pybin/python3
	$(Q)PATH="$(abspath build-asan)/pybin:$$PATH" ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		HOIST_BUILD=$(abspath build-asan) HOIST_SANITIZER=1 sh tests/run.sh

# Real fuzzing: clang's libFuzzer with ASan+UBSan, in build-fuzz/.  Each
# target starts from its seed corpus in tests/fuzz/corpus/NAME/ and writes
# what it finds to build-fuzz/corpus/NAME/ (never into the repository);
# crashes land in build-fuzz/crash-NAME-*.  FUZZ=yaml runs one target.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ ?= $(FUZZ_SRC:tests/fuzz/fuzz-%.c=%)
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	   -DHOIST_ARENA_MALLOC
FUZZ_MAXLEN = 65536
FUZZ_MAXLEN_artifact = 1048576

fuzz:
	$(Q)$(MAKE) --no-print-directory BUILD=build-fuzz CC=$(FUZZ_CC) OPT=-O1 \
		EXTRA_CFLAGS="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" \
		$(FUZZ:%=build-fuzz/fuzz/fuzz-%)
	$(Q)failed=; for n in $(FUZZ); do \
		mkdir -p build-fuzz/corpus/$$n; \
		echo "fuzz-$$n: $(FUZZ_SECONDS)s"; \
		build-fuzz/fuzz/fuzz-$$n -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
			-rss_limit_mb=2048 -print_final_stats=1 \
			-max_len=$$(case $$n in artifact) echo $(FUZZ_MAXLEN_artifact);; \
				*) echo $(FUZZ_MAXLEN);; esac) \
			-artifact_prefix=build-fuzz/crash-$$n- \
			build-fuzz/corpus/$$n tests/fuzz/corpus/$$n || failed="$$failed $$n"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: findings in:$$failed (build-fuzz/crash-*)"; exit 1; fi

$(BUILD)/fuzz/fuzz-%: $(BUILD)/tests/fuzz/fuzz-%.o $(BUILD)/libhoist.a
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

$(BUILD)/fuzz/fuzz-kube: $(BUILD)/tests/fuzz/fuzz-kube.o $(BUILD)/libagent.a $(BUILD)/libhoist.a
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(AGENT_LIBS)

$(BUILD)/fuzz/fuzz-agent-%: $(BUILD)/tests/fuzz/fuzz-agent-%.o $(BUILD)/libagent.a $(BUILD)/libhoist.a
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(AGENT_LIBS)

valgrind:
	$(Q)$(MAKE) --no-print-directory BUILD=build-vg OPT=-O0 EXTRA_CFLAGS=-DHOIST_ARENA_MALLOC test-bin
	$(Q)HOIST_BUILD=$(abspath build-vg) HOIST_VALGRIND=1 sh tests/run.sh unit

conformance: all $(PYBIN)/python3
	$(Q)$(RUN_ENV) HOIST_BUILD=$(abspath $(BUILD)) sh tests/conformance/all.sh

bench: all $(PYBIN)/python3
	$(Q)$(RUN_ENV) HOIST_BUILD=$(abspath $(BUILD)) sh tests/bench/run.sh

demo: all $(PYBIN)/python3
	$(Q)$(RUN_ENV) HOIST_BUILD=$(abspath $(BUILD)) sh scripts/demo.sh

deps:
	$(Q)sh scripts/deps.sh

# Man pages, generated by the binaries from their command and option
# tables (`hoist __man --list` names every page: hoist(1), hoist-COMMAND(1),
# hoist.yaml(5), hoist-agent(8), agent.yaml(5) once its table exists).
man: $(BUILD)/hoist $(BUILD)/hoist-agent
	$(Q)rm -rf $(BUILD)/man && mkdir -p $(BUILD)/man
	$(Q)for b in hoist hoist-agent; do \
		pages=$$($(BUILD)/$$b __man --list) || exit 1; \
		for p in $$pages; do \
			$(BUILD)/$$b __man "$${p%.*}" >$(BUILD)/man/$$p || exit 1; \
		done; \
	done
	$(call say,MAN,$(BUILD)/man)true

MANDIR = $(PREFIX)/share/man
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR = $(PREFIX)/share/zsh/site-functions

install: $(BUILD)/hoist $(BUILD)/hoist-agent man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/hoist/hooks
	install -m 755 $(BUILD)/hoist $(BUILD)/hoist-agent $(DESTDIR)$(PREFIX)/bin/
	for f in hooks/*.sh; do [ -f "$$f" ] && install -m 755 "$$f" $(DESTDIR)$(PREFIX)/share/hoist/hooks/ || true; done
	for p in $(BUILD)/man/*.[0-9]; do \
		s=$${p##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s && \
		install -m 644 "$$p" $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; \
	done
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 644 completion/hoist.bash $(DESTDIR)$(BASHCOMPDIR)/hoist
	ln -sf hoist $(DESTDIR)$(BASHCOMPDIR)/hoist-agent
	install -m 644 completion/_hoist $(DESTDIR)$(ZSHCOMPDIR)/_hoist

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-vg build-fuzz hoist hoist-agent

.PHONY: all test test-bin asan valgrind fuzz conformance bench demo deps man install format clean

-include $(LIB_OBJ:.o=.d) $(AGENT_OBJ:.o=.d) $(BUILD)/hoist.d $(BUILD)/hoist-agent.d \
	$(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%.d) \
	$(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/fuzz/%.d)

# Keep intermediate objects of test binaries (chained pattern rules).
.SECONDARY:
