// Command compat writes the compatibility table of README.md (broker
// version × backend × area of the conformance suite) from what the suites
// ran: the `go test -json` output of each run against a real broker.
//
// Usage:
//
//	go run ./internal/compat [-readme README.md] [-check] LABEL=FILE...
//	go run ./internal/compat -log FILE
//	go run ./internal/compat -failed FILE
//
// Each argument names a run ("4.4.0, 1 node") and its JSON output. A cell
// counts the cases of one area (the first part of a case name: produce,
// consume, txn, security, faults, ...) that passed for one backend on that
// run, and says how many were skipped. The table goes between the
// "<!-- compat:begin -->" and "<!-- compat:end -->" lines of the README;
// with -check, nothing is written and the command fails if the README's
// table differs, which CI uses after its real-broker runs. With -log, it
// prints the test output a JSON file holds, as go test -v would have; with
// -failed, only the output of the tests that failed (those with no failed
// subtest), each after a header naming it, so that a failure's own log is
// not lost among the other packages' lines.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path"
	"slices"
	"strings"
)

const (
	beginMark = "<!-- compat:begin -->"
	endMark   = "<!-- compat:end -->"
)

// event is the part of a `go test -json` line the table needs.
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// tally counts the outcomes of one area's cases.
type tally struct{ pass, fail, skip int }

// run is one labelled run: per backend, per area.
type run struct {
	label string
	cells map[string]map[string]*tally
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("compat: ")
	readme := flag.String("readme", "README.md", "the README to write the table into")
	check := flag.Bool("check", false, "fail if the README's table differs, instead of writing it")
	logFile := flag.String("log", "", "print the test output of this `go test -json` file and exit")
	failedFile := flag.String("failed", "", "print the output of the tests that failed in this `go test -json` file and exit")
	flag.Parse()
	if *logFile != "" || *failedFile != "" {
		show := printLog
		if *failedFile != "" {
			show = printFailed
		}
		if err := show(*logFile+*failedFile, os.Stdout); err != nil {
			log.Fatal(err)
		}
		return
	}
	if flag.NArg() == 0 {
		log.Fatal("usage: compat [-readme README.md] [-check] LABEL=FILE...")
	}
	var runs []run
	for _, arg := range flag.Args() {
		label, file, ok := strings.Cut(arg, "=")
		if !ok {
			log.Fatalf("argument %q is not LABEL=FILE", arg)
		}
		f, err := os.Open(file)
		if err != nil {
			log.Fatal(err)
		}
		r, err := readRun(label, f)
		f.Close() //nolint:errcheck // read only
		if err != nil {
			log.Fatalf("%s: %v", file, err)
		}
		runs = append(runs, r)
	}
	table := render(runs)
	old, err := os.ReadFile(*readme)
	if err != nil {
		log.Fatal(err)
	}
	updated, err := replaceTable(old, table)
	if err != nil {
		log.Fatalf("%s: %v", *readme, err)
	}
	switch {
	case bytes.Equal(old, updated):
		fmt.Fprintf(os.Stderr, "compat: %s is current\n", *readme)
	case *check:
		fmt.Print(table)
		log.Fatalf("the compatibility table of %s differs from what the suites ran (above): run go run ./internal/compat with the same runs", *readme)
	default:
		if err := os.WriteFile(*readme, updated, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// printLog writes the Output of every event of file to w.
func printLog(file string, w io.Writer) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close() //nolint:errcheck // read only
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	bw := bufio.NewWriter(w)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			e.Output = sc.Text() + "\n" // not JSON: a build error, say
		}
		bw.WriteString(e.Output) //nolint:errcheck // checked by Flush
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return bw.Flush()
}

// printFailed writes, for every test of file that failed and has no
// failed subtest, a header naming its package and test, then its output.
func printFailed(file string, w io.Writer) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close() //nolint:errcheck // read only
	return writeFailed(f, w)
}

func writeFailed(r io.Reader, w io.Writer) error {
	type key struct{ pkg, test string }
	output := map[key][]string{}
	var failed []key
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.Test == "" {
			continue
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "output":
			output[k] = append(output[k], e.Output)
		case "fail":
			failed = append(failed, k)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	for _, k := range failed {
		if slices.ContainsFunc(failed, func(o key) bool {
			return o.pkg == k.pkg && strings.HasPrefix(o.test, k.test+"/")
		}) {
			continue // its failed subtest has the output that says why
		}
		fmt.Fprintf(bw, "==== %s %s failed:\n", k.pkg, k.test)
		for _, line := range output[k] {
			bw.WriteString(line) //nolint:errcheck // checked by Flush
		}
	}
	return bw.Flush()
}

// readRun tallies the conformance cases of one run's `go test -json`
// output: tests named TestConformance/<area>/<case> of the packages under
// backend/.
func readRun(label string, r io.Reader) (run, error) {
	out := run{label: label, cells: map[string]map[string]*tally{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			continue // a line go test did not write as JSON (a build error)
		}
		parts := strings.Split(e.Test, "/")
		if len(parts) != 3 || parts[0] != "TestConformance" || !strings.Contains(e.Package, "/backend/") {
			continue
		}
		backendName, area := path.Base(e.Package), parts[1]
		if out.cells[backendName] == nil {
			out.cells[backendName] = map[string]*tally{}
		}
		t := out.cells[backendName][area]
		if t == nil {
			t = &tally{}
			out.cells[backendName][area] = t
		}
		switch e.Action {
		case "pass":
			t.pass++
		case "fail":
			t.fail++
		case "skip":
			t.skip++
		}
	}
	if err := sc.Err(); err != nil {
		return out, err
	}
	if len(out.cells) == 0 {
		return out, errors.New("no TestConformance case in it: was it written by go test -json -v?")
	}
	return out, nil
}

// render writes the table: a row per run and backend, a column per area.
func render(runs []run) string {
	var areas []string
	for _, r := range runs {
		for _, byArea := range r.cells {
			for a := range byArea {
				if !slices.Contains(areas, a) {
					areas = append(areas, a)
				}
			}
		}
	}
	slices.Sort(areas)
	var b strings.Builder
	b.WriteString("| broker | backend | " + strings.Join(areas, " | ") + " |\n")
	b.WriteString("|---|---|" + strings.Repeat("--:|", len(areas)) + "\n")
	for _, r := range runs {
		backends := make([]string, 0, len(r.cells))
		for name := range r.cells {
			backends = append(backends, name)
		}
		slices.Sort(backends)
		for _, name := range backends {
			b.WriteString("| " + r.label + " | " + name + " |")
			for _, a := range areas {
				b.WriteString(" " + cell(r.cells[name][a]) + " |")
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// cell is "12" for twelve cases passed, "11, 1 skipped", "2 FAILED of 12",
// or "–" when the run had no case of the area.
func cell(t *tally) string {
	switch {
	case t == nil:
		return "–"
	case t.fail > 0:
		return fmt.Sprintf("%d FAILED of %d", t.fail, t.pass+t.fail+t.skip)
	case t.pass == 0:
		return "skipped"
	case t.skip > 0:
		return fmt.Sprintf("%d, %d skipped", t.pass, t.skip)
	}
	return fmt.Sprint(t.pass)
}

// replaceTable puts table between the markers of readme.
func replaceTable(readme []byte, table string) ([]byte, error) {
	s := string(readme)
	i, j := strings.Index(s, beginMark), strings.Index(s, endMark)
	if i < 0 || j < i {
		return nil, fmt.Errorf("no %s ... %s section", beginMark, endMark)
	}
	return []byte(s[:i+len(beginMark)] + "\n" + table + s[j:]), nil
}
