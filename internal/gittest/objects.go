package gittest

import (
	"strconv"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Objects writes objects straight into a repository, for the trees that
// git add never writes (a name with a "/", a name twice, a mode spelled
// otherwise, a directory holding copies of itself) that tests of hostile
// repositories need. A checkout of such a tree may write anything: tests
// only read it.
type Objects struct {
	t testing.TB
	r *git.Repository
}

// Entry is a tree entry as written: its mode as spelled ("100644",
// "40000", or another spelling git reads alike).
type Entry struct {
	Mode, Name string
	Hash       plumbing.Hash
}

// OpenObjects opens the repository at dir.
func OpenObjects(t testing.TB, dir string) *Objects {
	t.Helper()
	r, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &Objects{t: t, r: r}
}

// Store writes an object of type typ holding data.
func (o *Objects) Store(typ plumbing.ObjectType, data []byte) plumbing.Hash {
	o.t.Helper()
	obj := o.r.Storer.NewEncodedObject()
	obj.SetType(typ)
	w, err := obj.Writer()
	if err != nil {
		o.t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	h, err := o.r.Storer.SetEncodedObject(obj)
	if err != nil {
		o.t.Fatal(err)
	}
	return h
}

// Blob writes a blob of data.
func (o *Objects) Blob(data string) plumbing.Hash { return o.Store(plumbing.BlobObject, []byte(data)) }

// Tree writes a tree of entries, in the order given.
func (o *Objects) Tree(entries ...Entry) plumbing.Hash {
	o.t.Helper()
	var raw []byte
	for _, e := range entries {
		raw = append(raw, e.Mode+" "+e.Name+"\x00"...)
		raw = append(raw, e.Hash[:]...)
	}
	return o.Store(plumbing.TreeObject, raw)
}

// Top lists the entries of the top tree of rev.
func (o *Objects) Top(rev string) []Entry {
	o.t.Helper()
	tr, err := o.commit(rev).Tree()
	if err != nil {
		o.t.Fatal(err)
	}
	var out []Entry
	for _, e := range tr.Entries {
		out = append(out, Entry{Mode: strconv.FormatUint(uint64(e.Mode), 8), Name: e.Name, Hash: e.Hash})
	}
	return out
}

// Commit makes branch point at a new commit of tree, a child of parent
// (a revision), by parent's author.
func (o *Objects) Commit(branch, parent string, tree plumbing.Hash) plumbing.Hash {
	o.t.Helper()
	p := o.commit(parent)
	c := &object.Commit{Author: p.Author, Committer: p.Committer, Message: branch, TreeHash: tree, ParentHashes: []plumbing.Hash{p.Hash}}
	obj := o.r.Storer.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		o.t.Fatal(err)
	}
	h, err := o.r.Storer.SetEncodedObject(obj)
	if err != nil {
		o.t.Fatal(err)
	}
	if err := o.r.Storer.SetReference(plumbing.NewHashReference(plumbing.NewBranchReferenceName(branch), h)); err != nil {
		o.t.Fatal(err)
	}
	return h
}

func (o *Objects) commit(rev string) *object.Commit {
	o.t.Helper()
	h, err := o.r.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		o.t.Fatal(err)
	}
	c, err := o.r.CommitObject(*h)
	if err != nil {
		o.t.Fatal(err)
	}
	return c
}
