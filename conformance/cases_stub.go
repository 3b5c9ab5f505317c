package conformance

var (
	producerCases    []Case
	consumerCases    []Case
	adminCases       []Case
	transactionCases []Case
	configCases      []Case
)
