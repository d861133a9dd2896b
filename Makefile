# Confab: the two commands are `make run` and `make check`.

BUILDDIR ?= build
ASANDIR  ?= build-asan
DEMO     ?= $(or $(XDG_DATA_HOME),$(HOME)/.local/share)/confab/demo.confab
MESON_OPTS ?=

.PHONY: all deps build run check check-asan test test-asan bench clean format screenshots fuzz fuzz-build fuzz-smoke valgrind

all: build

deps:
	@./tools/install-deps

$(BUILDDIR)/build.ninja:
	meson setup $(BUILDDIR) $(MESON_OPTS)

build: deps $(BUILDDIR)/build.ninja
	ninja -C $(BUILDDIR)

# Starts the GUI on the demo workspace, creating it from data/demo if absent.
run: build
	@if [ ! -s "$(DEMO)" ]; then \
	  mkdir -p "$$(dirname "$(DEMO)")" && \
	  $(BUILDDIR)/src/cli/confab-cli --workspace "$(DEMO)" import data/demo/demo-workspace.json && \
	  echo "Created the demo workspace $(DEMO)"; \
	fi
	GSETTINGS_SCHEMA_DIR=$(BUILDDIR)/data $(BUILDDIR)/src/app/confab --workspace "$(DEMO)"

# Everything, headless: -Werror build and tests, then the same under ASan+UBSan.
check: deps
	@rm -f $(BUILDDIR)/.check-failed
	meson setup --reconfigure $(BUILDDIR) -Dwerror=true $(MESON_OPTS) >/dev/null || meson setup $(BUILDDIR) -Dwerror=true $(MESON_OPTS)
	ninja -C $(BUILDDIR)
	./tools/run-tests $(BUILDDIR) || touch $(BUILDDIR)/.check-failed
	$(MAKE) --no-print-directory test-asan || touch $(BUILDDIR)/.check-failed
	@./tools/test-summary $(BUILDDIR)/meson-logs/testlog.json $(ASANDIR)/meson-logs/testlog.json \
	  && [ ! -e $(BUILDDIR)/.check-failed ]

test-asan:
	meson setup --reconfigure $(ASANDIR) -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false $(MESON_OPTS) >/dev/null 2>&1 || \
	  meson setup $(ASANDIR) -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false $(MESON_OPTS)
	ninja -C $(ASANDIR)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_odr_violation=0 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	  ./tools/run-tests $(ASANDIR) --timeout-multiplier 3

check-asan: deps test-asan
	@./tools/test-summary $(ASANDIR)/meson-logs/testlog.json

bench: build
	@echo "No benchmarks yet: bench/ is filled by the benchmarks issue."

# Every section, light and dark, on the demo workspace: docs/screenshots/.
screenshots: build
	./tools/screenshots $(BUILDDIR)

format:
	clang-format -i src/*/*.c src/*/*.h tests/*.c tests/*.h

clean:
	rm -rf $(BUILDDIR) $(ASANDIR)
