package source

import (
	"bytes"
	stdflate "compress/flate"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/internal/gittest"
)

// rt9Words is a file of n distinct name-like runs.
func rt9Words(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "w%d ", i)
	}
	return b.String() + "\n"
}

// TestRedteam9IndexSummaryWork: the work of summarising a head is the
// runs of each path, not of each distinct blob: one blob of many runs
// under many names costs one read and one digest, within the read and
// run budgets, and a summary count for every copy. Writing or checking
// an index bounds that too, as an *IndexBoundError (a pull request's
// index blocks; nhigate index exits 2), so that a head of 1,000
// directories of 1,000 copies of a blob of 4,096 runs (4 Gi map updates,
// minutes of CPU) stops at the limit. Here the limit is lowered to 1,000
// runs, and the head holds 20 runs in 100 paths.
func TestRedteam9IndexSummaryWork(t *testing.T) {
	repo := gittest.Repo(t, map[string]string{"README.md": "a repository\n"})
	o := gittest.OpenObjects(t, repo)
	blob := o.Blob(rt9Words(20))
	top := o.Top("main")
	for d := range 10 {
		var es []gittest.Entry
		for f := range 10 {
			es = append(es, gittest.Entry{Mode: "100644", Name: fmt.Sprintf("f%d-%d.txt", d, f), Hash: blob})
		}
		top = append(top, gittest.Entry{Mode: "40000", Name: fmt.Sprintf("d%d", d), Hash: o.Tree(es...)})
	}
	o.Commit("pr", "main", o.Tree(top...))
	head := mustOpen(t, repo, "pr")
	if _, err := BuildScanIndex(context.Background(), head); err != nil {
		t.Fatalf("within the limits: %v", err)
	}
	indexLimits = [2]int64{maxIndexRead, 1000}
	defer func() { indexLimits = [2]int64{maxIndexRead, maxIndexRuns} }()
	_, err := BuildScanIndex(context.Background(), head)
	var bound *IndexBoundError
	if !errors.As(err, &bound) || !strings.Contains(bound.Msg, "1000") {
		t.Fatalf("BuildScanIndex = %v, want an *IndexBoundError naming the limit of 1000", err)
	}
}

// TestRedteam9IndexEdges: the same review with base's scan index as
// without, for the cases the summaries' arithmetic must get right: a
// changed file whose blob another unchanged file of its directory also
// holds (counted twice, taken off once), both copies changed, a changed
// file over indexBlobLimit (listed as not counted, so not taken off), an
// unchanged one that names the principal past its first MiB, a file
// with an escape, and limits.maxFileSize under and over indexBlobLimit.
func TestRedteam9IndexEdges(t *testing.T) {
	pad := "# " + strings.Repeat("pad ", indexBlobLimit/4) + "\n"
	a := specOf("a", "p-ci")
	base := map[string]string{
		"d/a.yaml":     a,
		"d/b.yaml":     a,
		"d/big.yaml":   specOf("big", "q-ci") + pad + "# p-ci\n",
		"d/esc.yaml":   specOf("esc", "r-ci") + `# "\x70-ci"` + "\n",
		"d/other.yaml": specOf("o", "z-ci"),
		"f/big.yaml":   specOf("fbig", "s-ci") + pad,
		"f/one.yaml":   specOf("one", "s-ci"),
		"g/q.yaml":     specOf("q", "q-ci"),
	}
	widen := func(s string) string { return strings.Replace(s, "identity:", "# widened\n  identity:", 1) }
	heads := map[string]map[string]string{
		"pr-a":     {"d/a.yaml": a + "  expiresAt: \"2026-12-01T00:00:00Z\"\n"},
		"pr-ab":    {"d/a.yaml": a + "  expiresAt: \"2026-12-01T00:00:00Z\"\n", "d/b.yaml": ""},
		"pr-big":   {"d/big.yaml": widen(base["d/big.yaml"]), "g/q.yaml": specOf("q", "q-ci") + "  expiresAt: \"2026-12-01T00:00:00Z\"\n"},
		"pr-fbig":  {"f/one.yaml": specOf("one", "s-ci") + "  expiresAt: \"2026-12-01T00:00:00Z\"\n"},
		"pr-new":   {"e/new.yaml": specOf("new", "p-ci")},
		"pr-esc":   {"e/new.yaml": specOf("new2", "r-ci")},
		"pr-other": {"d/other.yaml": specOf("o", "p-ci")},
	}
	repo := branches(t, base, heads)
	gittest.Run(t, repo, "branch", "noidx", "main")
	commitIndex(t, repo) // branches leaves main checked out
	small, large := config.Default(), config.Default()
	small.Limits.MaxFileSize = 700
	large.Limits.MaxFileSize = 4 << 20
	summarised := 0
	for name := range heads {
		for ci, cfg := range []*config.Config{config.Default(), small, large} {
			want := reviewOf(t, repo, "noidx", name, cfg, "", 0)
			got := reviewOf(t, repo, "main", name, cfg, "", 0)
			sameReview(t, fmt.Sprintf("%s config %d", name, ci), want, got)
			summarised += got.Summarised
		}
	}
	if summarised == 0 {
		t.Error("no directory was answered by the index")
	}
}

// FuzzRedteam9Inflate: the pack reader's inflate (klauspost's flate
// after a zlib header it checks itself) of any bytes returns exactly
// the size asked for or errPackMiss, never panics, and, where the
// standard library inflates the same stream, returns what it does.
func FuzzRedteam9Inflate(f *testing.F) {
	for _, s := range []string{"", "hello", strings.Repeat("ab", 5000)} {
		var b bytes.Buffer
		w := zlib.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		f.Add(b.Bytes(), uint16(len(s)))
		f.Add(b.Bytes()[:b.Len()/2], uint16(len(s)))
		f.Add(b.Bytes(), uint16(len(s)+7))
	}
	f.Fuzz(func(t *testing.T, data []byte, size uint16) {
		pf := &packFile{size: int64(len(data))}
		mem := slices.Clone(data)
		pf.data.Store(&mem)
		r := (&packs{files: []*packFile{pf}}).reader(scanCacheBudget)
		for range 2 { // the second time through Reset
			got, err := r.inflate(pf, 0, int64(size))
			if err != nil {
				if !errors.Is(err, errPackMiss) {
					t.Fatalf("inflate: %v, want errPackMiss", err)
				}
				continue
			}
			if len(got) != int(size) {
				t.Fatalf("inflate gave %d bytes, want %d", len(got), size)
			}
			if len(data) < 2 {
				t.Fatal("inflated without a header")
			}
			want := make([]byte, size)
			if _, err := io.ReadFull(stdflate.NewReader(bytes.NewReader(data[2:])), want); err == nil && !bytes.Equal(got, want) {
				t.Fatalf("inflate differs from the standard library's")
			}
		}
	})
}

// TestRedteam9SummaryMemory: summarising a directory costs memory for
// the runs its files hold, not 64 map slots for each of its entries: a
// directory of 100,000 symlinks (no blob read, no run) must not make
// writing or checking an index allocate a map for 6.4 million runs,
// which at the million entries a tree may hold is gigabytes.
func TestRedteam9SummaryMemory(t *testing.T) {
	repo := gittest.Repo(t, map[string]string{"README.md": "a repository\n"})
	o := gittest.OpenObjects(t, repo)
	link := o.Blob("../README.md")
	var es []gittest.Entry
	for i := range 100_000 {
		es = append(es, gittest.Entry{Mode: "120000", Name: fmt.Sprintf("l%06d", i), Hash: link})
	}
	top := append(o.Top("main"), gittest.Entry{Mode: "40000", Name: "links", Hash: o.Tree(es...)})
	o.Commit("pr", "main", o.Tree(top...))
	head := mustOpen(t, repo, "pr")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := BuildScanIndex(context.Background(), head); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	got := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d bytes", got)
	if got > 64<<20 {
		t.Errorf("BuildScanIndex allocated %d bytes for a directory of 100,000 symlinks, want under 64 MiB", got)
	}
}

// TestRedteam9IndexReadCountsDeltaBases: the read budget of writing or
// checking an index counts what the pack reader inflates, the delta
// bases of the blobs it digests included, not only the blobs' own bytes.
// A blob of under 1 MiB may be a delta of a base of up to 32 times its
// size (git's limit), and a base over 1 MiB, never digested itself, is
// inflated again for each of its deltas that the reader's cache lost: a
// head of 40 blobs of 1 MiB cut from one of 30 MiB inflated 600 MiB
// against a budget charged 40 MiB. Here blobs of 300 KB, cut from one of
// 8 MiB that git deltas them against, with a budget of 4 MiB: the
// blobs' bytes fit, the base's do not.
func TestRedteam9IndexReadCountsDeltaBases(t *testing.T) {
	repo := gittest.Repo(t, map[string]string{"README.md": "a repository\n"})
	r := rand.New(rand.NewPCG(9, 9))
	words := make([]byte, 0, 9<<20)
	for len(words) < 8<<20 {
		words = fmt.Appendf(words, "w%d ", r.IntN(1<<30))
	}
	// In a directory: the root is not summarised, and its files are not
	// digested.
	files := map[string]string{"d/big.txt": string(words)}
	total := 0
	for i := range 10 {
		off := r.IntN(len(words) - 300<<10)
		files[fmt.Sprintf("d/t%02d.txt", i)] = fmt.Sprintf("edit %d\n", i) + string(words[off:off+300<<10])
		total += 300<<10 + 8
	}
	gittest.Write(t, repo, files)
	gittest.Run(t, repo, "add", "-A")
	gittest.Run(t, repo, "commit", "-q", "-m", "copies")
	gittest.Run(t, repo, "repack", "-adfq")
	out, err := exec.Command("git", "-C", repo, "cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objectsize) %(deltabase)").Output()
	if err != nil {
		t.Fatal(err)
	}
	bases := map[string]bool{}
	sizes := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(l)
		sizes[f[0]] = f[1]
		bases[f[2]] = true
	}
	big := false
	for id := range bases {
		big = big || sizes[id] == fmt.Sprint(len(words))
	}
	if !big {
		t.Skip("git deltified no blob against the large one")
	}
	head := mustOpen(t, repo, "HEAD")
	if total > 4<<20 {
		t.Fatalf("the blobs hold %d bytes, over the budget", total)
	}
	indexLimits = [2]int64{4 << 20, maxIndexRuns}
	defer func() { indexLimits = [2]int64{maxIndexRead, maxIndexRuns} }()
	_, err = BuildScanIndex(context.Background(), head)
	var bound *IndexBoundError
	if !errors.As(err, &bound) || !strings.Contains(bound.Msg, "bytes") {
		t.Fatalf("BuildScanIndex = %v, want an *IndexBoundError naming the bytes read", err)
	}
}

// TestRedteam9IndexOverSize: a pull request's index whose summaries are
// forged small, of trees whose true summaries make an index over its
// size limit (64 MiB), is blocked naming the limit, not an internal
// error. The trees are cheap to make: one blob of 4,096 distinct runs
// (read and kept once, far under the read and run budgets) under a
// different name in each of 3,400 directories, whose trees all differ,
// so that each has a summary of 4,096 hashes.
func TestRedteam9IndexOverSize(t *testing.T) {
	repo := gittest.Repo(t, map[string]string{"README.md": "a repository\n"})
	o := gittest.OpenObjects(t, repo)
	var words strings.Builder
	for i := range 4096 {
		fmt.Fprintf(&words, "w%d ", i)
	}
	blob := o.Blob(words.String() + "\n")
	var es []gittest.Entry
	var sums []idSummary
	for i := range 3400 {
		id := o.Tree(gittest.Entry{Mode: "100644", Name: fmt.Sprintf("f%04d.txt", i), Hash: blob})
		es = append(es, gittest.Entry{Mode: "40000", Name: fmt.Sprintf("d%04d", i), Hash: id})
		sums = append(sums, idSummary{id, treeSummary{}})
	}
	slices.SortFunc(sums, func(a, b idSummary) int { return bytes.Compare(a.id[:], b.id[:]) })
	index := o.Tree(gittest.Entry{Mode: "100644", Name: "scan-index", Hash: o.Blob(string(encodeScan([32]byte{}, nil, nil, nil, sums)))})
	head := append(slices.Clone(o.Top("main")), gittest.Entry{Mode: "40000", Name: ".nhigate", Hash: index})
	o.Commit("pr", "main", o.Tree(append(head, es...)...))
	msg, err := CheckScanIndex(context.Background(), mustOpen(t, repo, "pr"))
	if err != nil || !strings.Contains(msg, "over the limit of 67108864") {
		t.Errorf("CheckScanIndex = %q, %v; want the index blocked, naming its size limit", msg, err)
	}
	if _, err := BuildScanIndex(context.Background(), mustOpen(t, repo, "pr")); !errors.As(err, new(*IndexBoundError)) {
		t.Errorf("BuildScanIndex: %v, want an *IndexBoundError", err)
	}
}
