// Command nhigate is the policy gate for non-human identity provisioning
// specs. See README.md, or run "nhigate help".
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/nhigate/nhigate/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := cli.Run(ctx, os.Args[1:], os.Environ(), os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(cli.ExitCode(err))
}
