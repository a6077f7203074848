#!/usr/bin/env bash
# Benchmarks nhigate as whole processes against its peers (conftest, git,
# cosign) on synthetic policy repos, and prints the rows recorded in
# docs/BENCHMARKS.md: ratios taken in the same run. Not run by CI.
#
#   scripts/bench.sh                 # all three rows
#   ROWS=check scripts/bench.sh      # only some: check, review, verify
#   COSIGN=0 scripts/bench.sh        # skip building cosign (minutes)
#   NHIGATE=/path/to/nhigate scripts/bench.sh   # time that build instead
#   RUNS=5 scripts/bench.sh          # best of 5 runs instead of 3
#   PAIRS=25 scripts/bench.sh         # review: 25 pairs of runs instead of 15
#
# Needs Go, git and openssl; scripts/timeit times the runs.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-check review verify}
CHECK_N=${CHECK_N:-10000}
SMALL=${SMALL:-1000}
LARGE=${LARGE:-50000}
CHANGED=${CHANGED:-100}
BUNDLES=${BUNDLES:-1000}
COSIGN=${COSIGN:-1}
NOW=2026-11-25T12:00:00Z
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(free -g | awk '/Mem:/ {print $2}') GiB, $(go version | cut -d' ' -f3), $(date -u +%Y-%m-%d)"
go build -o "$work/timeit" ./scripts/timeit
if [ -n "${NHIGATE:-}" ]; then
  cp "$NHIGATE" "$work/nhigate"
else
  go build -o "$work/nhigate" ./cmd/nhigate
fi

# tm CMD...: the least wall and the least CPU seconds (user + system) of
# RUNS (default 3) runs, to the millisecond: "0.094 0.131".
tm() { "$work/timeit" -runs "${RUNS:-3}" -- "$@"; }
wall() { tm "$@" | cut -d' ' -f1; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# repo DIR N: a git repo of N synthetic specs on main, CHANGED of them
# changed on feature.
repo() {
  local dir=$1 n=$2
  go run ./scripts/synth -n "$n" -changed 0 -out "$dir" -now "$NOW" >/dev/null
  git -C "$dir" init -q -b main
  git -C "$dir" config gc.auto 0
  git -C "$dir" add -A
  git -C "$dir" commit -q -m base
  # indexed is main and its scan index (nhigate index), as a repository
  # that commits one has it; feature branches from main, so both bases
  # give one merge base and one change.
  git -C "$dir" checkout -q -b indexed
  "$work/nhigate" index --repo "$dir" 2>/dev/null
  git -C "$dir" add -A
  git -C "$dir" commit -q -m index
  git -C "$dir" checkout -q -b feature main
  go run ./scripts/synth -n "$n" -changed "$CHANGED" -out "$dir" -now "$NOW" >/dev/null
  git -C "$dir" add -A
  git -C "$dir" commit -q -m head
  git -C "$dir" gc -q
}

for row in $ROWS; do
  case $row in
  check)
    echo "== check: $CHECK_N specs, nhigate check vs conftest test --all-namespaces, same policies and data"
    GOBIN="$work" go install github.com/open-policy-agent/conftest@v0.71.1
    go run ./scripts/synth -n "$CHECK_N" -changed 0 -out "$work/check" -now "$NOW" >/dev/null
    read -r nh nhcpu < <(tm "$work/nhigate" check --now "$NOW" "$work/check/identities")
    ct=$(RUNS=1 wall "$work/conftest" test --all-namespaces -p policies/nhigate -d policies/data "$work/check/identities")
    echo "nhigate ${nh}s wall, $(awk -v c="$nhcpu" -v n="$CHECK_N" 'BEGIN { printf "%.3f", c * 1000 / n }') ms CPU per spec; conftest ${ct}s; conftest/nhigate $(ratio "$ct" "$nh")x"
    ;;
  review)
    echo "== review: $CHANGED changed specs in a repo of $SMALL and of $LARGE specs"
    repo "$work/small" "$SMALL"
    repo "$work/large" "$LARGE"
    # Index: the default (no scan cache), on a base that commits its scan
    # index, as a fresh CI runner reviews. Off: the default with no index.
    # Warm: NHIGATE_CACHE=on, with the cache file a first, untimed review
    # of the same change wrote.
    for temp in index off warm; do
      run=(env NHIGATE_CACHE=off)
      base=main
      label="scan cache off (the default), no scan index"
      case $temp in
      index)
        base=indexed
        label="scan cache off (the default), scan index committed in base"
        ;;
      warm)
        run=(env NHIGATE_CACHE=on XDG_CACHE_HOME="$work/warm-cache")
        label="scan cache on, warm (written by an earlier review), no scan index"
        for r in small large; do "${run[@]}" "$work/nhigate" review --repo "$work/$r" --base main --head feature --now "$NOW" >/dev/null 2>&1 || true; done
        ;;
      esac
      # The two repos in turn, PAIRS times: medians, and the median of
      # the ratios of each pair, which a load that moves moves less.
      read -r l lcpu s scpu rw rc < <("$work/timeit" -runs "${PAIRS:-15}" -- \
        "${run[@]}" "$work/nhigate" review --repo "$work/large" --base $base --head feature --now "$NOW" ::: \
        "${run[@]}" "$work/nhigate" review --repo "$work/small" --base $base --head feature --now "$NOW")
      echo "review, $label: ${s}s at $SMALL, ${l}s at $LARGE: ratio $rw; CPU ${scpu}s and ${lcpu}s: ratio $rc (medians of ${PAIRS:-15} pairs)"
    done
    g=$(wall git -C "$work/large" diff --stat main feature)
    echo "git diff --stat at $LARGE ${g}s"
    ;;
  verify)
    echo "== verify: $BUNDLES key bundles in one invocation"
    # main is empty; feature adds every spec, so attest signs them all.
    mkdir -p "$work/sign"
    git -C "$work/sign" init -q -b main
    git -C "$work/sign" commit -q --allow-empty -m empty
    git -C "$work/sign" checkout -q -b feature
    go run ./scripts/synth -n "$BUNDLES" -changed 0 -out "$work/sign" -now "$NOW" >/dev/null
    git -C "$work/sign" add -A
    git -C "$work/sign" commit -q -m specs
    openssl ecparam -name prime256v1 -genkey -noout -out "$work/ec.pem"
    openssl pkcs8 -topk8 -nocrypt -in "$work/ec.pem" -out "$work/key.pem"
    openssl ec -in "$work/ec.pem" -pubout -out "$work/pub.pem" 2>/dev/null
    (cd "$work/sign" && "$work/nhigate" attest --key "$work/key.pem" --base main --head feature \
      --out-dir "$work/bundles" --now "$NOW" --allow-unapproved-local >/dev/null 2>&1)
    mapfile -t specs < <(cd "$work/bundles" && find identities -name '*.sigstore.json' | sed 's/\.sigstore\.json$//' | sort)
    read -r v vcpu < <(cd "$work/sign" && tm "$work/nhigate" verify --key "$work/pub.pem" --accept-unchecked-approvals \
      --bundle-dir "$work/bundles" --now "$NOW" "${specs[@]}")
    rate=$(awk -v n="${#specs[@]}" -v t="$v" 'BEGIN { printf "%.0f", n / t }')
    line="nhigate verify ${#specs[@]} bundles in ${v}s: $rate bundles/s; ${vcpu}s CPU, $(awk -v n="${#specs[@]}" -v c="$vcpu" 'BEGIN { printf "%.0f", c * 1e6 / n }') µs per bundle"
    if [ "$COSIGN" = 1 ]; then
      GOBIN="$work" go install github.com/sigstore/cosign/v2/cmd/cosign@v2.5.2
      echo '{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}' > "$work/root.json"
      start=$(date +%s.%N)
      for s in "${specs[@]:0:20}"; do
        (cd "$work/sign" && "$work/cosign" verify-blob-attestation --new-bundle-format --key "$work/pub.pem" \
          --trusted-root "$work/root.json" --insecure-ignore-tlog --type https://nhigate.dev/attestation/review/v1 \
          --bundle "$work/bundles/$s.sigstore.json" "$s" >/dev/null 2>&1)
      done
      end=$(date +%s.%N)
      crate=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", 20 / (b - a) }')
      line="$line; cosign verify-blob-attestation $crate bundles/s (20, one process each); nhigate/cosign $(ratio "$rate" "$crate")x"
    fi
    echo "$line"
    ;;
  *)
    echo "unknown row $row: use check, review or verify" >&2
    exit 2
    ;;
  esac
done
