package backend

// The Kafka protocol error codes (protocol_codes.go here and in the root
// package) are generated from franz-go's kerr package and backend/codes.go.

//go:generate go run ../internal/codegen -root ..
