package source

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha256"
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
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/internal/gittest"
)

// loadReview runs LoadReview without a scan cache, then twice with one, cold
// and warm, and fails unless all three give the same Review: the cache
// decides only which files are read. It returns the first.
func loadReview(t *testing.T, ctx context.Context, base, head Tree, changed []string, cfg *config.Config) *Review {
	t.Helper()
	want, err := LoadReview(ctx, base, head, changed, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	cache := ScanCache{Dir: t.TempDir(), Log: &log}
	for _, run := range []string{"cold", "warm"} {
		got, err := LoadReview(ctx, base, head, changed, cfg, OpenCache(cache, head, base))
		if err != nil {
			t.Fatalf("%s cache: %v", run, err)
		}
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Review{}, "Scanned", "Cached", "Summarised")); diff != "" {
			t.Errorf("%s cache: Review (-without +with):\n%s", run, diff)
		}
		_, isGit := head.(*gitTree)
		switch {
		case run == "cold" && (got.Cached != 0 || got.Summarised != 0 || got.Scanned != want.Scanned):
			t.Errorf("cold cache answered for %d files and %d directories, and scanned %d of %d", got.Cached, got.Summarised, got.Scanned, want.Scanned)
		case run == "warm" && isGit && want.Scanned > want.Parsed && got.Cached == 0 && got.Summarised == 0:
			t.Errorf("warm cache answered for no file or directory of %d scanned, %d parsed", want.Scanned, want.Parsed)
		case !isGit && (got.Cached != 0 || got.Summarised != 0):
			t.Errorf("a directory's files were answered by the cache: %d files, %d directories", got.Cached, got.Summarised)
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		if l != "" && !strings.Contains(l, "answered by their summary") {
			t.Errorf("cache log: %s", l)
		}
	}
	if _, isGit := head.(*gitTree); !isGit {
		if ents, _ := os.ReadDir(cache.Dir); len(ents) > 0 {
			t.Errorf("a directory's files were cached: %v", ents)
		}
	}
	return want
}

// specCorpus is spec bytes as repos hold them: the example's, and
// variations of the fixtures.
func specCorpus(t *testing.T) [][]byte {
	var out [][]byte
	err := filepath.WalkDir("../../testdata", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".json")) {
			return err
		}
		data, err := os.ReadFile(p)
		out = append(out, data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		out = append(out, []byte(specOf(fmt.Sprintf("svc-%d", i), fmt.Sprintf("Team-%d.ci@Example:x/y", i))))
	}
	return out
}

// runsOf lists the runs mentions compares in data, as written.
func runsOf(data []byte) []string {
	var out []string
	for i := 0; i < len(data); {
		var run []byte
		run, i = nextRun(data, i)
		if len(run) > 0 {
			out = append(out, string(run))
		}
	}
	return out
}

// TestDigestNeverSaysNoWrongly: wherever mentions says a file mentions a
// name, the file's digest says it may, on random bytes and on specs, for
// names taken from the file in any case and for others. On specs, which
// hold no escape, the digest says no wherever mentions does: it is exact
// but for hash collisions.
func TestDigestNeverSaysNoWrongly(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "abcXYZ019._@:/- \n\"'{}[],#\\\x80\xff"
	randomName := func() string {
		b := make([]byte, 1+rng.IntN(12))
		for i := range b {
			b[i] = "abcxyz019.-_@:/"[rng.IntN(15)]
		}
		return string(b)
	}
	flipCase := func(s string) string {
		b := []byte(s)
		for i := range b {
			if rng.IntN(2) == 0 {
				b[i] = lower[b[i]]
			} else if 'a' <= b[i] && b[i] <= 'z' {
				b[i] -= 'a' - 'A'
			}
		}
		return string(b)
	}
	var files [][]byte
	for range 2000 {
		b := make([]byte, rng.IntN(300))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		files = append(files, b)
	}
	long := bytes.Repeat([]byte("a"), maxNameLen)
	files = append(files, long, append(bytes.Clone(long), 'b'), []byte("x: "+string(long)+"\n"))
	corpus := specCorpus(t)
	checked, yes := 0, 0
	for k, data := range append(files, corpus...) {
		isSpec := k >= len(files)
		d := digestOf(data)
		runs := runsOf(data)
		for range 20 {
			want := names{}
			for range 1 + rng.IntN(4) {
				if len(runs) > 0 && rng.IntN(2) == 0 {
					want[strings.ToLower(flipCase(runs[rng.IntN(len(runs))]))] = true
				} else {
					want[randomName()] = true
				}
			}
			m, may := mentions(data, want), newQuery(want).mayMention(d)
			checked++
			if m {
				yes++
			}
			if m && !may {
				t.Fatalf("digest says %q mentions none of %v; mentions says it does", data, want)
			}
			if isSpec && may != m {
				t.Errorf("digest says %q may mention one of %v; mentions says no", data, want)
			}
		}
	}
	// The test is only as good as the yeses it checked.
	if yes < checked/4 {
		t.Errorf("only %d of %d checks were a mention", yes, checked)
	}
}

func TestDigestKinds(t *testing.T) {
	if d := digestOf([]byte(`name: "pay\x6dents-ci"`)); d.kind != digestEscape {
		t.Errorf("escape: kind %d", d.kind)
	}
	var many bytes.Buffer
	for i := range maxDigestRuns + 1 {
		fmt.Fprintf(&many, "r%d ", i)
	}
	if d := digestOf(many.Bytes()); d.kind != digestTooMany {
		t.Errorf("%d runs: kind %d", maxDigestRuns+1, d.kind)
	}
	if !newQuery(names{"zzz": true}).mayMention(digestOf(many.Bytes())) {
		t.Error("a file of too many runs to digest must always be read")
	}
	// Repeats are one run: a file of one repeated word is a short digest.
	if d := digestOf(bytes.Repeat([]byte("same "), 10*maxDigestRuns)); d.kind != digestRuns || len(d.runs) != 4 {
		t.Errorf("repeated run: kind %d, %d bytes", d.kind, len(d.runs))
	}
}

// testCache is a cache of the repository at gitDir with the digests of
// blobs, saved to dir.
func testCache(t testing.TB, opts ScanCache, gitDir string, blobs map[plumbing.Hash][]byte) *scanCache {
	t.Helper()
	c := newScanCache(opts, gitDir, nil)
	var tree []plumbing.Hash
	for h, data := range blobs {
		c.add(cacheEntry{h, digestOf(data)})
		tree = append(tree, h)
	}
	c.save(tree, nil)
	return c
}

func testBlobs(n int) map[plumbing.Hash][]byte {
	blobs := map[plumbing.Hash][]byte{}
	for i := range n {
		data := []byte(specOf(fmt.Sprintf("svc-%d", i), fmt.Sprintf("id-%d", i)))
		if i%7 == 0 {
			data = append(data, `# "\x41"`...)
		}
		blobs[blobHash(data)] = data
	}
	return blobs
}

// runsOfDigest lists the run hashes of d, whose mask is of common, sorted.
func runsOfDigest(common []uint32, d digest) []uint32 {
	var out []uint32
	for i, h := range common {
		if d.common&(1<<i) != 0 {
			out = append(out, h)
		}
	}
	for k := 0; k+4 <= len(d.runs); k += 4 {
		out = append(out, binary.LittleEndian.Uint32(d.runs[k:]))
	}
	slices.Sort(out)
	return out
}

func TestScanCacheRoundTrip(t *testing.T) {
	dir := t.TempDir()
	blobs := testBlobs(300)
	testCache(t, ScanCache{Dir: dir}, "/repo/.git", blobs)
	var log strings.Builder
	c := newScanCache(ScanCache{Dir: dir, Log: &log}, "/repo/.git", nil)
	if log.Len() > 0 || c.count != len(blobs) {
		t.Fatalf("read %d entries of %d; log %q", c.count, len(blobs), log.String())
	}
	for h, data := range blobs {
		got, ok := c.lookup(h)
		if !ok {
			t.Fatalf("%s missing", h)
		}
		want := digestOf(data)
		if diff := cmp.Diff(runsOfDigest(nil, want), runsOfDigest(c.common, got), cmpopts.EquateEmpty()); want.kind != got.kind || diff != "" {
			t.Errorf("%s: kind %d, want %d; runs (-want +got):\n%s", h, got.kind, want.kind, diff)
		}
	}
	if _, ok := c.lookup(blobHash([]byte("other"))); ok {
		t.Error("found a blob never added")
	}
	// The keys every spec has are in the dictionary, not in each entry.
	if len(c.common) < 10 || len(c.hashes) > 4*len(blobs)*10 {
		t.Errorf("%d common runs, %d bytes of other runs for %d blobs", len(c.common), len(c.hashes), len(blobs))
	}
	// Nothing added, nothing written; entries of blobs no longer in the
	// tree go with the next write.
	fi, _ := os.Stat(c.path)
	c.save(nil, nil)
	if fi2, _ := os.Stat(c.path); !os.SameFile(fi, fi2) {
		t.Error("rewritten with nothing added")
	}
	extra := []byte(specOf("new", "new"))
	var keep plumbing.Hash
	for h := range blobs {
		keep = h
		break
	}
	c.add(cacheEntry{blobHash(extra), digestOf(extra)})
	c.save([]plumbing.Hash{keep}, nil)
	c = newScanCache(ScanCache{Dir: dir}, "/repo/.git", nil)
	if _, ok := c.lookup(keep); c.count != 2 || !ok {
		t.Errorf("after eviction: %d entries, kept one found %v", c.count, ok)
	}
}

// TestScanCacheIgnoresUntrustedFiles: a cache file is used whole or not at
// all. One case per way a file can be wrong; each is logged and ignored,
// and the next write replaces it.
func TestScanCacheIgnoresUntrustedFiles(t *testing.T) {
	blobs := testBlobs(50)
	// reseal fixes the checksum of data, as a forger would.
	reseal := func(data []byte) []byte {
		binary.LittleEndian.PutUint32(data[len(data)-4:], crc32.Checksum(data[:len(data)-4], castagnoli))
		return data
	}
	for name, tc := range map[string]struct {
		mangle  func(t *testing.T, dir, p string, data []byte)
		opts    ScanCache
		because string
	}{
		"flipped byte": {mangle: func(t *testing.T, _, p string, data []byte) {
			data[len(data)/2] ^= 1
			os.WriteFile(p, data, 0o600)
		}, because: "checksum mismatch"},
		"truncated": {mangle: func(t *testing.T, _, p string, data []byte) {
			os.WriteFile(p, data[:len(data)-10], 0o600)
		}, because: "checksum mismatch"},
		"header only": {mangle: func(t *testing.T, _, p string, data []byte) {
			os.WriteFile(p, data[:20], 0o600)
		}, because: "not a scan cache file"},
		"newer version": {mangle: func(t *testing.T, _, p string, data []byte) {
			binary.LittleEndian.PutUint32(data[8:], scanCacheVersion+1)
			os.WriteFile(p, reseal(data), 0o600)
		}, because: fmt.Sprintf("version %d, not %d", scanCacheVersion+1, scanCacheVersion)},
		"older version": {mangle: func(t *testing.T, _, p string, data []byte) {
			binary.LittleEndian.PutUint32(data[8:], 0)
			os.WriteFile(p, reseal(data), 0o600)
		}, because: fmt.Sprintf("version 0, not %d", scanCacheVersion)},
		"length and header disagree": {mangle: func(t *testing.T, _, p string, data []byte) {
			binary.LittleEndian.PutUint32(data[48:], binary.LittleEndian.Uint32(data[48:])-1)
			os.WriteFile(p, reseal(data), 0o600)
		}, because: "length does not match its header"},
		"entries out of order": {mangle: func(t *testing.T, _, p string, data []byte) {
			e := data[scanHeaderSize:]
			a := bytes.Clone(e[:scanEntrySize])
			copy(e, e[scanEntrySize:2*scanEntrySize])
			copy(e[scanEntrySize:], a)
			os.WriteFile(p, reseal(data), 0o600)
		}, because: "entries out of order"},
		"hashes out of bounds": {mangle: func(t *testing.T, _, p string, data []byte) {
			binary.LittleEndian.PutUint32(data[scanHeaderSize+21:], 1<<30)
			os.WriteFile(p, reseal(data), 0o600)
		}, because: "hashes out of bounds"},
		"unknown kind": {mangle: func(t *testing.T, _, p string, data []byte) {
			data[scanHeaderSize+20] = 9
			os.WriteFile(p, reseal(data), 0o600)
		}, because: "unknown kind 9"},
		"over the size bound": {opts: ScanCache{MaxBytes: 1000}, because: "over the limit of 1000"},
		"symlink": {mangle: func(t *testing.T, dir, p string, data []byte) {
			target := filepath.Join(dir, "elsewhere")
			os.WriteFile(target, data, 0o600)
			os.Remove(p)
			if err := os.Symlink(target, p); err != nil {
				t.Skip(err)
			}
		}, because: "not a regular file"},
		"writable by others": {mangle: func(t *testing.T, _, p string, data []byte) {
			os.Chmod(p, 0o666)
		}, because: "writable by others"},
		"owned by another user": {mangle: func(t *testing.T, _, p string, data []byte) {
			if os.Geteuid() != 0 {
				t.Skip("only root can give a file away")
			}
			if err := os.Chown(p, 65534, 65534); err != nil {
				t.Skip(err)
			}
		}, because: "owned by uid 65534"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			c := testCache(t, ScanCache{Dir: dir}, "/repo/.git", blobs)
			data, err := os.ReadFile(c.path)
			if err != nil {
				t.Fatal(err)
			}
			if tc.mangle != nil {
				tc.mangle(t, dir, c.path, data)
			}
			var log strings.Builder
			opts := tc.opts
			opts.Dir, opts.Log = dir, &log
			c = newScanCache(opts, "/repo/.git", nil)
			if c.count != 0 || !strings.Contains(log.String(), tc.because) {
				t.Fatalf("%d entries trusted; log %q, want it to say %q", c.count, log.String(), tc.because)
			}
			for h := range blobs {
				if _, ok := c.lookup(h); ok {
					t.Fatal("an entry of an ignored file was found")
				}
			}
			// The next write replaces it (the link itself, not its
			// target) with a file that is trusted again.
			if opts.MaxBytes != 0 {
				return
			}
			extra := []byte("extra")
			c.add(cacheEntry{blobHash(extra), digestOf(extra)})
			c.save(nil, nil)
			log.Reset()
			if c = newScanCache(opts, "/repo/.git", nil); c.count != 1 || log.Len() > 0 {
				t.Errorf("rewritten: %d entries; log %q", c.count, log.String())
			}
			if name == "symlink" {
				if got, _ := os.ReadFile(filepath.Join(dir, "elsewhere")); !bytes.Equal(got, data) {
					t.Error("the write went through the symlink")
				}
			}
		})
	}
}

// TestScanCacheOfAnotherRepository: a cache file copied or linked to the
// name of another repository's is ignored; each repository keeps its own.
func TestScanCacheOfAnotherRepository(t *testing.T) {
	dir := t.TempDir()
	a := testCache(t, ScanCache{Dir: dir}, "/a/.git", testBlobs(10))
	b := newScanCache(ScanCache{Dir: dir}, "/b/.git", nil)
	if a.path == b.path {
		t.Fatal("two repositories share a cache file")
	}
	data, _ := os.ReadFile(a.path)
	os.WriteFile(b.path, data, 0o600)
	var log strings.Builder
	if b = newScanCache(ScanCache{Dir: dir, Log: &log}, "/b/.git", nil); b.count != 0 || !strings.Contains(log.String(), "written for another repository") {
		t.Errorf("%d entries of another repository trusted; log %q", b.count, log.String())
	}
}

// TestScanCacheSizeBound: a write keeps to the bound, and a file within it
// is read.
func TestScanCacheSizeBound(t *testing.T) {
	dir := t.TempDir()
	var log strings.Builder
	opts := ScanCache{Dir: dir, MaxBytes: 4000, Log: &log}
	c := testCache(t, opts, "/repo/.git", testBlobs(100))
	fi, err := os.Stat(c.path)
	if err != nil || fi.Size() > opts.MaxBytes {
		t.Fatalf("wrote %v bytes over the bound of %d: %v", fi, opts.MaxBytes, err)
	}
	if !strings.Contains(log.String(), "entries fit in 4000 bytes") {
		t.Errorf("log %q", log.String())
	}
	log.Reset()
	if c = newScanCache(opts, "/repo/.git", nil); c.count == 0 || c.count == 100 || log.Len() > 0 {
		t.Errorf("read %d entries; log %q", c.count, log.String())
	}
}

// TestScanCacheUnwritable: a cache that cannot be written is logged, and
// the review is the same.
func TestScanCacheUnwritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	var log strings.Builder
	c := testCache(t, ScanCache{Dir: filepath.Join(file, "cache"), Log: &log}, "/repo/.git", testBlobs(3))
	if !strings.Contains(log.String(), "scan cache not written") {
		t.Errorf("log %q", log.String())
	}
	if c.count != 0 {
		t.Error("entries from nowhere")
	}
}

func FuzzScanCacheDecode(f *testing.F) {
	dir := f.TempDir()
	c := testCache(f, ScanCache{Dir: dir}, "/repo/.git", testBlobs(5))
	data, _ := os.ReadFile(c.path)
	f.Add(data)
	f.Add(data[:scanHeaderSize])
	// A file with summaries: of a tree of the cached blobs, and one more.
	blobs := testBlobs(5)
	var entries []object.TreeEntry
	for h := range blobs {
		entries = append(entries, object.TreeEntry{Name: h.String() + ".yaml", Mode: filemode.Regular, Hash: h})
	}
	entries = append(entries, object.TreeEntry{Name: "unknown.yaml", Mode: filemode.Regular, Hash: blobHash([]byte("x"))})
	sdir := f.TempDir()
	sc := testCache(f, ScanCache{Dir: sdir}, "/repo/.git", blobs)
	sc = newScanCache(ScanCache{Dir: sdir}, "/repo/.git", nil)
	sc.save(slices.Collect(maps.Keys(blobs)), map[plumbing.Hash]*treeNode{{1}: nodeOf(f, entries), {2}: nodeOf(f, entries[:2])})
	sc = newScanCache(ScanCache{Dir: sdir}, "/repo/.git", nil)
	if s, ok := sc.summary(plumbing.Hash{1}); !ok || len(s.counts) == 0 || len(s.unknown) == 0 {
		f.Fatalf("seed: summary %v, %v", s, ok)
	}
	data, _ = os.ReadFile(sc.path)
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &scanCache{repo: sha256.Sum256([]byte("/repo/.git")), used: map[plumbing.Hash][]byte{}}
		// Most inputs are refused by the checksum; seal them, as a
		// forger would, so that the checks behind it are reached too.
		if len(data) >= scanHeaderSize+4 {
			copy(data, scanCacheMagic)
			binary.LittleEndian.PutUint32(data[8:], scanCacheVersion)
			copy(data[12:44], c.repo[:])
			binary.LittleEndian.PutUint32(data[len(data)-4:], crc32.Checksum(data[:len(data)-4], castagnoli))
		}
		if err := c.decode(data, c.repo); err != nil {
			return
		}
		for id := range c.trees {
			c.tree(id)
		}
		q := newQuery(names{"x": true})
		for i := range c.count {
			var h plumbing.Hash
			copy(h[:], c.entries[i*scanEntrySize:])
			d, ok := c.lookup(h)
			if !ok {
				t.Fatalf("entry %d not found", i)
			}
			q.mayMention(d)
		}
		for i := range len(c.sumIndex) / scanSumSize {
			var h plumbing.Hash
			copy(h[:], c.sumIndex[i*scanSumSize:])
			s, ok := c.summary(h)
			if !ok {
				t.Fatalf("summary %d not found", i)
			}
			if s.fits(6) {
				s.count(q.hashes[0])
				s.unknownList()
			}
		}
	})
}

// TestScanCacheKeepsOnlyHashedContent: a digest is kept under an id only
// for bytes that hash to it. A loose object that holds another blob's
// content (a damaged repository, or content planted under a colliding id)
// is an error, with or without a cache, and nothing is cached under its
// id: the cache cannot carry the answer for one content to another.
func TestScanCacheKeepsOnlyHashedContent(t *testing.T) {
	base := map[string]string{
		"identities/a.yaml": specOf("a", "payments-ci"),
		"other/x.yaml":      specOf("x", "payments-ci"),
		"other/y.yaml":      specOf("y", "billing"),
	}
	head := map[string]string{"identities/a.yaml": specOf("a", "payments-ci") + "  expiresAt: \"2026-12-01T00:00:00Z\"\n"}
	repo, _, _ := fixture(t, base, head)
	x := blobHash([]byte(base["other/x.yaml"]))
	planted := []byte(specOf("x", "billing"))
	var obj bytes.Buffer
	zw := zlib.NewWriter(&obj)
	fmt.Fprintf(zw, "blob %d\x00%s", len(planted), planted)
	zw.Close()
	loose := filepath.Join(repo, ".git", "objects", x.String()[:2], x.String()[2:])
	os.Chmod(loose, 0o644)
	if err := os.WriteFile(loose, obj.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	b, h := open(t, repo, "main"), open(t, repo, "feature")
	ctx := context.Background()
	changed, err := Changed(ctx, b, h)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, cache := range []ScanCache{{}, {Dir: dir}} {
		_, err := LoadReview(ctx, b, h, changed, withSpecs("**/*.yaml"), OpenCache(cache, h, b))
		if err == nil || !strings.Contains(err.Error(), "does not hash to its id") {
			t.Errorf("cache %q: err %v, want the damaged object named", cache.Dir, err)
		}
	}
	if _, ok := newScanCache(ScanCache{Dir: dir}, filepath.Join(repo, ".git"), nil).lookup(x); ok {
		t.Error("a digest of planted content was kept under the id")
	}
}

// TestScanCacheTrees: a warm review takes the trees of base and head from
// the cache instead of the packs, with the same change and the same
// Review; a tree in the cache file whose content is not its id (a forged
// file with a valid checksum) is never used.
func TestScanCacheTrees(t *testing.T) {
	base := map[string]string{
		".nhigate.yaml":     "specs: [\"**/*.yaml\"]\n",
		"identities/a.yaml": specOf("a", "payments-ci"),
		"team/x/ctx.yaml":   specOf("ctx", "payments-ci"),
		"team/y/other.yaml": specOf("other", "billing"),
		"team/y/more.yaml":  specOf("more", "billing-2"),
	}
	head := map[string]string{
		"identities/a.yaml": specOf("a", "payments-ci") + "  expiresAt: \"2026-12-01T00:00:00Z\"\n",
		"team/y/new.yaml":   specOf("new", "payments-ci"),
	}
	repo, _, _ := fixture(t, base, head)
	gittest.Run(t, repo, "gc", "-q")
	cfg, err := config.Parse(config.File, []byte(base[".nhigate.yaml"]))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	type result struct {
		changed []string
		review  *Review
	}
	review := func(opts ScanCache) (result, *scanCache) {
		t.Helper()
		b, h := open(t, repo, "main"), open(t, repo, "feature")
		cache := OpenCache(opts, h, b)
		changed, err := Changed(ctx, b, h)
		if err != nil {
			t.Fatal(err)
		}
		r, err := LoadReview(ctx, b, h, changed, cfg, cache)
		if err != nil {
			t.Fatal(err)
		}
		// What the cache answered for, and so what was left to look at
		// one by one, differs; what was found must not.
		r.Scanned, r.Cached, r.Summarised = 0, 0, 0
		return result{changed, r}, cache.scan()
	}
	want, _ := review(ScanCache{})
	opts := ScanCache{Dir: t.TempDir()}
	cmpResult := func(name string, got result) {
		t.Helper()
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(result{})); diff != "" {
			t.Errorf("%s (-without cache +with):\n%s", name, diff)
		}
	}
	cold, c := review(opts)
	cmpResult("cold", cold)
	if c.treeHits != 0 || c.newTrees == 0 {
		t.Fatalf("cold: %d trees from the cache, %d from the packs", c.treeHits, c.newTrees)
	}
	decoded := c.newTrees
	warm, c := review(opts)
	cmpResult("warm", warm)
	// Base and head are opened apart here, so a tree both read is a hit
	// of each.
	if c.treeHits < decoded || c.newTrees != 0 {
		t.Errorf("warm: %d trees from the cache, %d from the packs; want at least %d and 0", c.treeHits, c.newTrees, decoded)
	}

	// Forge the file: every tree's content is another's.
	var ids []plumbing.Hash
	var raws [][]byte
	for id, raw := range c.trees {
		ids, raws = append(ids, id), append(raws, raw)
	}
	forged := newScanCache(opts, c.repoDir, nil)
	for i, id := range ids {
		forged.used[id] = raws[(i+1)%len(raws)]
	}
	forged.newTrees = len(ids)
	forged.save(nil, nil)
	if got := newScanCache(opts, c.repoDir, nil); len(got.trees) != len(ids) {
		t.Fatalf("the forged file holds %d trees, want %d", len(got.trees), len(ids))
	}
	after, c := review(opts)
	cmpResult("forged", after)
	if c.treeHits != 0 || c.newTrees != decoded {
		t.Errorf("forged: %d trees from the cache, %d from the packs; want 0 and %d", c.treeHits, c.newTrees, decoded)
	}
}

// TestScanCacheAnswersAsMentions: read back from a file, with the common
// runs in its dictionary, every digest answers as mentions does, for names
// that every file holds, that one file holds, and that none does.
func TestScanCacheAnswersAsMentions(t *testing.T) {
	dir := t.TempDir()
	blobs := testBlobs(300)
	testCache(t, ScanCache{Dir: dir}, "/repo/.git", blobs)
	c := newScanCache(ScanCache{Dir: dir}, "/repo/.git", nil)
	if len(c.common) == 0 {
		t.Fatal("no dictionary")
	}
	for _, want := range []names{
		{"workload-identity": true}, {"apiversion": true}, {"s3:getobject": true},
		{"id-5": true}, {"svc-17": true, "nothing-else": true}, {"nowhere": true}, {"id-5": true, "pipeline": true},
	} {
		q := newQuery(want)
		q.common = c.maskOf(q)
		yes := 0
		for h, data := range blobs {
			d, ok := c.lookup(h)
			if !ok {
				t.Fatalf("%s missing", h)
			}
			m := mentions(data, want)
			if may := q.mayMention(d); may != m {
				t.Errorf("%v in %q: cache says %v, mentions %v", want, data, may, m)
			}
			if m {
				yes++
			}
		}
		t.Logf("%v: %d of %d files", want, yes, len(blobs))
	}
}

// TestScanCacheSaveWhileTreesAreRead: the policies of base may still be
// read (and their trees decoded) while LoadReview writes the cache.
func TestScanCacheSaveWhileTreesAreRead(t *testing.T) {
	dir := t.TempDir()
	c := newScanCache(ScanCache{Dir: dir}, "/repo/.git", nil)
	c.add(cacheEntry{blobHash([]byte("x")), digestOf([]byte("x"))})
	done := make(chan bool)
	go func() {
		for i := range 200 {
			raw := []byte(fmt.Sprintf("100644 f%d\x00%020d", i, i))
			c.addTree(objectHash(objTree, raw), raw)
			c.tree(objectHash(objTree, raw))
		}
		close(done)
	}()
	for range 20 {
		c.save(nil, nil)
		c.treeCounts()
	}
	<-done
	c.save(nil, nil)
	if got := newScanCache(ScanCache{Dir: dir}, "/repo/.git", nil); len(got.trees) != 200 || got.count != 1 {
		t.Errorf("%d trees and %d entries, want 200 and 1", len(got.trees), got.count)
	}
}
