package attest_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/nhigate/nhigate/attest"
	"github.com/nhigate/nhigate/diffing"
	"github.com/nhigate/nhigate/reviewer"
	"github.com/nhigate/nhigate/spec"
)

const specPath = "identities/ci.yaml"

var (
	specBytes = []byte(`apiVersion: nhigate.dev/v1
kind: ProvisioningWorkflow
metadata:
  name: ci-deploy
  owner: "@acme/platform"
  requester: alice
  provenance: {generator: nhigen/1.2, promptSha256: "` + strings.Repeat("ab", 32) + `"}
spec:
  identity: {name: ci, type: workload-identity, platform: aws, consumer: pipeline}
  environment: staging
  entitlements:
    - actions: ["s3:GetObject", "s3:ListBucket"]
      resources: ["arn:aws:s3:::artifacts/*"]
  credential: {kind: ephemeral, ttl: 1h}
  expiresAt: "2026-12-20T00:00:00Z"
  revocation: {onCompletion: true}
`)
	// now is before the spec's expiry.
	now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
)

func workflows(t testing.TB) []*spec.Workflow {
	t.Helper()
	ws, err := spec.Parse(specPath, specBytes, spec.Strict, spec.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// passed is the report of a review that passed in GitHub mode.
func passed() *reviewer.Report {
	return &reviewer.Report{
		Verdict:      reviewer.Pass,
		PolicyDigest: "sha256:" + strings.Repeat("cd", 32),
		Findings: []reviewer.Finding{
			{Rule: "NHI-007", Kind: "warn", Severity: "low", File: specPath, Identity: "ci-deploy"},
			{Rule: "NHI-001", Kind: "deny", Severity: "high", File: "identities/other.yaml", Identity: "other"},
		},
		Approvals: []reviewer.Requirement{{Description: "1 approval from @acme/platform", Satisfied: true, By: []string{"carol"},
			Approvals: []reviewer.Approval{{Login: "carol", Satisfies: "@acme/platform", CommitID: "2222222222222222222222222222222222222222",
				At: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}}}},
	}
}

var origin = attest.Origin{Repo: "acme/policies", Commit: strings.Repeat("1", 40), BaseCommit: strings.Repeat("2", 40),
	PullRequest: attest.PullRequest{Number: 7, URL: "https://github.com/acme/policies/pull/7", Author: "alice", MergedBy: "bob"},
	Version:     "test"}

func newKey(t testing.TB) (*attest.Key, crypto.PublicKey) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := attest.NewKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return k, priv.Public()
}

func trust(t testing.TB, pub crypto.PublicKey) *attest.Trust {
	t.Helper()
	tr, err := attest.TrustKeyWithoutTimestampsUnsafe(pub)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// signed signs a predicate, edited by edit, about the spec file.
func signed(t testing.TB, k sign.Keypair, rep *reviewer.Report, edit func(p *attest.Predicate)) []byte {
	t.Helper()
	p, err := attest.NewPredicate(specPath, rep, workflows(t), origin)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(p)
	}
	st, err := attest.Statement(specPath, specBytes, p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.Sign(context.Background(), st, k, sign.BundleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNewPredicate(t *testing.T) {
	p, err := attest.NewPredicate(specPath, passed(), workflows(t), origin)
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)
	want := &attest.Predicate{
		Repo: "acme/policies", Commit: origin.Commit, BaseCommit: origin.BaseCommit, PullRequest: origin.PullRequest,
		Approvals: attest.Approvals{Checked: true, Requirements: []attest.Requirement{
			{Description: "1 approval from @acme/platform", Satisfied: true, Approvals: []attest.Approval{{Login: "carol", Satisfies: "@acme/platform",
				Commit: "2222222222222222222222222222222222222222", When: "2026-11-25T10:00:00Z"}}},
		}},
		Policy: attest.Policy{Verdict: "pass", Digest: "sha256:" + strings.Repeat("cd", 32), Results: []attest.RuleResult{
			{Rule: "NHI-007", Kind: "warn", Severity: "low", Identity: "ci-deploy"},
		}},
		Workflows: []attest.Workflow{{
			Name: "ci-deploy", Identity: "ci", Platform: "aws", Environment: "staging",
			Entitlements: []diffing.Grant{
				{Action: "s3:GetObject", Resource: "arn:aws:s3:::artifacts/*"},
				{Action: "s3:ListBucket", Resource: "arn:aws:s3:::artifacts/*"},
			},
			ExpiresAt:  exp,
			Provenance: attest.Provenance{Generator: "nhigen/1.2", PromptSHA256: strings.Repeat("ab", 32)},
		}},
		ExpiresAt: exp,
		// No exception was relied on: valid as long as the grants.
		Exceptions:     []attest.Exception{},
		ValidUntil:     exp,
		NhigateVersion: "test",
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("predicate (-want +got):\n%s", diff)
	}

	local := passed()
	local.Approvals = nil
	p, err = attest.NewPredicate(specPath, local, workflows(t), origin)
	if err != nil {
		t.Fatal(err)
	}
	if p.Approvals.Checked {
		t.Error("a report without approvals produced a predicate that says they were checked")
	}
	if _, err := attest.NewPredicate("identities/none.yaml", passed(), workflows(t), origin); err == nil {
		t.Error("a predicate for a file with no workflow was built")
	}
}

// exceptionExpiry is when the exception of waived() ends: before the
// spec's expiresAt (2026-12-20), dated from the fixed now.
var exceptionExpiry = now.Add(10 * 24 * time.Hour)

// waived is passed() where an approved exception waives NHI-EXP-003.
func waived() *reviewer.Report {
	r := passed()
	r.Findings = append(r.Findings, reviewer.Finding{
		Rule: "NHI-EXP-003", Kind: "deny", Severity: "high", File: specPath, Identity: "ci-deploy", Excepted: true,
		Exception: &reviewer.Exception{
			Rule: "NHI-EXP-003", Ticket: "SEC-1234", ApprovedBy: "@acme/security", ExpiresAt: exceptionExpiry,
			Field: "spec.exceptions[0]", Status: reviewer.ExceptionApproved,
			Approvals: []reviewer.Approval{{Login: "carol", Satisfies: "@acme/security", CommitID: strings.Repeat("3", 40)}},
		},
	})
	return r
}

// exceptionOn returns an excepted finding about the spec whose exception
// expires at exp.
func exceptionOn(rule, field string, exp time.Time, status reviewer.ExceptionStatus) reviewer.Finding {
	return reviewer.Finding{
		Rule: rule, Kind: "deny", Severity: "high", File: specPath, Identity: "ci-deploy", Excepted: true,
		Exception: &reviewer.Exception{Rule: rule, ApprovedBy: "@acme/security", ExpiresAt: exp, Field: field, Status: status,
			Approvals: []reviewer.Approval{{Login: "carol", Satisfies: "@acme/security", CommitID: strings.Repeat("3", 40)}}},
	}
}

func TestValidUntil(t *testing.T) {
	exp := time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC) // the spec's expiresAt
	soon, sooner, later := now.Add(5*24*time.Hour), now.Add(2*24*time.Hour), exp.Add(24*time.Hour)
	tests := []struct {
		name     string
		findings []reviewer.Finding
		want     time.Time
		wantExc  []string // fields of the recorded exceptions
	}{
		{name: "no exception", want: exp},
		{name: "an exception that ends first", findings: []reviewer.Finding{exceptionOn("NHI-EXP-003", "spec.exceptions[0]", soon, reviewer.ExceptionApproved)},
			want: soon, wantExc: []string{"spec.exceptions[0]"}},
		{name: "an exception that outlives the grants", findings: []reviewer.Finding{exceptionOn("NHI-EXP-003", "spec.exceptions[0]", later, reviewer.ExceptionUnchanged)},
			want: exp, wantExc: []string{"spec.exceptions[0]"}},
		{name: "the earliest of several", findings: []reviewer.Finding{
			exceptionOn("NHI-EXP-003", "spec.exceptions[0]", soon, reviewer.ExceptionApproved),
			exceptionOn("NHI-CRED-001", "spec.exceptions[1]", sooner, reviewer.ExceptionUnchanged),
			// The same exception waiving a second finding is recorded once.
			exceptionOn("NHI-CRED-001", "spec.exceptions[1]", sooner, reviewer.ExceptionUnchanged),
		}, want: sooner, wantExc: []string{"spec.exceptions[0]", "spec.exceptions[1]"}},
		{name: "a waiting exception waives nothing, so nothing relies on it", findings: []reviewer.Finding{func() reviewer.Finding {
			f := exceptionOn("NHI-EXP-003", "spec.exceptions[0]", sooner, reviewer.ExceptionWaiting)
			f.Excepted = false
			return f
		}()}, want: exp},
		{name: "another file's exception", findings: []reviewer.Finding{func() reviewer.Finding {
			f := exceptionOn("NHI-EXP-003", "spec.exceptions[0]", sooner, reviewer.ExceptionApproved)
			f.File = "identities/other.yaml"
			return f
		}()}, want: exp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := passed()
			rep.Findings = append(rep.Findings, tt.findings...)
			p, err := attest.NewPredicate(specPath, rep, workflows(t), origin)
			if err != nil {
				t.Fatal(err)
			}
			if !p.ValidUntil.Equal(tt.want) {
				t.Errorf("validUntil %s, want %s", p.ValidUntil, tt.want)
			}
			var fields []string
			for _, x := range p.Exceptions {
				fields = append(fields, x.Field)
				if x.Identity != "ci-deploy" || len(x.Approvals) != 1 || x.Approvals[0].Login != "carol" || x.Approvals[0].Satisfies != "@acme/security" {
					t.Errorf("exception recorded as %+v", x)
				}
			}
			if diff := cmp.Diff(tt.wantExc, fields); diff != "" {
				t.Errorf("exceptions (-want +got):\n%s", diff)
			}
		})
	}

	// A waived finding whose exception the review did not record cannot
	// be signed: nothing would say until when the waiver holds.
	rep := passed()
	rep.Findings = append(rep.Findings, reviewer.Finding{Rule: "NHI-EXP-003", Kind: "deny", File: specPath, Identity: "ci-deploy", Excepted: true})
	if _, err := attest.NewPredicate(specPath, rep, workflows(t), origin); err == nil || !strings.Contains(err.Error(), "did not record by which exception") {
		t.Errorf("NewPredicate with an unrecorded exception: %v", err)
	}
}

func TestStatement(t *testing.T) {
	p, err := attest.NewPredicate(specPath, passed(), workflows(t), origin)
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.Statement(specPath, specBytes, p)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.GetPredicateType(); got != attest.PredicateType {
		t.Errorf("predicate type %q", got)
	}
	if got := st.GetSubject()[0].GetName(); got != specPath {
		t.Errorf("subject %q", got)
	}
	// sha256sum of the exact bytes.
	if got, want := st.GetSubject()[0].GetDigest()["sha256"], attest.Digest(specBytes); got != want || len(got) != 64 {
		t.Errorf("subject digest %q, want %q", got, want)
	}
	if got := st.GetPredicate().GetFields()["policy"].GetStructValue().GetFields()["verdict"].GetStringValue(); got != "pass" {
		t.Errorf("predicate policy.verdict %q", got)
	}
}

func reasonOf(err error) attest.Reason {
	var ve *attest.VerificationError
	if errors.As(err, &ve) {
		return ve.Reason
	}
	return ""
}

func TestVerify(t *testing.T) {
	k, pub := newKey(t)
	other, otherPub := newKey(t)
	good := signed(t, k, passed(), nil)
	opts := attest.Options{Now: now}

	// mutate edits the bundle's JSON.
	mutate := func(edit func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tampered := append([]byte{}, specBytes...)
	tampered = []byte(strings.Replace(string(tampered), "s3:GetObject", "s3:*", 1))

	tests := []struct {
		name    string
		bundle  []byte
		art     attest.Artifact
		pub     crypto.PublicKey
		opts    attest.Options
		want    attest.Reason
		wantMsg string
		// wantUntil, when set, is the ValidUntil of an accepted bundle.
		wantUntil time.Time
	}{
		{name: "ok", bundle: good, want: ""},
		{name: "in a checkout elsewhere", bundle: good, art: attest.Artifact{Path: "/srv/deploy/identities/ci.yaml", Content: specBytes}, want: ""},
		{name: "tampered spec", bundle: good, art: attest.Artifact{Path: specPath, Content: tampered}, want: attest.ReasonSubject, wantMsg: "the file changed since it was signed"},
		{name: "bundle for another file", bundle: good, art: attest.Artifact{Path: "identities/other.yaml", Content: specBytes}, want: attest.ReasonSubject, wantMsg: "not identities/other.yaml"},
		{name: "suffix is not a path element", bundle: good, art: attest.Artifact{Path: "xidentities/ci.yaml", Content: specBytes}, want: attest.ReasonSubject},
		{name: "wrong key", bundle: good, pub: otherPub, want: attest.ReasonSignature},
		{name: "signed by another key", bundle: signed(t, other, passed(), nil), want: attest.ReasonSignature},
		{name: "expired", bundle: good, opts: attest.Options{Now: time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)}, want: attest.ReasonExpired},
		{name: "failed review", bundle: signed(t, k, passed(), func(p *attest.Predicate) { p.Policy.Verdict = "blocked" }), want: attest.ReasonNotPassed},
		{name: "unapproved", bundle: signed(t, k, passed(), func(p *attest.Predicate) { p.Approvals.Requirements[0].Satisfied = false }), want: attest.ReasonUnapproved, wantMsg: "@acme/platform"},
		{name: "approvals unchecked", bundle: signed(t, k, passed(), func(p *attest.Predicate) { p.Approvals.Checked = false }), want: attest.ReasonApprovalsUnchecked},
		{name: "approvals unchecked, accepted", bundle: signed(t, k, passed(), func(p *attest.Predicate) { p.Approvals.Checked = false }),
			opts: attest.Options{Now: now, AcceptUncheckedApprovalsUnsafe: true}, want: ""},
		{name: "exception still valid", bundle: signed(t, k, waived(), nil), want: "", wantUntil: exceptionExpiry},
		{name: "no exception: valid until the grants expire", bundle: good, want: "", wantUntil: time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)},
		{name: "exception expired", bundle: signed(t, k, waived(), nil), opts: attest.Options{Now: exceptionExpiry},
			want: attest.ReasonExceptionExpired, wantMsg: "exception SEC-1234 for NHI-EXP-003 of ci-deploy expired at " + exceptionExpiry.Format(time.RFC3339)},
		{name: "exception expired long ago, grants too", bundle: signed(t, k, waived(), nil), opts: attest.Options{Now: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
			want: attest.ReasonExceptionExpired, wantMsg: "exception SEC-1234"},
		{name: "overstated validUntil", bundle: signed(t, k, waived(), func(p *attest.Predicate) { p.ValidUntil = p.ExpiresAt }),
			want: attest.ReasonPredicate, wantMsg: "before the attested validUntil"},
		{name: "validUntil after expiresAt", bundle: signed(t, k, passed(), func(p *attest.Predicate) { p.ValidUntil = p.ExpiresAt.Add(time.Hour) }),
			want: attest.ReasonPredicate, wantMsg: "after expiresAt"},
		{name: "waived result without its exception", bundle: signed(t, k, waived(), func(p *attest.Predicate) { p.Exceptions = nil }),
			want: attest.ReasonPredicate, wantMsg: "NHI-EXP-003 of ci-deploy is waived, but the predicate lists no exception"},
		{name: "exception not approved", bundle: signed(t, k, waived(), func(p *attest.Predicate) { p.Exceptions[0].Status = "waiting" }),
			want: attest.ReasonUnapproved, wantMsg: "exception SEC-1234 for NHI-EXP-003 of ci-deploy was not approved"},
		{name: "approved by no one", bundle: signed(t, k, waived(), func(p *attest.Predicate) { p.Exceptions[0].Approvals = nil }),
			want: attest.ReasonUnapproved, wantMsg: "names no approval"},
		{name: "before validUntil: no exception relied on", bundle: signed(t, k, passed(), func(p *attest.Predicate) { p.ValidUntil = time.Time{}; p.Exceptions = nil }),
			want: "", wantUntil: time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)},
		{name: "before validUntil: an exception relied on", bundle: signed(t, k, waived(), func(p *attest.Predicate) { p.ValidUntil = time.Time{}; p.Exceptions = nil }),
			want: attest.ReasonPredicate, wantMsg: "has no validUntil, yet the review relied on an exception for NHI-EXP-003 of ci-deploy"},
		{name: "understated expiry", bundle: signed(t, k, passed(), func(p *attest.Predicate) { p.Workflows[0].ExpiresAt = now.Add(time.Hour) }), want: attest.ReasonPredicate},
		{name: "no workflows", bundle: signed(t, k, passed(), func(p *attest.Predicate) { p.Workflows = nil }), want: attest.ReasonPredicate},
		{name: "wrong predicate type", bundle: wrongType(t, k), want: attest.ReasonPredicateType},
		{name: "truncated", bundle: good[:len(good)/2], want: attest.ReasonMalformed},
		{name: "garbage", bundle: []byte("\x00\x01garbage"), want: attest.ReasonMalformed},
		{name: "empty", bundle: nil, want: attest.ReasonMalformed},
		{name: "JSON, not a bundle", bundle: []byte(`{"mediaType":"` + attest.BundleMediaType + `","foo":1}`), want: attest.ReasonMalformed},
		{name: "media type v0.2", bundle: mutate(func(m map[string]any) {
			m["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.2"
		}), want: attest.ReasonMediaType},
		{name: "media type unknown", bundle: mutate(func(m map[string]any) { m["mediaType"] = "text/plain" }), want: attest.ReasonMediaType},
		{name: "signature flipped", bundle: mutate(func(m map[string]any) {
			env := m["dsseEnvelope"].(map[string]any)
			sig := env["signatures"].([]any)[0].(map[string]any)
			// Flip a bit of the decoded signature: flipping a base64
			// character can make the text invalid instead (ECDSA signatures
			// differ from run to run).
			raw, err := base64.StdEncoding.DecodeString(sig["sig"].(string))
			if err != nil {
				t.Fatal(err)
			}
			raw[10] ^= 1
			sig["sig"] = base64.StdEncoding.EncodeToString(raw)
		}), want: attest.ReasonSignature},
		{name: "payload swapped", bundle: mutate(func(m map[string]any) {
			var o map[string]any
			// Another statement about the same file, with the original signature.
			evil := signed(t, other, passed(), func(p *attest.Predicate) { p.Repo = "mallory/policies" })
			if err := json.Unmarshal(evil, &o); err != nil {
				t.Fatal(err)
			}
			m["dsseEnvelope"].(map[string]any)["payload"] = o["dsseEnvelope"].(map[string]any)["payload"]
		}), want: attest.ReasonSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			art := tt.art
			if art.Path == "" {
				art = attest.Artifact{Path: specPath, Content: specBytes}
			}
			p := tt.pub
			if p == nil {
				p = pub
			}
			o := tt.opts
			if o.Now.IsZero() {
				o = opts
			}
			res, err := attest.Verify(tt.bundle, art, trust(t, p), o)
			if got := reasonOf(err); got != tt.want {
				t.Fatalf("reason %q, want %q (err %v)", got, tt.want, err)
			}
			if tt.want == "" {
				if res == nil || res.Subject != specPath || res.Signer != "key" || res.Predicate.PullRequest.Number != 7 {
					t.Fatalf("result %+v", res)
				}
				if !tt.wantUntil.IsZero() && !res.ValidUntil.Equal(tt.wantUntil) {
					t.Errorf("valid until %s, want %s", res.ValidUntil, tt.wantUntil)
				}
				return
			}
			if res != nil {
				t.Errorf("a refused bundle returned a result")
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
		})
	}
}

// wrongType is a validly signed statement of another predicate type.
func wrongType(t *testing.T, k sign.Keypair) []byte {
	p, err := attest.NewPredicate(specPath, passed(), workflows(t), origin)
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.Statement(specPath, specBytes, p)
	if err != nil {
		t.Fatal(err)
	}
	st.PredicateType = "https://slsa.dev/provenance/v1"
	b, err := attest.Sign(context.Background(), st, k, sign.BundleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifyRequiresTrustAndTime(t *testing.T) {
	k, pub := newKey(t)
	b := signed(t, k, passed(), nil)
	art := attest.Artifact{Path: specPath, Content: specBytes}
	if _, err := attest.Verify(b, art, nil, attest.Options{Now: now}); err == nil || !strings.Contains(err.Error(), "no trust decision") {
		t.Errorf("Verify without trust: %v", err)
	}
	if _, err := attest.Verify(b, art, trust(t, pub), attest.Options{}); err == nil || !strings.Contains(err.Error(), "Now is required") {
		t.Errorf("Verify without a time: %v", err)
	}
}

func TestKeys(t *testing.T) {
	ecPriv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pass := func() ([]byte, error) { return []byte("correct horse"), nil }
	pemOf := func(priv crypto.PrivateKey) []byte {
		b, err := cryptoutils.MarshalPrivateKeyToPEM(priv)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// cosign generate-key-pair writes this format.
	encrypted, err := cryptoutils.MarshalPrivateKeyToEncryptedDER(ecPriv, func(bool) ([]byte, error) { return pass() })
	if err != nil {
		t.Fatal(err)
	}
	cosignKey := cryptoutils.PEMEncode(cryptoutils.EncryptedSigstorePrivateKeyPEMType, encrypted)

	for _, tt := range []struct {
		name string
		pem  []byte
		pass func() ([]byte, error)
		pub  crypto.PublicKey
	}{
		{"ECDSA P-256 PKCS#8", pemOf(ecPriv), nil, ecPriv.Public()},
		{"Ed25519 PKCS#8", pemOf(edPriv), nil, edPriv.Public()},
		{"cosign encrypted", cosignKey, pass, ecPriv.Public()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			k, err := attest.LoadKey(tt.pem, tt.pass)
			if err != nil {
				t.Fatal(err)
			}
			b := signed(t, k, passed(), nil)
			if _, err := attest.Verify(b, attest.Artifact{Path: specPath, Content: specBytes}, trust(t, tt.pub), attest.Options{Now: now}); err != nil {
				t.Fatalf("verify: %v", err)
			}
		})
	}

	if _, err := attest.LoadKey(cosignKey, func() ([]byte, error) { return []byte("wrong"), nil }); err == nil {
		t.Error("an encrypted key loaded with the wrong password")
	}
	if _, err := attest.LoadKey(cosignKey, nil); err == nil || !strings.Contains(err.Error(), "no password") {
		t.Errorf("an encrypted key without a password: %v", err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := attest.LoadKey(pemOf(p384), nil); err == nil || !strings.Contains(err.Error(), "use P-256 or Ed25519") {
		t.Errorf("a P-384 key: %v", err)
	}
	if _, err := attest.LoadKey([]byte("not a key"), nil); err == nil {
		t.Error("garbage loaded as a key")
	}
}

// FuzzVerify feeds arbitrary bundles to the whole verification: it must
// never panic, and must accept nothing but a genuine bundle.
func FuzzVerify(f *testing.F) {
	k, pub := newKey(f)
	good := signed(f, k, passed(), nil)
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add([]byte(`{"mediaType":"` + attest.BundleMediaType + `"}`))
	f.Add([]byte(`{"mediaType":"` + attest.BundleMediaType + `","verificationMaterial":{"publicKey":{"hint":"x"}},"dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AAAA"}]}}`))
	f.Add([]byte("null"))
	tr := trust(f, pub)
	art := attest.Artifact{Path: specPath, Content: specBytes}
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := attest.Verify(b, art, tr, attest.Options{Now: now})
		if err == nil {
			// Only the signed bytes verify: anything accepted must carry
			// exactly the statement that was signed.
			var got, want struct {
				DSSE struct{ Payload, PayloadType string } `json:"dsseEnvelope"`
			}
			if json.Unmarshal(b, &got) != nil || json.Unmarshal(good, &want) != nil || got.DSSE.Payload != want.DSSE.Payload {
				t.Fatalf("accepted a bundle with another payload: %s", b)
			}
			if res.Subject != specPath {
				t.Fatalf("subject %q", res.Subject)
			}
			return
		}
		if reasonOf(err) == "" {
			t.Fatalf("refusal without a reason: %v", err)
		}
	})
}

// BenchmarkVerify measures verifications per second; the target is at
// least 1,000 per second on 2 cores.
func BenchmarkVerify(b *testing.B) {
	k, pub := newKey(b)
	bundle := signed(b, k, passed(), nil)
	tr := trust(b, pub)
	art := attest.Artifact{Path: specPath, Content: specBytes}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := attest.Verify(bundle, art, tr, attest.Options{Now: now}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "bundles/s")
}

// TestPredicateSchema keeps docs/ATTESTATION.md's JSON Schema and the
// predicate in agreement: every field the predicate writes is a property
// of the schema, every required property is written, at the top level and
// for the listed exceptions.
func TestPredicateSchema(t *testing.T) {
	doc, err := os.ReadFile("../docs/ATTESTATION.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "### JSON Schema\n\n```json\n")
	block, _, ok2 := strings.Cut(rest, "\n```")
	if !ok || !ok2 {
		t.Fatal("docs/ATTESTATION.md has no JSON Schema block")
	}
	type object struct {
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	var schema object
	if err := json.Unmarshal([]byte(block), &schema); err != nil {
		t.Fatalf("the schema is not JSON: %v", err)
	}
	var exc struct {
		Items object `json:"items"`
	}
	if err := json.Unmarshal(schema.Properties["exceptions"], &exc); err != nil {
		t.Fatal(err)
	}

	p, err := attest.NewPredicate(specPath, waived(), workflows(t), origin)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	var gotExc []map[string]json.RawMessage
	if err := json.Unmarshal(got["exceptions"], &gotExc); err != nil || len(gotExc) != 1 {
		t.Fatalf("exceptions %s: %v", got["exceptions"], err)
	}
	check := func(what string, o object, fields map[string]json.RawMessage) {
		for k := range fields {
			if _, ok := o.Properties[k]; !ok {
				t.Errorf("%s: the predicate writes %q, which the schema does not list", what, k)
			}
		}
		for _, k := range o.Required {
			if _, ok := fields[k]; !ok {
				t.Errorf("%s: the schema requires %q, which the predicate does not write", what, k)
			}
		}
	}
	check("predicate", schema, got)
	check("exceptions[]", exc.Items, gotExc[0])
}
