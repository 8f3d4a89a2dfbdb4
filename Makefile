# `make test` is the one command that runs every test: it installs what the
# tests need (omniORB for the interop tests), checks formatting, vets, and runs
# the whole suite with the race detector.
GO ?= go

.PHONY: test deps fmt-check tidy-check vet unit raft-harness bench bench-safe fuzz

test: deps fmt-check tidy-check vet unit raft-harness

deps:
	./scripts/install-test-deps.sh

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# go.mod and go.sum must be what `go mod tidy` would write (both modules).
tidy-check:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }
	@cd bench/raft && $(GO) mod tidy -diff || { echo "bench/raft: go.mod/go.sum are not tidy: run go mod tidy there"; exit 1; }

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout 9m ./...

# The hashicorp/raft reference lives in its own module (so this one never
# depends on raft); its harness is tested too, so the comparison keeps working.
raft-harness:
	cd bench/raft && $(GO) vet ./... && $(GO) test -count=1 ./...

bench:
	$(GO) run ./bench/cmd/maestrobench

# Safe delivery (Primary+Safe over Total and Token) against raft, Primary's
# cost, the UDP round trip: interleaved rounds, medians and spreads (~4 min).
bench-safe:
	$(GO) run ./bench/cmd/maestrobench -safe
