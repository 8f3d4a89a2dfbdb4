# `make test` is the one command that runs every test: it installs what the
# tests need (omniORB for the interop tests), checks formatting, vets, and runs
# the whole suite with the race detector.
GO ?= go

.PHONY: test deps fmt-check vet unit bench fuzz

test: deps fmt-check vet unit

deps:
	./scripts/install-test-deps.sh

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout 9m ./...

bench:
	$(GO) run ./bench/cmd/maestrobench
