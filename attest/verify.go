package attest

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	intoto "github.com/in-toto/attestation/go/v1"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"
)

// MaxBundleSize bounds the bundle Verify reads; a real one is a few KiB.
const MaxBundleSize = 4 << 20

// Reason names why a bundle was refused. Callers act on it; people read
// VerificationError's message.
type Reason string

// The reasons.
const (
	ReasonMalformed          Reason = "malformed-bundle"
	ReasonMediaType          Reason = "unsupported-media-type"
	ReasonSignature          Reason = "signature"
	ReasonSubject            Reason = "subject-mismatch"
	ReasonPredicateType      Reason = "predicate-type"
	ReasonPredicate          Reason = "malformed-predicate"
	ReasonNotPassed          Reason = "not-passed"
	ReasonUnapproved         Reason = "unapproved"
	ReasonApprovalsUnchecked Reason = "approvals-unchecked"
	ReasonExpired            Reason = "expired"
	// ReasonExceptionExpired: an exception the review relied on to pass
	// expired before the grants did (the predicate's validUntil passed).
	ReasonExceptionExpired Reason = "exception-expired"
)

// VerificationError says why a bundle does not vouch for a spec.
type VerificationError struct {
	Reason Reason
	Msg    string
	Err    error // the underlying cause, if any
}

func (e *VerificationError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Reason, e.Msg, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Reason, e.Msg)
}

func (e *VerificationError) Unwrap() error { return e.Err }

func refuse(r Reason, err error, format string, args ...any) *VerificationError {
	return &VerificationError{Reason: r, Msg: fmt.Sprintf(format, args...), Err: err}
}

// Trust is whom a bundle must be signed by. There is no default: build one
// with TrustKeyWithoutTimestampsUnsafe.
type Trust struct {
	material root.TrustedMaterial
	verifier []verify.VerifierOption
	policy   verify.PolicyOption
	name     string
}

// TrustKeyWithoutTimestampsUnsafe trusts bundles signed by pub (ECDSA
// P-256 or Ed25519). It requires no transparency-log entry and no signed
// timestamp, so it cannot tell when a signature was made: if the key
// leaks, bundles signed after the leak verify too. Rotate the key to
// revoke.
func TrustKeyWithoutTimestampsUnsafe(pub crypto.PublicKey) (*Trust, error) {
	v, err := signature.LoadDefaultVerifier(pub)
	if err != nil {
		return nil, fmt.Errorf("trusted key: %w", err)
	}
	key := root.NewExpiringKey(v, time.Time{}, time.Time{})
	material := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) { return key, nil })
	return &Trust{
		material: material,
		verifier: []verify.VerifierOption{verify.WithNoObserverTimestamps()},
		policy:   verify.WithKey(),
		name:     "key",
	}, nil
}

// Artifact is the spec file a deployer is about to apply.
type Artifact struct {
	// Path names the file; the subject's repo-relative path must equal it
	// or be its trailing path elements (the file sits in a checkout).
	Path    string
	Content []byte
}

// Options are the checks' parameters. Now is required.
type Options struct {
	// Now is the time expiry is judged at.
	Now time.Time
	// AcceptUncheckedApprovalsUnsafe accepts a bundle signed in local mode,
	// where nobody's approval was verified.
	AcceptUncheckedApprovalsUnsafe bool
}

// Result is what a verified bundle proves.
type Result struct {
	Subject   string
	Signer    string // "key", or the certificate identity
	Predicate *Predicate
	// ValidUntil is when the verdict stops holding: the predicate's
	// validUntil, or its expiresAt for a predicate from before validUntil
	// that relied on no exception.
	ValidUntil time.Time
}

// Verify checks that bundleJSON is a Sigstore bundle signed by trust over
// an nhigate statement about art, whose review passed with every approval
// and whose grants have not expired at opts.Now. Any other outcome is a
// *VerificationError naming the reason.
func Verify(bundleJSON []byte, art Artifact, trust *Trust, opts Options) (*Result, error) {
	if trust == nil {
		return nil, errors.New("verify: no trust decision: pass the key (or identity) the bundle must be signed by")
	}
	if opts.Now.IsZero() {
		return nil, errors.New("verify: Options.Now is required")
	}
	if art.Path == "" {
		return nil, errors.New("verify: the artifact has no path")
	}
	b, err := parseBundle(bundleJSON)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(art.Content)
	digest := hex.EncodeToString(sum[:])
	// The statement is decoded once here, with encoding/json: protojson
	// is most of the cost of a verification, and sigstore-go decodes it
	// again for itself. Name a mismatched file before checking the
	// signature: either way the bundle is refused, and this says why in
	// the terms a deployer acts on. Only the signed statement is trusted
	// below; the payload is the signed bytes.
	payload, perr := unverifiedStatement(b)
	if perr == nil {
		if err := checkSubjects(payload.subjects(), art, digest); err != nil {
			return nil, err
		}
	}
	// sigstore-go would decode the statement's predicate into a structpb
	// tree, most of the cost of a verification; strictStatement holds the
	// statement to the same protojson reading without building that tree.
	v, err := verify.NewVerifier(trust.material, append(slices.Clip(trust.verifier), verify.WithoutStatementPredicate())...)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	// sigstore-go would read the statement once more to match the
	// artifact's digest; artifactDigest makes the same check on the
	// statement the verification returns.
	res, err := v.Verify(b, verify.NewPolicy(verify.WithoutArtifactUnsafe(), trust.policy))
	if err == nil {
		err = artifactDigest(res.Statement, sum[:])
	}
	if err == nil {
		err = strictStatement(b.GetDsseEnvelope().GetPayload())
	}
	if err != nil {
		return nil, refuse(ReasonSignature, err, "the bundle is not validly signed by the trusted %s", trust.name)
	}
	st := res.Statement
	if st == nil {
		return nil, refuse(ReasonMalformed, nil, "the bundle carries no in-toto statement")
	}
	if err := checkSubject(st, art, digest); err != nil {
		return nil, err
	}
	if st.GetPredicateType() != PredicateType {
		return nil, refuse(ReasonPredicateType, nil, "predicate type is %q, want %q", st.GetPredicateType(), PredicateType)
	}
	if perr != nil {
		return nil, refuse(ReasonMalformed, perr, "the signed statement cannot be read")
	}
	p := payload.decoded
	if p == nil {
		if p, err = decodePredicate(payload.Predicate); err != nil {
			return nil, err
		}
	}
	until, err := checkPredicate(p, opts)
	if err != nil {
		return nil, err
	}
	signer := trust.name
	// The certificate's own name: a policy given as a regexp names a
	// pattern, not the signer.
	if res.VerifiedIdentity != nil && res.Signature != nil && res.Signature.Certificate != nil {
		signer = res.Signature.Certificate.SubjectAlternativeName
	}
	return &Result{Subject: st.GetSubject()[0].GetName(), Signer: signer, Predicate: p, ValidUntil: until}, nil
}

// artifactDigest is sigstore-go's check of an artifact digest against a
// verified statement, as verify.WithArtifactDigest makes it: at most 1,024
// subjects of at most 32 digests each, every digest hex, and one subject
// with the artifact's sha256.
func artifactDigest(st *intoto.Statement, sha256 []byte) error {
	if st == nil {
		return errors.New("could not verify artifact: unable to extract statement from envelope")
	}
	if n := len(st.GetSubject()); n > 1024 {
		return fmt.Errorf("too many subjects: %d > 1024", n)
	}
	found := false
	for _, s := range st.GetSubject() {
		if n := len(s.GetDigest()); n > 32 {
			return fmt.Errorf("too many digests: %d > 32", n)
		}
		for alg, d := range s.GetDigest() {
			h, err := hex.DecodeString(d)
			if err != nil {
				return fmt.Errorf("could not verify artifact: unable to decode subject digest: %w", err)
			}
			if alg == "sha256" && bytes.Equal(h, sha256) {
				found = true
			}
		}
	}
	if !found {
		return errors.New("provided artifact digest does not match any digest in statement")
	}
	return nil
}

// strictStatement reads the signed in-toto statement as sigstore-go's
// Envelope.Statement does, with protojson: valid UTF-8, no unknown or
// duplicate fields, each of the right type. The predicate, a
// google.protobuf.Struct there, is checked apart for what protojson checks
// of a Struct, a JSON object without duplicate keys, and replaced by {}
// before protojson reads the rest, so that no structpb tree is built.
func strictStatement(payload []byte) error {
	if !utf8.Valid(payload) {
		return errStatementJSON
	}
	stripped, err := stripPredicate(payload)
	if err != nil {
		return errStatementJSON
	}
	if err := protojson.Unmarshal(stripped, &intoto.Statement{}); err != nil {
		return errStatementJSON
	}
	return nil
}

// errStatementJSON is how sigstore-go reported a statement protojson
// refused.
var errStatementJSON = fmt.Errorf("failed to fetch envelope statement: %w", bundle.ErrDecodingJSON)

// stripPredicate returns payload with each top-level "predicate" object
// replaced by {}, after checking that the object is valid JSON without
// duplicate keys at any depth. Anything else is left for protojson to judge.
// It reads the JSON by hand: encoding/json's tokenizer cost as much as the
// structpb tree it replaces.
func stripPredicate(payload []byte) ([]byte, error) {
	s := &jsonScan{b: payload}
	s.ws()
	if !s.eat('{') {
		return payload, nil // protojson refuses it
	}
	var out []byte
	copied := 0
	s.ws()
	if s.eat('}') {
		return payload, nil
	}
	for {
		s.ws()
		key, err := s.key()
		if err != nil {
			return nil, err
		}
		s.ws()
		if !s.eat(':') {
			return nil, errJSONSyntax
		}
		s.ws()
		start := s.i
		if err := s.value(0); err != nil {
			return nil, err
		}
		if key == "predicate" && payload[start] == '{' {
			out = append(append(out, payload[copied:start]...), "{}"...)
			copied = s.i
		}
		s.ws()
		if s.eat('}') {
			break
		}
		if !s.eat(',') {
			return nil, errJSONSyntax
		}
	}
	if out == nil {
		return payload, nil
	}
	return append(out, payload[copied:]...), nil
}

var errJSONSyntax = errors.New("invalid JSON")

// maxPredicateDepth bounds the nesting of a predicate; protojson's own
// limit is deeper, so nothing it refuses for depth is accepted.
const maxPredicateDepth = 1000

// jsonScan checks JSON syntax by hand, and that no object holds a key
// twice, keys compared after unescaping as protojson compares them.
type jsonScan struct {
	b []byte
	i int
}

func (s *jsonScan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jsonScan) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *jsonScan) value(depth int) error {
	if depth > maxPredicateDepth {
		return fmt.Errorf("nested deeper than %d", maxPredicateDepth)
	}
	if s.i >= len(s.b) {
		return errJSONSyntax
	}
	switch c := s.b[s.i]; {
	case c == '{':
		s.i++
		s.ws()
		if s.eat('}') {
			return nil
		}
		var keys []string
		var set map[string]bool
		for {
			s.ws()
			k, err := s.key()
			if err != nil {
				return err
			}
			if set == nil && len(keys) == 16 {
				set = map[string]bool{}
				for _, x := range keys {
					set[x] = true
				}
			}
			if set != nil {
				if set[k] {
					return fmt.Errorf("duplicate key %q", k)
				}
				set[k] = true
			} else {
				if slices.Contains(keys, k) {
					return fmt.Errorf("duplicate key %q", k)
				}
				keys = append(keys, k)
			}
			s.ws()
			if !s.eat(':') {
				return errJSONSyntax
			}
			s.ws()
			if err := s.value(depth + 1); err != nil {
				return err
			}
			s.ws()
			if s.eat('}') {
				return nil
			}
			if !s.eat(',') {
				return errJSONSyntax
			}
		}
	case c == '[':
		s.i++
		s.ws()
		if s.eat(']') {
			return nil
		}
		for {
			s.ws()
			if err := s.value(depth + 1); err != nil {
				return err
			}
			s.ws()
			if s.eat(']') {
				return nil
			}
			if !s.eat(',') {
				return errJSONSyntax
			}
		}
	case c == '"':
		_, err := s.key()
		return err
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	for _, lit := range []string{"true", "false", "null"} {
		if bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
			s.i += len(lit)
			return nil
		}
	}
	return errJSONSyntax
}

// number reads -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScan) number() error {
	s.eat('-')
	digits := func() int {
		n := 0
		for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.eat('0') {
		// no more digits may follow a leading zero
	} else if digits() == 0 {
		return errJSONSyntax
	}
	if s.eat('.') && digits() == 0 {
		return errJSONSyntax
	}
	if s.eat('e') || s.eat('E') {
		if !s.eat('+') {
			s.eat('-')
		}
		if digits() == 0 {
			return errJSONSyntax
		}
	}
	return nil
}

// key reads a string and returns it unescaped.
func (s *jsonScan) key() (string, error) {
	if !s.eat('"') {
		return "", errJSONSyntax
	}
	start := s.i
	escaped := false
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			raw := s.b[start:s.i]
			s.i++
			if !escaped {
				return string(raw), nil
			}
			return unescape(raw)
		case c < 0x20:
			return "", errJSONSyntax
		case c == '\\':
			escaped = true
			s.i += 2
		default:
			s.i++
		}
	}
	return "", errJSONSyntax
}

// unescape decodes the escapes of a JSON string, refusing a lone UTF-16
// surrogate, as protojson does.
func unescape(raw []byte) (string, error) {
	var out []byte
	for i := 0; i < len(raw); {
		if raw[i] != '\\' {
			out = append(out, raw[i])
			i++
			continue
		}
		if i+1 >= len(raw) {
			return "", errJSONSyntax
		}
		switch c := raw[i+1]; c {
		case '"', '\\', '/':
			out = append(out, c)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(raw[i+2:])
			if !ok {
				return "", errJSONSyntax
			}
			i += 6
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if i+1 < len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					r2, ok = hex4(raw[i+2:])
				}
				if r = utf16.DecodeRune(r, r2); !ok || r == utf8.RuneError {
					return "", errJSONSyntax
				}
				i += 6
			}
			out = utf8.AppendRune(out, r)
			continue
		default:
			return "", errJSONSyntax
		}
		i += 2
	}
	return string(out), nil
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func parseBundle(data []byte) (*bundle.Bundle, error) {
	if len(data) > MaxBundleSize {
		return nil, refuse(ReasonMalformed, nil, "the bundle is %d bytes, over the limit of %d", len(data), MaxBundleSize)
	}
	pb := &protobundle.Bundle{}
	perr := protojson.Unmarshal(data, pb)
	// What protojson reads is valid JSON whose keys are known and
	// unique, so encoding/json would read the media type as pb holds it,
	// unless the key is spelled "media_type", protojson's other name for
	// it, which encoding/json does not match; an escape could spell that
	// too. Otherwise read the head first, as before, so that another
	// version is named as such rather than as a parse failure.
	if perr == nil && bytes.IndexByte(data, '\\') < 0 && !bytes.Contains(data, []byte("media_type")) {
		if pb.GetMediaType() != BundleMediaType {
			return nil, refuse(ReasonMediaType, nil, "media type %q; nhigate reads only %s", pb.GetMediaType(), BundleMediaType)
		}
	} else {
		var head struct {
			MediaType string `json:"mediaType"`
		}
		if err := json.Unmarshal(data, &head); err != nil {
			return nil, refuse(ReasonMalformed, err, "the bundle is not JSON")
		}
		if head.MediaType != BundleMediaType {
			return nil, refuse(ReasonMediaType, nil, "media type %q; nhigate reads only %s", head.MediaType, BundleMediaType)
		}
		if perr != nil {
			return nil, refuse(ReasonMalformed, perr, "the bundle is not a Sigstore bundle")
		}
	}
	b, err := bundle.NewBundle(pb)
	if err != nil {
		return nil, refuse(ReasonMalformed, err, "invalid Sigstore bundle")
	}
	if b.GetDsseEnvelope() == nil {
		return nil, refuse(ReasonMalformed, nil, "the bundle holds no DSSE envelope")
	}
	return b, nil
}

// statement is the in-toto statement of a DSSE payload, as encoding/json
// reads it: the subjects, and the predicate left as JSON for the strict
// decoder.
type statement struct {
	Subject []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	Predicate json.RawMessage `json:"predicate"`
	// decoded is the predicate, when it was decoded with the statement.
	decoded *Predicate
}

func (s *statement) subjects() []subject {
	out := make([]subject, len(s.Subject))
	for i, x := range s.Subject {
		out[i] = subject{x.Name, x.Digest["sha256"]}
	}
	return out
}

func unverifiedStatement(b *bundle.Bundle) (*statement, error) {
	env := b.GetDsseEnvelope()
	if env.GetPayloadType() != inTotoPayloadType {
		return nil, fmt.Errorf("payload type %q", env.GetPayloadType())
	}
	// One strict decode of the statement and its predicate together, as
	// the two below would read them; when it fails, they say why.
	var whole struct {
		Type          string `json:"_type"`
		PredicateType string `json:"predicateType"`
		Subject       []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		Predicate *Predicate `json:"predicate"`
	}
	payload := env.GetPayload()
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if dec.Decode(&whole) == nil && whole.Predicate != nil && len(bytes.TrimLeft(payload[dec.InputOffset():], " \t\r\n")) == 0 {
		return &statement{Subject: whole.Subject, decoded: whole.Predicate}, nil
	}
	st := &statement{}
	if err := json.Unmarshal(payload, st); err != nil {
		return nil, err
	}
	return st, nil
}

// subject is a statement's subject: a file name and its sha256.
type subject struct{ name, sha256 string }

func checkSubject(st *intoto.Statement, art Artifact, digest string) error {
	var subjects []subject
	for _, s := range st.GetSubject() {
		subjects = append(subjects, subject{s.GetName(), s.GetDigest()["sha256"]})
	}
	return checkSubjects(subjects, art, digest)
}

func checkSubjects(subjects []subject, art Artifact, digest string) error {
	if len(subjects) != 1 {
		return refuse(ReasonSubject, nil, "the statement has %d subjects; nhigate signs exactly one file per bundle", len(subjects))
	}
	s := subjects[0]
	if s.sha256 != digest {
		return refuse(ReasonSubject, nil, "%s has sha256 %s, but the bundle is for %s with sha256 %s: the file changed since it was signed, or the bundle is for another file",
			art.Path, short(digest), s.name, short(s.sha256))
	}
	if !samePath(s.name, art.Path) {
		return refuse(ReasonSubject, nil, "the bundle is for %s, not %s", s.name, art.Path)
	}
	return nil
}

// samePath reports whether the repo-relative subject names the file at p,
// which may be inside a checkout elsewhere.
func samePath(subject, p string) bool {
	if subject == "" || strings.HasPrefix(subject, "/") {
		return false
	}
	p = path.Clean(strings.ReplaceAll(p, "\\", "/"))
	return p == subject || strings.HasSuffix(p, "/"+subject)
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func decodePredicate(raw json.RawMessage) (*Predicate, error) {
	if len(raw) == 0 {
		return nil, refuse(ReasonPredicate, nil, "the statement has no predicate")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	p := &Predicate{}
	if err := dec.Decode(p); err != nil {
		return nil, refuse(ReasonPredicate, err, "the predicate is not an nhigate review predicate")
	}
	return p, nil
}

// checkPredicate checks what the predicate vouches for, and returns until
// when it holds.
func checkPredicate(p *Predicate, opts Options) (time.Time, error) {
	if p.Policy.Verdict != "pass" {
		return time.Time{}, refuse(ReasonNotPassed, nil, "the review verdict was %q, not pass", p.Policy.Verdict)
	}
	if !p.Approvals.Checked && !opts.AcceptUncheckedApprovalsUnsafe {
		return time.Time{}, refuse(ReasonApprovalsUnchecked, nil, "the bundle was signed in local mode, where approvals were not checked; accept that only deliberately")
	}
	for _, r := range p.Approvals.Requirements {
		if !r.Satisfied {
			return time.Time{}, refuse(ReasonUnapproved, nil, "approval requirement not satisfied: %s", r.Description)
		}
	}
	if len(p.Workflows) == 0 {
		return time.Time{}, refuse(ReasonPredicate, nil, "the predicate lists no workflow")
	}
	if p.ExpiresAt.IsZero() {
		return time.Time{}, refuse(ReasonPredicate, nil, "the predicate has no expiresAt")
	}
	for _, w := range p.Workflows {
		// The top-level expiry must be the earliest: a signer that
		// understated it would be caught here.
		if w.ExpiresAt.IsZero() || w.ExpiresAt.Before(p.ExpiresAt) {
			return time.Time{}, refuse(ReasonPredicate, nil, "workflow %s expires at %s, before the attested expiresAt %s", w.Name, w.ExpiresAt.Format(time.RFC3339), p.ExpiresAt.Format(time.RFC3339))
		}
	}
	until, err := validUntil(p, opts)
	if err != nil {
		return time.Time{}, err
	}
	if opts.Now.Before(until) {
		return until, nil
	}
	if until.Before(p.ExpiresAt) {
		for _, x := range p.Exceptions {
			if x.ExpiresAt.Equal(until) {
				return time.Time{}, refuse(ReasonExceptionExpired, nil, "%s expired at %s: the review relied on it to pass, so the spec is no longer approved; renew the exception in a new pull request, or fix what it waived",
					exceptionText(x), until.Format(time.RFC3339))
			}
		}
	}
	return time.Time{}, refuse(ReasonExpired, nil, "the grants expired at %s", p.ExpiresAt.Format(time.RFC3339))
}

// validUntil checks the predicate's validUntil against its exceptions and
// returns it. A predicate from before validUntil existed holds only when
// its review relied on no exception: then validUntil is expiresAt.
// Otherwise nothing says when the waiver ends, and it is refused.
func validUntil(p *Predicate, opts Options) (time.Time, error) {
	if p.ValidUntil.IsZero() {
		if len(p.Exceptions) > 0 {
			return time.Time{}, refuse(ReasonPredicate, nil, "the predicate lists exceptions but no validUntil")
		}
		for _, r := range p.Policy.Results {
			if r.Excepted {
				return time.Time{}, refuse(ReasonPredicate, nil, "the predicate has no validUntil, yet the review relied on an exception for %s of %s, whose expiry the bundle does not record: attest the spec again with this nhigate", r.Rule, r.Identity)
			}
		}
		return p.ExpiresAt, nil
	}
	if p.ValidUntil.After(p.ExpiresAt) {
		return time.Time{}, refuse(ReasonPredicate, nil, "validUntil %s is after expiresAt %s", p.ValidUntil.Format(time.RFC3339), p.ExpiresAt.Format(time.RFC3339))
	}
	for _, x := range p.Exceptions {
		// validUntil must be the earliest: a signer that overstated it
		// would be caught here.
		if x.ExpiresAt.IsZero() || x.ExpiresAt.Before(p.ValidUntil) {
			return time.Time{}, refuse(ReasonPredicate, nil, "%s expires at %s, before the attested validUntil %s", exceptionText(x), x.ExpiresAt.Format(time.RFC3339), p.ValidUntil.Format(time.RFC3339))
		}
		if !p.Approvals.Checked && opts.AcceptUncheckedApprovalsUnsafe {
			continue
		}
		switch x.Status {
		case "approved":
			if len(x.Approvals) == 0 {
				return time.Time{}, refuse(ReasonUnapproved, nil, "%s is marked approved, but names no approval", exceptionText(x))
			}
		case "unchanged":
		default:
			return time.Time{}, refuse(ReasonUnapproved, nil, "%s was not approved (status %q): the review relied on it anyway", exceptionText(x), x.Status)
		}
	}
	for _, r := range p.Policy.Results {
		if r.Excepted && !slices.ContainsFunc(p.Exceptions, func(x Exception) bool { return x.Identity == r.Identity && sameRule(x.Rule, r.Rule) }) {
			return time.Time{}, refuse(ReasonPredicate, nil, "%s of %s is waived, but the predicate lists no exception for it", r.Rule, r.Identity)
		}
	}
	return p.ValidUntil, nil
}

// exceptionText names an exception as people know it: "exception
// SEC-1234 for NHI-EXP-003 of payments-ci".
func exceptionText(x Exception) string {
	name := "exception " + x.Field
	if x.Ticket != "" {
		name = "exception " + x.Ticket
	}
	return fmt.Sprintf("%s for %s of %s", name, x.Rule, x.Identity)
}

// sameRule reports whether an exception's rule names a result's rule, as
// the policies' waiver does (NHI-EXP-003 waives deny_nhi_exp_003).
func sameRule(exception, result string) bool {
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "-", "_")) }
	return norm(exception) == norm(result)
}
