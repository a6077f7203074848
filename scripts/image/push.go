package main

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// PushOptions says what to push where.
type PushOptions struct {
	Layout string   // the OCI image layout Build wrote
	Repo   string   // e.g. ghcr.io/nhigate/nhigate
	Tags   []string // at least one
	// Options for the registry client; the Docker config's credentials
	// (docker login) when nil.
	Remote []remote.Option
}

// Push checks the layout as Check does, pushes its index under every tag,
// makes sure each tag now names that index, and returns repo@digest: the
// name that cosign signs and provenance is attested for, never a tag.
func Push(ctx context.Context, o PushOptions) (string, error) {
	if _, err := Check(ctx, CheckOptions{Layout: o.Layout}); err != nil {
		return "", fmt.Errorf("%s fails its check, so nothing is pushed: %w", o.Layout, err)
	}
	idx, err := readLayout(o.Layout)
	if err != nil {
		return "", err
	}
	repo, err := name.NewRepository(o.Repo, name.StrictValidation)
	if err != nil {
		return "", fmt.Errorf("-repo: %w", err)
	}
	var tags []name.Tag
	for _, t := range o.Tags {
		tag, err := name.NewTag(repo.Name()+":"+t, name.StrictValidation)
		if err != nil {
			return "", fmt.Errorf("-tag %q: %w", t, err)
		}
		tags = append(tags, tag)
	}
	if len(tags) == 0 {
		return "", fmt.Errorf("no -tag: name at least one")
	}
	opts := o.Remote
	if opts == nil {
		opts = []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)}
	}
	opts = append(opts, remote.WithContext(ctx))
	digest, err := idx.Digest()
	if err != nil {
		return "", err
	}
	if err := remote.WriteIndex(tags[0], idx, opts...); err != nil {
		return "", fmt.Errorf("push %s: %w", tags[0], err)
	}
	for _, tag := range tags[1:] {
		if err := remote.Tag(tag, idx, opts...); err != nil {
			return "", fmt.Errorf("tag %s: %w", tag, err)
		}
	}
	// What the registry now serves under each tag is what was pushed: a
	// tag moved by someone else in between fails the release.
	for _, tag := range tags {
		desc, err := remote.Head(tag, opts...)
		if err != nil {
			return "", fmt.Errorf("read back %s: %w", tag, err)
		}
		if desc.Digest != digest {
			return "", fmt.Errorf("%s names %s after the push, not the pushed %s", tag, desc.Digest, digest)
		}
	}
	return repo.Digest(digest.String()).String(), nil
}
