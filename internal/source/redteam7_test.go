package source

import (
	"bytes"
	"context"
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
	"github.com/go-git/go-git/v5/plumbing/filemode"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/internal/gittest"
)

// rt7State is the files of a commit: path -> content, where "->target"
// is a symlink and "x:" starts an executable file.
type rt7State map[string]string

// rt7Commit replaces the work tree of repo with st and commits it on the
// current branch.
func rt7Commit(t *testing.T, repo string, st rt7State, msg string) {
	t.Helper()
	ents, err := os.ReadDir(repo)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() != ".git" {
			os.RemoveAll(filepath.Join(repo, e.Name()))
		}
	}
	for p, c := range st {
		full := filepath.Join(repo, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasPrefix(c, "->"):
			err = os.Symlink(c[2:], full)
		case strings.HasPrefix(c, "x:"):
			err = os.WriteFile(full, []byte(c[2:]), 0o755)
		default:
			err = os.WriteFile(full, []byte(c), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	gittest.Run(t, repo, "add", "-A")
	gittest.Run(t, repo, "commit", "-q", "--allow-empty", "-m", msg)
}

// rt7Mutate applies n random operations to st.
func rt7Mutate(r *rand.Rand, st rt7State, ids, dirs []string, tag string, n int) {
	pick := func() string {
		ps := slices.Sorted(maps.Keys(st))
		if len(ps) == 0 {
			return ""
		}
		return ps[r.IntN(len(ps))]
	}
	newSpec := func() string {
		name := fmt.Sprintf("%s-%d", tag, r.IntN(1_000_000))
		return specOf(name, ids[r.IntN(len(ids))])
	}
	dir := func() string { return dirs[r.IntN(len(dirs))] }
	for range n {
		p := pick()
		if p == "" {
			continue
		}
		switch r.IntN(14) {
		case 0: // change
			if strings.HasSuffix(p, ".yaml") && !strings.HasPrefix(st[p], "->") {
				st[p] = strings.TrimPrefix(st[p], "x:") + "  expiresAt: \"2026-12-01T00:00:00Z\"\n"
			}
		case 1: // delete
			delete(st, p)
		case 2: // move to another directory
			c := st[p]
			delete(st, p)
			st[path.Join(dir(), "mv-"+path.Base(p))] = c
		case 3: // add a spec
			st[path.Join(dir(), fmt.Sprintf("%s-%d.yaml", tag, r.IntN(1000)))] = newSpec()
		case 4: // a symlink in place of a file, to another spec
			if q := pick(); q != p {
				rel, _ := filepath.Rel(path.Dir(p), q)
				st[p] = "->" + filepath.ToSlash(rel)
			}
		case 5: // a file replaced by a directory of its name
			c := st[p]
			delete(st, p)
			st[p+"/inner.yaml"] = c
		case 6: // a directory replaced by a file of its name
			d := path.Dir(p)
			if d == "." {
				continue
			}
			var c string
			for q := range st {
				if strings.HasPrefix(q, d+"/") {
					c = st[q]
					delete(st, q)
				}
			}
			if d != "" {
				st[d] = c
			}
		case 7: // the same blob in another place
			st[path.Join(dir(), "copy-"+path.Base(p))] = st[p]
		case 8: // executable
			if !strings.HasPrefix(st[p], "->") && !strings.HasPrefix(st[p], "x:") {
				st[p] = "x:" + st[p]
			}
		case 9: // an escape
			id := ids[r.IntN(len(ids))]
			st[path.Join(dir(), fmt.Sprintf("esc-%s-%d.yaml", tag, r.IntN(100)))] = strings.Replace(specOf(tag+fmt.Sprint(r.IntN(1000)), id), "name: "+id, `name: "\x`+fmt.Sprintf("%02x", id[0])+id[1:]+`"`, 1)
		case 10: // not a candidate under some configs
			st[path.Join(dir(), fmt.Sprintf("n-%s-%d.txt", tag, r.IntN(100)))] = newSpec()
		case 11: // a directory deleted, and re-added elsewhere or the same
			d := path.Dir(p)
			if d == "." {
				continue
			}
			moved := map[string]string{}
			for q, c := range st {
				if strings.HasPrefix(q, d+"/") {
					delete(st, q)
					moved[q] = c
				}
			}
			to := d
			if r.IntN(2) == 0 {
				to = path.Join(dir(), "re-"+path.Base(d))
			}
			for q, c := range moved {
				st[to+strings.TrimPrefix(q, d)] = c
			}
		case 12: // large: over the small configs' maxFileSize
			st[path.Join(dir(), fmt.Sprintf("big-%s-%d.yaml", tag, r.IntN(100)))] = newSpec() + "# " + strings.Repeat("pad ", 200) + "\n"
		case 13: // many runs
			var b strings.Builder
			b.WriteString(newSpec())
			for i := range 5000 {
				fmt.Fprintf(&b, "# w%d\n", i)
			}
			st[path.Join(dir(), fmt.Sprintf("many-%s-%d.yaml", tag, r.IntN(100)))] = b.String()
		}
		// A file and a directory of one name cannot both be: the later
		// operation wins.
		for q := range st {
			for d := path.Dir(q); d != "." && d != "/"; d = path.Dir(d) {
				delete(st, d)
			}
		}
	}
}

// TestRedteam7Differential: series of reviews of pull requests branched
// from two commits of main (so that some merge bases are not main), under
// configs that change between reviews, with one cache, find what they
// find without one.
func TestRedteam7Differential(t *testing.T) {
	seed := envUint("RT7_SEED", 7)
	rounds := int(envUint("RT7_ROUNDS", 4))
	r := rand.New(rand.NewPCG(seed, 77))
	ids := []string{"alpha-ci", "beta-ci", "s3", "staging", "production", "aws", "gamma-ci"}
	dirs := []string{"", "a", "a/b", "c", "c/d.yaml", "e"}
	small := config.Default()
	small.Limits.MaxFileSize = 700
	globs := config.Default()
	globs.Specs = []string{"a/**", "e/*.yaml", "**/*.txt"}
	globsSmall := config.Default()
	globsSmall.Specs = []string{"c/**", "**/*.yaml"}
	globsSmall.Limits.MaxFileSize = 700
	cfgs := []*config.Config{config.Default(), small, globs, globsSmall}
	summarised := 0
	for round := range rounds {
		repo := t.TempDir()
		gittest.Run(t, repo, "init", "-q", "-b", "main")
		st := rt7State{}
		for i := range 30 + r.IntN(30) {
			st[path.Join(dirs[r.IntN(len(dirs))], fmt.Sprintf("s%d.yaml", i))] = specOf(fmt.Sprintf("s%d", i), ids[r.IntN(len(ids))])
		}
		st["a/README.md"] = "mentions alpha-ci in prose\n"
		if round%2 == 1 {
			// Counts that saturate: a principal in more than 255 files of
			// one directory.
			for i := range 260 {
				st[fmt.Sprintf("sat/s%d.yaml", i)] = specOf(fmt.Sprintf("sat%d", i), "beta-ci")
			}
		}
		rt7Commit(t, repo, st, "main0")
		gittest.Run(t, repo, "branch", "m0")
		main1 := maps.Clone(st)
		rt7Mutate(r, main1, ids, dirs, "m1", 3)
		var bases []rt7State
		bases = append(bases, st, main1)
		rt7Commit(t, repo, main1, "main1")
		var branchesOf []string
		for b := range 5 {
			from := r.IntN(2)
			name := fmt.Sprintf("pr%d", b)
			start := "m0"
			if from == 1 {
				start = "main"
			}
			gittest.Run(t, repo, "checkout", "-q", "-b", name, start)
			head := maps.Clone(bases[from])
			rt7Mutate(r, head, ids, dirs, name, 1+r.IntN(4))
			rt7Commit(t, repo, head, name)
			branchesOf = append(branchesOf, name)
		}
		gittest.Run(t, repo, "checkout", "-q", "main")
		if round%2 == 0 {
			gittest.Run(t, repo, "gc", "-q")
		}
		type key struct {
			b string
			c int
		}
		want := map[key]*Review{}
		dir := t.TempDir()
		var order []key
		for range 3 {
			for _, b := range branchesOf {
				order = append(order, key{b, r.IntN(len(cfgs))})
			}
		}
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for i, k := range order {
			if want[k] == nil {
				want[k] = reviewOf(t, repo, "main", k.b, cfgs[k.c], "", 0)
			}
			// Some rounds with a cache too small for all it would keep.
			got := reviewOf(t, repo, "main", k.b, cfgs[k.c], dir, []int64{0, 3000, 12000, 40000}[(round+i)%4*(round%2)])
			sameReview(t, fmt.Sprintf("seed %d round %d, review %d (%s, config %d)", seed, round, i, k.b, k.c), want[k], got)
			summarised += got.Summarised
		}
	}
	t.Logf("summarised %d", summarised)
	if summarised == 0 {
		t.Error("no directory was answered by its summary")
	}
}

// TestRedteam7LargeUnchangedSpec: an unchanged spec over
// limits.maxFileSize (lowered since it merged) that holds the principal
// of a changed spec cannot be read, so its grants would drop out of the
// comparison and a widening would read as an addition: the review must
// say so and block, as for an unchanged file that does not parse, with
// or without the scan cache. Large files that mention no changed name,
// and, without spec globs, large files that claim no spec, are no error.
func TestRedteam7LargeUnchangedSpec(t *testing.T) {
	pad := "# " + strings.Repeat("padding ", 200) + "\n"
	base := map[string]string{
		"d/big.yaml":       specOf("big", "shared-ci") + pad,
		"d/other.yaml":     specOf("other", "other-ci") + pad,
		"d/small.yaml":     specOf("small", "third-ci"),
		"e/data.yaml":      "# not a spec, but names shared-ci\nitems: [shared-ci]\n" + pad,
		"e/notes/big.json": `{"owner": "shared-ci", "pad": "` + strings.Repeat("x", 2000) + `"}`,
	}
	repo := branches(t, base, map[string]map[string]string{
		"adds-shared": {"e/new.yaml": specOf("new", "shared-ci")},
	})
	small := config.Default()
	small.Limits.MaxFileSize = 700
	globs := config.Default()
	globs.Specs = []string{"d/**", "e/*.yaml"}
	globs.Limits.MaxFileSize = 700
	for _, tc := range []struct {
		name string
		cfg  *config.Config
		want []string // the files the review's errors name
	}{
		{"discovered", small, []string{"d/big.yaml"}},
		{"specs globs", globs, []string{"d/big.yaml", "e/data.yaml"}},
	} {
		for _, cache := range []string{"", t.TempDir()} {
			for run := range 2 {
				rv := reviewOnce(t, repo, "adds-shared", tc.cfg, cache)
				var files []string
				for _, e := range rv.Head.Errors {
					files = append(files, e.File)
					if !strings.Contains(e.Msg, "over the limit of 700") {
						t.Errorf("%s (cache %q, run %d): %s: %s, want it to name the limit", tc.name, cache, run, e.File, e.Msg)
					}
				}
				slices.Sort(files)
				if !slices.Equal(files, tc.want) {
					t.Errorf("%s (cache %q, run %d): errors at %v, want %v", tc.name, cache, run, files, tc.want)
				}
			}
			if cache == "" {
				continue
			}
			// The cache keeps the digest of a large file it read whole,
			// which the next review answers with.
			c := newScanCache(ScanCache{Dir: cache}, filepath.Join(repo, ".git"), nil)
			for _, f := range []string{"d/other.yaml", "d/big.yaml"} {
				if d, ok := c.lookup(blobHash([]byte(base[f]))); !ok || d.kind != digestRuns {
					t.Errorf("%s: the cache has no digest of %s: %v %v", tc.name, f, d, ok)
				}
			}
		}
		// A directory as head: its files are read from the disk.
		ctx := context.Background()
		b, err := NewRepo(repo).Open("main")
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		writeTree(t, dir, base)
		writeTree(t, dir, map[string]string{"e/new.yaml": specOf("new", "shared-ci")})
		head := Dir(dir)
		changed, err := Changed(ctx, b, head)
		if err != nil {
			t.Fatal(err)
		}
		rv, err := LoadReview(ctx, b, head, changed, tc.cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		var files []string
		for _, e := range rv.Head.Errors {
			files = append(files, e.File)
		}
		slices.Sort(files)
		if !slices.Equal(files, tc.want) {
			t.Errorf("%s, directory: errors at %v, want %v", tc.name, files, tc.want)
		}
	}
}

// TestRedteam7MentionsChunked: a file over the size limit, read in chunks,
// mentions a name exactly when its whole content does, as its digest
// says: a chunk's edge must neither hide a name nor cut a longer run into
// one (then a review without the cache would block where one with it,
// from a digest made under a larger limit, would not).
func TestRedteam7MentionsChunked(t *testing.T) {
	want := names{"shared-ci": true, "s3": true, "a": true}
	r := rand.New(rand.NewPCG(7, 7))
	alphabet := []string{"shared-ci", "s3", "a", "x", "-", ".", " ", "\n", ":", "__", "Shared-CI", strings.Repeat("q", 300), "{", "\"", "/"}
	check := func(data string) {
		t.Helper()
		all := mentions([]byte(data), want)
		for chunk := 1; chunk <= 40; chunk++ {
			got, err := mentionsChunked(strings.NewReader(data), "f", want, chunk)
			if err != nil {
				t.Fatal(err)
			}
			if got != all {
				t.Fatalf("chunks of %d say %v of %q, the whole file %v", chunk, got, data, all)
			}
			got, d, err := scanChunked(strings.NewReader(data), "f", want, chunk, true)
			if err != nil {
				t.Fatal(err)
			}
			if dw := digestOf([]byte(data)); got != all || d.kind != dw.kind || !bytes.Equal(d.runs, dw.runs) {
				t.Fatalf("chunks of %d of %q: mention %v, digest %v %x; the whole file: %v, %v %x", chunk, data, got, d.kind, d.runs, all, dw.kind, dw.runs)
			}
		}
	}
	check("xshared-ci y")
	check("x-shared-ci")
	check(strings.Repeat("-", 500) + "shared-ci")
	check(strings.Repeat("q", 300) + "-shared-ci")
	check("shared-ci" + strings.Repeat("q", 300))
	check(`"\x73hared-ci"`)
	var many strings.Builder
	for i := range maxDigestRuns + 10 {
		fmt.Fprintf(&many, "w%d ", i)
	}
	check(many.String())
	check(many.String() + " shared-ci")
	for range 3000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		check(b.String())
	}
}

// TestRedteam7SummaryAnswerSound: whenever a directory's summary answers
// that its unchanged files mention no wanted name, none of the files it
// counts does, in trees in git's order or not, with names twice, with
// symlinks, submodules and directories among the files, after summaries
// made from some digests and kept while others were added, and with any
// changed names, whether the tree has them or not.
func TestRedteam7SummaryAnswerSound(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 1))
	words := []string{"p1", "p2", "p3", "s3", "production", "ci", "x", "Y"}
	modes := []string{"100644", "100755", "120000", "160000", "40000", "100664"}
	answered := 0
	for iter := range 400 {
		var blobs []plumbing.Hash
		content := map[plumbing.Hash][]byte{}
		type ent struct {
			mode, name string
			h          plumbing.Hash
		}
		var ents []ent
		for i := range 1 + r.IntN(12) {
			var b strings.Builder
			for range 1 + r.IntN(6) {
				b.WriteString(words[r.IntN(len(words))] + " ")
			}
			if r.IntN(10) == 0 {
				b.WriteString(`"\x70"`)
			}
			data := []byte(b.String())
			h := blobHash(data)
			if r.IntN(5) == 0 && len(blobs) > 0 {
				h = blobs[r.IntN(len(blobs))] // the same blob twice
			} else {
				content[h] = data
				blobs = append(blobs, h)
			}
			name := fmt.Sprintf("f%d", i)
			if r.IntN(8) == 0 && len(ents) > 0 {
				name = ents[r.IntN(len(ents))].name // a name twice
			}
			ents = append(ents, ent{modes[r.IntN(len(modes))], name, h})
		}
		if r.IntN(2) == 0 {
			slices.SortFunc(ents, func(a, b ent) int { return gitCompare(a.name, a.mode == "40000", b.name, b.mode == "40000") })
		}
		var raw strings.Builder
		for _, e := range ents {
			raw.WriteString(e.mode + " " + e.name + "\x00" + string(e.h[:]))
		}
		n, err := newTreeNode(raw.String())
		if err != nil {
			t.Fatal(err)
		}
		id := objectHashString(objTree, raw.String())
		dir := t.TempDir()
		opts := ScanCache{Dir: dir}
		// Digests of some blobs, then a summary; later, more digests.
		for stage := range 3 {
			c := newScanCache(opts, "/repo", nil)
			for _, h := range blobs {
				if r.IntN(3) == 0 {
					c.add(cacheEntry{h, digestOf(content[h])})
				}
			}
			c.save(blobs, map[plumbing.Hash]*treeNode{id: n})
			c = newScanCache(opts, "/repo", nil)
			for range 5 {
				want := names{}
				for range 1 + r.IntN(2) {
					want[strings.ToLower(words[r.IntN(len(words))])] = true
				}
				var changed []string
				isChanged := map[string]bool{}
				for _, e := range ents {
					if r.IntN(4) == 0 && !isChanged[e.name] {
						changed = append(changed, e.name)
						isChanged[e.name] = true
					}
				}
				if r.IntN(4) == 0 {
					changed = append(changed, "new.yaml")
				}
				q := newQuery(want)
				q.common = c.maskOf(q)
				unknown, ok := c.answer(pairedDir{from: n, fromID: id}, changed, q, nil)
				if !ok {
					continue
				}
				answered++
				for k := range n.entries {
					switch n.mode(k) {
					case filemode.Dir, filemode.Symlink, filemode.Submodule:
						continue
					}
					if isChanged[n.name(k)] || slices.Contains(unknown, k) {
						continue
					}
					if mentions(content[n.hash(k)], want) {
						t.Fatalf("iteration %d, stage %d: the summary rules out %s (%q), which mentions %v; changed %v, unknown %v, entries %q",
							iter, stage, n.name(k), content[n.hash(k)], slices.Collect(maps.Keys(want)), changed, unknown, raw.String())
					}
				}
			}
		}
	}
	if answered == 0 {
		t.Fatal("no summary answered")
	}
	t.Logf("%d answers", answered)
}

// TestRedteam7BaseVersionDoesNotLoad: a changed file whose version at base
// does not load (over a limits.maxFileSize lowered since it merged, or
// broken by a stricter release) has no access at base to compare with:
// its head version's grants would all read as new, a widening as an
// addition. When it mentions a principal that a spec at head holds (in
// the file itself, or another: a rename), the review blocks on it; a
// change that deletes such a file, and grants its principals nothing,
// does not.
func TestRedteam7BaseVersionDoesNotLoad(t *testing.T) {
	pad := "# " + strings.Repeat("padding ", 200) + "\n"
	brokenTTL := func(s string) string { return strings.Replace(s, "ttl: 1h", "ttl: 1d", 1) }
	base := map[string]string{
		"d/big.yaml":      specOf("big", "big-ci") + pad,
		"d/broken.yaml":   brokenTTL(specOf("broken", "broken-ci")),
		"d/gone.yaml":     brokenTTL(specOf("gone", "gone-ci")),
		"d/gone-big.yaml": specOf("gonebig", "gonebig-ci") + pad,
		"d/fine.yaml":     specOf("fine", "fine-ci"),
		"d/renamed.yaml":  brokenTTL(specOf("renamed", "renamed-ci")),
	}
	widen := func(s string) string { return strings.Replace(s, "bucket/*", "*", 1) }
	repo := branches(t, base, map[string]map[string]string{
		"fixes": {
			"d/big.yaml":      widen(specOf("big", "big-ci")),
			"d/broken.yaml":   widen(specOf("broken", "broken-ci")),
			"d/gone.yaml":     "",
			"d/gone-big.yaml": "",
			"d/fine.yaml":     widen(specOf("fine", "fine-ci")),
			"d/renamed.yaml":  "",
			"e/renamed.yaml":  widen(specOf("renamed", "renamed-ci")),
		},
	})
	cfg := withSpecs("d/*.yaml", "e/*.yaml")
	cfg.Limits.MaxFileSize = 700
	for _, cache := range []string{"", t.TempDir()} {
		rv := reviewOnce(t, repo, "fixes", cfg, cache)
		got := map[string]string{}
		for _, e := range rv.Head.Errors {
			got[e.File] = e.Msg
		}
		if m := got["d/big.yaml"]; !strings.Contains(m, "at base") || !strings.Contains(m, "over the limit of 700") {
			t.Errorf("cache %q: d/big.yaml: %q, want an error that its version at base is over the limit", cache, m)
		}
		if m := got["d/broken.yaml"]; !strings.Contains(m, "at base") || !strings.Contains(m, "spec.credential.ttl") {
			t.Errorf("cache %q: d/broken.yaml: %q, want an error that its version at base does not load", cache, m)
		}
		if m := got["d/renamed.yaml"]; !strings.Contains(m, "at base") {
			t.Errorf("cache %q: d/renamed.yaml: %q, want an error that its version at base does not load", cache, m)
		}
		for _, f := range []string{"d/gone.yaml", "d/gone-big.yaml", "d/fine.yaml", "e/renamed.yaml"} {
			if m, ok := got[f]; ok {
				t.Errorf("cache %q: %s: %q, want no error", cache, f, m)
			}
		}
	}
}
