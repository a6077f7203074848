package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/internal/gittest"
)

// packedRepo builds a repository of similar files over several commits,
// so that git stores most of them as deltas, and packs it with args.
func packedRepo(t *testing.T, pack ...string) string {
	t.Helper()
	repo := t.TempDir()
	gittest.Run(t, repo, "init", "-q", "-b", "main")
	for c := range 4 {
		files := map[string]string{}
		for i := range 60 {
			files[fmt.Sprintf("team%d/spec%d.yaml", i%3, i)] = strings.Repeat(fmt.Sprintf("line %d of a spec that changes little\n", i%7), 40) +
				fmt.Sprintf("revision: %d\nname: spec-%d\n", c*(i%2), i)
		}
		files["big.txt"] = strings.Repeat("0123456789abcdef", 1<<12) + fmt.Sprint(c)
		writeTree(t, repo, files)
		gittest.Run(t, repo, "add", "-A")
		gittest.Run(t, repo, "commit", "-q", "-m", fmt.Sprint(c))
	}
	gittest.Run(t, repo, pack...)
	return repo
}

// TestPacksAgreeWithGoGit: every blob and tree read from the packs is the
// object go-git reads, whether deltas name their base by offset or by
// hash, and nothing of a packed repository falls back to go-git.
func TestPacksAgreeWithGoGit(t *testing.T) {
	for name, pack := range map[string][]string{
		"offset deltas": {"gc", "-q", "--aggressive"},
		"hash deltas":   {"-c", "repack.useDeltaBaseOffset=false", "repack", "-q", "-a", "-d", "-f", "--depth=20"},
	} {
		t.Run(name, func(t *testing.T) {
			repo := packedRepo(t, pack...)
			r, err := git.PlainOpen(repo)
			if err != nil {
				t.Fatal(err)
			}
			p := openPacks(r.Storer.(*filesystem.Storage))
			if p == nil {
				t.Fatal("no packs opened")
			}
			defer p.close()
			for _, mode := range []string{"os.File", "behind a lock", "in memory"} {
				switch mode {
				case "behind a lock": // a file system that is not the disk
					for _, f := range p.files {
						if _, ok := f.r.(*os.File); !ok {
							t.Fatalf("pack read through %T, want an *os.File", f.r)
						}
						f.r = &lockedReaderAt{r: f.r}
					}
				case "in memory":
					p.loadAll()
				}
				pr := p.reader(scanCacheBudget)
				n := 0
				for _, typ := range []plumbing.ObjectType{plumbing.BlobObject, plumbing.TreeObject} {
					iter, err := r.Storer.IterEncodedObjects(typ)
					if err != nil {
						t.Fatal(err)
					}
					err = iter.ForEach(func(o plumbing.EncodedObject) error {
						rd, err := o.Reader()
						if err != nil {
							return err
						}
						want, err := io.ReadAll(rd)
						rd.Close()
						if err != nil {
							return err
						}
						got, err := pr.object(o.Hash(), map[plumbing.ObjectType]int{plumbing.BlobObject: objBlob, plumbing.TreeObject: objTree}[typ], 1<<30)
						if err != nil {
							return fmt.Errorf("%s: %s %s: %w", mode, typ, o.Hash(), err)
						}
						if !bytes.Equal(got, want) {
							return fmt.Errorf("%s %s: read %d bytes that differ from go-git's %d", typ, o.Hash(), len(got), len(want))
						}
						n++
						return nil
					})
					if err != nil {
						t.Fatal(err)
					}
				}
				// 30 files never change, 30 change in each of 4 commits,
				// big.txt 4 times; 4 commits of 4 trees.
				if n != 30+4*30+4+4*4 {
					t.Errorf("read %d objects, want 170", n)
				}
			}
		})
	}
}

// TestPacksRefuseWhatIsTooLarge: a blob over the limit is a
// *TooLargeError, whole or as a delta, before it is built.
func TestPacksRefuseWhatIsTooLarge(t *testing.T) {
	repo := packedRepo(t, "gc", "-q", "--aggressive")
	tr := open(t, repo, "main")
	data, err := tr.ReadFile("big.txt", 1<<20)
	if err != nil || len(data) != 1<<16+1 {
		t.Fatalf("big.txt: %d bytes, %v", len(data), err)
	}
	_, err = tr.ReadFile("big.txt", 1000)
	var tooLarge *TooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.Path != "big.txt" || tooLarge.Size != 1<<16+1 || tooLarge.Limit != 1000 {
		t.Errorf("got %v, want big.txt over the limit of 1000", err)
	}
}

// TestCorruptPackFailsClosed: with bytes of the pack changed, each object
// read from it is its true content or a miss that goes to go-git, never
// other content: the reader checks each object against its hash.
func TestCorruptPackFailsClosed(t *testing.T) {
	repo := packedRepo(t, "gc", "-q", "--aggressive")
	r, err := git.PlainOpen(repo)
	if err != nil {
		t.Fatal(err)
	}
	truth := map[plumbing.Hash][]byte{}
	iter, err := r.Storer.IterEncodedObjects(plumbing.BlobObject)
	if err != nil {
		t.Fatal(err)
	}
	iter.ForEach(func(o plumbing.EncodedObject) error {
		rd, _ := o.Reader()
		truth[o.Hash()], _ = io.ReadAll(rd)
		rd.Close()
		return nil
	})
	packs, _ := filepath.Glob(filepath.Join(repo, ".git/objects/pack/*.pack"))
	if len(packs) != 1 {
		t.Fatalf("packs: %v", packs)
	}
	orig, err := os.ReadFile(packs[0])
	if err != nil {
		t.Fatal(err)
	}
	misses := 0
	for _, at := range []int{40, len(orig) / 5, len(orig) / 3, len(orig) / 2, len(orig) * 3 / 4, len(orig) - 30} {
		bad := slices.Clone(orig)
		for i := at; i < at+8 && i < len(bad)-20; i++ {
			bad[i] ^= 0x5a
		}
		os.Chmod(packs[0], 0o644)
		if err := os.WriteFile(packs[0], bad, 0o644); err != nil {
			t.Fatal(err)
		}
		p := openPacks(r.Storer.(*filesystem.Storage))
		pr := p.reader(scanCacheBudget)
		for h, want := range truth {
			got, err := pr.blob(h, 1<<30)
			switch {
			case errors.Is(err, errPackMiss):
				misses++
			case err != nil:
				t.Errorf("corrupt at %d, blob %s: %v, want a miss", at, h, err)
			case !bytes.Equal(got, want):
				t.Fatalf("corrupt at %d, blob %s: read other content", at, h)
			}
		}
		p.close()
	}
	if misses == 0 {
		t.Error("no read missed: the corruption was not in any object read")
	}
}

// TestDiffTreesAgreesWithGoGit: the diff by hash lists the paths of
// go-git's tree diff, across files becoming directories and back, modes,
// symlinks, removals and additions at every depth.
func TestDiffTreesAgreesWithGoGit(t *testing.T) {
	base := map[string]string{
		"a.yaml": "a", "d/b.yaml": "b", "d/e/c.yaml": "c", "x": "file", "y/z": "dir",
		"same/1": "1", "same/2/3": "3", "link": "->a.yaml", "mode.sh": "echo",
	}
	head := map[string]string{
		"a.yaml": "a2", "d/e/new.yaml": "n", "x/inside": "now a dir",
		"y": "now a file", "link": "->d/b.yaml", "new/deep/er/f": "f",
	}
	repo := t.TempDir()
	writeTree(t, repo, base)
	gittest.Run(t, repo, "init", "-q", "-b", "main")
	gittest.Run(t, repo, "add", "-A")
	gittest.Run(t, repo, "commit", "-q", "-m", "base")
	gittest.Run(t, repo, "checkout", "-q", "-b", "feature")
	for _, p := range []string{"d/e/c.yaml", "x", "y", "link"} {
		if err := os.RemoveAll(filepath.Join(repo, p)); err != nil {
			t.Fatal(err)
		}
	}
	writeTree(t, repo, head)
	gittest.Run(t, repo, "add", "-A")
	gittest.Run(t, repo, "update-index", "--chmod=+x", "mode.sh")
	gittest.Run(t, repo, "commit", "-q", "-m", "head")
	for _, pack := range [][]string{nil, {"gc", "-q"}} {
		if pack != nil {
			gittest.Run(t, repo, pack...)
		}
		b, h := open(t, repo, "main").(*gitTree), open(t, repo, "feature").(*gitTree)
		got, err := Changed(context.Background(), b, h)
		if err != nil {
			t.Fatal(err)
		}
		r, err := git.PlainOpen(repo)
		if err != nil {
			t.Fatal(err)
		}
		tree := func(rev string) *object.Tree {
			hash, err := r.ResolveRevision(plumbing.Revision(rev))
			if err != nil {
				t.Fatal(err)
			}
			c, err := r.CommitObject(*hash)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := c.Tree()
			if err != nil {
				t.Fatal(err)
			}
			return tr
		}
		changes, err := object.DiffTree(tree("main"), tree("feature"))
		if err != nil {
			t.Fatal(err)
		}
		set := map[string]bool{}
		for _, c := range changes {
			for _, n := range []string{c.From.Name, c.To.Name} {
				if n != "" {
					set[n] = true
				}
			}
		}
		var want []string
		for p := range set {
			want = append(want, p)
		}
		slices.Sort(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("packed %v: Changed (-go-git +got):\n%s", pack != nil, diff)
		}
		if !slices.Contains(got, "mode.sh") || !slices.Contains(got, "x/inside") || slices.Contains(got, "same/1") {
			t.Errorf("packed %v: Changed = %v", pack != nil, got)
		}
	}
}

// TestInvalidTreePaths: a path go-git's lookup refused is still an error,
// not a missing file, now that lookups go through the cached trees.
func TestInvalidTreePaths(t *testing.T) {
	repo, _, _ := fixture(t, map[string]string{"a/b.yaml": "x"}, map[string]string{})
	tr := open(t, repo, "main")
	if _, err := tr.ReadFile("a/b.yaml", 100); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"a/../a/b.yaml", "./a/b.yaml", "a\\..\\a/b.yaml", ".GIT/config", "a/.git./b", "git~1/x", "a/b\x01.yaml", "", "/"} {
		_, err := tr.ReadFile(p, 100)
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadFile(%q) = %v, want an invalid path", p, err)
		}
	}
}

// TestParseTreeAgreesWithGoGit: the pack reader decodes a tree as go-git
// does, with git's reading of modes it never writes itself (100600 is a
// regular file, 040755 a directory, 120777 a symlink, anything else a
// submodule), and refuses what go-git refuses, such as an empty name.
func TestParseTreeAgreesWithGoGit(t *testing.T) {
	var h plumbing.Hash
	for i := range h {
		h[i] = byte(i)
	}
	entry := func(mode, name string) string { return mode + " " + name + "\x00" + string(h[:]) }
	for _, data := range []string{
		entry("100644", "a") + entry("100755", "b") + entry("100664", "c") + entry("100600", "d") + entry("100700", "e"),
		entry("40000", "dir") + entry("040755", "odd") + entry("120000", "l") + entry("120777", "m") + entry("160000", "s") + entry("170000", "t") + entry("0", "z"),
		entry("100644", ""),
		entry("100644", "a") + "100644 b",
		entry("1x0644", "a"),
	} {
		n, err := newTreeNode(data)
		obj := &plumbing.MemoryObject{}
		obj.SetType(plumbing.TreeObject)
		obj.Write([]byte(data))
		var want object.Tree
		werr := want.Decode(obj)
		if (err != nil) != (werr != nil) {
			t.Errorf("%q: err %v, go-git %v", data, err, werr)
			continue
		}
		if err != nil {
			continue
		}
		if diff := cmp.Diff(want.Entries, entriesOf(n)); diff != "" {
			t.Errorf("%q: entries (-go-git +newTreeNode):\n%s", data, diff)
		}
	}
}

// TestJoinName: joinName is path.Join.
func TestJoinName(t *testing.T) {
	for _, prefix := range []string{"", ".", "a", "a/b", "./a", "a/", "a//b", "..", "../a", "/", "/a"} {
		for _, name := range []string{"", ".", "..", "x", "x.yaml", "a/b", ".hidden", "..x"} {
			if got, want := joinName(prefix, name), path.Join(prefix, name); got != want {
				t.Errorf("joinName(%q, %q) = %q, want %q", prefix, name, got, want)
			}
		}
	}
}
