# Entry points for people and CI. `make run` = the main job, `make test` = every test.
# Builds go to build/ (release with debug info), build-asan/ and build-tsan/.
JOBS ?= 2
CMAKE_FLAGS ?=
# `make test` needs the test suites: a build dir configured with SPL_BUILD_TESTS=OFF then stops
# the configure with an error instead of running zero tests (see SPL_REQUIRE_TESTS).
REQUIRE_TESTS = OFF
test: REQUIRE_TESTS = ON

.PHONY: all bootstrap build run test test-asan test-tsan bench clean

all: build

bootstrap:
	@tools/bootstrap

build: bootstrap
	@cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSPL_REQUIRE_TESTS=$(REQUIRE_TESTS) $(CMAKE_FLAGS) >/dev/null
	@cmake --build build -j $(JOBS)

run: build
	@tools/run_demo build

test: build
	@ctest --test-dir build --output-on-failure --no-tests=error -j $(JOBS)

test-asan: bootstrap
	@cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSPL_SANITIZE=address,undefined \
	  -DSPL_REQUIRE_TESTS=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@ctest --test-dir build-asan --output-on-failure --no-tests=error -j $(JOBS)

test-tsan: bootstrap
	@cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSPL_SANITIZE=thread \
	  -DSPL_REQUIRE_TESTS=ON >/dev/null
	@cmake --build build-tsan -j $(JOBS)
	@ctest --test-dir build-tsan --output-on-failure --no-tests=error -j $(JOBS) -L concurrency

bench: build
	@tools/bench/run_all build

clean:
	rm -rf build build-asan build-tsan
