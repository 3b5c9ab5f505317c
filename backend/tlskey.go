package backend

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
)

// decryptKey returns keyPEM with its private key decrypted with password:
// a PKCS#8 key encrypted with PBES2 (PBKDF2 with HMAC-SHA1 or HMAC-SHA256,
// AES-CBC: what OpenSSL 3 writes by default), or a key in the older
// OpenSSL form with a Proc-Type: 4,ENCRYPTED header. A key that is not
// encrypted is returned as it is.
func decryptKey(keyPEM []byte, password string) ([]byte, error) {
	var out []byte
	found := false
	for rest := keyPEM; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch {
		case block.Type == "ENCRYPTED PRIVATE KEY":
			der, err := decryptPKCS8(block.Bytes, password)
			if err != nil {
				return nil, err
			}
			block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
			found = true
		//lint:ignore SA1019 the older OpenSSL form is still what some tools write; it is only read here
		case x509.IsEncryptedPEMBlock(block): //nolint:staticcheck // see above
			//lint:ignore SA1019 see above
			der, err := x509.DecryptPEMBlock(block, []byte(password)) //nolint:staticcheck // see above
			if err != nil {
				return nil, errWrongKeyPassword
			}
			block = &pem.Block{Type: block.Type, Bytes: der}
			found = true
		}
		out = append(out, pem.EncodeToMemory(block)...)
	}
	if !found {
		return keyPEM, nil
	}
	return out, nil
}

var errWrongKeyPassword = errors.New("ssl.key.password does not decrypt the key")

var (
	oidPBES2          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACWithSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidAES128CBC      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
)

// The ASN.1 of an encrypted PKCS#8 key (RFC 5958, RFC 8018).
type (
	encryptedKeyInfo struct {
		Algorithm algorithmID
		Data      []byte
	}
	algorithmID struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue `asn1:"optional"`
	}
	pbes2Params struct {
		KDF    algorithmID
		Scheme algorithmID
	}
	pbkdf2Params struct {
		Salt       []byte
		Iterations int
		KeyLength  int         `asn1:"optional"`
		PRF        algorithmID `asn1:"optional"`
	}
)

// decryptPKCS8 decrypts the DER of an EncryptedPrivateKeyInfo.
func decryptPKCS8(der []byte, password string) ([]byte, error) {
	var info encryptedKeyInfo
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, fmt.Errorf("encrypted private key: %w", err)
	}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("encrypted private key: scheme %v is not supported: use PBES2 (openssl pkcs8 -topk8 -v2 aes-256-cbc)", info.Algorithm.Algorithm)
	}
	var params pbes2Params
	if _, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &params); err != nil {
		return nil, fmt.Errorf("encrypted private key: %w", err)
	}
	if !params.KDF.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("encrypted private key: key derivation %v is not supported: use PBKDF2", params.KDF.Algorithm)
	}
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(params.KDF.Parameters.FullBytes, &kdf); err != nil {
		return nil, fmt.Errorf("encrypted private key: %w", err)
	}
	var prf func() hash.Hash
	switch {
	case kdf.PRF.Algorithm == nil, kdf.PRF.Algorithm.Equal(oidHMACWithSHA1):
		prf = sha1.New
	case kdf.PRF.Algorithm.Equal(oidHMACWithSHA256):
		prf = sha256.New
	default:
		return nil, fmt.Errorf("encrypted private key: PBKDF2 function %v is not supported: use hmacWithSHA256", kdf.PRF.Algorithm)
	}
	keyLen := map[string]int{oidAES128CBC.String(): 16, oidAES192CBC.String(): 24, oidAES256CBC.String(): 32}[params.Scheme.Algorithm.String()]
	if keyLen == 0 {
		return nil, fmt.Errorf("encrypted private key: cipher %v is not supported: use AES-CBC", params.Scheme.Algorithm)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.Scheme.Parameters.FullBytes, &iv); err != nil || len(iv) != aes.BlockSize {
		return nil, errors.New("encrypted private key: bad AES-CBC parameters")
	}
	if kdf.Iterations <= 0 || kdf.Iterations > 10_000_000 {
		return nil, fmt.Errorf("encrypted private key: %d PBKDF2 iterations", kdf.Iterations)
	}
	key, err := pbkdf2.Key(prf, password, kdf.Salt, kdf.Iterations, keyLen)
	if err != nil {
		return nil, err
	}
	if len(info.Data) == 0 || len(info.Data)%aes.BlockSize != 0 {
		return nil, errors.New("encrypted private key: data is not whole AES blocks")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	plain := make([]byte, len(info.Data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, info.Data)
	// PKCS#7 padding; a wrong password leaves garbage here, or below.
	pad := int(plain[len(plain)-1])
	if pad == 0 || pad > aes.BlockSize {
		return nil, errWrongKeyPassword
	}
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			return nil, errWrongKeyPassword
		}
	}
	plain = plain[:len(plain)-pad]
	if _, err := x509.ParsePKCS8PrivateKey(plain); err != nil {
		return nil, errWrongKeyPassword
	}
	return plain, nil
}
