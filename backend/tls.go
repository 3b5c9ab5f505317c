package backend

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
)

// TLSConfig builds the *tls.Config a pure-Go backend dials with: the CAs
// (ssl.ca.location or ssl.ca.pem, else the system roots), the client
// certificate and key for mutual TLS (ssl.certificate.location or
// ssl.certificate.pem, ssl.key.location or ssl.key.pem, the key decrypted
// with ssl.key.password when it is encrypted), TLS 1.2 or later, and the
// broker's hostname verified unless SkipHostnameVerification (the chain is
// verified either way).
func TLSConfig(s Security, backendName string) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	ca, err := pemSetting("ssl.ca", s.CAPEM, s.CAFile)
	if err != nil {
		return nil, err
	}
	if ca != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			return nil, Errorf(CodeBadConfig, "ssl.ca.location/ssl.ca.pem holds no PEM certificate")
		}
		tc.RootCAs = pool
	}
	cert, err := pemSetting("ssl.certificate", s.CertPEM, s.CertFile)
	if err != nil {
		return nil, err
	}
	key, err := pemSetting("ssl.key", s.KeyPEM, s.KeyFile)
	if err != nil {
		return nil, err
	}
	if cert != nil || key != nil {
		if s.KeyPassword != "" {
			if key, err = decryptKey(key, s.KeyPassword); err != nil {
				return nil, WithCode(CodeBadConfig, fmt.Errorf("ssl.key.password: %w", err))
			}
		}
		pair, err := tls.X509KeyPair(cert, key)
		if err != nil {
			return nil, WithCode(CodeBadConfig, fmt.Errorf("ssl.certificate and ssl.key: %w", err))
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	if s.SkipHostnameVerification {
		// Verify the chain but not the name.
		tc.InsecureSkipVerify = true
		roots := tc.RootCAs
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("broker sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			return err
		}
	}
	return tc, nil
}

// pemSetting returns the PEM of setting (ssl.ca, say): the text of its .pem
// form, or the content of its .location file; nil when neither is set.
func pemSetting(setting, text, file string) ([]byte, error) {
	if text != "" {
		return []byte(text), nil
	}
	if file == "" {
		return nil, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, WithCode(CodeBadConfig, fmt.Errorf("%s.location: %w", setting, err))
	}
	return b, nil
}

// ParseGroupState maps a group state as brokers report it, in the classic
// or the KIP-848 spelling ("Stable", "STABLE", "ASSIGNING", ...), to a
// GroupState.
func ParseGroupState(s string) GroupState {
	switch strings.ToUpper(s) {
	case "STABLE":
		return GroupStateStable
	case "EMPTY":
		return GroupStateEmpty
	case "PREPARINGREBALANCE", "ASSIGNING", "RECONCILING":
		return GroupStatePreparingRebalance
	case "COMPLETINGREBALANCE":
		return GroupStateCompletingRebalance
	case "DEAD":
		return GroupStateDead
	}
	return GroupStateUnknown
}
