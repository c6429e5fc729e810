# berth: `make` builds build/berth and build/berth-runtime; `make demo` and `make check` also
# install the Debian packages they need (scripts/install-deps.sh) first.
BUILD ?= build
ASAN_BUILD ?= build-asan

.PHONY: all deps demo check check-asan bench clean format

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD)

$(ASAN_BUILD)/build.ninja:
	CC=clang meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debugoptimized

deps:
	scripts/install-deps.sh

demo: deps
	$(MAKE) all
	scripts/demo.sh $(BUILD)

check: deps
	$(MAKE) all
	tests/run.sh $(BUILD)

# the same tests under AddressSanitizer + UndefinedBehaviorSanitizer
check-asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	tests/run.sh $(ASAN_BUILD)

bench: all
	bench/runtime-start.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
