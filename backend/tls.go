package backend

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
)

// TLSConfig builds the *tls.Config a pure-Go backend dials with: the CA file
// (ssl.ca.location, else the system roots), the client certificate and key
// (ssl.certificate.location, ssl.key.location), TLS 1.2 or later, and the
// broker's hostname verified unless SkipHostnameVerification (the chain is
// verified either way). An encrypted key (ssl.key.password) is refused with
// CodeUnsupported naming backendName: decrypt the key file instead.
func TLSConfig(s Security, backendName string) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			return nil, WithCode(CodeBadConfig, fmt.Errorf("ssl.ca.location: %w", err))
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, Errorf(CodeBadConfig, "ssl.ca.location %q holds no PEM certificate", s.CAFile)
		}
		tc.RootCAs = pool
	}
	if s.CertFile != "" {
		if s.KeyPassword != "" {
			return nil, Errorf(CodeUnsupported, "ssl.key.password (an encrypted ssl.key.location) is not supported by the %s backend: decrypt the key file", backendName)
		}
		cert, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile)
		if err != nil {
			return nil, WithCode(CodeBadConfig, fmt.Errorf("ssl.certificate.location/ssl.key.location: %w", err))
		}
		tc.Certificates = []tls.Certificate{cert}
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
