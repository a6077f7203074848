// Command timeit runs a command several times and prints the least wall
// time and the least CPU time (user + system, of the command and its
// children) of the runs, in seconds to the millisecond, for scripts/bench.sh:
//
//	go run ./scripts/timeit -runs 5 -- nhigate review --repo r --base main --head feature
//	0.094 0.131
//
// GNU time prints hundredths of a second, too coarse for a ratio of two
// runs of a tenth of a second each. The command's exit status is not
// checked (a review that blocks exits 1); its output is discarded.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("timeit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("runs", 3, "number of runs")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 || *runs < 1 {
		fmt.Fprintln(stderr, "usage: timeit [-runs N] -- command [args...]")
		return 2
	}
	var wall, cpu time.Duration
	for i := range *runs {
		cmd := exec.Command(fs.Arg(0), fs.Args()[1:]...)
		start := time.Now()
		err := cmd.Run()
		w := time.Since(start)
		if cmd.ProcessState == nil {
			fmt.Fprintln(stderr, "timeit:", err)
			return 1
		}
		c := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		if i == 0 || w < wall {
			wall = w
		}
		if i == 0 || c < cpu {
			cpu = c
		}
	}
	fmt.Fprintf(stdout, "%.3f %.3f\n", wall.Seconds(), cpu.Seconds())
	return 0
}
