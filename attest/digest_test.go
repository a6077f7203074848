package attest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/sign"

	"github.com/nhigate/nhigate/attest"
)

// TestVerifyKeepsSigstoreDigestChecks: the checks sigstore-go made of the
// subjects when it matched the artifact's digest itself still refuse a
// validly signed statement, as a signature failure: a digest that is not
// hex, and too many digests.
func TestVerifyKeepsSigstoreDigestChecks(t *testing.T) {
	k, pub := newKey(t)
	art := attest.Artifact{Path: specPath, Content: specBytes}
	sign1 := func(edit func(digest map[string]string)) []byte {
		p, err := attest.NewPredicate(specPath, passed(), workflows(t), origin)
		if err != nil {
			t.Fatal(err)
		}
		st, err := attest.Statement(specPath, specBytes, p)
		if err != nil {
			t.Fatal(err)
		}
		edit(st.Subject[0].Digest)
		b, err := attest.Sign(context.Background(), st, k, sign.BundleOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for name, edit := range map[string]func(map[string]string){
		"another digest not hex": func(d map[string]string) { d["sha512"] = "zz" },
		"33 digests": func(d map[string]string) {
			for i := range 32 {
				d[fmt.Sprintf("alg%d", i)] = "00"
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := attest.Verify(sign1(edit), art, trust(t, pub), attest.Options{Now: now, AcceptUncheckedApprovalsUnsafe: true})
			if got := reasonOf(err); got != attest.ReasonSignature {
				t.Errorf("reason %q (%v), want %q", got, err, attest.ReasonSignature)
			}
		})
	}
	// The same statement with its one sha256 verifies.
	if _, err := attest.Verify(sign1(func(map[string]string) {}), art, trust(t, pub), attest.Options{Now: now, AcceptUncheckedApprovalsUnsafe: true}); err != nil {
		t.Errorf("untouched statement: %v", err)
	}
}
