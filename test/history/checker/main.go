// Command history-checker checks a ledger client history (JSONL, written by
// the recorder under test/history) for linearizability with Porcupine, one
// group of accounts at a time.
//
//	history-checker [--html-dir DIR] [--json] [--timeout-per-group 60s] HISTORY.jsonl
//
// Exit status: 0 every group linearizable; 1 a group is not (its
// visualisation is DIR/<group>.html); 2 the history is malformed; 3 a group
// could not be decided within its time budget (never reported as ok).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("history-checker", flag.ContinueOnError)
	flags.SetOutput(stderr)
	htmlDir := flags.String("html-dir", "", "where to write <group>.html for a group that is not linearizable (default: the history's directory)")
	asJSON := flags.Bool("json", false, "print one JSON report instead of lines")
	timeout := flags.Duration("timeout-per-group", 60*time.Second, "time budget of each group; past it the group is undecided (exit 3)")
	if err := flags.Parse(args); err != nil || flags.NArg() != 1 || *timeout <= 0 {
		fmt.Fprintln(stderr, "usage: history-checker [--html-dir DIR] [--json] [--timeout-per-group 60s] HISTORY.jsonl")
		return 2
	}
	path := flags.Arg(0)
	if *htmlDir == "" {
		*htmlDir = filepath.Dir(path)
	}
	h, groups, err := load(path)
	if err != nil {
		fmt.Fprintf(stderr, "history-checker: %s: %v\n", path, err)
		return 2
	}
	if err := os.MkdirAll(*htmlDir, 0o755); err != nil {
		fmt.Fprintf(stderr, "history-checker: %v\n", err)
		return 2
	}
	reports := make([]groupReport, 0, len(groups))
	for _, name := range h.groupNames() {
		reports = append(reports, checkGroup(name, groups[name], *timeout, *htmlDir))
	}
	code := exitCode(reports)
	printReport(stdout, *asJSON, path, h, reports, code)
	return code
}

func load(path string) (*recordedHistory, map[string]*groupHistory, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	h, err := readHistory(f)
	if err != nil {
		return nil, nil, err
	}
	groups, err := buildGroups(h)
	return h, groups, err
}

func printReport(w io.Writer, asJSON bool, path string, h *recordedHistory, reports []groupReport, code int) {
	if asJSON {
		_ = json.NewEncoder(w).Encode(map[string]interface{}{
			"history": path, "faultEvents": h.faultEvents, "groups": reports, "exitCode": code,
		})
		return
	}
	fmt.Fprintf(w, "%s: %d groups, %d fault events\n", path, len(reports), h.faultEvents)
	for _, r := range reports {
		fmt.Fprintf(w, "%s: %d ops (%d indeterminate; %d reads and %d unlinked terminates ignored): %s in %.2fs",
			r.Group, r.Operations, r.Indeterminate, r.ReadsIgnored, r.SkippedTerminates, r.Verdict, r.Seconds)
		if r.StuckAt != "" {
			fmt.Fprintf(w, "; no linearization reaches %s", r.StuckAt)
		}
		if r.HTML != "" {
			fmt.Fprintf(w, "; visualisation %s", r.HTML)
		}
		if r.VisualizeError != "" {
			fmt.Fprintf(w, " (not written: %s)", r.VisualizeError)
		}
		fmt.Fprintln(w)
	}
}
