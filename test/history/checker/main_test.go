package main

// Proves the command's contract: its exit status for a linearizable, an
// illegal, a malformed and an undecided history, the visualisation it writes
// for an illegal group, and that histories it cannot read are named as such.

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runOn(t *testing.T, history string, extra ...string) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "history.jsonl")
	if err := os.WriteFile(path, []byte(history), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(append(append([]string{"--html-dir", filepath.Join(dir, "html")}, extra...), path), &stdout, &stderr)
	return code, stdout.String(), dir
}

func TestLinearizableHistoryExitsZero(t *testing.T) {
	b := newHistory("1000000", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "700")
	b.done(20, 1, "ok", "transfer", posted("t1"))
	b.line(25, "invoke", "2", "balance", "", `{"group":"g1","account":"A"}`)
	b.line(26, "ok", "2", "balance", "", `{"postedMinor":"300","pendingMinor":"0","availableMinor":"300"}`)
	code, out, _ := runOn(t, b.String())
	if code != 0 || !strings.Contains(out, "g1: 1 ops (0 indeterminate; 1 reads and 0 unlinked terminates ignored): ok") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

func TestIllegalHistoryExitsOneAndWritesTheVisualisation(t *testing.T) {
	b := newHistory("1000000", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "1001")
	b.done(20, 1, "ok", "transfer", posted("t1"))
	code, out, dir := runOn(t, b.String(), "--json")
	var report struct {
		Groups []groupReport `json:"groups"`
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil || code != 1 || report.Groups[0].Verdict != verdictIllegal ||
		!strings.HasPrefix(report.Groups[0].StuckAt, "transfer t1 A→B 1001 → posted (history index 1,") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	html, err := os.ReadFile(filepath.Join(dir, "html", "g1.html"))
	if err != nil || !strings.Contains(string(html), "transfer t1 A→B 1001") {
		t.Fatalf("visualisation: %v", err)
	}
}

func TestMalformedHistoriesExitTwo(t *testing.T) {
	valid := newHistory("1000000", alice, bob)
	cases := map[string]string{
		"not JSON":                "{",
		"no setup first":          `{"index":0,"time":0,"type":"invoke","process":1,"f":"transfer","value":{}}`,
		"completion without call": valid.String() + `{"index":1,"time":5,"type":"ok","process":1,"f":"transfer","value":{}}`,
		"unknown group":           valid.String() + `{"index":1,"time":5,"type":"invoke","process":1,"f":"transfer","key":"k","value":{"group":"g9","from":"A","to":"B","amountMinor":"1"}}`,
		"amount not digits":       valid.String() + `{"index":1,"time":5,"type":"invoke","process":1,"f":"transfer","key":"k","value":{"group":"g1","from":"A","to":"B","amountMinor":"1.5"}}`,
		"resolve of an ok":        resolveOfOk(),
		"decision on an unknown transfer": valid.String() +
			`{"index":1,"time":5,"type":"invoke","process":1,"f":"approve","value":{"group":"g1","transferId":"nope"}}`,
	}
	for name, history := range cases {
		t.Run(name, func(t *testing.T) {
			if code, out, _ := runOn(t, history); code != 2 {
				t.Fatalf("exit %d, output:\n%s", code, out)
			}
		})
	}
}

func resolveOfOk() string {
	b := newHistory("1000000", alice, bob)
	ref := b.transfer(10, 1, "k1", "A", "B", "700")
	b.done(20, 1, "ok", "transfer", posted("t1"))
	b.resolve(30, ref, "transfer", posted("t1"))
	return b.String()
}

func TestUndecidedGroupIsNeverOk(t *testing.T) {
	reports := []groupReport{{Verdict: verdictOk}, {Verdict: verdictUnknown}}
	if code := exitCode(reports); code != 3 {
		t.Fatalf("exit %d for an undecided group, want 3", code)
	}
	if code := exitCode(append(reports, groupReport{Verdict: verdictIllegal})); code != 1 {
		t.Fatalf("exit %d with an illegal group, want 1", code)
	}
}

func TestNemesisTerminatesAnsweredInfoThenResolved(t *testing.T) {
	// As the recorder writes them: the nemesis's invoke, an info at once, and a
	// resolve after the run reading the final state; fault lines are counted.
	b := newHistory("600", alice, bob, setupAccount{"C", "0", "1000"})
	b.transfer(10, 1, "k1", "A", "B", "600")
	b.done(20, 1, "ok", "transfer", answer("t1", "awaiting_approval", ""))
	b.transfer(21, 2, "k2", "C", "B", "600")
	b.done(22, 2, "ok", "transfer", answer("t2", "awaiting_approval", ""))
	b.line(25, "info", `"nemesis"`, "fault-start", "", `{"fault":"sigstop","target":"worker"}`)
	first := b.terminate(30, "t1")
	second := b.terminate(31, "t2")
	b.line(32, "info", `"nemesis"`, "terminate", "", `{"terminated":true}`)
	b.line(33, "info", `"nemesis"`, "terminate", "", `{"error":"not found"}`)
	b.line(34, "info", `"nemesis"`, "fault-stop", "", `{"fault":"sigstop","target":"worker"}`)
	b.act(40, 1, "approve", "", "t2")
	b.done(50, 1, "ok", "approve", `{"status":"posted","failureCode":null}`)
	b.resolve(60, first, "terminate", `{"status":"failed","failureCode":"WORKFLOW_TERMINATED"}`)
	b.resolve(61, second, "terminate", `{"status":"posted","failureCode":null}`)
	code, out, _ := runOn(t, b.String())
	if code != 0 || !strings.Contains(out, "2 fault events") || !strings.Contains(out, "g1: 5 ops (0 indeterminate;") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}
