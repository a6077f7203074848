#!/usr/bin/env bash
# Benchmarks nhigate against conftest on synthetic policy repos and prints
# the numbers recorded in docs/BENCHMARKS.md. Not run by CI.
#
#   scripts/bench.sh            # 10,000 specs, 100 changed
#   N=50000 CHANGED=100 scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-10000}
CHANGED=${CHANGED:-100}
NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== building nhigate and conftest v0.71.1"
go build -o "$work/nhigate" ./cmd/nhigate
GOBIN="$work" go install github.com/open-policy-agent/conftest@v0.71.1

echo "== generating $N specs ($CHANGED changed) under $work"
go run ./scripts/synth -n "$N" -changed 0 -out "$work/base" -now "$NOW"
go run ./scripts/synth -n "$N" -changed "$CHANGED" -out "$work/head" -now "$NOW"
repo="$work/repo"
mkdir -p "$repo"
cp -r "$work/base/." "$repo/"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
git -C "$repo" init -q -b main
git -C "$repo" add -A
git -C "$repo" commit -q -m base
git -C "$repo" checkout -q -b feature
cp -r "$work/head/." "$repo/"
git -C "$repo" add -A
git -C "$repo" commit -q -m head

# Seconds of wall time for a command, best of $RUNS (default 3).
best() {
  local best=
  for _ in $(seq "${RUNS:-3}"); do
    local start end t
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || true
    end=$(date +%s.%N)
    t=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
    if [ -z "$best" ] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then best=$t; fi
  done
  echo "$best"
}

echo "== nhigate diff, git mode, $CHANGED of $N changed"
echo "seconds: $(best "$work/nhigate" diff --repo "$repo" --base main --head feature)"
echo "== nhigate review, git mode, $CHANGED of $N changed"
echo "seconds: $(best "$work/nhigate" review --repo "$repo" --base main --head feature --now "$NOW")"
echo "== nhigate check, all $N specs"
nh=$(best "$work/nhigate" check --now "$NOW" "$work/base/identities")
echo "seconds: $nh"
echo "== conftest test --all-namespaces, all $N specs, same policies and data"
ct=$(RUNS=1 best "$work/conftest" test --all-namespaces -p policies/nhigate -d policies/data "$work/base/identities")
echo "seconds: $ct"
echo "== speed-up: $(awk -v c="$ct" -v n="$nh" 'BEGIN { printf "%.1f", c / n }')x"
