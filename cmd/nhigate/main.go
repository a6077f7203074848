// Command nhigate is the policy gate for non-human identity provisioning
// specs. See README.md, or run "nhigate help".
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"

	"github.com/nhigate/nhigate/internal/cli"
)

// gcPercent and memoryLimit tune the collector for a short-lived process
// whose heap is mostly garbage from evaluating policies: collecting at 4x
// the live heap instead of 2x cut check's CPU by a fifth (3.45 s to 2.75 s
// on 4,000 specs; docs/BENCHMARKS.md), for about 170 MB more at peak,
// while the limit keeps the heap under 1 GiB whatever the input. GOGC and
// GOMEMLIMIT, when set, win.
const (
	gcPercent   = 400
	memoryLimit = 1 << 30
)

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := cli.Run(ctx, os.Args[1:], os.Environ(), os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(cli.ExitCode(err))
}
