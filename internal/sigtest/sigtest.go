// Package sigtest makes keyless Sigstore bundles for tests, offline, with
// sigstore-go's VirtualSigstore: a real certificate chain, transparency-log
// entry and signed timestamp, all in memory.
package sigtest

import (
	"encoding/base64"
	"encoding/hex"
	"testing"
	"time"

	"github.com/nhigate/nhigate/attest"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// KeylessBundle has vs sign payload as DSSE with a leaf certificate for
// san and issuer, and returns the v0.3 bundle as JSON: the certificate,
// the Rekor entry (with its inclusion proof and promise) and the RFC 3161
// timestamp, as a real keyless signing records them.
func KeylessBundle(t testing.TB, vs *ca.VirtualSigstore, san, issuer string, payload []byte) []byte {
	t.Helper()
	entity, err := vs.AttestAtTime(san, issuer, payload, time.Now().Add(5*time.Minute), true)
	if err != nil {
		t.Fatal(err)
	}
	vc, err := entity.VerificationContent()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := entity.SignatureContent()
	if err != nil {
		t.Fatal(err)
	}
	env := sc.EnvelopeContent().RawEnvelope()
	body, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	pe := &protodsse.Envelope{Payload: body, PayloadType: env.PayloadType}
	for _, s := range env.Signatures {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil {
			t.Fatal(err)
		}
		pe.Signatures = append(pe.Signatures, &protodsse.Signature{Sig: sig, Keyid: s.KeyID})
	}
	timestamps, err := entity.Timestamps()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := entity.TlogEntries()
	if err != nil {
		t.Fatal(err)
	}
	vm := &protobundle.VerificationMaterial{
		Content:                   &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: vc.Certificate().Raw}},
		TimestampVerificationData: &protobundle.TimestampVerificationData{},
	}
	for _, ts := range timestamps {
		vm.TimestampVerificationData.Rfc3161Timestamps = append(vm.TimestampVerificationData.Rfc3161Timestamps, &protocommon.RFC3161SignedTimestamp{SignedTimestamp: ts})
	}
	for _, e := range entries {
		vm.TlogEntries = append(vm.TlogEntries, WithPromise(t, vs, e))
	}
	out, err := protojson.Marshal(&protobundle.Bundle{
		MediaType:            attest.BundleMediaType,
		VerificationMaterial: vm,
		Content:              &protobundle.Bundle_DsseEnvelope{DsseEnvelope: pe},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// WithPromise is the entry as Rekor returns it: tlog.Entry keeps its
// signed entry timestamp private, so vs signs it again (over the same
// fields, so it verifies the same way), and the kind is named.
func WithPromise(t testing.TB, vs *ca.VirtualSigstore, e *tlog.Entry) *protorekor.TransparencyLogEntry {
	t.Helper()
	tle := proto.Clone(e.TransparencyLogEntry()).(*protorekor.TransparencyLogEntry)
	set, err := vs.RekorSignPayload(tlog.RekorPayload{
		Body:           base64.StdEncoding.EncodeToString(tle.GetCanonicalizedBody()),
		IntegratedTime: tle.GetIntegratedTime(),
		LogIndex:       tle.GetLogIndex(),
		LogID:          hex.EncodeToString(tle.GetLogId().GetKeyId()),
	})
	if err != nil {
		t.Fatal(err)
	}
	tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}
	tle.KindVersion = &protorekor.KindVersion{Kind: "dsse", Version: "0.0.1"}
	return tle
}
