package backend

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net"
	"slices"
	"sync"
	"syscall"
)

// RunWithin runs fn, which cannot be interrupted, on a goroutine of its own
// and returns its error, or ctx's error if ctx ends first. fn then goes on
// until it returns; use it only for calls that end by themselves (a client's
// Close, a request bounded by its own timeout).
func RunWithin(ctx context.Context, fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Wait waits until done is closed, or returns ctx's error if ctx ends
// first.
func Wait(ctx context.Context, done <-chan struct{}) error {
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// NetworkCode classifies the connection-level errors every pure-Go client
// meets: a certificate that does not verify, a TLS handshake with a
// plaintext listener or a TLS alert from the broker (a client certificate
// it requires and did not get, say) is CodeSSL; a refused, reset or closed connection, a
// failed dial and an unexpected EOF are CodeTransport. ok is false for any
// other error.
func NetworkCode(err error) (code Code, ok bool) {
	var (
		certErr     *tls.CertificateVerificationError
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		recErr      tls.RecordHeaderError
	)
	var (
		netErr net.Error
		opErr  *net.OpError
	)
	if errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostErr) || errors.As(err, &recErr) ||
		errors.As(err, &opErr) && opErr.Op == "remote error" { // a TLS alert from the broker
		return CodeSSL, true
	}
	if opErr != nil || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return CodeTransport, true
	}
	return 0, false
}

// NoBackendOptions returns the error a backend that takes no backend options
// gives when c has some: CodeBadConfig naming the first key (in sorted
// order, so the same config always names the same key).
func NoBackendOptions(c ClientConfig, backendName string) error {
	if len(c.BackendOptions) == 0 {
		return nil
	}
	first := slices.Sorted(maps.Keys(c.BackendOptions))[0]
	return Errorf(CodeBadConfig, "backend option %q is unknown: the %s backend takes no backend options", backendName+"."+first, backendName)
}

// LogLevels are a client's own log levels, in the order of their values:
// Error < Warn < Info < Debug, as syslog's and franz-go's are. Off is the
// level that logs nothing.
type LogLevels[T cmp.Ordered] struct{ Off, Error, Warn, Info, Debug T }

// Filter is the client's level that makes it emit what l records: the most
// verbose level l has enabled, or Off when l is nil.
func (ls LogLevels[T]) Filter(l *slog.Logger) T {
	if l == nil {
		return ls.Off
	}
	for _, lv := range []struct {
		s slog.Level
		c T
	}{{slog.LevelDebug, ls.Debug}, {slog.LevelInfo, ls.Info}, {slog.LevelWarn, ls.Warn}} {
		if l.Enabled(context.Background(), lv.s) {
			return lv.c
		}
	}
	return ls.Error
}

// Slog is the slog level of a client's log line at level v.
func (ls LogLevels[T]) Slog(v T) slog.Level {
	switch {
	case v <= ls.Error:
		return slog.LevelError
	case v <= ls.Warn:
		return slog.LevelWarn
	case v <= ls.Info:
		return slog.LevelInfo
	}
	return slog.LevelDebug
}

// Log writes one client log line to l at level, with the backend's name; a
// nil l discards it.
func Log(l *slog.Logger, backendName string, level slog.Level, msg string, args ...any) {
	if l == nil {
		return
	}
	l.Log(context.Background(), level, msg, append(args, "backend", backendName)...)
}

var (
	registryMu sync.Mutex
	registry   []string
)

// Register records a backend's name, in a package-level variable of its
// package, so that config keys under its prefix ("name.key") are taken as
// that backend's own settings wherever its package is linked, whichever
// backend a client uses. It returns the Identity to embed in the backend's
// type, with the capabilities it declares.
func Register(name string, caps Capabilities) Identity {
	registryMu.Lock()
	defer registryMu.Unlock()
	if !slices.Contains(registry, name) {
		registry = append(registry, name)
	}
	return Identity{BackendName: name, Caps: caps}
}

// Registered returns the names passed to Register.
func Registered() []string {
	registryMu.Lock()
	defer registryMu.Unlock()
	return slices.Clone(registry)
}

// Convert returns f applied to each element of s, or nil when s is empty:
// a message without headers keeps nil headers through a client and back.
func Convert[S, T any](s []S, f func(S) T) []T {
	if len(s) == 0 {
		return nil
	}
	out := make([]T, len(s))
	for i, v := range s {
		out[i] = f(v)
	}
	return out
}

// SetAs is the body of an As method: when target is a *T it sets *target to
// v and reports true. Chain one call per supported type with ||.
func SetAs[T any](target any, v T) bool {
	p, ok := target.(*T)
	if ok {
		*p = v
	}
	return ok
}

// Identity gives a backend its Name and Capabilities methods: embed it in
// the type that implements Backend.
type Identity struct {
	// BackendName is what Name returns.
	BackendName string
	// Caps is what Capabilities returns.
	Caps Capabilities
}

// Name implements Backend.
func (id Identity) Name() string { return id.BackendName }

// Capabilities implements Backend.
func (id Identity) Capabilities() Capabilities { return id.Caps }
