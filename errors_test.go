package kafkaclient_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
)

func TestErrorClassification(t *testing.T) {
	cases := []struct {
		code                                   kafkaclient.Code
		retriable, fatal, abortable, isTimeout bool
	}{
		{kafkaclient.CodeNotLeaderOrFollower, true, false, false, false},
		{kafkaclient.CodeUnknownTopicOrPartition, true, false, true, false},
		{kafkaclient.CodeMessageTooLarge, false, false, true, false},
		{kafkaclient.CodeProducerFenced, false, true, false, false},
		{kafkaclient.CodeTransactionAbortable, false, false, true, false},
		{kafkaclient.CodeRequestTimedOut, true, false, false, true},
		{kafkaclient.CodeTimedOut, true, false, false, true},
		{kafkaclient.CodeTopicAuthorizationFailed, false, false, true, false},
		{kafkaclient.CodeUnsupported, false, false, false, false},
		{kafkaclient.CodeNotEnoughReplicas, true, false, true, false},
	}
	for _, c := range cases {
		t.Run(kafkaclient.CodeName(c.code), func(t *testing.T) {
			err := error(&kafkaclient.Error{Op: "produce", Code: c.code, Partition: -1})
			wrapped := errors.Join(errors.New("context"), err)
			assert.Equal(t, c.retriable, kafkaclient.IsRetriable(wrapped), "retriable")
			assert.Equal(t, c.fatal, kafkaclient.IsFatal(wrapped), "fatal")
			assert.Equal(t, c.abortable, kafkaclient.IsAbortable(wrapped), "abortable")
			assert.Equal(t, c.isTimeout, kafkaclient.IsTimeout(wrapped), "timeout")
		})
	}
}

func TestErrorSentinelsAndUnwrap(t *testing.T) {
	orig := errors.New("client said no")
	err := error(&kafkaclient.Error{Op: "produce", Topic: "orders", Partition: 3, Code: kafkaclient.CodeUnknownTopicOrPartition, Backend: "franz", Err: orig})
	assert.ErrorIs(t, err, kafkaclient.ErrUnknownTopicOrPartition)
	assert.NotErrorIs(t, err, kafkaclient.ErrMessageTooLarge)
	assert.ErrorIs(t, err, orig, "the client's error stays reachable")
	assert.Equal(t, `kafkaclient: produce "orders"[3]: client said no (UNKNOWN_TOPIC_OR_PARTITION, backend franz)`, err.Error())

	unsupported := error(&kafkaclient.Error{Op: "pause", Code: kafkaclient.CodeUnsupported, Partition: -1})
	assert.ErrorIs(t, unsupported, kafkaclient.ErrUnsupported)
	assert.ErrorIs(t, unsupported, errors.ErrUnsupported)

	canceled := error(&kafkaclient.Error{Op: "poll", Code: kafkaclient.CodeCanceled, Err: context.Canceled, Partition: -1})
	assert.ErrorIs(t, canceled, context.Canceled, "context errors stay recognisable")

	assert.Equal(t, kafkaclient.CodeNone, kafkaclient.CodeOf(nil))
	assert.Equal(t, kafkaclient.CodeFailed, kafkaclient.CodeOf(errors.New("plain")))
	assert.Equal(t, "MESSAGE_TOO_LARGE", kafkaclient.CodeName(kafkaclient.CodeMessageTooLarge))
	assert.Equal(t, "CODE_-32000", kafkaclient.CodeName(-32000))
}

func TestProduceErrorsIsPerMessage(t *testing.T) {
	tooLarge := &kafkaclient.Error{Code: kafkaclient.CodeMessageTooLarge, Partition: -1}
	pe := kafkaclient.ProduceErrors{nil, tooLarge, nil}
	require.ErrorIs(t, pe, kafkaclient.ErrMessageTooLarge)
	var ke *kafkaclient.Error
	require.ErrorAs(t, pe, &ke)
	assert.Len(t, pe.Unwrap(), 1)
}
