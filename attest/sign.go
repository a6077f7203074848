package attest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"

	intoto "github.com/in-toto/attestation/go/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"google.golang.org/protobuf/encoding/protojson"
)

// BundleMediaType is the only Sigstore bundle version nhigate writes and
// accepts.
const BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// inTotoPayloadType is the DSSE payload type of an in-toto statement.
const inTotoPayloadType = "application/vnd.in-toto+json"

// Key is a private signing key: ECDSA P-256 or Ed25519. It implements
// sign.Keypair.
type Key struct {
	signer crypto.Signer
	alg    protocommon.PublicKeyDetails
	hash   crypto.Hash // zero for Ed25519, which hashes as it signs
	hint   []byte
}

var _ sign.Keypair = (*Key)(nil)

// LoadKey reads a PEM private key: PKCS#8, SEC 1 EC, or cosign's encrypted
// format ("ENCRYPTED SIGSTORE PRIVATE KEY", as cosign generate-key-pair
// writes it), which password decrypts. password is called only for an
// encrypted key and may be nil otherwise.
func LoadKey(pemBytes []byte, password func() ([]byte, error)) (*Key, error) {
	pf := func(bool) ([]byte, error) {
		if password == nil {
			return nil, errors.New("the key is encrypted and no password was given")
		}
		return password()
	}
	priv, err := cryptoutils.UnmarshalPEMToPrivateKey(pemBytes, pf)
	if err != nil {
		return nil, fmt.Errorf("read private key: %w", err)
	}
	return NewKey(priv)
}

// NewKey wraps a private key for signing.
func NewKey(priv crypto.PrivateKey) (*Key, error) {
	k := &Key{}
	switch p := priv.(type) {
	case *ecdsa.PrivateKey:
		if p.Curve != elliptic.P256() {
			return nil, fmt.Errorf("unsupported ECDSA curve %s: use P-256 or Ed25519", p.Curve.Params().Name)
		}
		k.signer, k.alg, k.hash = p, protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256, crypto.SHA256
	case ed25519.PrivateKey:
		k.signer, k.alg = p, protocommon.PublicKeyDetails_PKIX_ED25519
	default:
		return nil, fmt.Errorf("unsupported private key type %T: use ECDSA P-256 or Ed25519", priv)
	}
	der, err := x509.MarshalPKIXPublicKey(k.signer.Public())
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	sum := sha256.Sum256(der)
	k.hint = []byte(base64.StdEncoding.EncodeToString(sum[:]))
	return k, nil
}

// GetHashAlgorithm returns the hash the signature covers.
func (k *Key) GetHashAlgorithm() protocommon.HashAlgorithm {
	if k.hash == crypto.SHA256 {
		return protocommon.HashAlgorithm_SHA2_256
	}
	// Pure Ed25519 signs the message itself; SHA-512 is what it hashes with.
	return protocommon.HashAlgorithm_SHA2_512
}

// GetSigningAlgorithm returns the key's algorithm.
func (k *Key) GetSigningAlgorithm() protocommon.PublicKeyDetails { return k.alg }

// GetHint returns the key's fingerprint: base64 sha256 of its PKIX form.
func (k *Key) GetHint() []byte { return k.hint }

// GetKeyAlgorithm returns the key family, as Fulcio names it.
func (k *Key) GetKeyAlgorithm() string {
	if k.alg == protocommon.PublicKeyDetails_PKIX_ED25519 {
		return "ED25519"
	}
	return "ECDSA"
}

// GetPublicKey returns the public key.
func (k *Key) GetPublicKey() crypto.PublicKey { return k.signer.Public() }

// GetPublicKeyPem returns the public key as PEM.
func (k *Key) GetPublicKeyPem() (string, error) {
	b, err := cryptoutils.MarshalPublicKeyToPEM(k.signer.Public())
	return string(b), err
}

// SignData signs data and returns the signature and what was signed: the
// digest, or for Ed25519 the data itself.
func (k *Key) SignData(_ context.Context, data []byte) ([]byte, []byte, error) {
	toSign := data
	if k.hash != 0 {
		h := k.hash.New()
		h.Write(data)
		toSign = h.Sum(nil)
	}
	sig, err := k.signer.Sign(rand.Reader, toSign, k.hash)
	if err != nil {
		return nil, nil, err
	}
	return sig, toSign, nil
}

// Sign signs the statement into a Sigstore bundle (v0.3, a DSSE envelope)
// and returns the bundle as JSON. opts carries a certificate provider,
// timestamp authorities and transparency logs for keyless signing; with a
// plain key it may be zero.
func Sign(ctx context.Context, st *intoto.Statement, keypair sign.Keypair, opts sign.BundleOptions) ([]byte, error) {
	if keypair == nil {
		return nil, errors.New("sign: no key")
	}
	payload, err := protojson.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encode statement: %w", err)
	}
	opts.Context = ctx
	b, err := sign.Bundle(&sign.DSSEData{Data: payload, PayloadType: inTotoPayloadType}, keypair, opts)
	if err != nil {
		return nil, fmt.Errorf("sign statement: %w", err)
	}
	out, err := protojson.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("encode bundle: %w", err)
	}
	return out, nil
}
