package kafkaclient

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/kafkaclient/kafkaclient/backend"
)

// Error is the one error type of this package. Every error returned by a
// Producer, Consumer or Admin is an *Error, or wraps one.
//
// Use errors.Is with a sentinel to test the code
// (errors.Is(err, ErrUnknownTopicOrPartition)), errors.As to reach the
// backend client's own error type, and IsRetriable, IsFatal, IsAbortable,
// IsTimeout to classify it. The classification depends only on Code, so it
// is the same on every backend.
type Error struct {
	// Op is the operation that failed: "produce", "poll", "commit",
	// "create topics", "config", ...
	Op string
	// Topic and Partition locate the failure when it concerns one; Topic is
	// empty and Partition -1 otherwise.
	Topic     string
	Partition int32
	// Code is the Kafka protocol error code, or a client-side code.
	Code Code
	// Backend is the name of the backend that raised the error, or empty
	// when the root package raised it before reaching a backend.
	Backend string
	// Err is the original error from the client library (or a context
	// error), or nil.
	Err error
	// msg is the root's explanation, when it has one.
	msg string
	// isSentinel marks the Err* variables.
	isSentinel bool
}

// newError builds an Error raised by this package.
func newError(op string, code Code, format string, args ...any) *Error {
	return &Error{Op: op, Partition: -1, Code: code, msg: fmt.Sprintf(format, args...)}
}

// Error implements error: "kafkaclient: <op> <topic>[<partition>]: <what>
// (<CODE_NAME>, backend <name>)".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("kafkaclient: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		if e.Topic != "" {
			b.WriteString(" ")
			b.WriteString(strconv.Quote(e.Topic))
			if e.Partition >= 0 {
				b.WriteString("[" + strconv.Itoa(int(e.Partition)) + "]")
			}
		}
		b.WriteString(": ")
	}
	switch {
	case e.msg != "" && e.Err != nil:
		b.WriteString(e.msg + ": " + e.Err.Error())
	case e.msg != "":
		b.WriteString(e.msg)
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	default:
		b.WriteString(strings.ToLower(strings.ReplaceAll(CodeName(e.Code), "_", " ")))
	}
	b.WriteString(" (" + CodeName(e.Code))
	if e.Backend != "" {
		b.WriteString(", backend " + e.Backend)
	}
	b.WriteString(")")
	return b.String()
}

// Unwrap returns the original error and, for codes that have one, the
// standard library's matching error: errors.ErrUnsupported for
// CodeUnsupported, so errors.Is(err, errors.ErrUnsupported) holds too.
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, 2)
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	if e.Code == CodeUnsupported {
		errs = append(errs, errors.ErrUnsupported)
	}
	return errs
}

// Is reports whether target is the sentinel of e's code. Sentinels are the
// Err* variables of this package.
func (e *Error) Is(target error) bool {
	s, ok := target.(*Error)
	return ok && s.isSentinel && s.Code == e.Code
}

// Retriable reports whether the same operation may succeed if tried again.
func (e *Error) Retriable() bool { return codeRetriable(e.Code) }

// Fatal reports whether the client that returned e is unusable and must be
// closed and recreated.
func (e *Error) Fatal() bool { return codeFatal(e.Code) }

// Abortable reports whether e, raised inside a transaction, requires
// aborting that transaction (the producer itself stays usable).
func (e *Error) Abortable() bool { return codeAbortable(e.Code) }

// Timeout reports whether e is a timeout: a deadline passed on the client or
// the broker side.
func (e *Error) Timeout() bool { return codeTimeout(e.Code) }

// IsRetriable reports whether err is an *Error that may succeed on retry.
func IsRetriable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retriable()
}

// IsFatal reports whether err is an *Error after which its client must be
// recreated.
func IsFatal(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Fatal()
}

// IsAbortable reports whether err is an *Error that requires aborting the
// current transaction.
func IsAbortable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Abortable()
}

// IsTimeout reports whether err is an *Error for a timeout, or a context
// deadline.
func IsTimeout(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Timeout()
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// CodeOf returns the code of the *Error in err's chain, CodeNone for a nil
// err, and CodeFailed for an error that is not an *Error.
func CodeOf(err error) Code {
	if err == nil {
		return CodeNone
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeFailed
}

func sentinel(c Code) *Error { return &Error{Code: c, Partition: -1, isSentinel: true} }

// errorMapper turns any error from a backend into an *Error.
type errorMapper struct {
	b backend.Backend
}

// wrap returns err as an *Error for op on topic/partition (partition -1 when
// not about one). A nil err stays nil; an *Error is returned with Op, Topic
// and Partition filled in where it lacks them.
func (m errorMapper) wrap(op, topic string, partition int32, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) && !e.isSentinel {
		if e.Op == "" || e.Topic == "" {
			c := *e
			if c.Op == "" {
				c.Op = op
			}
			if c.Topic == "" {
				c.Topic, c.Partition = topic, partition
			}
			return &c
		}
		return err
	}
	out := &Error{Op: op, Topic: topic, Partition: partition, Backend: m.b.Name(), Err: err}
	switch code, ok := backend.CodeOf(err); {
	case ok:
		out.Code = code
		var ce *backend.CodeError
		if errors.As(err, &ce) && ce.Err != nil && ce.Msg == "" {
			out.Err = ce.Err
		}
	case errors.Is(err, context.DeadlineExceeded):
		out.Code = CodeTimedOut
	case errors.Is(err, context.Canceled):
		out.Code = CodeCanceled
	default:
		out.Code = m.b.Code(err)
	}
	return out
}

// ctxError turns a done context into an *Error for op.
func ctxError(op string, ctx context.Context) *Error {
	err := ctx.Err()
	code := CodeCanceled
	if errors.Is(err, context.DeadlineExceeded) {
		code = CodeTimedOut
	}
	return &Error{Op: op, Partition: -1, Code: code, Err: err}
}
