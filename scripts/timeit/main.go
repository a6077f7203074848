// Command timeit runs a command several times and prints the least wall
// time and the least CPU time (user + system, of the command and its
// children) of the runs, in seconds to the millisecond, for scripts/bench.sh:
//
//	go run ./scripts/timeit -runs 5 -- nhigate review --repo r --base main --head feature
//	0.094 0.131
//
// With two commands, separated by ":::", it runs them in turn, A then B,
// and prints the median wall and CPU of each and the medians of the
// ratios A/B of each pair: two commands timed in the same moments, so that
// a machine whose load moves moves both.
//
//	go run ./scripts/timeit -runs 15 -- nhigate review --repo large … ::: nhigate review --repo small …
//	0.131 0.212 0.118 0.183 1.10 1.16
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
	"slices"
	"time"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("timeit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("runs", 3, "number of runs")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 || *runs < 1 {
		fmt.Fprintln(stderr, "usage: timeit [-runs N] -- command [args...] [::: command [args...]]")
		return 2
	}
	cmds := [][]string{fs.Args()}
	if i := slices.Index(fs.Args(), ":::"); i >= 0 {
		cmds = [][]string{fs.Args()[:i], fs.Args()[i+1:]}
		if len(cmds[0]) == 0 || len(cmds[1]) == 0 {
			fmt.Fprintln(stderr, "timeit: a command on each side of :::")
			return 2
		}
	}
	// walls[k][i] and cpus[k][i]: run i of command k.
	walls := make([][]float64, len(cmds))
	cpus := make([][]float64, len(cmds))
	for range *runs {
		for k, c := range cmds {
			w, cpu, err := once(c)
			if err != nil {
				fmt.Fprintln(stderr, "timeit:", err)
				return 1
			}
			walls[k], cpus[k] = append(walls[k], w), append(cpus[k], cpu)
		}
	}
	if len(cmds) == 1 {
		fmt.Fprintf(stdout, "%.3f %.3f\n", slices.Min(walls[0]), slices.Min(cpus[0]))
		return 0
	}
	ratios := func(a, b []float64) []float64 {
		out := make([]float64, len(a))
		for i := range a {
			out[i] = a[i] / b[i]
		}
		return out
	}
	fmt.Fprintf(stdout, "%.3f %.3f %.3f %.3f %.2f %.2f\n", median(walls[0]), median(cpus[0]), median(walls[1]), median(cpus[1]),
		median(ratios(walls[0], walls[1])), median(ratios(cpus[0], cpus[1])))
	return 0
}

// once runs c and returns its wall and CPU seconds.
func once(c []string) (wall, cpu float64, err error) {
	cmd := exec.Command(c[0], c[1:]...)
	start := time.Now()
	err = cmd.Run()
	w := time.Since(start)
	if cmd.ProcessState == nil {
		return 0, 0, err
	}
	return w.Seconds(), (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds(), nil
}

// median is the middle of xs, or the mean of the two in the middle.
func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}
