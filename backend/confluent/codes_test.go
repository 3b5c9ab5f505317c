//go:build cgo

package confluent

import (
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kafkaclient/kafkaclient/backend"
)

// TestTLSAlertIsARefusal checks that a TLS alert from the broker, which
// librdkafka reports as a transport error naming the alert, is CodeSSL and
// fails the waiting calls, while other transport errors stay retriable
// CodeTransport.
func TestTLSAlertIsARefusal(t *testing.T) {
	for _, c := range []struct {
		err     kafka.Error
		code    backend.Code
		refusal bool
	}{
		{kafka.NewError(kafka.ErrTransport, "ssl://h:1/bootstrap: Receive failed: ssl/tls alert bad certificate: SSL alert number 42", false), backend.CodeSSL, true},
		{kafka.NewError(kafka.ErrTransport, "h:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused", false), backend.CodeTransport, false},
		{kafka.NewError(kafka.ErrSsl, "SSL handshake failed: certificate verify failed", false), backend.CodeSSL, true},
		{kafka.NewError(kafka.ErrAuthentication, "SASL authentication error", false), backend.CodeAuthentication, true},
	} {
		if got := (confluentBackend{}).Code(c.err); got != c.code {
			t.Errorf("Code(%v) = %v, want %v", c.err, got, c.code)
		}
		if got := isRefusal(c.err); got != c.refusal {
			t.Errorf("isRefusal(%v) = %t, want %t", c.err, got, c.refusal)
		}
	}
}
