// Command codegen writes the error code tables of this module:
//
//   - backend/protocol_codes.go: a CodeX constant for every Kafka protocol
//     error code;
//   - protocol_codes.go (package kafkaclient): an alias of every protocol and
//     client-side code, the protocolCodes table (name and retriable flag of
//     each protocol code) and an ErrX sentinel for every code.
//
// The protocol codes come from franz-go's kerr package, with the names Apache
// Kafka has since renamed corrected (see kafkaRenames). The client-side codes
// are read from the const declarations of backend/codes.go, which stay
// hand-written.
//
// It runs from backend/generate.go:
//
//	go generate ./...
//
// and writes a file only when its content changes.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"log"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
)

const kerrPath = "github.com/twmb/franz-go/pkg/kerr"

// kafkaRenames corrects the kerr names that are out of date against Apache
// Kafka's org.apache.kafka.common.protocol.Errors enum (kafka-clients 4.x),
// the authority for protocol error names. Each entry gives the name kerr uses
// today and the name Kafka uses. When kerr adopts Kafka's name the entry is
// no longer needed (the generator says so); when kerr changes to yet another
// name the generator stops, so that the entry is checked again.
var kafkaRenames = map[int16]struct{ kerr, kafka string }{
	// KIP-392 (Kafka 2.6/2.7) renamed NOT_LEADER_FOR_PARTITION: the code also
	// answers requests sent to a broker that is not a follower either.
	// Errors.java: NOT_LEADER_OR_FOLLOWER(6, ..., NotLeaderOrFollowerException::new).
	6: {kerr: "NOT_LEADER_FOR_PARTITION", kafka: "NOT_LEADER_OR_FOLLOWER"},
}

// initialisms are the words kept upper-case in Go identifiers.
var initialisms = map[string]bool{
	"ID": true, "SASL": true, "TLS": true, "SSL": true, "ACL": true, "DNS": true,
}

type protocolCode struct {
	ident       string // Go identifier without the "Code" prefix
	name        string // Kafka's name, e.g. UNKNOWN_TOPIC_OR_PARTITION
	code        int16
	retriable   bool
	description string // first sentence of kerr's description
}

type clientCode struct {
	ident string // Go identifier, with the "Code" prefix
	doc   []string
	value int64
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("codegen: ")
	root := flag.String("root", ".", "root directory of the module (holds go.mod)")
	flag.Parse()

	if _, err := os.Stat(filepath.Join(*root, "go.mod")); err != nil {
		log.Fatalf("-root %q is not the module root: %v", *root, err)
	}
	protocol, err := protocolCodes()
	if err != nil {
		log.Fatal(err)
	}
	client, err := clientCodes(filepath.Join(*root, "backend", "codes.go"))
	if err != nil {
		log.Fatal(err)
	}
	seen := make(map[string]bool)
	for _, p := range protocol {
		seen["Code"+p.ident] = true
	}
	for _, c := range client {
		if seen[c.ident] {
			log.Fatalf("backend/codes.go: %s is also the name of a protocol code", c.ident)
		}
	}

	header := generatedHeader()
	if err := write(filepath.Join(*root, "backend", "protocol_codes.go"), backendFile(header, protocol)); err != nil {
		log.Fatal(err)
	}
	if err := write(filepath.Join(*root, "protocol_codes.go"), rootFile(header, protocol, client)); err != nil {
		log.Fatal(err)
	}
}

// protocolCodes lists kerr's codes in ascending order. ErrorForCode answers
// every int16 (an unknown code gives UnknownServerError), so a code belongs to
// kerr when the error it returns carries that same code.
func protocolCodes() ([]protocolCode, error) {
	var out []protocolCode
	idents := make(map[string]int16)
	for c := math.MinInt16; c <= math.MaxInt16; c++ {
		ke, ok := kerr.ErrorForCode(int16(c)).(*kerr.Error)
		if !ok || ke == nil || ke.Code != int16(c) {
			continue
		}
		name := ke.Message
		if r, ok := kafkaRenames[ke.Code]; ok {
			switch name {
			case r.kerr:
				name = r.kafka
			case r.kafka:
				fmt.Fprintf(os.Stderr, "codegen: kerr now names code %d %s; its kafkaRenames entry can go\n", ke.Code, r.kafka)
			default:
				return nil, fmt.Errorf("kerr names code %d %s, not %s as kafkaRenames expects: check the entry against Kafka's Errors enum", ke.Code, name, r.kerr)
			}
		}
		ident, err := identifier(name)
		if err != nil {
			return nil, fmt.Errorf("code %d: %v", ke.Code, err)
		}
		if prev, dup := idents[ident]; dup {
			return nil, fmt.Errorf("codes %d and %d both give the identifier Code%s", prev, ke.Code, ident)
		}
		idents[ident] = ke.Code
		out = append(out, protocolCode{
			ident:       ident,
			name:        name,
			code:        ke.Code,
			retriable:   ke.Retriable,
			description: firstSentence(ke.Description),
		})
	}
	for code := range kafkaRenames {
		if ke, ok := kerr.ErrorForCode(code).(*kerr.Error); !ok || ke == nil || ke.Code != code {
			return nil, fmt.Errorf("kafkaRenames names code %d, which kerr does not list", code)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("kerr lists no error codes")
	}
	return out, nil
}

// identifier turns a Kafka name such as INVALID_GROUP_ID into the CamelCase
// InvalidGroupID, keeping the initialisms upper-case.
func identifier(name string) (string, error) {
	var b strings.Builder
	for _, w := range strings.Split(name, "_") {
		if w == "" {
			return "", fmt.Errorf("name %q has an empty word", name)
		}
		for _, r := range w {
			if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
				return "", fmt.Errorf("name %q is not UPPER_SNAKE_CASE", name)
			}
		}
		if initialisms[w] {
			b.WriteString(w)
			continue
		}
		b.WriteString(w[:1])
		b.WriteString(strings.ToLower(w[1:]))
	}
	return b.String(), nil
}

// firstSentence returns the first sentence of a kerr description on one line,
// ending with a period.
func firstSentence(d string) string {
	d = strings.Join(strings.Fields(d), " ")
	if i := strings.Index(d, ". "); i >= 0 {
		d = d[:i+1]
	}
	if d == "" {
		return ""
	}
	switch d[len(d)-1] {
	case '.', ']', '!', '?':
	default:
		d += "."
	}
	return d
}

// clientCodes reads the Code constants of backend/codes.go, with their doc
// comments, in source order.
func clientCodes(path string) ([]clientCode, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	var out []clientCode
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if t, ok := vs.Type.(*ast.Ident); !ok || t.Name != "Code" {
				continue
			}
			if len(vs.Names) != len(vs.Values) {
				return nil, fmt.Errorf("%s: each Code constant needs its own value", fset.Position(vs.Pos()))
			}
			for i, n := range vs.Names {
				if !n.IsExported() {
					continue
				}
				v, err := intValue(vs.Values[i])
				if err != nil {
					return nil, fmt.Errorf("%s: %s: %v", fset.Position(n.Pos()), n.Name, err)
				}
				var doc []string
				if vs.Doc != nil {
					for _, c := range vs.Doc.List {
						doc = append(doc, c.Text)
					}
				}
				out = append(out, clientCode{ident: n.Name, doc: doc, value: v})
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s declares no Code constants", path)
	}
	return out, nil
}

// intValue evaluates an integer literal, possibly negated.
func intValue(e ast.Expr) (int64, error) {
	switch e := e.(type) {
	case *ast.ParenExpr:
		return intValue(e.X)
	case *ast.UnaryExpr:
		v, err := intValue(e.X)
		if err != nil {
			return 0, err
		}
		switch e.Op {
		case token.SUB:
			return -v, nil
		case token.ADD:
			return v, nil
		}
	case *ast.BasicLit:
		if e.Kind == token.INT {
			return strconv.ParseInt(e.Value, 0, 64)
		}
	}
	return 0, errors.New("value is not an integer literal")
}

// generatedHeader is the first line of both files, naming the franz-go
// version the codes come from.
func generatedHeader() string {
	src := kerrPath
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if strings.HasPrefix(kerrPath, m.Path+"/") {
				if m.Replace != nil {
					m = m.Replace
				}
				src += " (" + m.Path + " " + m.Version + ")"
				break
			}
		}
	}
	return "// Code generated by internal/codegen from " + src + "; DO NOT EDIT.\n"
}

func protocolDoc(p protocolCode) string {
	s := "// Code" + p.ident + " is " + p.name
	if p.retriable {
		s += " (retriable)"
	}
	s += "."
	if p.description != "" {
		s += " " + p.description
	}
	return s + "\n"
}

// protocolConsts writes the const block of the protocol codes, each with
// its doc comment and the spec that spec returns for it.
func protocolConsts(b *bytes.Buffer, protocol []protocolCode, spec func(protocolCode) string) {
	b.WriteString("// Kafka protocol error codes, as listed in the Kafka protocol guide.\n")
	b.WriteString("const (\n")
	for _, p := range protocol {
		b.WriteString(protocolDoc(p))
		b.WriteString(spec(p) + "\n")
	}
	b.WriteString(")\n")
}

func backendFile(header string, protocol []protocolCode) []byte {
	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString("\npackage backend\n\n")
	protocolConsts(&b, protocol, func(p protocolCode) string { return fmt.Sprintf("Code%s Code = %d", p.ident, p.code) })
	return b.Bytes()
}

func rootFile(header string, protocol []protocolCode, client []clientCode) []byte {
	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString("\npackage kafkaclient\n\n")
	b.WriteString("import \"github.com/kafkaclient/kafkaclient/backend\"\n\n")

	b.WriteString("// Client-side codes. Where librdkafka has the same condition the number is\n")
	b.WriteString("// librdkafka's, so confluent-kafka-go users recognise it.\n")
	b.WriteString("const (\n")
	for _, c := range client {
		for _, line := range c.doc {
			b.WriteString(line + "\n")
		}
		fmt.Fprintf(&b, "%s = backend.%s\n", c.ident, c.ident)
	}
	b.WriteString(")\n\n")

	protocolConsts(&b, protocol, func(p protocolCode) string { return fmt.Sprintf("Code%s = backend.Code%s", p.ident, p.ident) })
	b.WriteString("\n")

	b.WriteString("// protocolCodes lists every Kafka protocol error code with its name and\n")
	b.WriteString("// whether Kafka classifies it as retriable.\n")
	b.WriteString("var protocolCodes = [...]codeInfo{\n")
	for _, p := range protocol {
		fmt.Fprintf(&b, "{Code%s, %q, %t},\n", p.ident, p.name, p.retriable)
	}
	b.WriteString("}\n\n")

	b.WriteString("// Sentinels, one per code. errors.Is(err, ErrX) holds when err is an *Error\n")
	b.WriteString("// with CodeX, on every backend.\n")
	b.WriteString("var (\n")
	for _, c := range client {
		if c.value == 0 { // CodeNone: success is never an error.
			continue
		}
		sentinel(&b, strings.TrimPrefix(c.ident, "Code"))
	}
	for _, p := range protocol {
		sentinel(&b, p.ident)
	}
	b.WriteString(")\n")
	return b.Bytes()
}

func sentinel(b *bytes.Buffer, ident string) {
	fmt.Fprintf(b, "// Err%s is the sentinel of Code%s.\n", ident, ident)
	fmt.Fprintf(b, "Err%s = sentinel(Code%s)\n", ident, ident)
}

// write formats src and writes it to path unless path already holds it.
func write(path string, src []byte) error {
	out, err := format.Source(src)
	if err != nil {
		return fmt.Errorf("%s: formatting generated code: %v", path, err)
	}
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, out) {
		return nil
	}
	return os.WriteFile(path, out, 0o644)
}
