# Interior — the two commands a newcomer needs are `make run` and `make test`.
SWIFT ?= swift
export PATH := /opt/swift/usr/bin:$(PATH)

.PHONY: run test chaos build bench emulator clean

## Build, migrate and serve on the embedded defaults (SQLite, local storage, the Replicate emulator).
run:
	@scripts/ensure-deps.sh run
	$(SWIFT) build
	.build/debug/interior migrate
	@echo ""
	@echo "  Interior is starting on $${PUBLIC_BASE_URL:-http://127.0.0.1:8080}"
	@echo "  The try-it page:  $${PUBLIC_BASE_URL:-http://127.0.0.1:8080}/"
	@echo "  A dev token:  .build/debug/interior token --user $$(cat /proc/sys/kernel/random/uuid)"
	@echo ""
	.build/debug/interior serve

## Install what the tests need, run everything on SQLite, then the database suites on PostgreSQL.
test:
	@scripts/test.sh

## The fault matrix (docs/reliability.md): every fault on SQLite and PostgreSQL, every invariant checked.
chaos:
	@scripts/chaos.sh

build:
	$(SWIFT) build

## Benchmarks (release build); prints ratios against references measured in the same run.
## Pass options through BENCH_ARGS, e.g. make bench BENCH_ARGS="--filter imaging --iterations 5".
bench:
	@scripts/bench.sh $(BENCH_ARGS)

clean:
	rm -rf .build data
