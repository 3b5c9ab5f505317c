package conformance

var (
	consumerCases    []Case
	adminCases       []Case
	transactionCases []Case
)
