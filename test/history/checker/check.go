package main

// Checks each group's operations with Porcupine, within a time budget, and
// writes the visualisation of a group that is not linearizable.

import (
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/anishathalye/porcupine"
)

type verdict string

const (
	verdictOk      verdict = "ok"
	verdictIllegal verdict = "illegal"
	verdictUnknown verdict = "unknown-timeout"
)

type groupReport struct {
	Group             string  `json:"group"`
	Operations        int     `json:"operations"`
	Indeterminate     int     `json:"indeterminate"`
	ReadsIgnored      int     `json:"readsIgnored"`
	SkippedTerminates int     `json:"skippedTerminates"`
	Verdict           verdict `json:"verdict"`
	Seconds           float64 `json:"seconds"`
	HTML              string  `json:"html,omitempty"`
	StuckAt           string  `json:"stuckAt,omitempty"`
	VisualizeError    string  `json:"visualizeError,omitempty"`
}

// checkGroup decides one group. The visualisation needs Porcupine's verbose
// search, which is slower, so it runs only once a group is found illegal.
func checkGroup(name string, gh *groupHistory, timeout time.Duration, htmlDir string) groupReport {
	started := time.Now()
	model := newModel(gh.spec)
	report := groupReport{Group: name, Operations: len(gh.operations), Indeterminate: gh.indeterminate,
		ReadsIgnored: gh.reads, SkippedTerminates: gh.skipped}
	switch porcupine.CheckOperationsTimeout(model, gh.operations, timeout) {
	case porcupine.Ok:
		report.Verdict = verdictOk
	case porcupine.Illegal:
		report.Verdict = verdictIllegal
	default:
		report.Verdict = verdictUnknown
	}
	if report.Verdict == verdictIllegal && htmlDir != "" {
		_, info := porcupine.CheckOperationsVerbose(model, gh.operations, timeout)
		report.StuckAt = stuckAt(gh, info)
		report.HTML = filepath.Join(htmlDir, name+".html")
		if err := porcupine.VisualizePath(model, info, report.HTML); err != nil {
			report.VisualizeError = err.Error()
		}
	}
	report.Seconds = time.Since(started).Seconds()
	return report
}

// exitCode: 1 when any group is illegal, else 3 when any is undecided, else 0.
func exitCode(reports []groupReport) int {
	code := 0
	for _, r := range reports {
		switch r.Verdict {
		case verdictIllegal:
			return 1
		case verdictUnknown:
			code = 3
		}
	}
	return code
}

// stuckAt names the earliest answered operation that the longest partial
// linearization does not reach: where to start reading the visualisation.
func stuckAt(gh *groupHistory, info porcupine.LinearizationInfo) string {
	partials := info.PartialLinearizations()
	if len(partials) != 1 {
		return ""
	}
	reached := map[int]bool{}
	longest := 0
	for _, l := range partials[0] {
		longest = max(longest, len(l))
	}
	for _, l := range partials[0] {
		if len(l) == longest {
			for _, id := range l {
				reached[id] = true
			}
		}
	}
	order := make([]int, len(gh.operations))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return gh.operations[order[a]].Call < gh.operations[order[b]].Call })
	for _, id := range order {
		op := gh.operations[id]
		if !reached[id] && !op.Output.(output).unknown {
			return fmt.Sprintf("%s (%s)", describeOperation(gh.spec, op.Input.(input), op.Output.(output)), op.Metadata)
		}
	}
	return ""
}
