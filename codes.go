package kafkaclient

import (
	"strconv"

	"github.com/kafkaclient/kafkaclient/backend"
)

// Code is a stable error code: a Kafka protocol error code (>= -1) or a
// client-side code (< -1). See [Error].
type Code = backend.Code

type codeInfo struct {
	code      Code
	name      string
	retriable bool
}

// clientCodes names the client-side codes. Retriable here means "trying the
// same call again may succeed without changing anything".
var clientCodes = [...]codeInfo{
	{CodeUnsupported, "UNSUPPORTED", false},
	{CodeAuthentication, "AUTHENTICATION", false},
	{CodeState, "STATE", false},
	{CodeFatal, "FATAL", false},
	{CodeFenced, "FENCED", false},
	{CodeSSL, "SSL", false},
	{CodeQueueFull, "QUEUE_FULL", true},
	{CodeTimedOut, "TIMED_OUT", true},
	{CodeInvalidArg, "INVALID_ARG", false},
	{CodeAllBrokersDown, "ALL_BROKERS_DOWN", true},
	{CodePartitionEOF, "PARTITION_EOF", false},
	{CodeMsgTimedOut, "MSG_TIMED_OUT", true},
	{CodeTransport, "TRANSPORT", true},
	{CodeFailed, "FAILED", false},
	{CodeClosed, "CLOSED", false},
	{CodeCanceled, "CANCELED", false},
	{CodeBadConfig, "BAD_CONFIG", false},
	{CodeNotAssigned, "NOT_ASSIGNED", false},
}

// fatalCodes are the codes after which the client cannot go on and must be
// recreated: the producer's identity is gone (fenced, epoch or sequence
// broken beyond repair), or authorization for the transactional or
// idempotent producer is missing.
var fatalCodes = map[Code]bool{
	CodeFatal:                              true,
	CodeFenced:                             true,
	CodeProducerFenced:                     true,
	CodeInvalidProducerEpoch:               true,
	CodeInvalidProducerIDMapping:           true,
	CodeTransactionalIDAuthorizationFailed: true,
	CodeClusterAuthorizationFailed:         true,
	CodeUnsupportedVersion:                 true,
	CodeUnsupportedForMessageFormat:        true,
	CodeFencedInstanceID:                   true,
	CodeInvalidTxnState:                    true,
	CodeTransactionCoordinatorFenced:       true,
}

// abortableCodes are the codes that fail the current transaction without
// killing the producer: abort it and start again.
var abortableCodes = map[Code]bool{
	CodeTransactionAbortable:         true,
	CodeUnknownProducerID:            true,
	CodeOutOfOrderSequenceNumber:     true,
	CodeTopicAuthorizationFailed:     true,
	CodeGroupAuthorizationFailed:     true,
	CodeMessageTooLarge:              true,
	CodeRecordListTooLarge:           true,
	CodeInvalidRecord:                true,
	CodeMsgTimedOut:                  true,
	CodeInvalidTransactionTimeout:    true,
	CodeUnknownTopicOrPartition:      true,
	CodeNotEnoughReplicas:            true,
	CodeNotEnoughReplicasAfterAppend: true,
}

var codeTable = func() map[Code]codeInfo {
	m := make(map[Code]codeInfo, len(protocolCodes)+len(clientCodes))
	for _, ci := range protocolCodes {
		m[ci.code] = ci
	}
	for _, ci := range clientCodes {
		m[ci.code] = ci
	}
	return m
}()

// CodeName returns the code's name as Kafka (or, for client-side codes,
// this library) spells it, e.g. "UNKNOWN_TOPIC_OR_PARTITION".
func CodeName(c Code) string {
	if c == CodeNone {
		return "NONE"
	}
	if ci, ok := codeTable[c]; ok {
		return ci.name
	}
	return "CODE_" + strconv.Itoa(int(c))
}

func codeRetriable(c Code) bool { return codeTable[c].retriable }

func codeFatal(c Code) bool { return fatalCodes[c] }

func codeAbortable(c Code) bool { return abortableCodes[c] && !fatalCodes[c] }

func codeTimeout(c Code) bool {
	return c == CodeTimedOut || c == CodeMsgTimedOut || c == CodeRequestTimedOut
}
