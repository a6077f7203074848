package attest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	intoto "github.com/in-toto/attestation/go/v1"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// The public-good Sigstore instances keyless signing uses unless told
// otherwise. Public-good Sigstore runs no timestamp authority nhigate
// defaults to; name one with Keyless.TSAURL.
const (
	PublicFulcioURL = "https://fulcio.sigstore.dev"
	PublicRekorURL  = "https://rekor.sigstore.dev"
)

// Identity is the workflow (or person) whose short-lived certificate must
// have signed a keyless bundle. SAN or SANRegexp, and Issuer, are
// required; the GitHub pins are checked only when set.
type Identity struct {
	// SAN is the certificate's exact subject alternative name. In GitHub
	// Actions it is the workflow's URI, e.g.
	// https://github.com/acme/policies/.github/workflows/attest.yml@refs/heads/main.
	SAN string
	// SANRegexp matches the whole subject alternative name (it is
	// anchored), for when the exact one is not known ahead.
	SANRegexp string
	// Issuer is the OIDC issuer that vouched for the signer, e.g.
	// https://token.actions.githubusercontent.com.
	Issuer string
	// SourceRepositoryURI pins the repository the workflow ran in, e.g.
	// https://github.com/acme/policies.
	SourceRepositoryURI string
	// SourceRepositoryRef pins the git ref it ran on, e.g. refs/heads/main.
	SourceRepositoryRef string
	// BuildTrigger pins the event that started it, e.g. push.
	BuildTrigger string
}

// TrustCertificateIdentity trusts bundles signed with a certificate that
// a certificate authority in trusted issued to id.
//
// A keyless certificate lives for minutes, so a bundle must prove it was
// signed while the certificate was valid. What proves it follows from
// what trusted holds:
//   - if it lists a transparency log, the bundle must carry an entry in
//     it (verify.WithTransparencyLog(1)); the entry's integrated time and
//     any RFC 3161 timestamps are the times the certificate is checked at
//     (verify.WithObserverTimestamps(1));
//   - otherwise, if it lists a timestamp authority, the bundle must carry
//     an RFC 3161 timestamp from it (verify.WithSignedTimestamps(1));
//   - otherwise nothing can date a signature, and the trust is refused.
//
// If trusted lists certificate transparency logs, as public-good
// Sigstore's root does, the certificate must also carry a signed
// certificate timestamp from one of them.
func TrustCertificateIdentity(trusted root.TrustedMaterial, id Identity) (*Trust, error) {
	if trusted == nil {
		return nil, errors.New("trusted certificate identity: no trusted root: pass the Sigstore trusted root the certificate must chain to")
	}
	if len(trusted.FulcioCertificateAuthorities()) == 0 {
		return nil, errors.New("trusted certificate identity: the trusted root lists no certificate authority")
	}
	certID, err := id.policy()
	if err != nil {
		return nil, fmt.Errorf("trusted certificate identity: %w", err)
	}
	var opts []verify.VerifierOption
	switch {
	case len(trusted.RekorLogs()) > 0:
		opts = append(opts, verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1))
	case len(trusted.TimestampingAuthorities()) > 0:
		opts = append(opts, verify.WithSignedTimestamps(1))
	default:
		return nil, errors.New("trusted certificate identity: the trusted root lists no transparency log and no timestamp authority, so nothing can prove when a short-lived certificate signed")
	}
	if len(trusted.CTLogs()) > 0 {
		opts = append(opts, verify.WithSignedCertificateTimestamps(1))
	}
	name := id.SAN
	if name == "" {
		name = "identity matching " + id.SANRegexp
	}
	return &Trust{
		material: trusted,
		verifier: opts,
		policy:   verify.WithCertificateIdentity(certID),
		name:     name + " (issuer " + id.Issuer + ")",
	}, nil
}

// policy validates id and turns it into sigstore-go's form.
func (id Identity) policy() (verify.CertificateIdentity, error) {
	if id.Issuer == "" {
		return verify.CertificateIdentity{}, errors.New("the OIDC issuer is required, e.g. https://token.actions.githubusercontent.com")
	}
	if (id.SAN == "") == (id.SANRegexp == "") {
		return verify.CertificateIdentity{}, errors.New("give exactly one of the exact identity (SAN) and an identity regexp")
	}
	sanRegexp := ""
	if id.SANRegexp != "" {
		// Anchor it: an unanchored pattern for acme/policies would also
		// match acme/policies-fork.
		sanRegexp = "^(?:" + id.SANRegexp + ")$"
		if _, err := regexp.Compile(sanRegexp); err != nil {
			return verify.CertificateIdentity{}, fmt.Errorf("identity regexp: %w", err)
		}
	}
	san, err := verify.NewSANMatcher(id.SAN, sanRegexp)
	if err != nil {
		return verify.CertificateIdentity{}, fmt.Errorf("identity regexp: %w", err)
	}
	issuer, err := verify.NewIssuerMatcher(id.Issuer, "")
	if err != nil {
		return verify.CertificateIdentity{}, err
	}
	return verify.NewCertificateIdentity(san, issuer, certificate.Extensions{
		SourceRepositoryURI: id.SourceRepositoryURI,
		SourceRepositoryRef: id.SourceRepositoryRef,
		BuildTrigger:        id.BuildTrigger,
	})
}

// Keyless says where to get a short-lived certificate and the proof of
// when it signed.
type Keyless struct {
	// IDToken is the OIDC token Fulcio issues the certificate for; in
	// GitHub Actions, get it with GitHubIDToken.
	IDToken string
	// FulcioURL is the certificate authority, e.g. PublicFulcioURL.
	FulcioURL string
	// RekorURL is the transparency log to record the signature in, e.g.
	// PublicRekorURL; empty for none.
	RekorURL string
	// TSAURL is the full URL of an RFC 3161 timestamp authority, e.g.
	// https://timestamp.sigstore.dev/api/v1/timestamp; empty for none.
	TSAURL string
	// Timeout bounds each request; zero means 30 seconds.
	Timeout time.Duration
}

// SignKeyless signs the statement with a fresh key and a Fulcio
// certificate for k.IDToken, records the signature in k.RekorURL's log
// and/or timestamps it at k.TSAURL, and returns the bundle as JSON. It
// refuses to sign without a log or a timestamp authority: the
// certificate expires within minutes, and only they can later prove it
// was valid when it signed.
func SignKeyless(ctx context.Context, st *intoto.Statement, k Keyless) ([]byte, error) {
	opts, err := k.bundleOptions()
	if err != nil {
		return nil, err
	}
	key, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		return nil, fmt.Errorf("keyless: generate key: %w", err)
	}
	return Sign(ctx, st, key, opts)
}

func (k Keyless) bundleOptions() (sign.BundleOptions, error) {
	if k.IDToken == "" {
		return sign.BundleOptions{}, errors.New("keyless: no OIDC token to get a certificate with")
	}
	if k.FulcioURL == "" {
		return sign.BundleOptions{}, errors.New("keyless: no Fulcio URL")
	}
	if k.RekorURL == "" && k.TSAURL == "" {
		return sign.BundleOptions{}, errors.New("keyless: name a Rekor log or a timestamp authority (or both): without one, the bundle stops verifying when its certificate expires, minutes after signing")
	}
	for _, u := range []struct{ name, url string }{{"Fulcio", k.FulcioURL}, {"Rekor", k.RekorURL}, {"timestamp authority", k.TSAURL}} {
		if u.url == "" {
			continue
		}
		if err := checkServiceURL(u.url); err != nil {
			return sign.BundleOptions{}, fmt.Errorf("keyless: %s URL: %w", u.name, err)
		}
	}
	timeout := k.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	opts := sign.BundleOptions{
		CertificateProvider:        sign.NewFulcio(&sign.FulcioOptions{BaseURL: strings.TrimSuffix(k.FulcioURL, "/"), Timeout: timeout, Retries: 1}),
		CertificateProviderOptions: &sign.CertificateProviderOptions{IDToken: k.IDToken},
	}
	if k.RekorURL != "" {
		opts.TransparencyLogs = append(opts.TransparencyLogs, sign.NewRekor(&sign.RekorOptions{BaseURL: strings.TrimSuffix(k.RekorURL, "/"), Timeout: timeout, Retries: 1}))
	}
	if k.TSAURL != "" {
		opts.TimestampAuthorities = append(opts.TimestampAuthorities, sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{URL: k.TSAURL, Timeout: timeout, Retries: 1}))
	}
	return opts, nil
}

// checkServiceURL accepts an absolute http(s) URL without credentials:
// errors name these URLs, and must never carry a secret.
func checkServiceURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a URL")
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("want an absolute https:// URL")
	}
	if u.User != nil {
		return errors.New("the URL carries credentials; nhigate does not send them")
	}
	return nil
}

// GitHubOIDCAudience is the audience Fulcio accepts GitHub tokens for.
const GitHubOIDCAudience = "sigstore"

// maxTokenResponse bounds the token response; a real one is ~2 KiB.
const maxTokenResponse = 64 << 10

// GitHubIDToken asks GitHub Actions for an OIDC token for Fulcio.
// requestURL and requestToken are the job's ACTIONS_ID_TOKEN_REQUEST_URL
// and ACTIONS_ID_TOKEN_REQUEST_TOKEN, which GitHub sets only for a job
// with "permissions: id-token: write". Errors never carry either token.
func GitHubIDToken(ctx context.Context, client *http.Client, requestURL, requestToken string) (string, error) {
	if requestURL == "" || requestToken == "" {
		return "", errors.New("GitHub OIDC token: ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set; keyless signing runs in a GitHub Actions job with \"permissions: id-token: write\"")
	}
	u, err := url.Parse(requestURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
		return "", errors.New("GitHub OIDC token: ACTIONS_ID_TOKEN_REQUEST_URL is not an http(s) URL without credentials")
	}
	q := u.Query()
	q.Set("audience", GitHubOIDCAudience)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", fmt.Errorf("GitHub OIDC token: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+requestToken)
	req.Header.Set("Accept", "application/json")
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		// *url.Error names the URL; say only what went wrong and where.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("GitHub OIDC token: request to %s: %w", u.Host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse+1))
	if err != nil {
		return "", fmt.Errorf("GitHub OIDC token: read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		// The body is not echoed: nothing in it helps, and it might
		// reflect the request.
		return "", fmt.Errorf("GitHub OIDC token: %s answered %s; check the job has \"permissions: id-token: write\"", u.Host, resp.Status)
	}
	if len(body) > maxTokenResponse {
		return "", fmt.Errorf("GitHub OIDC token: the response is over %d bytes", maxTokenResponse)
	}
	var tok struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.Value == "" {
		return "", errors.New("GitHub OIDC token: the response holds no token")
	}
	return tok.Value, nil
}
