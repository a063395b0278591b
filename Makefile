# Thin front door: everything real is in CMakeLists.txt.
#   make run    install what is missing, build, start a hub on the defaults
#   make test   install what is missing, build, run every test with ctest
#   make bench  build and print benchmark figures
#   make install / make uninstall  (PREFIX, default /usr/local; DESTDIR)
#   make deb    build, then a Debian package of it (scripts/deb.sh):
#               $(BUILD)/softether_VERSION_ARCH.deb, for dpkg -i or apt install
BUILD    ?= build
CMAKEFLAGS ?=
JOBS     ?= $(shell nproc)
ifeq ($(WERROR),1)
CMAKEFLAGS += -DSOFTETHER_WERROR=ON
endif

PREFIX   ?= /usr/local

.PHONY: all deps build run test bench asan clean install uninstall deb
all: build

deps:
	@bash scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) $(CMAKEFLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@bash scripts/install.sh user
	$(BUILD)/softether --hub

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	bash bench/run.sh $(BUILD)

# The whole suite under AddressSanitizer + UBSan, with the fuzz targets (clang).
asan: deps
	@CC=clang cmake -S . -B build-asan -DSOFTETHER_SANITIZE=ON \
		-DSOFTETHER_FUZZ=ON $(CMAKEFLAGS) >/dev/null
	@cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS)

install: build
	@PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) bash scripts/install.sh install $(BUILD)

uninstall:
	@PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) bash scripts/install.sh uninstall $(BUILD)

deb: build
	@bash scripts/deb.sh $(BUILD)

clean:
	rm -rf $(BUILD) build-asan
