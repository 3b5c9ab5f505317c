package conformance

var (
	producerCases []Case
	configCases   []Case
)
