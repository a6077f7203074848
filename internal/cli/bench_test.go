package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/nhigate/nhigate/internal/gittest"
	"github.com/nhigate/nhigate/internal/synth"
)

// BenchmarkReview reviews a pull request that changes 100 specs in git
// repositories of growing size: the cost must follow the change, not the
// repo. Building the repositories takes a while; it is not part of the
// measurement.
//
//	go test ./internal/cli -run '^$' -bench Review -benchtime 10x
func BenchmarkReview(b *testing.B) {
	now, _ := time.Parse(time.RFC3339, frozen)
	for _, n := range []int{1_000, 10_000, 50_000} {
		b.Run(fmt.Sprintf("specs=%d/changed=100", n), func(b *testing.B) {
			repo := b.TempDir()
			if err := synth.Write(repo, n, 0, now); err != nil {
				b.Fatal(err)
			}
			gittest.Run(b, repo, "init", "-q", "-b", "main")
			gittest.Run(b, repo, "add", "-A")
			gittest.Run(b, repo, "commit", "-q", "-m", "base")
			gittest.Run(b, repo, "checkout", "-q", "-b", "feature")
			if err := synth.Rewrite(repo, 100, now); err != nil {
				b.Fatal(err)
			}
			gittest.Run(b, repo, "commit", "-q", "-am", "head")
			for _, cmd := range []string{"diff", "review"} {
				b.Run(cmd, func(b *testing.B) {
					for b.Loop() {
						var out bytes.Buffer
						err := Run(context.Background(), []string{cmd, "--repo", repo, "--base", "main", "--head", "feature", "--now", frozen},
							nil, strings.NewReader(""), &out, io.Discard)
						if code := ExitCode(err); code != ExitPass {
							b.Fatalf("exit %d: %v\n%s", code, err, out.String())
						}
					}
				})
			}
		})
	}
}
