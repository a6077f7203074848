package deploy

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/nhigate/nhigate/attest"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/output"
	"github.com/nhigate/nhigate/spec"
)

// Verify verifies each spec against its bundle (Bundle(spec)), the
// deployer's gate. Bundles verify independently, on every core; the
// results keep the order of specs.
func Verify(specs []string, bundle func(spec string) string, trust *attest.Trust, opts attest.Options) []output.VerifyItem {
	results := make([]output.VerifyItem, len(specs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(specs)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(specs) {
					return
				}
				results[i] = verifyOne(specs[i], bundle(specs[i]), trust, opts)
			}
		})
	}
	wg.Wait()
	return results
}

func verifyOne(specPath, bundlePath string, trust *attest.Trust, opts attest.Options) output.VerifyItem {
	r := output.VerifyItem{Spec: specPath, Bundle: bundlePath}
	fail := func(reason attest.Reason, err error) output.VerifyItem {
		r.Reason, r.Error = string(reason), err.Error()
		return r
	}
	content, err := source.ReadBounded(specPath, spec.DefaultMaxFileSize)
	if err != nil {
		return fail("unreadable-spec", err)
	}
	res, reason, err := verify(specPath, content, bundlePath, trust, opts)
	if err != nil {
		return fail(reason, err)
	}
	r.Verified, r.Signer, r.Commit = true, res.Signer, res.Predicate.Commit
	r.ExpiresAt, r.ValidUntil = &res.Predicate.ExpiresAt, &res.ValidUntil
	r.Approvers = []string{}
	for _, req := range res.Predicate.Approvals.Requirements {
		for _, a := range req.Approvals {
			if !slices.Contains(r.Approvers, a.Login) { // one person may meet several requirements
				r.Approvers = append(r.Approvers, a.Login)
			}
		}
	}
	return r
}

// verify verifies content, read from path, against the bundle at
// bundlePath; on failure it says why, as a reason code and an error. verify
// and render share it, so that both refuse the same bundles.
func verify(path string, content []byte, bundlePath string, trust *attest.Trust, opts attest.Options) (*attest.Result, attest.Reason, error) {
	b, err := source.ReadBounded(bundlePath, attest.MaxBundleSize)
	if err != nil {
		return nil, "unreadable-bundle", fmt.Errorf("bundle: %w", err)
	}
	res, err := attest.Verify(b, attest.Artifact{Path: path, Content: content}, trust, opts)
	if err != nil {
		var ve *attest.VerificationError
		if errors.As(err, &ve) {
			return nil, ve.Reason, err
		}
		return nil, "error", err
	}
	return res, "", nil
}
