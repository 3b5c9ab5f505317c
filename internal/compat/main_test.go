package main

import (
	"strings"
	"testing"
)

// TestTableFromRuns builds the table from two runs' go test -json lines:
// only TestConformance/<area>/<case> of backend packages count, a failure
// and a skip show in their cell, and an area a run lacks is "–".
func TestTableFromRuns(t *testing.T) {
	const franz = `"Package":"github.com/kafkaclient/kafkaclient/backend/franz"`
	one, err := readRun("4.4.0, 1 node", strings.NewReader(strings.Join([]string{
		`{"Action":"run",` + franz + `,"Test":"TestConformance/produce/a"}`,
		`{"Action":"pass",` + franz + `,"Test":"TestConformance/produce/a"}`,
		`{"Action":"pass",` + franz + `,"Test":"TestConformance/produce/b"}`,
		`{"Action":"pass",` + franz + `,"Test":"TestConformance/produce/b/sub"}`,
		`{"Action":"skip",` + franz + `,"Test":"TestConformance/admin/replicated"}`,
		`{"Action":"pass",` + franz + `,"Test":"TestConformance/admin/describe"}`,
		`{"Action":"pass",` + franz + `,"Test":"TestConformance"}`,
		`{"Action":"pass","Package":"github.com/kafkaclient/kafkaclient","Test":"TestConformance/produce/c"}`,
		`not json`,
	}, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	two, err := readRun("3.9.1, 3 nodes", strings.NewReader(
		`{"Action":"fail",`+franz+`,"Test":"TestConformance/txn/a"}`+"\n"+
			`{"Action":"pass",`+franz+`,"Test":"TestConformance/txn/b"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := "| broker | backend | admin | produce | txn |\n" +
		"|---|---|--:|--:|--:|\n" +
		"| 4.4.0, 1 node | franz | 1, 1 skipped | 2 | – |\n" +
		"| 3.9.1, 3 nodes | franz | – | – | 1 FAILED of 2 |\n"
	if got := render([]run{one, two}); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}

	if _, err := readRun("empty", strings.NewReader(`{"Action":"pass","Test":"TestOther"}`)); err == nil {
		t.Error("a run without conformance cases is an error")
	}

	readme := "intro\n" + beginMark + "\nold\n" + endMark + "\nrest\n"
	got, err := replaceTable([]byte(readme), "| t |\n")
	if err != nil || string(got) != "intro\n"+beginMark+"\n| t |\n"+endMark+"\nrest\n" {
		t.Errorf("replaceTable = %q, %v", got, err)
	}
	if _, err := replaceTable([]byte("no markers"), "x"); err == nil {
		t.Error("a README without the markers is an error")
	}
}

// TestFailedOutput prints the output of the failed leaf tests only, each
// under a header, and nothing of the tests that passed or of their parents.
func TestFailedOutput(t *testing.T) {
	const pkg = `"Package":"p"`
	var b strings.Builder
	err := writeFailed(strings.NewReader(strings.Join([]string{
		`{"Action":"output",` + pkg + `,"Test":"T/ok","Output":"fine\n"}`,
		`{"Action":"pass",` + pkg + `,"Test":"T/ok"}`,
		`{"Action":"output",` + pkg + `,"Test":"T/bad","Output":"=== RUN   T/bad\n"}`,
		`{"Action":"output",` + pkg + `,"Test":"T/bad","Output":"    x_test.go:9: lost 3\n"}`,
		`{"Action":"fail",` + pkg + `,"Test":"T/bad"}`,
		`{"Action":"output",` + pkg + `,"Test":"T","Output":"--- FAIL: T\n"}`,
		`{"Action":"fail",` + pkg + `,"Test":"T"}`,
		`not json`,
	}, "\n")), &b)
	want := "==== p T/bad failed:\n=== RUN   T/bad\n    x_test.go:9: lost 3\n"
	if err != nil || b.String() != want {
		t.Errorf("writeFailed = %q, %v; want %q", b.String(), err, want)
	}
}
