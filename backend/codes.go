package backend

import (
	"errors"
	"fmt"
)

// Code is a stable error code. Codes >= -1 are Kafka protocol error codes
// (-1 is UNKNOWN_SERVER_ERROR); codes below -1 are client-side conditions.
// Client-side codes reuse librdkafka's numbers where librdkafka has the same
// condition, so that users coming from confluent-kafka-go recognise them.
type Code int16

// Client-side codes.
const (
	// CodeNone is success. It is never the code of an error.
	CodeNone Code = 0
	// CodeUnsupported: the backend does not provide this feature or setting.
	CodeUnsupported Code = -170
	// CodeAuthentication: SASL or TLS authentication failed on the client
	// side (the broker closed the connection, the handshake failed).
	CodeAuthentication Code = -169
	// CodeState: the call is not valid in the client's current state (for
	// example CommitTransaction without BeginTransaction).
	CodeState Code = -172
	// CodeFatal: the client hit a fatal error and must be recreated.
	CodeFatal Code = -150
	// CodeFenced: this producer was fenced by a newer instance with the
	// same transactional.id.
	CodeFenced Code = -144
	// CodeSSL: a TLS error (for example an untrusted server certificate).
	CodeSSL Code = -181
	// CodeQueueFull: the producer's buffer is full.
	CodeQueueFull Code = -184
	// CodeTimedOut: the operation did not complete before its deadline.
	CodeTimedOut Code = -185
	// CodeInvalidArg: an argument is invalid (nil message, empty topic,
	// negative offset, ...).
	CodeInvalidArg Code = -186
	// CodeAllBrokersDown: no broker could be reached.
	CodeAllBrokersDown Code = -187
	// CodePartitionEOF: the consumer reached the end of a partition.
	CodePartitionEOF Code = -191
	// CodeMsgTimedOut: a produced message was not delivered within
	// delivery.timeout.ms.
	CodeMsgTimedOut Code = -192
	// CodeTransport: a broker connection failed.
	CodeTransport Code = -195
	// CodeFailed: a client-side failure with no more specific code.
	CodeFailed Code = -196
	// CodeClosed: the client is closed.
	CodeClosed Code = -197
	// CodeCanceled: the caller's context was canceled.
	CodeCanceled Code = -1001
	// CodeBadConfig: a configuration key or value is invalid.
	CodeBadConfig Code = -1002
	// CodeNotAssigned: a commit, seek or pause named a partition that is
	// not assigned to this consumer.
	CodeNotAssigned Code = -1003
)

// IsClientCode reports whether c is one of the client-side codes above. A
// backend over librdkafka passes those of librdkafka's codes through.
func IsClientCode(c Code) bool {
	switch c {
	case CodeUnsupported, CodeAuthentication, CodeState, CodeFatal, CodeFenced, CodeSSL,
		CodeQueueFull, CodeTimedOut, CodeInvalidArg, CodeAllBrokersDown, CodePartitionEOF,
		CodeMsgTimedOut, CodeTransport, CodeFailed, CodeClosed, CodeCanceled, CodeBadConfig, CodeNotAssigned:
		return true
	}
	return false
}

// CodeError is how a backend tells the root package the code of an error
// it knows precisely. The root turns it into its Error type, keeping Err as
// the original error.
type CodeError struct {
	Code Code
	// Err is the underlying error, or nil.
	Err error
	// Msg describes the failure and what to do about it.
	Msg string
}

// Errorf returns a CodeError with a formatted message. The message is used as
// the error's text; wrap an original error with WithCode instead.
func Errorf(code Code, format string, args ...any) error {
	return &CodeError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// WithCode attaches code to err. It returns nil when err is nil.
func WithCode(code Code, err error) error {
	if err == nil {
		return nil
	}
	return &CodeError{Code: code, Err: err}
}

// Error implements error.
func (e *CodeError) Error() string {
	switch {
	case e.Msg != "" && e.Err != nil:
		return e.Msg + ": " + e.Err.Error()
	case e.Msg != "":
		return e.Msg
	case e.Err != nil:
		return e.Err.Error()
	}
	return fmt.Sprintf("error code %d", e.Code)
}

// Unwrap returns the underlying error.
func (e *CodeError) Unwrap() error { return e.Err }

// CodeOf returns the code carried by a CodeError in err's chain.
func CodeOf(err error) (Code, bool) {
	var ce *CodeError
	if errors.As(err, &ce) {
		return ce.Code, true
	}
	return 0, false
}

// Unsupported returns the error a backend gives for a feature it lacks.
func Unsupported(backendName, feature string) error {
	return Errorf(CodeUnsupported, "%s is not supported by the %s backend", feature, backendName)
}
