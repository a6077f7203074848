package lifecycle

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/internal/yamledit"
	"github.com/nhigate/nhigate/spec"
)

// Draft is a generated spec at the start of its life: its provenance
// stamped, and read back as the pull request would commit it.
type Draft struct {
	// Name is metadata.name when it is a DNS label, else "".
	Name string
	// Path is where the spec goes in the repository; "" when it has no
	// name and no path was given.
	Path string
	// Branch names the pull request's branch by the name and a digest of
	// the content; "" when the spec has no name.
	Branch       string
	PromptSHA256 string
	GeneratedAt  string
	// Content is the stamped spec as committed.
	Content []byte
	// Failures say why the spec cannot pass review as it stands; a draft
	// with failures may still be opened for a person to fix.
	Failures []string
	// Workflows is the stamped spec, read back; Invalid its errors.
	Workflows []*spec.Workflow
	Invalid   spec.Errors
}

// DraftOptions say how to stamp a draft.
type DraftOptions struct {
	// Path is where the spec goes; "" is identities/<metadata.name>.yaml.
	Path   string
	Prompt yamledit.Prompt
	Now    time.Time
	Config *config.Config
}

// OutsideSpecsError is a draft's path where the config expects no specs:
// a review would not see it.
type OutsideSpecsError struct{ Path string }

func (e *OutsideSpecsError) Error() string {
	return fmt.Sprintf("%s is not where %s expects specs, so a review would not see it: choose --path to match its specs globs", e.Path, config.File)
}

var dnsLabelRE = regexp.MustCompile(spec.DNSLabelPattern)

// NewDraft stamps the provenance of one generated spec, file holding data,
// and reads the result back as it will be committed. A spec that cannot be
// stamped or read comes back with Failures; an error stops the whole run:
// a yamledit.ForgedError or NoPromptError, an OutsideSpecsError, or
// stamping that changed what the spec says.
func NewDraft(file string, data []byte, opts DraftOptions) (*Draft, error) {
	cfg := opts.Config
	if cfg == nil {
		cfg = config.Default()
	}
	lim := cfg.SpecLimits()
	d := &Draft{Failures: []string{}}
	original, origErr := spec.Parse(file, data, spec.Strict, lim)
	// The spec is committed as YAML, written as people write it.
	st, err := yamledit.StampProvenance(data, strings.EqualFold(path.Ext(file), ".json"), opts.Prompt, opts.Now)
	var docErr *yamledit.DocError
	switch {
	case errors.As(err, &docErr):
		d.Failures = failuresOf(origErr, fmt.Sprintf("%s: %v", file, err))
		return d, nil
	case err != nil:
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if dnsLabelRE.MatchString(st.Name) {
		d.Name = st.Name
	}
	d.PromptSHA256 = st.PromptSHA256
	d.GeneratedAt = opts.Now.Format(time.RFC3339)
	d.Content = st.Content

	d.Path = opts.Path
	if d.Path == "" {
		if d.Name == "" {
			d.Failures = failuresOf(origErr, file+": metadata.name is missing or not a DNS label")
			return d, nil
		}
		d.Path = "identities/" + d.Name + ".yaml"
	}
	if ok, _ := cfg.CandidatePath(d.Path); !ok {
		return nil, &OutsideSpecsError{Path: d.Path}
	}
	if d.Name != "" {
		h := sha256.Sum256(st.Content)
		d.Branch = "nhigate/" + d.Name + "-" + hex.EncodeToString(h[:])[:7]
	}

	ws, err := spec.Parse(d.Path, st.Content, spec.Strict, lim)
	if err != nil {
		var errs spec.Errors
		if !errors.As(err, &errs) {
			return nil, err
		}
		if origErr == nil {
			return nil, fmt.Errorf("stamping %s made it invalid: %w", file, err)
		}
		d.Invalid = errs
		for _, e := range errs {
			d.Failures = append(d.Failures, e.Error())
		}
		return d, nil
	}
	if len(ws) != 1 || len(original) != 1 {
		return nil, fmt.Errorf("stamped %s does not read back as the one workflow it held", file)
	}
	got := ws[0].Metadata.Provenance
	if got.PromptSHA256 != st.PromptSHA256 || got.GeneratedAt.Text != d.GeneratedAt ||
		opts.Prompt.FromFile && !opts.Prompt.HashOnly && got.Prompt != opts.Prompt.Text {
		return nil, fmt.Errorf("stamped %s does not read back with the provenance written", file)
	}
	d.Workflows = ws
	return d, nil
}

// failuresOf lists a spec's errors, or fallback when it has none.
func failuresOf(err error, fallback string) []string {
	var errs spec.Errors
	if !errors.As(err, &errs) || len(errs) == 0 {
		return []string{fallback}
	}
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}
