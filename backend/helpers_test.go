package backend

import (
	"crypto/tls"
	"io"
	"log/slog"
	"testing"
)

// TestLogLevelsMapBothWays checks the mapping between slog and a client's
// own levels, here syslog's as librdkafka uses them: the filter is the most
// verbose level the logger records, and every client level lands on the
// slog level of its severity.
func TestLogLevelsMapBothWays(t *testing.T) {
	syslog := LogLevels[int]{Off: 0, Error: 3, Warn: 4, Info: 6, Debug: 7}
	if got := syslog.Filter(nil); got != 0 {
		t.Errorf("Filter(nil) = %d, want Off", got)
	}
	for min, want := range map[slog.Level]int{slog.LevelDebug: 7, slog.LevelInfo: 6, slog.LevelWarn: 4, slog.LevelError: 3, slog.LevelError + 4: 3} {
		l := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: min}))
		if got := syslog.Filter(l); got != want {
			t.Errorf("Filter(logger at %v) = %d, want %d", min, got, want)
		}
	}
	for v, want := range map[int]slog.Level{2: slog.LevelError, 3: slog.LevelError, 4: slog.LevelWarn, 5: slog.LevelInfo, 6: slog.LevelInfo, 7: slog.LevelDebug} {
		if got := syslog.Slog(v); got != want {
			t.Errorf("Slog(%d) = %v, want %v", v, got, want)
		}
	}
}

// TestNetworkCodeOfARefusedClientCertificate checks that a broker's TLS
// alert, here for a client certificate it requires and did not get, is
// CodeSSL: the refusal is final, not a connection to retry.
func TestNetworkCodeOfARefusedClientCertificate(t *testing.T) {
	cert, err := tls.LoadX509KeyPair("testdata/client.pem", "testdata/client.key")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAnyClientCert})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := make(chan struct{})
	go func() {
		defer close(served)
		if c, err := ln.Accept(); err == nil {
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // test server
	if err == nil {
		// With TLS 1.3 the server's verdict arrives after the client's
		// handshake, on the first read.
		_, err = conn.Read(make([]byte, 1))
		conn.Close()
	}
	<-served
	if code, ok := NetworkCode(err); !ok || code != CodeSSL {
		t.Errorf("NetworkCode(%v) = %v, %t; want CodeSSL", err, code, ok)
	}
}
