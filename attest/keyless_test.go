package attest_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/nhigate/nhigate/attest"
	"github.com/nhigate/nhigate/internal/sigtest"
)

const (
	signerSAN    = "ci@acme.example"
	signerIssuer = "https://issuer.acme.example"
)

// material is trusted material assembled from parts, so that a test
// decides which logs and authorities a deployer trusts.
type material struct {
	root.BaseTrustedMaterial
	fulcio []root.CertificateAuthority
	tsas   []root.TimestampingAuthority
	rekor  map[string]*root.TransparencyLog
	ct     map[string]*root.TransparencyLog
}

func (m *material) FulcioCertificateAuthorities() []root.CertificateAuthority { return m.fulcio }
func (m *material) TimestampingAuthorities() []root.TimestampingAuthority     { return m.tsas }
func (m *material) RekorLogs() map[string]*root.TransparencyLog               { return m.rekor }
func (m *material) CTLogs() map[string]*root.TransparencyLog                  { return m.ct }

// trusting is vs's material: its CA, TSA and Rekor log, without its CT log
// (VirtualSigstore's certificates carry no SCT) unless withCT.
func trusting(vs *ca.VirtualSigstore, withCT bool) *material {
	m := &material{fulcio: vs.FulcioCertificateAuthorities(), tsas: vs.TimestampingAuthorities(), rekor: vs.RekorLogs()}
	if withCT {
		m.ct = vs.CTLogs()
	}
	return m
}

// statementJSON is the payload nhigate signs for the spec file.
func statementJSON(t testing.TB) []byte {
	t.Helper()
	p, err := attest.NewPredicate(specPath, passed(), workflows(t), origin)
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.Statement(specPath, specBytes, p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := protojson.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newVirtualSigstore(t testing.TB) *ca.VirtualSigstore {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// editBundle decodes b's JSON, edits it and encodes it again.
func editBundle(t testing.TB, b []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVerifyKeyless(t *testing.T) {
	vs := newVirtualSigstore(t)
	other := newVirtualSigstore(t)
	payload := statementJSON(t)
	good := sigtest.KeylessBundle(t, vs, signerSAN, signerIssuer, payload)
	k, pub := newKey(t)
	keySigned := signed(t, k, passed(), nil)
	tampered := []byte(strings.Replace(string(specBytes), "s3:GetObject", "s3:*", 1))
	tsaOnly := trusting(vs, false)
	tsaOnly.rekor = nil

	tests := []struct {
		name    string
		bundle  []byte
		trusted root.TrustedMaterial
		id      attest.Identity
		trust   *attest.Trust // instead of trusted and id
		content []byte
		want    attest.Reason
		wantMsg string
	}{
		{name: "ok", bundle: good},
		{name: "identity regexp", bundle: good, id: attest.Identity{SANRegexp: `ci@acme\.example`, Issuer: signerIssuer}},
		{name: "wrong identity", bundle: good, id: attest.Identity{SAN: "mallory@acme.example", Issuer: signerIssuer}, want: attest.ReasonSignature},
		{name: "wrong issuer", bundle: good, id: attest.Identity{SAN: signerSAN, Issuer: "https://accounts.google.com"}, want: attest.ReasonSignature},
		{name: "identity regexp is anchored", bundle: good, id: attest.Identity{SANRegexp: `ci@acme`, Issuer: signerIssuer}, want: attest.ReasonSignature},
		{name: "GitHub pin absent from the certificate", bundle: good, id: attest.Identity{SAN: signerSAN, Issuer: signerIssuer, SourceRepositoryURI: "https://github.com/acme/policies"}, want: attest.ReasonSignature},
		{name: "tampered spec", bundle: good, content: tampered, want: attest.ReasonSubject, wantMsg: "the file changed since it was signed"},
		{name: "another Sigstore's certificate", bundle: sigtest.KeylessBundle(t, other, signerSAN, signerIssuer, payload), want: attest.ReasonSignature},
		{name: "key trust, keyless bundle", bundle: good, trust: trust(t, pub), want: attest.ReasonSignature},
		{name: "keyless trust, key-signed bundle", bundle: keySigned, want: attest.ReasonSignature},
		{name: "no tlog entry", bundle: editBundle(t, good, func(m map[string]any) {
			delete(m["verificationMaterial"].(map[string]any), "tlogEntries")
		}), want: attest.ReasonSignature},
		{name: "CT logs trusted, no SCT", bundle: good, trusted: trusting(vs, true), want: attest.ReasonSignature},
		{name: "TSA-only trust", bundle: good, trusted: tsaOnly},
		{name: "TSA-only trust, no timestamp", bundle: editBundle(t, good, func(m map[string]any) {
			delete(m["verificationMaterial"].(map[string]any), "timestampVerificationData")
		}), trusted: tsaOnly, want: attest.ReasonSignature},
		{name: "DSSE signature flipped", bundle: editBundle(t, good, func(m map[string]any) {
			sig := m["dsseEnvelope"].(map[string]any)["signatures"].([]any)[0].(map[string]any)
			raw, err := base64.StdEncoding.DecodeString(sig["sig"].(string))
			if err != nil {
				t.Fatal(err)
			}
			raw[len(raw)/2] ^= 1
			sig["sig"] = base64.StdEncoding.EncodeToString(raw)
		}), want: attest.ReasonSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := tt.trust
			if tr == nil {
				trusted, id := tt.trusted, tt.id
				if trusted == nil {
					trusted = trusting(vs, false)
				}
				if id == (attest.Identity{}) {
					id = attest.Identity{SAN: signerSAN, Issuer: signerIssuer}
				}
				var err error
				if tr, err = attest.TrustCertificateIdentity(trusted, id); err != nil {
					t.Fatal(err)
				}
			}
			content := tt.content
			if content == nil {
				content = specBytes
			}
			res, err := attest.Verify(tt.bundle, attest.Artifact{Path: specPath, Content: content}, tr, attest.Options{Now: now})
			if got := reasonOf(err); got != tt.want {
				t.Fatalf("reason %q, want %q (err %v)", got, tt.want, err)
			}
			if tt.want == "" {
				if res == nil || res.Subject != specPath || res.Predicate.PullRequest.Number != 7 {
					t.Fatalf("result %+v", res)
				}
				// TestKeylessSignerIsTheCertificatesSAN covers a regexp.
				if tt.id.SANRegexp == "" && res.Signer != signerSAN {
					t.Errorf("signer %q, want %q", res.Signer, signerSAN)
				}
				return
			}
			if res != nil {
				t.Error("a refused bundle returned a result")
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
		})
	}
}

// TestKeylessSignerIsTheCertificatesSAN: the result names who signed,
// also when the trust matched them by a pattern.
func TestKeylessSignerIsTheCertificatesSAN(t *testing.T) {
	vs := newVirtualSigstore(t)
	b := sigtest.KeylessBundle(t, vs, signerSAN, signerIssuer, statementJSON(t))
	tr, err := attest.TrustCertificateIdentity(trusting(vs, false), attest.Identity{SANRegexp: `ci@acme\.example`, Issuer: signerIssuer})
	if err != nil {
		t.Fatal(err)
	}
	res, err := attest.Verify(b, attest.Artifact{Path: specPath, Content: specBytes}, tr, attest.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if res.Signer != signerSAN {
		t.Errorf("signer %q, want the certificate's SAN %q", res.Signer, signerSAN)
	}
}

func TestTrustCertificateIdentityValidates(t *testing.T) {
	vs := newVirtualSigstore(t)
	undated := trusting(vs, false)
	undated.rekor, undated.tsas = nil, nil
	tests := []struct {
		name    string
		trusted root.TrustedMaterial
		id      attest.Identity
		want    string
	}{
		{"no trusted root", nil, attest.Identity{SAN: signerSAN, Issuer: signerIssuer}, "no trusted root"},
		{"no certificate authority", &material{rekor: vs.RekorLogs()}, attest.Identity{SAN: signerSAN, Issuer: signerIssuer}, "no certificate authority"},
		{"no issuer", trusting(vs, false), attest.Identity{SAN: signerSAN}, "OIDC issuer is required"},
		{"no identity", trusting(vs, false), attest.Identity{Issuer: signerIssuer}, "exactly one of"},
		{"both identities", trusting(vs, false), attest.Identity{SAN: signerSAN, SANRegexp: ".*", Issuer: signerIssuer}, "exactly one of"},
		{"bad regexp", trusting(vs, false), attest.Identity{SANRegexp: "(", Issuer: signerIssuer}, "identity regexp"},
		{"nothing dates a signature", undated, attest.Identity{SAN: signerSAN, Issuer: signerIssuer}, "no transparency log and no timestamp authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := attest.TrustCertificateIdentity(tt.trusted, tt.id)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want it to say %q", err, tt.want)
			}
			if tr != nil {
				t.Error("a refused trust was returned")
			}
		})
	}
}

const (
	requestToken = "ghs_request-token-secret"
	idToken      = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJyZXBvOmFjbWUvcG9saWNpZXM6cmVmOnJlZnMvaGVhZHMvbWFpbiIsImF1ZCI6InNpZ3N0b3JlIn0.sig"
)

// oidcServer is GitHub's token endpoint: it asserts the request and
// answers with status and body.
func oidcServer(t *testing.T, status int, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			t.Errorf("method %s, want GET", r.Method)
		}
		if got := r.URL.Query().Get("audience"); got != "sigstore" {
			t.Errorf("audience %q, want sigstore", got)
		}
		if got := r.URL.Query().Get("api-version"); got != "2.0" {
			t.Errorf("the request URL's own query was lost: api-version %q", got)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer "+requestToken {
			t.Errorf("Authorization %q", got)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestGitHubIDToken(t *testing.T) {
	ctx := context.Background()
	t.Run("ok", func(t *testing.T) {
		srv := oidcServer(t, http.StatusOK, `{"count":1,"value":"`+idToken+`"}`)
		got, err := attest.GitHubIDToken(ctx, srv.Client(), srv.URL+"/token?api-version=2.0", requestToken)
		if err != nil {
			t.Fatal(err)
		}
		if got != idToken {
			t.Errorf("token %q", got)
		}
	})
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for _, tt := range []struct {
		name       string
		url, token string
		status     int
		body       string
		want       string
	}{
		{name: "forbidden", status: http.StatusForbidden, body: `{"message":"` + requestToken + `"}`, want: "403 Forbidden; check the job has \"permissions: id-token: write\""},
		{name: "server error", status: http.StatusInternalServerError, want: "500"},
		{name: "no token in the response", status: http.StatusOK, body: `{"value":""}`, want: "holds no token"},
		{name: "not JSON", status: http.StatusOK, body: requestToken, want: "holds no token"},
		{name: "too large", status: http.StatusOK, body: `{"value":"` + strings.Repeat("a", 70<<10) + `"}`, want: "over 65536 bytes"},
		{name: "unset", url: "-", token: "", want: "are not set"},
		{name: "not a URL", url: "file:///etc/passwd", want: "not an http(s) URL"},
		{name: "unreachable", url: closed.URL + "/token?api-version=2.0&secret=" + requestToken, want: "request to 127.0.0.1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u, token, client := tt.url, requestToken, http.DefaultClient
			if tt.name == "unset" {
				u, token = "", ""
			}
			if u == "" && tt.name != "unset" {
				srv := oidcServer(t, tt.status, tt.body)
				u, client = srv.URL+"/token?api-version=2.0", srv.Client()
			}
			got, err := attest.GitHubIDToken(ctx, client, u, token)
			if err == nil {
				t.Fatalf("got token %q, want an error", got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), requestToken) {
				t.Errorf("the error carries the request token: %q", err)
			}
		})
	}
}

// githubCert describes the certificate the fake Fulcio issues, as
// Fulcio does for a GitHub Actions token.
var githubCert = struct{ san, issuer, repo, ref, trigger string }{
	san:     "https://github.com/acme/policies/.github/workflows/attest.yml@refs/heads/main",
	issuer:  "https://token.actions.githubusercontent.com",
	repo:    "https://github.com/acme/policies",
	ref:     "refs/heads/main",
	trigger: "push",
}

// fulcio is a certificate authority answering Fulcio's v2 API: it
// issues githubCert for the posted key to a caller bearing idToken.
type fulcio struct {
	root, intermediate *x509.Certificate
	key                *ecdsa.PrivateKey
}

func newFulcio(t *testing.T) (*fulcio, *httptest.Server) {
	t.Helper()
	rootCert, rootKey, err := ca.GenerateRootCa()
	if err != nil {
		t.Fatal(err)
	}
	inter, interKey, err := ca.GenerateFulcioIntermediate(rootCert, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	f := &fulcio{root: rootCert, intermediate: inter, key: interKey}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/v2/signingCert" {
			t.Errorf("Fulcio got %s %s", r.Method, r.URL.Path)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer "+idToken {
			http.Error(w, `{"message":"invalid token"}`, http.StatusUnauthorized)
			return
		}
		var req struct {
			PublicKeyRequest struct {
				PublicKey         struct{ Algorithm, Content string }
				ProofOfPossession string
			}
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Errorf("Fulcio request: %v", err)
		}
		block, _ := pem.Decode([]byte(req.PublicKeyRequest.PublicKey.Content))
		if block == nil {
			t.Fatalf("Fulcio request has no PEM key: %q", req.PublicKeyRequest.PublicKey.Content)
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		// The proof of possession is the token's subject, signed.
		pop, err := base64.StdEncoding.DecodeString(req.PublicKeyRequest.ProofOfPossession)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte("repo:acme/policies:ref:refs/heads/main"))
		if !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), sum[:], pop) {
			t.Error("the proof of possession does not verify")
		}
		leaf := f.issue(t, pub)
		chain := []string{}
		for _, c := range []*x509.Certificate{leaf, f.intermediate, f.root} {
			chain = append(chain, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})))
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"signedCertificateEmbeddedSct": map[string]any{"chain": map[string]any{"certificates": chain}}})
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fulcio) issue(t *testing.T, pub crypto.PublicKey) *x509.Certificate {
	t.Helper()
	ext := func(oid asn1.ObjectIdentifier, v string) pkix.Extension {
		der, err := asn1.MarshalWithParams(v, "utf8")
		if err != nil {
			t.Fatal(err)
		}
		return pkix.Extension{Id: oid, Value: der}
	}
	san, err := url.Parse(githubCert.san)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(10 * time.Minute),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		URIs:         []*url.URL{san},
		ExtraExtensions: []pkix.Extension{
			ext(asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}, githubCert.issuer),
			ext(asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 12}, githubCert.repo),
			ext(asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 14}, githubCert.ref),
			ext(asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 20}, githubCert.trigger),
		},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, f.intermediate, pub, f.key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// rekorServer is a Rekor v1 log backed by vs: it records the proposed
// DSSE entry and answers with the entry, its inclusion proof and signed
// entry timestamp, as Rekor's POST /api/v1/log/entries does.
func rekorServer(t *testing.T, vs *ca.VirtualSigstore) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/log/entries" {
			t.Errorf("Rekor got %s %s", r.Method, r.URL.Path)
			http.NotFound(w, r)
			return
		}
		var proposed struct {
			Kind       string `json:"kind"`
			APIVersion string `json:"apiVersion"`
			Spec       struct {
				ProposedContent struct {
					Envelope  string   `json:"envelope"`
					Verifiers [][]byte `json:"verifiers"`
				} `json:"proposedContent"`
			} `json:"spec"`
		}
		if err := json.NewDecoder(r.Body).Decode(&proposed); err != nil {
			t.Fatalf("Rekor request: %v", err)
		}
		if proposed.Kind != "dsse" || len(proposed.Spec.ProposedContent.Verifiers) != 1 {
			t.Fatalf("Rekor got a %s entry with %d verifiers, want dsse with 1", proposed.Kind, len(proposed.Spec.ProposedContent.Verifiers))
		}
		block, _ := pem.Decode(proposed.Spec.ProposedContent.Verifiers[0])
		if block == nil || block.Type != "CERTIFICATE" {
			t.Fatal("the Rekor entry's verifier is not a PEM certificate")
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		// bundle.Envelope holds the DSSE library's envelope type, which
		// GenerateTlogEntry takes.
		var env bundle.Envelope
		if err := json.Unmarshal([]byte(proposed.Spec.ProposedContent.Envelope), &env.Envelope); err != nil {
			t.Fatal(err)
		}
		sig, err := base64.StdEncoding.DecodeString(env.Envelope.Signatures[0].Sig)
		if err != nil {
			t.Fatal(err)
		}
		entry, err := vs.GenerateTlogEntry(cert, env.Envelope, sig, time.Now().Unix(), true)
		if err != nil {
			t.Fatal(err)
		}
		tle := sigtest.WithPromise(t, vs, entry)
		hashes := []string{}
		for _, h := range tle.GetInclusionProof().GetHashes() {
			hashes = append(hashes, hex.EncodeToString(h))
		}
		uuid := hex.EncodeToString(tle.GetInclusionProof().GetRootHash())
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("ETag", uuid)
		w.Header().Set("Location", "/api/v1/log/entries/"+uuid)
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{uuid: map[string]any{
			"body":           base64.StdEncoding.EncodeToString(tle.GetCanonicalizedBody()),
			"integratedTime": tle.GetIntegratedTime(),
			"logID":          hex.EncodeToString(tle.GetLogId().GetKeyId()),
			"logIndex":       tle.GetLogIndex(),
			"verification": map[string]any{
				"signedEntryTimestamp": tle.GetInclusionPromise().GetSignedEntryTimestamp(),
				"inclusionProof": map[string]any{
					"checkpoint": tle.GetInclusionProof().GetCheckpoint().GetEnvelope(),
					"hashes":     hashes,
					"logIndex":   tle.GetInclusionProof().GetLogIndex(),
					"rootHash":   hex.EncodeToString(tle.GetInclusionProof().GetRootHash()),
					"treeSize":   tle.GetInclusionProof().GetTreeSize(),
				},
			},
		}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestSignKeyless signs in GitHub Actions' way end to end, offline: the
// token from GitHub's endpoint, a certificate from Fulcio's API and an
// entry from Rekor's, all httptest servers; then verifies the bundle
// with that CA and log as the trusted root.
func TestSignKeyless(t *testing.T) {
	ctx := context.Background()
	vs := newVirtualSigstore(t)
	f, fulcioSrv := newFulcio(t)
	rekorSrv := rekorServer(t, vs)
	oidc := oidcServer(t, http.StatusOK, `{"value":"`+idToken+`"}`)

	token, err := attest.GitHubIDToken(ctx, oidc.Client(), oidc.URL+"/token?api-version=2.0", requestToken)
	if err != nil {
		t.Fatal(err)
	}
	p, err := attest.NewPredicate(specPath, passed(), workflows(t), origin)
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.Statement(specPath, specBytes, p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.SignKeyless(ctx, st, attest.Keyless{IDToken: token, FulcioURL: fulcioSrv.URL, RekorURL: rekorSrv.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}

	trusted := &material{
		fulcio: []root.CertificateAuthority{&root.FulcioCertificateAuthority{
			Root: f.root, Intermediates: []*x509.Certificate{f.intermediate},
			ValidityPeriodStart: time.Now().Add(-time.Hour), ValidityPeriodEnd: time.Now().Add(time.Hour),
			URI: fulcioSrv.URL,
		}},
		rekor: vs.RekorLogs(),
	}
	want := attest.Identity{SAN: githubCert.san, Issuer: githubCert.issuer,
		SourceRepositoryURI: githubCert.repo, SourceRepositoryRef: githubCert.ref, BuildTrigger: githubCert.trigger}
	for _, tt := range []struct {
		name string
		edit func(id *attest.Identity)
		ok   bool
	}{
		{"every pin", func(*attest.Identity) {}, true},
		{"identity regexp", func(id *attest.Identity) {
			id.SAN, id.SANRegexp = "", `https://github\.com/acme/policies/\.github/workflows/attest\.yml@refs/heads/.*`
		}, true},
		{"another repository", func(id *attest.Identity) { id.SourceRepositoryURI = "https://github.com/acme/policies-fork" }, false},
		{"another ref", func(id *attest.Identity) { id.SourceRepositoryRef = "refs/heads/feature" }, false},
		{"another trigger", func(id *attest.Identity) { id.BuildTrigger = "workflow_dispatch" }, false},
		{"another workflow", func(id *attest.Identity) {
			id.SAN = "https://github.com/acme/policies/.github/workflows/other.yml@refs/heads/main"
		}, false},
		{"another issuer", func(id *attest.Identity) { id.Issuer = "https://gitlab.com" }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id := want
			tt.edit(&id)
			tr, err := attest.TrustCertificateIdentity(trusted, id)
			if err != nil {
				t.Fatal(err)
			}
			res, err := attest.Verify(b, attest.Artifact{Path: specPath, Content: specBytes}, tr, attest.Options{Now: now})
			if tt.ok {
				if err != nil {
					t.Fatalf("verify: %v", err)
				}
				if id.SAN != "" && res.Signer != githubCert.san {
					t.Errorf("signer %q", res.Signer)
				}
				return
			}
			if got := reasonOf(err); got != attest.ReasonSignature {
				t.Fatalf("reason %q, want %q (err %v)", got, attest.ReasonSignature, err)
			}
		})
	}
}

func TestSignKeylessRefuses(t *testing.T) {
	ctx := context.Background()
	p, err := attest.NewPredicate(specPath, passed(), workflows(t), origin)
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.Statement(specPath, specBytes, p)
	if err != nil {
		t.Fatal(err)
	}
	_, fulcioSrv := newFulcio(t)
	// A TSA that refuses, as a real one does a malformed request: it shows
	// the timestamp request is made, and that its failure stops signing.
	tsa := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/timestamp-query" {
			t.Errorf("TSA got %s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
		}
		http.Error(w, "malformed timestamp request", http.StatusBadRequest)
	}))
	t.Cleanup(tsa.Close)
	rekorDown := httptest.NewServer(http.NotFoundHandler())
	rekorDown.Close()

	for _, tt := range []struct {
		name string
		k    attest.Keyless
		want string
	}{
		{"no log and no TSA", attest.Keyless{IDToken: idToken, FulcioURL: fulcioSrv.URL}, "name a Rekor log or a timestamp authority"},
		{"no token", attest.Keyless{FulcioURL: fulcioSrv.URL, RekorURL: attest.PublicRekorURL}, "no OIDC token"},
		{"no Fulcio", attest.Keyless{IDToken: idToken, RekorURL: attest.PublicRekorURL}, "no Fulcio URL"},
		{"credentials in a URL", attest.Keyless{IDToken: idToken, FulcioURL: fulcioSrv.URL, RekorURL: "https://user:pass@rekor.example"}, "Rekor URL: the URL carries credentials"},
		{"relative URL", attest.Keyless{IDToken: idToken, FulcioURL: "fulcio.example", RekorURL: attest.PublicRekorURL}, "Fulcio URL: want an absolute"},
		{"Fulcio refuses the token", attest.Keyless{IDToken: "not.a-token.x", FulcioURL: fulcioSrv.URL, TSAURL: tsa.URL}, ""},
		{"TSA refuses", attest.Keyless{IDToken: idToken, FulcioURL: fulcioSrv.URL, TSAURL: tsa.URL}, "timestamp authority returned 400"},
		{"Rekor unreachable", attest.Keyless{IDToken: idToken, FulcioURL: fulcioSrv.URL, RekorURL: rekorDown.URL}, "sign statement"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := attest.SignKeyless(ctx, st, tt.k)
			if err == nil {
				t.Fatalf("signed: %s", b)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), idToken) {
				t.Errorf("the error carries the OIDC token: %q", err)
			}
		})
	}
}
