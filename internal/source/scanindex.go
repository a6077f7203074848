package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"

	"github.com/nhigate/nhigate/config"
)

// ScanIndexPath is where a repository may keep its scan index: the
// summaries of its directories, as a scan cache file keeps them (see
// ScanCache and treeSummary), written by BuildScanIndex and committed. A
// review reads it from base, the trusted revision, like the config, so
// that on a fresh CI runner, with no cache of its own, it reads only the
// unchanged files whose digest may mention a changed name.
//
// What it holds is keyed by tree id, so it cannot go stale: a directory
// that changed since it was written is simply not in it, and its files
// are read. It is trusted as base is, and a pull request that changes it
// is blocked unless each of its summaries is what nhigate makes of its
// tree (CheckScanIndex).
const ScanIndexPath = config.ScanIndexFile

// maxScanIndexBytes bounds a scan index: about 20 bytes a spec, so some
// 3,000,000 specs, and under the 100 MB GitHub takes in one file.
const maxScanIndexBytes = 64 << 20

// indexBlobLimit is the size up to which BuildScanIndex digests a blob;
// a summary lists a larger one as a file it does not count, which a
// review looks at one by one, so that writing or checking an index reads
// at most this much of each file.
const indexBlobLimit = 1 << 20

// Writing or checking an index reads and digests every file of a
// revision, which a pull request chooses: what it reads, inflated, and
// the run hashes it keeps are bounded, so that a head of many files, or
// of delta-compressed copies of one, fails in seconds and in bounded
// memory. Half a million specs of a few kilobytes fit.
const (
	maxIndexRead = 2 << 30  // bytes read from blobs
	maxIndexRuns = 64 << 20 // run hashes kept, 256 MiB
)

// indexBudget counts what a scan that writes an index has read and kept,
// against its limits (maxIndexRead and maxIndexRuns, but in tests).
type indexBudget struct {
	maxRead, maxRuns int64
	read, runs       atomic.Int64
}

// indexTreePaths bounds the entries of the trees a pull request's index
// summarises, as maxTreePaths bounds a listing (lower in tests).
var indexTreePaths = maxTreePaths

// indexLimits are the limits of a new indexBudget.
var indexLimits = [2]int64{maxIndexRead, maxIndexRuns}

// IndexBoundError is a revision too large to write or check an index of.
type IndexBoundError struct{ Msg string }

func (e *IndexBoundError) Error() string { return e.Msg }

// spend counts the read bytes that reading a blob inflated (its delta
// bases included) or read, and its digest d, against the budget of c, if
// it has one: past it, an *IndexBoundError. Safe for concurrent use.
func (c *scanCache) spend(read int64, d digest) error {
	if c == nil || c.budget == nil {
		return nil
	}
	b := c.budget
	if b.read.Add(read) > b.maxRead {
		return &IndexBoundError{fmt.Sprintf("its files hold more than %d bytes to digest, the limit of a scan index: the repository is too large for one", b.maxRead)}
	}
	if b.runs.Add(int64(len(d.runs)/4)) > b.maxRuns {
		return &IndexBoundError{fmt.Sprintf("its files hold more than %d name-like runs in all, the limit of a scan index: the repository is too large for one", b.maxRuns)}
	}
	return nil
}

// onIndexPath reports whether the directory dir holds ScanIndexPath: its
// tree changes whenever the index does, so a summary of it written into
// the index would never match the tree it is committed in.
func onIndexPath(dir string) bool { return dir == "" || dir == ".nhigate" }

// BuildScanIndex writes the scan index of the git revision t: the summary
// of every directory but those on the index's path, made from the digests
// of the blobs of its regular files (those of at most indexBlobLimit
// bytes; the summary lists the others as not counted). It is a function
// of the tree alone, as each summary is of its own tree.
func BuildScanIndex(ctx context.Context, t Tree) ([]byte, error) {
	g, ok := t.(*gitTree)
	if !ok {
		return nil, fmt.Errorf("%s is a directory: a scan index is written of a git revision, whose objects it names", t)
	}
	pairs, err := pairDirs(ctx, g.objs, g.root, nil, plumbing.ZeroHash)
	if err != nil {
		return nil, fmt.Errorf("walk %s: %w", t, err)
	}
	dirs := map[plumbing.Hash]*treeNode{}
	for _, d := range pairs {
		if !onIndexPath(d.path) {
			dirs[d.headID] = d.head
		}
	}
	return summariseTrees(ctx, g, dirs)
}

// summariseTrees writes the index of the summaries of dirs, trees of g's
// repository: it digests the blobs of their regular files, within the
// budgets, and summarises each tree from them.
func summariseTrees(ctx context.Context, g *gitTree, dirs map[plumbing.Hash]*treeNode) ([]byte, error) {
	seen := map[plumbing.Hash]bool{}
	var files []scanFile
	for id, n := range dirs {
		for k := range n.entries {
			switch n.mode(k) {
			case filemode.Dir, filemode.Symlink, filemode.Submodule:
				continue
			}
			if h := n.hash(k); !seen[h] {
				seen[h] = true
				// A path for errors: the tree and the name.
				files = append(files, scanFile{id.String() + "/" + n.name(k), h})
			}
		}
	}
	// A cache of no file that records the digest of every blob it reads:
	// with no name wanted, the scan reads and digests them all.
	c := &scanCache{record: true, wholeOnly: true, budget: &indexBudget{maxRead: indexLimits[0], maxRuns: indexLimits[1]}, used: map[plumbing.Hash][]byte{}}
	if _, _, err := g.scanBlobs(ctx, files, indexBlobLimit, names{}, c); err != nil {
		return nil, err
	}
	all := c.added
	slices.SortFunc(all, func(a, b cacheEntry) int { return bytes.Compare(a.id[:], b.id[:]) })
	all = slices.CompactFunc(all, func(a, b cacheEntry) bool { return a.id == b.id })
	if err := summaryWork(dirs, all, c.budget.maxRuns); err != nil {
		return nil, err
	}
	// The summaries alone: every review reads the index, and the digests
	// of files would make it four times larger. A review digests the few
	// changed files a summary counts from their blobs.
	out := encodeScan([32]byte{}, nil, nil, nil, c.summaries(dirs, all, nil))
	if len(out) > maxScanIndexBytes {
		return nil, &IndexBoundError{fmt.Sprintf("its scan index would be %d bytes, over the limit of %d: the repository is too large for one", len(out), maxScanIndexBytes)}
	}
	return out, nil
}

// summaryWork bounds what summarising dirs costs: the runs of the digest
// of each of their files, a path at a time, not a blob at a time. One
// blob of many runs under many names is read and kept once, within the
// budget, and counted in every summary: 1,000 directories of 1,000
// copies of a blob of 4,096 runs would be 4 Gi counts, minutes of CPU.
// Past maxRuns, an *IndexBoundError.
func summaryWork(dirs map[plumbing.Hash]*treeNode, all []cacheEntry, maxRuns int64) error {
	var listed int64
	for _, n := range dirs {
		for k := range n.entries {
			switch n.mode(k) {
			case filemode.Dir, filemode.Symlink, filemode.Submodule:
				continue
			}
			h := n.hash(k)
			if i, ok := slices.BinarySearchFunc(all, h, func(e cacheEntry, h plumbing.Hash) int { return bytes.Compare(e.id[:], h[:]) }); ok {
				listed += int64(len(all[i].d.runs) / 4)
			}
		}
		if listed > maxRuns {
			return &IndexBoundError{fmt.Sprintf("its directories list more than %d name-like runs of their files in all, counting a file once for each path it has, the limit of a scan index: the repository is too large for one", maxRuns)}
		}
	}
	return nil
}

// readScanIndex reads the scan index of base: nil when it has none, or
// one that cannot be used, which it says why on the Warn log.
func readScanIndex(base Tree, c *scanCache) []byte {
	if _, ok := base.(*gitTree); !ok {
		return nil
	}
	data, err := base.ReadFile(ScanIndexPath, maxScanIndexBytes)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		c.warnf("scan index %s at %s ignored, every unchanged file is read: %v", ScanIndexPath, base, err)
		return nil
	}
	return data
}

// CheckScanIndex tells whether the scan index of head, which a change
// adds or edits, says only what nhigate computes: "" if it does, or if
// head has none; else what is wrong with it, for the change to be
// blocked. Each of its summaries must be the one nhigate makes of the
// tree it names, a tree of this repository, and the file must be written
// as nhigate index writes it. The summaries need not be of head's own
// trees: one of any tree holds wherever that tree is, so the index of a
// pull request's head still checks on its merge commit (attest reviews
// that) after the base branch has moved. A review trusts the index of its
// base, so an index merged unchecked could make later reviews skip files
// that hold a principal they change.
func CheckScanIndex(ctx context.Context, head Tree) (string, error) {
	g, ok := head.(*gitTree)
	if !ok {
		return "changed in a directory, where nhigate cannot check it against the objects it names: review the commit", nil
	}
	got, err := head.ReadFile(ScanIndexPath, maxScanIndexBytes)
	var tooLarge *TooLargeError
	var symlink *SymlinkError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if k, _, kerr := head.kind(ScanIndexPath); kerr == nil && k == kindNone {
			return "", nil // deleted
		}
		return "not a regular file: a scan index is one file, written by nhigate index", nil
	case errors.As(err, &tooLarge):
		return fmt.Sprintf("%d bytes, over the limit of %d for a scan index", tooLarge.Size, maxScanIndexBytes), nil
	case errors.As(err, &symlink):
		return "a symlink: a scan index is one file, written by nhigate index", nil
	case err != nil:
		return "", err
	}
	c := &scanCache{}
	if err := c.decode(got, [32]byte{}); err != nil {
		return "not a scan index nhigate reads (" + err.Error() + ")", nil
	}
	// The trees it summarises, each of this repository, within the
	// bound on paths a review lists.
	dirs := map[plumbing.Hash]*treeNode{}
	paths := 0
	for i := range len(c.sumIndex) / scanSumSize {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		var id plumbing.Hash
		copy(id[:], c.sumIndex[i*scanSumSize:])
		n, err := g.objs.tree(id)
		var refused *TreeError
		switch {
		case errors.As(err, &refused):
			return "nhigate cannot check it: " + refused.Msg, nil
		case err != nil:
			return fmt.Sprintf("it holds the summary of tree %s, which is no tree of this repository", id), nil
		}
		if paths += len(n.entries); paths > indexTreePaths {
			return fmt.Sprintf("nhigate cannot check it: the trees it summarises hold more than %d entries in all, the bound on what a review lists", indexTreePaths), nil
		}
		dirs[id] = n
	}
	want, err := summariseTrees(ctx, g, dirs)
	var bound *IndexBoundError
	switch {
	case errors.As(err, &bound):
		return "nhigate cannot check it: " + bound.Msg, nil
	case err != nil && ctx.Err() != nil:
		return "", err
	case err != nil:
		// A tree whose blobs this repository lacks or cannot read:
		// nothing about it can be vouched for.
		return "nhigate cannot read the files of the trees it summarises: " + err.Error(), nil
	}
	if bytes.Equal(got, want) {
		return "", nil
	}
	return "it says what nhigate does not: " + indexDifference(got, want), nil
}

// indexDifference says how the index got differs from want, the one
// nhigate writes of the same trees, in words a reviewer can check.
func indexDifference(got, want []byte) string {
	g, w := &scanCache{}, &scanCache{}
	if err := g.decode(got, [32]byte{}); err != nil {
		return "it is not a scan index nhigate reads (" + err.Error() + ")"
	}
	if err := w.decode(want, [32]byte{}); err != nil {
		return "nhigate cannot read the index it writes (" + err.Error() + ")"
	}
	gs, ws := len(g.sumIndex)/scanSumSize, len(w.sumIndex)/scanSumSize
	if gs != ws {
		return fmt.Sprintf("it holds the summaries of %d trees, where nhigate made %d", gs, ws)
	}
	for i := range gs {
		id := g.sumIndex[i*scanSumSize:][:20]
		if !bytes.Equal(id, w.sumIndex[i*scanSumSize:][:20]) {
			return fmt.Sprintf("it holds the summary of tree %x, which nhigate did not make", id)
		}
		var h plumbing.Hash
		copy(h[:], id)
		a, _ := g.summary(h)
		b, _ := w.summary(h)
		if !bytes.Equal(a.hashes, b.hashes) || !bytes.Equal(a.counts, b.counts) || !bytes.Equal(a.unknown, b.unknown) {
			return fmt.Sprintf("its summary of tree %x is not that tree's", id)
		}
	}
	return "it is written differently from the index nhigate writes (a different release of nhigate?)"
}
