// Command synth writes a synthetic policy repo for benchmarks:
//
//	go run ./scripts/synth -n 10000 -changed 0   -out base
//	go run ./scripts/synth -n 10000 -changed 100 -out head
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/nhigate/nhigate/internal/synth"
)

func main() {
	n := flag.Int("n", 10000, "number of specs")
	changed := flag.Int("changed", 0, "how many of them are in their changed form")
	out := flag.String("out", "", "directory to write")
	now := flag.String("now", "2026-11-25T12:00:00Z", "generation time (RFC 3339)")
	flag.Parse()
	t, err := time.Parse(time.RFC3339, *now)
	if err != nil || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: synth -n N -changed M -out DIR [-now RFC3339]")
		os.Exit(2)
	}
	if err := synth.Write(*out, *n, *changed, t); err != nil {
		fmt.Fprintln(os.Stderr, "synth:", err)
		os.Exit(1)
	}
}
