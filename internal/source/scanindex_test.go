package source

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/internal/gittest"
)

// commitIndex writes the scan index of the checked-out branch of repo with
// BuildScanIndex, as nhigate index does, and commits it.
func commitIndex(t *testing.T, repo string) []byte {
	t.Helper()
	head, err := NewRepo(repo).Open("HEAD")
	if err != nil {
		t.Fatal(err)
	}
	data, err := BuildScanIndex(context.Background(), head)
	if err != nil {
		t.Fatal(err)
	}
	writeIndex(t, repo, data)
	gittest.Run(t, repo, "add", "-A")
	gittest.Run(t, repo, "commit", "-q", "-m", "scan index")
	return data
}

func writeIndex(t *testing.T, repo string, data []byte) {
	t.Helper()
	p := filepath.Join(repo, filepath.FromSlash(ScanIndexPath))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestScanIndexSameReview: a review whose base commits a scan index finds
// exactly what one without finds, with the cache off, on random
// repositories whose pull requests change, delete, move and add specs,
// some made after main moved on from the commit the index was written of
// (its summaries of the directories that moved then match nothing); and
// the index answers some directories whole.
func TestScanIndexSameReview(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 13))
	ids := []string{"alpha-ci", "beta-ci", "gamma-ci", "delta-ci", "eps-ci", "zeta-ci"}
	dirs := []string{"", "a", "a/b", "c", "c/d/e", "f"}
	summarised := 0
	for round := range 6 {
		base := randomSpecs(r, ids, dirs)
		base["c/escaped.yaml"] = strings.Replace(specOf("esc", "zeta-ci"), "zeta-ci", `"zet\u0061-ci"`, 1)
		paths := slices.Sorted(maps.Keys(base))
		repo := t.TempDir()
		writeTree(t, repo, base)
		gittest.Run(t, repo, "init", "-q", "-b", "main")
		gittest.Run(t, repo, "add", "-A")
		gittest.Run(t, repo, "commit", "-q", "-m", "base")
		// indexed is main and its index; moved is one more change on
		// top, which the index does not know.
		gittest.Run(t, repo, "checkout", "-q", "-b", "indexed")
		commitIndex(t, repo)
		gittest.Run(t, repo, "checkout", "-q", "-b", "moved")
		moved := paths[r.IntN(len(paths))]
		writeTree(t, repo, map[string]string{moved: specOf("drift", ids[r.IntN(len(ids))])})
		gittest.Run(t, repo, "add", "-A")
		gittest.Run(t, repo, "commit", "-q", "-m", "drift")
		// Bases of the same merge bases, without the index.
		for _, b := range []string{"indexed", "moved"} {
			gittest.Run(t, repo, "checkout", "-q", "-b", b+"-plain", b)
			gittest.Run(t, repo, "rm", "-q", ScanIndexPath)
			gittest.Run(t, repo, "commit", "-q", "-m", "no index")
		}
		heads := map[string]string{} // branch: its base
		for b := range 6 {
			from := []string{"indexed", "moved"}[b%2]
			name := fmt.Sprintf("pr%d", b)
			gittest.Run(t, repo, "checkout", "-q", "-b", name, from)
			for range 1 + r.IntN(4) {
				p := paths[r.IntN(len(paths))]
				if !strings.HasSuffix(p, ".yaml") {
					continue
				}
				full := filepath.Join(repo, filepath.FromSlash(p))
				switch r.IntN(4) {
				case 0:
					writeTree(t, repo, map[string]string{p: specOf(strings.TrimSuffix(filepath.Base(p), ".yaml"), ids[r.IntN(len(ids))]) + "  expiresAt: \"2026-12-01T00:00:00Z\"\n"})
				case 1:
					os.Remove(full)
				case 2:
					if data, err := os.ReadFile(full); err == nil {
						os.Remove(full)
						writeTree(t, repo, map[string]string{filepath.ToSlash(filepath.Join(dirs[r.IntN(len(dirs))], "moved-"+filepath.Base(p))): string(data)})
					}
				case 3:
					n := fmt.Sprintf("new%d-%d", b, r.IntN(1000))
					writeTree(t, repo, map[string]string{filepath.ToSlash(filepath.Join(dirs[r.IntN(len(dirs))], n+".yaml")): specOf(n, ids[r.IntN(len(ids))])})
				}
			}
			gittest.Run(t, repo, "add", "-A")
			gittest.Run(t, repo, "commit", "-q", "--allow-empty", "-m", name)
			heads[name] = from
		}
		if round%2 == 0 {
			gittest.Run(t, repo, "gc", "-q")
		}
		cfg := config.Default()
		for _, b := range slices.Sorted(maps.Keys(heads)) {
			// The same merge base; only the index differs.
			noIndex := reviewOf(t, repo, heads[b]+"-plain", b, cfg, "", 0)
			got := reviewOf(t, repo, heads[b], b, cfg, "", 0)
			name := fmt.Sprintf("round %d, %s from %s", round, b, heads[b])
			sameReview(t, name, noIndex, got)
			if noIndex.Summarised != 0 {
				t.Errorf("%s: %d directories answered without an index", name, noIndex.Summarised)
			}
			summarised += got.Summarised
		}
	}
	if summarised == 0 {
		t.Error("the scan index answered no directory")
	}
}

// TestBuildScanIndexOfItself: the index leaves itself out, and the trees
// that hold it, so that it is the same written before and after it is
// committed, and CheckScanIndex passes the commit that adds it; an
// unchanged tree gives the same bytes, whoever writes them.
func TestBuildScanIndexOfItself(t *testing.T) {
	repo := gittest.Repo(t, map[string]string{
		"a/one.yaml":  specOf("one", "alpha-ci"),
		"a/two.yaml":  specOf("two", "beta-ci"),
		"b/c/x.yaml":  specOf("x", "alpha-ci"),
		"b/c/y.yaml":  specOf("x", "alpha-ci"), // the same blob twice
		"top.yaml":    specOf("top", "gamma-ci"),
		"b/big.txt":   strings.Repeat("beta-ci ", 300_000), // over indexBlobLimit
		"b/notes.txt": `escaped \u0061lpha`,
	})
	gittest.Run(t, repo, "checkout", "-q", "-b", "indexed")
	before := commitIndex(t, repo)
	after, err := BuildScanIndex(context.Background(), mustOpen(t, repo, "indexed"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before, after) {
		t.Error("the index of the commit that adds it differs from the index it adds")
	}
	msg, err := CheckScanIndex(context.Background(), mustOpen(t, repo, "indexed"))
	if err != nil || msg != "" {
		t.Errorf("CheckScanIndex of a fresh index = %q, %v; want it to pass", msg, err)
	}
	// a/, b/ and b/c/, not the root.
	c := &scanCache{}
	if err := c.decode(after, [32]byte{}); err != nil {
		t.Fatal(err)
	}
	if n := len(c.sumIndex) / scanSumSize; n != 3 {
		t.Errorf("%d summaries, want those of a, b and b/c", n)
	}
	// b/big.txt, over indexBlobLimit, is not digested, and b/notes.txt
	// has an escape: b's summary lists both (entries 0 and 2 of b:
	// big.txt, c, notes.txt) for reviews to look at one by one.
	b := plumbing.NewHash(gitOut(t, repo, "rev-parse", "indexed:b"))
	s, ok := c.summary(b)
	if !ok || !slices.Equal(s.unknownList(), []uint32{0, 2}) {
		t.Errorf("summary of b: %v, unknown %v; want big.txt (0) and notes.txt (2) not counted", ok, s.unknownList())
	}
}

func mustOpen(t *testing.T, repo, rev string) Tree {
	t.Helper()
	tr, err := NewRepo(repo).Open(rev)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// withCRC sets data's checksum, as a forger would.
func withCRC(data []byte) []byte {
	out := slices.Clone(data)
	binary.LittleEndian.PutUint32(out[len(out)-4:], crc32.Checksum(out[:len(out)-4], castagnoli))
	return out
}

// TestCheckScanIndex: a change to the index passes only when each of its
// summaries is the one nhigate makes of a tree of this repository (of
// head or not: the index of an earlier commit passes), written as nhigate
// writes it: not the summary of another repository's tree or of a blob,
// not a forged count with a valid checksum, not a link or garbage.
func TestCheckScanIndex(t *testing.T) {
	files := map[string]string{
		"a/one.yaml": specOf("one", "alpha-ci"),
		"a/two.yaml": specOf("two", "beta-ci"),
		"c/x.yaml":   specOf("x", "gamma-ci"),
	}
	for _, tc := range []struct {
		name string
		// change makes the head from a repository whose main holds
		// files; the index of main is in idx.
		change func(t *testing.T, repo string, idx []byte)
		want   string
	}{
		{name: "the index of head", change: func(t *testing.T, repo string, idx []byte) {
			writeIndex(t, repo, idx)
		}},
		{name: "deleted", change: func(t *testing.T, repo string, idx []byte) {
			writeIndex(t, repo, idx)
			gittest.Run(t, repo, "add", "-A")
			gittest.Run(t, repo, "commit", "-q", "-m", "index")
			os.Remove(filepath.Join(repo, filepath.FromSlash(ScanIndexPath)))
		}},
		// A summary holds for its tree wherever the tree is: the index
		// of an earlier commit says only what is true.
		{name: "of the commit before a change", change: func(t *testing.T, repo string, idx []byte) {
			writeIndex(t, repo, idx)
			writeTree(t, repo, map[string]string{"a/two.yaml": specOf("two", "alpha-ci")})
		}},
		{name: "a directory more", change: func(t *testing.T, repo string, idx []byte) {
			writeIndex(t, repo, idx)
			writeTree(t, repo, map[string]string{"d/new.yaml": specOf("new", "alpha-ci")})
		}},
		{name: "of another repository", change: func(t *testing.T, repo string, idx []byte) {
			other := gittest.Repo(t, map[string]string{"x/y.yaml": specOf("y", "alpha-ci")})
			oi, err := BuildScanIndex(context.Background(), mustOpen(t, other, "HEAD"))
			if err != nil {
				t.Fatal(err)
			}
			writeIndex(t, repo, oi)
		}, want: "which is no tree of this repository"},
		{name: "a blob's id as a tree's", change: func(t *testing.T, repo string, idx []byte) {
			c := &scanCache{}
			if err := c.decode(idx, [32]byte{}); err != nil {
				t.Fatal(err)
			}
			var id plumbing.Hash
			copy(id[:], c.sumIndex)
			s, _ := c.summary(id)
			blob := plumbing.NewHash(gitOut(t, repo, "rev-parse", "HEAD:a/one.yaml"))
			writeIndex(t, repo, encodeScan([32]byte{}, nil, nil, nil, []idSummary{{blob, s}}))
		}, want: "which is no tree of this repository"},
		{name: "a tree whose blob is missing", change: func(t *testing.T, repo string, idx []byte) {
			// A hand-made tree naming a blob no one stored.
			o := gittest.OpenObjects(t, repo)
			id := o.Tree(gittest.Entry{Mode: "100644", Name: "ghost.yaml", Hash: plumbing.NewHash("0123456789abcdef0123456789abcdef01234567")})
			writeIndex(t, repo, encodeScan([32]byte{}, nil, nil, nil, []idSummary{{id, treeSummary{}}}))
		}, want: "nhigate cannot read the files of the trees it summarises"},
		{name: "a forged count with its checksum", change: func(t *testing.T, repo string, idx []byte) {
			// The last summary's first count, of 1 or more, set to 0.
			c := &scanCache{}
			if err := c.decode(idx, [32]byte{}); err != nil {
				t.Fatal(err)
			}
			forged := slices.Clone(idx)
			off := len(idx) - 4 - len(c.sumUnknown) - len(c.sumCounts)
			forged[off] = 0
			writeIndex(t, repo, withCRC(forged))
		}, want: "is not that tree's"},
		{name: "garbage", change: func(t *testing.T, repo string, idx []byte) {
			writeIndex(t, repo, []byte("garbage"))
		}, want: "not a scan index nhigate reads (not a scan cache file)"},
		{name: "a scan cache file", change: func(t *testing.T, repo string, idx []byte) {
			writeIndex(t, repo, withCRC(append(idx[:12:12], append(make([]byte, 32), idx[44:]...)...)))
			forged := slices.Clone(idx)
			forged[12] = 1
			writeIndex(t, repo, withCRC(forged))
		}, want: "a scan cache file, not an index"},
		{name: "a symlink", change: func(t *testing.T, repo string, idx []byte) {
			os.MkdirAll(filepath.Join(repo, ".nhigate"), 0o755)
			if err := os.Symlink("../a/one.yaml", filepath.Join(repo, filepath.FromSlash(ScanIndexPath))); err != nil {
				t.Skip(err)
			}
		}, want: "a symlink"},
		{name: "a directory", change: func(t *testing.T, repo string, idx []byte) {
			writeTree(t, repo, map[string]string{ScanIndexPath + "/x": "x"})
		}, want: "not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := gittest.Repo(t, files)
			idx, err := BuildScanIndex(context.Background(), mustOpen(t, repo, "HEAD"))
			if err != nil {
				t.Fatal(err)
			}
			tc.change(t, repo, idx)
			gittest.Run(t, repo, "add", "-A")
			gittest.Run(t, repo, "commit", "-q", "--allow-empty", "-m", "change")
			got, err := CheckScanIndex(context.Background(), mustOpen(t, repo, "HEAD"))
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("CheckScanIndex = %q, want %q", got, tc.want)
			}
		})
	}
	if got, _ := CheckScanIndex(context.Background(), Dir(t.TempDir())); !strings.Contains(got, "review the commit") {
		t.Errorf("CheckScanIndex of a directory = %q, want it refused", got)
	}
}

// TestScanIndexIgnored: an index of base that nhigate cannot read is
// ignored, with a warning that says so, and the review reads the files.
func TestScanIndexIgnored(t *testing.T) {
	repo := branches(t, map[string]string{
		"a/one.yaml": specOf("one", "alpha-ci"),
		"a/two.yaml": specOf("two", "alpha-ci"),
	}, map[string]map[string]string{"pr": {"a/one.yaml": specOf("one", "alpha-ci") + "  expiresAt: \"2026-12-01T00:00:00Z\"\n"}})
	want := reviewOf(t, repo, "main", "pr", config.Default(), "", 0)
	gittest.Run(t, repo, "checkout", "-q", "-b", "broken", "main")
	writeIndex(t, repo, []byte("NHISCAN\ngarbage"))
	gittest.Run(t, repo, "add", "-A")
	gittest.Run(t, repo, "commit", "-q", "-m", "broken index")
	var warn strings.Builder
	b, h := mustOpen(t, repo, "broken"), mustOpen(t, repo, "pr")
	if c := OpenCache(ScanCache{Warn: &warn}, h, b); c != nil {
		t.Errorf("a cache of a broken index and no file: %+v", c.c)
	}
	if !strings.Contains(warn.String(), "scan index .nhigate/scan-index at broken") || !strings.Contains(warn.String(), "ignored") {
		t.Errorf("warning %q, want it to name the index and say it is ignored", warn.String())
	}
	got := reviewOf(t, repo, "broken", "pr", config.Default(), "", 0)
	sameReview(t, "broken index", want, got)
	if len(got.Context) == 0 {
		t.Error("a/two.yaml, of the same principal, was not read")
	}
}

// FuzzScanIndexDecode: a scan index is read from base, and a pull
// request's is decoded to say how it differs from the one nhigate writes:
// neither may panic or run unbounded, whatever the bytes, sealed with a
// valid checksum as a forger would; what decodes is in order and bounds,
// and a difference is always named (red team 8).
func FuzzScanIndexDecode(f *testing.F) {
	repo := gittest.Repo(f, map[string]string{
		"a/one.yaml": specOf("one", "alpha-ci"),
		"a/two.txt":  `\u0061lpha`,
		"b/c/x.yaml": specOf("x", "beta-ci"),
	})
	tr, err := NewRepo(repo).Open("HEAD")
	if err != nil {
		f.Fatal(err)
	}
	want, err := BuildScanIndex(context.Background(), tr)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(want)
	f.Add(want[:scanHeaderSize])
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) >= scanHeaderSize+4 {
			copy(data, scanCacheMagic)
			binary.LittleEndian.PutUint32(data[8:], scanCacheVersion)
			copy(data[12:44], make([]byte, 32))
			binary.LittleEndian.PutUint32(data[len(data)-4:], crc32.Checksum(data[:len(data)-4], castagnoli))
		}
		if indexDifference(data, want) == "" {
			t.Fatal("no difference named")
		}
		c := &scanCache{}
		if err := c.decode(data, [32]byte{}); err != nil {
			return
		}
		if c.count != 0 || len(c.trees) != 0 || len(c.common) != 0 {
			t.Fatalf("an index with %d digests, %d trees, %d common runs decoded", c.count, len(c.trees), len(c.common))
		}
		q := newQuery(names{"alpha-ci": true})
		for i := range len(c.sumIndex) / scanSumSize {
			var h plumbing.Hash
			copy(h[:], c.sumIndex[i*scanSumSize:])
			s, ok := c.summary(h)
			if !ok {
				t.Fatalf("summary %d not found", i)
			}
			if s.fits(3) {
				s.count(q.hashes[0])
			}
		}
	})
}

// TestScanIndexBudget: writing or checking an index of a head whose files
// hold more to read, or more runs to keep, than the limits stops there,
// as does checking one whose trees hold more entries than a listing may,
// and a pull request's index is then blocked, saying why: a head of many
// files, or of delta-compressed copies of one, costs bounded time and
// memory.
func TestScanIndexBudget(t *testing.T) {
	files := map[string]string{}
	for i := range 20 {
		files[fmt.Sprintf("a/s%d.yaml", i)] = specOf(fmt.Sprintf("s%d", i), fmt.Sprintf("id%d-ci", i))
	}
	repo := gittest.Repo(t, files)
	commitIndex(t, repo)
	// The trees it names hold 20 entries; with a bound of 10, it is
	// not checked, and blocks.
	indexTreePaths = 10
	got, err := CheckScanIndex(context.Background(), mustOpen(t, repo, "HEAD"))
	indexTreePaths = maxTreePaths
	if err != nil || !strings.Contains(got, "hold more than 10 entries in all") {
		t.Errorf("CheckScanIndex with a bound of 10 paths = %q, %v; want it blocked naming the bound", got, err)
	}
	for _, tc := range []struct {
		limits [2]int64
		want   string
	}{
		{[2]int64{maxIndexRead, maxIndexRuns}, ""},
		{[2]int64{1000, maxIndexRuns}, "more than 1000 bytes to digest"},
		{[2]int64{maxIndexRead, 100}, "more than 100 name-like runs"},
	} {
		indexLimits = tc.limits
		got, err := CheckScanIndex(context.Background(), mustOpen(t, repo, "HEAD"))
		indexLimits = [2]int64{maxIndexRead, maxIndexRuns}
		if err != nil {
			t.Fatal(err)
		}
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("limits %v: CheckScanIndex = %q, want %q", tc.limits, got, tc.want)
		}
	}
}
