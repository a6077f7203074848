package source

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/internal/gittest"
)

// rt8Review is reviewOf of base...branch with no cache of its own: only
// base's scan index, if it has one. warn gets what the review says of it.
func rt8Review(t *testing.T, repo, base, branch string, cfg *config.Config, warn *bytes.Buffer) *Review {
	t.Helper()
	return reviewWith(t, repo, base, branch, cfg, ScanCache{Warn: warn})
}

// TestRedteam8LargeFileMentionEarly: an unchanged file over
// limits.maxFileSize and over one chunk of the chunked scan, that
// mentions a changed principal in its first chunk, is reported as over
// the limit, with or without a scan index: not as a damaged repository
// (exit 3) because the scan stopped at the mention before the end of
// the blob, which it then checks against its id.
func TestRedteam8LargeFileMentionEarly(t *testing.T) {
	big := specOf("big", "shared-ci") + "# " + strings.Repeat("padding ", (scanChunk+4096)/8) + "\n"
	repo := branches(t, map[string]string{
		"d/big.yaml":   big,
		"d/other.yaml": specOf("other", "other-ci"),
	}, map[string]map[string]string{
		"adds-shared": {"e/new.yaml": specOf("new", "shared-ci")},
	})
	gittest.Run(t, repo, "gc", "-q")
	small := config.Default()
	small.Limits.MaxFileSize = 700
	rv := reviewOf(t, repo, "main", "adds-shared", small, "", 0)
	if len(rv.Head.Errors) != 1 || rv.Head.Errors[0].File != "d/big.yaml" {
		t.Fatalf("errors %v, want d/big.yaml over the limit", rv.Head.Errors)
	}
}

// rt8CommitIndex writes the scan index of HEAD into the work tree of repo
// and commits it.
func rt8CommitIndex(t *testing.T, repo string) []byte {
	t.Helper()
	tr, err := NewRepo(repo).OpenRevision("HEAD")
	if err != nil {
		t.Fatal(err)
	}
	data, err := BuildScanIndex(context.Background(), tr)
	if err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(repo, ".nhigate", "scan-index")
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, data, 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.Run(t, repo, "add", "-A")
	gittest.Run(t, repo, "commit", "-q", "--allow-empty", "-m", "index")
	return data
}

// rt8Clean drops from st what would keep the index from being written:
// a file .nhigate, or a directory .nhigate/scan-index.
func rt8Clean(st rt7State) {
	for p := range st {
		if p == ".nhigate" || strings.HasPrefix(p, ".nhigate/scan-index/") {
			delete(st, p)
		}
	}
}

// TestRedteam8IndexDifferential: reviews of random pull requests (from
// rt7Mutate) whose base commits a scan index find what they find
// without it, under several configs; the index of a commit is the same
// bytes after git gc, and a pull request that commits the index of its
// own head passes CheckScanIndex, while one that commits the index of
// another commit does not, unless that commit has the same directories.
func TestRedteam8IndexDifferential(t *testing.T) {
	seed := envUint("RT8_SEED", 8)
	// One round in the suite (9 s); RT8_ROUNDS=20 for a longer hunt.
	rounds := int(envUint("RT8_ROUNDS", 1))
	ctx := context.Background()
	r := rand.New(rand.NewPCG(seed, 88))
	ids := []string{"alpha-ci", "beta-ci", "s3", "staging", "production", "aws", "gamma-ci"}
	dirs := []string{"", "a", "a/b", "c", "c/d.yaml", "e", ".nhigate"}
	small := config.Default()
	small.Limits.MaxFileSize = 700
	globs := config.Default()
	globs.Specs = []string{"a/**", "e/*.yaml", "**/*.txt"}
	cfgs := []*config.Config{config.Default(), small, globs}
	summarised := 0
	for round := range rounds {
		repo := t.TempDir()
		gittest.Run(t, repo, "init", "-q", "-b", "main")
		st := rt7State{}
		for i := range 30 + r.IntN(30) {
			st[path.Join(dirs[r.IntN(len(dirs))], fmt.Sprintf("s%d.yaml", i))] = specOf(fmt.Sprintf("s%d", i), ids[r.IntN(len(ids))])
		}
		st["a/README.md"] = "mentions alpha-ci in prose\n"
		// Over indexBlobLimit, naming principals past its first MiB:
		// the index digests it in chunks, a review cannot from the blob.
		st[path.Join(dirs[r.IntN(len(dirs)-1)], "huge.yaml")] = specOf("huge", ids[r.IntN(len(ids))]) + "# " + strings.Repeat("pad ", indexBlobLimit/4) + "\n# " + ids[r.IntN(len(ids))] + "\n"
		rt7Commit(t, repo, st, "main0")
		idx0 := rt8CommitIndex(t, repo)
		st[".nhigate/scan-index"] = string(idx0)
		gittest.Run(t, repo, "branch", "m0")
		main1 := maps.Clone(st)
		rt7Mutate(r, main1, ids, dirs[:len(dirs)-1], "m1", 3)
		rt8Clean(main1)
		delete(main1, ".nhigate/scan-index")
		rt7Commit(t, repo, main1, "main1")
		idx1 := rt8CommitIndex(t, repo)
		main1[".nhigate/scan-index"] = string(idx1)
		bases := []rt7State{st, main1}
		var prs []string
		for b := range 6 {
			from := r.IntN(2)
			name := fmt.Sprintf("pr%d", b)
			gittest.Run(t, repo, "checkout", "-q", "-b", name, []string{"m0", "main"}[from])
			head := maps.Clone(bases[from])
			rt7Mutate(r, head, ids, dirs[:len(dirs)-1], name, 1+r.IntN(4))
			rt8Clean(head)
			head[".nhigate/scan-index"] = bases[from][".nhigate/scan-index"]
			rt7Commit(t, repo, head, name)
			prs = append(prs, name)
			// Some commit the index of their head; it must pass.
			if b%2 == 1 {
				rt8CommitIndex(t, repo)
				h, err := NewRepo(repo).OpenRevision("HEAD")
				if err != nil {
					t.Fatal(err)
				}
				if msg, err := CheckScanIndex(ctx, h); err != nil || msg != "" {
					t.Fatalf("round %d %s: the index of its own head: %q, %v", round, name, msg, err)
				}
			}
		}
		gittest.Run(t, repo, "checkout", "-q", "main")
		before := map[string][]byte{}
		for _, b := range prs {
			h, _ := NewRepo(repo).OpenRevision(b)
			before[b], _ = BuildScanIndex(ctx, h)
		}
		if round%2 == 0 {
			gittest.Run(t, repo, "gc", "-q")
		}
		for _, b := range prs {
			h, _ := NewRepo(repo).OpenRevision(b)
			after, err := BuildScanIndex(ctx, h)
			if err != nil || !bytes.Equal(after, before[b]) {
				t.Fatalf("round %d %s: the index after gc differs (%v)", round, b, err)
			}
		}
		for _, b := range prs {
			for ci, cfg := range cfgs {
				want := reviewOf(t, repo, "main", b, cfg, "", 0)
				var warn bytes.Buffer
				got := rt8Review(t, repo, "main", b, cfg, &warn)
				sameReview(t, fmt.Sprintf("seed %d round %d %s config %d", seed, round, b, ci), want, got)
				if warn.Len() > 0 {
					t.Errorf("round %d %s: warned %s", round, b, warn.String())
				}
				summarised += got.Summarised
				// With base m0, whose index is older.
				want = reviewOf(t, repo, "m0", b, cfg, "", 0)
				got = rt8Review(t, repo, "m0", b, cfg, &warn)
				sameReview(t, fmt.Sprintf("seed %d round %d %s config %d, base m0", seed, round, b, ci), want, got)
				summarised += got.Summarised
			}
		}
	}
	t.Logf("summarised %d", summarised)
	if summarised == 0 {
		t.Error("no directory was answered by the index")
	}
}

// rt8Dir is a directory of n changed specs, each of its own principal,
// summarised in a scan index: what a review of a pull request that
// changes them all asks the index of.
func rt8Dir(t testing.TB, n int) (*scanCache, pairedDir, []string, *query, func(plumbing.Hash) (digest, bool)) {
	var raw []byte
	content := map[plumbing.Hash][]byte{}
	var changed []string
	want := names{}
	var all []cacheEntry
	for i := range n {
		name := fmt.Sprintf("s%05d", i)
		data := []byte(specOf(name, name+"-ci"))
		h := blobHash(data)
		content[h] = data
		raw = append(raw, "100644 "+name+".yaml\x00"...)
		raw = append(raw, h[:]...)
		changed = append(changed, name+".yaml")
		want[name], want[name+"-ci"] = true, true
		all = append(all, cacheEntry{h, digestOf(data)})
	}
	node, err := newTreeNode(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	id := objectHashString(objTree, string(raw))
	slices.SortFunc(all, func(a, b cacheEntry) int { return bytes.Compare(a.id[:], b.id[:]) })
	c := &scanCache{used: map[plumbing.Hash][]byte{}}
	data := encodeScan([32]byte{}, nil, nil, nil, c.summaries(map[plumbing.Hash]*treeNode{id: node}, all, nil))
	ic := &scanCache{}
	if err := ic.decode(data, [32]byte{}); err != nil {
		t.Fatal(err)
	}
	return ic, pairedDir{from: node, fromID: id}, changed, newQuery(want), func(h plumbing.Hash) (digest, bool) { return digestOf(content[h]), true }
}

// BenchmarkRedteam8AnswerManyChanged: a directory's summary answers a
// change of all its 8,000 specs by one pass over their digests. Taking
// each changed file's digest off the count of each wanted name, one name
// at a time, cost the product of the two: 7.5 s here, and about five
// minutes for 50,000 specs, where reading them all takes seconds.
func BenchmarkRedteam8AnswerManyChanged(b *testing.B) {
	c, d, changed, q, digestOf := rt8Dir(b, 8000)
	for b.Loop() {
		if _, ok := c.answer(d, changed, q, digestOf); !ok {
			b.Fatal("not answered")
		}
	}
}

// TestRedteam8AnswerAsHas: what answer takes off a summary's counts is,
// for each wanted hash, the number of counted changed files whose digest
// may hold it (digest.has), with a dictionary, hashes both in it and in a
// digest's own runs, digests that always say yes, and wanted hashes that
// collide.
func TestRedteam8AnswerAsHas(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 2))
	for iter := range 2000 {
		c := &scanCache{}
		for range r.IntN(4) {
			c.common = append(c.common, uint32(r.IntN(12)))
		}
		q := &query{}
		for range 1 + r.IntN(5) {
			h := uint32(r.IntN(12))
			q.bits[h&0xffff>>6] |= 1 << (h & 63)
			q.hashes = append(q.hashes, h)
		}
		slices.Sort(q.hashes)
		var ds []digest
		for range r.IntN(6) {
			d := digest{kind: digestKind(r.IntN(3) / 2 * (1 + r.IntN(2)))}
			if d.kind == digestRuns {
				for i := range c.common {
					if r.IntN(2) == 0 {
						d.common |= 1 << i
					}
				}
				seen := map[uint32]bool{}
				for range r.IntN(5) {
					if h := uint32(r.IntN(12)); !seen[h] {
						seen[h] = true
						d.runs = binary.LittleEndian.AppendUint32(d.runs, h)
					}
				}
			}
			ds = append(ds, d)
		}
		w := c.wantedIn(ds, q)
		for _, h := range q.hashes {
			want := 0
			for _, d := range ds {
				if d.has(c.common, h) {
					want++
				}
			}
			if got := w.files(h); got != want {
				t.Fatalf("iteration %d: hash %d in %d digests, want %d (dictionary %v, digests %v)", iter, h, got, want, c.common, ds)
			}
		}
	}
}

// TestRedteam8CheckScanIndexKinds: CheckScanIndex passes the index at
// .nhigate/scan-index only as a file holding exactly what nhigate writes
// of head (executable or not); a symlink, a submodule or a directory
// there, or the right bytes at another spelling of the path, is no index
// a later review could read, and blocks or is ignored.
func TestRedteam8CheckScanIndexKinds(t *testing.T) {
	ctx := context.Background()
	repo := gittest.Repo(t, map[string]string{
		"a/x.yaml": specOf("x", "x-ci"),
		"b/y.yaml": specOf("y", "y-ci"),
	})
	main, err := NewRepo(repo).OpenRevision("main")
	if err != nil {
		t.Fatal(err)
	}
	index, err := BuildScanIndex(ctx, main)
	if err != nil {
		t.Fatal(err)
	}
	o := gittest.OpenObjects(t, repo)
	blob := o.Blob(string(index))
	top := o.Top("main")
	with := func(name string, es ...gittest.Entry) plumbing.Hash {
		all := append(slices.Clone(top), gittest.Entry{Mode: "40000", Name: name, Hash: o.Tree(es...)})
		slices.SortFunc(all, func(a, b gittest.Entry) int {
			return gitCompare(a.Name, a.Mode == "40000", b.Name, b.Mode == "40000")
		})
		return o.Tree(all...)
	}
	for _, tc := range []struct {
		name  string
		tree  plumbing.Hash
		block bool // CheckScanIndex blocks it
		read  bool // a review with it as base reads it
	}{
		{"file", with(".nhigate", gittest.Entry{Mode: "100644", Name: "scan-index", Hash: blob}), false, true},
		{"executable", with(".nhigate", gittest.Entry{Mode: "100755", Name: "scan-index", Hash: blob}), false, true},
		{"symlink", with(".nhigate", gittest.Entry{Mode: "120000", Name: "scan-index", Hash: o.Blob("../a/x.yaml")}), true, false},
		{"submodule", with(".nhigate", gittest.Entry{Mode: "160000", Name: "scan-index", Hash: blob}), true, false},
		{"directory", with(".nhigate", gittest.Entry{Mode: "40000", Name: "scan-index", Hash: o.Tree(gittest.Entry{Mode: "100644", Name: "x", Hash: blob})}), true, false},
		{"other case", with(".NHIGATE", gittest.Entry{Mode: "100644", Name: "scan-index", Hash: blob}), false, false},
	} {
		o.Commit("k-"+strings.ReplaceAll(tc.name, " ", "-"), "main", tc.tree)
		head, err := NewRepo(repo).OpenRevision("k-" + strings.ReplaceAll(tc.name, " ", "-"))
		if err != nil {
			t.Fatal(err)
		}
		msg, err := CheckScanIndex(ctx, head)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if (msg != "") != tc.block {
			t.Errorf("%s: CheckScanIndex says %q, want blocked %v", tc.name, msg, tc.block)
		}
		var warn bytes.Buffer
		c := newScanCache(ScanCache{Warn: &warn}, filepath.Join(repo, ".git"), head)
		if read := c != nil && c.index; read != tc.read {
			t.Errorf("%s: a review with it as base reads it: %v, want %v (warned %q)", tc.name, read, tc.read, warn.String())
		}
	}
}

// has reports whether digest d, factored by dict, may hold run hash h:
// the per-hash logic answer had before wantedIn, kept as its reference.
func (d digest) has(dict []uint32, h uint32) bool {
	if d.kind != digestRuns {
		return true
	}
	for i, c := range dict {
		if c == h && d.common&(1<<i) != 0 {
			return true
		}
	}
	for i := 0; i+4 <= len(d.runs); i += 4 {
		if binary.LittleEndian.Uint32(d.runs[i:]) == h {
			return true
		}
	}
	return false
}
