package main

// Reads a recorder's JSONL history and pairs each invoke with its completion:
// by process for clients (a process runs one operation at a time), by `ref`
// for resolves, in order for the nemesis's terminates.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
)

// malformedError is a history the checker cannot read: exit status 2.
type malformedError struct{ msg string }

func (e *malformedError) Error() string { return "malformed history: " + e.msg }

func malformed(format string, args ...interface{}) error {
	return &malformedError{fmt.Sprintf(format, args...)}
}

type rawEvent struct {
	Index   *int64          `json:"index"`
	Time    *int64          `json:"time"`
	Type    string          `json:"type"`
	Process json.RawMessage `json:"process"`
	F       string          `json:"f"`
	Key     *string         `json:"key"`
	Value   json.RawMessage `json:"value"`
	Ref     *int64          `json:"ref"`
}

// recordedOp is one operation with its completion, as the recorder saw it.
type recordedOp struct {
	f           string
	process     string
	key         string // "" when the request carried no idempotency key
	invokeIndex int64
	callNs      int64
	returnNs    int64 // set once completed
	completion  string
	input       json.RawMessage
	result      json.RawMessage // the ok's or the resolve's value
}

// recordedHistory is the whole file, paired.
type recordedHistory struct {
	setup       setupValue
	ops         []*recordedOp // in invoke order
	faultEvents int
	lastNs      int64
}

type setupValue struct {
	ApprovalThresholdMinor string `json:"approvalThresholdMinor"`
	Groups                 map[string]struct {
		Accounts map[string]struct {
			CreditLimitMinor   string `json:"creditLimitMinor"`
			OpeningPostedMinor string `json:"openingPostedMinor"`
		} `json:"accounts"`
	} `json:"groups"`
}

// historyReader holds the pairing state while the file is read.
type historyReader struct {
	h              recordedHistory
	byIndex        map[int64]*recordedOp
	open           map[string]*recordedOp // process → its running operation
	openTerminates []*recordedOp
	sawSetup       bool
}

func readHistory(r io.Reader) (*recordedHistory, error) {
	hr := &historyReader{byIndex: map[int64]*recordedOp{}, open: map[string]*recordedOp{}}
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 1<<20), 64<<20)
	for line := 1; scanner.Scan(); line++ {
		if len(scanner.Bytes()) == 0 {
			continue
		}
		var ev rawEvent
		if err := json.Unmarshal(scanner.Bytes(), &ev); err != nil {
			return nil, malformed("line %d: %v", line, err)
		}
		if err := hr.add(ev); err != nil {
			return nil, malformed("line %d: %v", line, err)
		}
	}
	if err := scanner.Err(); err != nil {
		return nil, err
	}
	if !hr.sawSetup {
		return nil, malformed("no setup line")
	}
	return &hr.h, nil
}

func (hr *historyReader) add(ev rawEvent) error {
	if ev.Index == nil || ev.Time == nil {
		return fmt.Errorf("index and time are required")
	}
	hr.h.lastNs = max(hr.h.lastNs, *ev.Time)
	process, err := processName(ev.Process)
	if err != nil {
		return err
	}
	if process == "nemesis" && (ev.F == "fault-start" || ev.F == "fault-stop") {
		hr.h.faultEvents++
		return nil
	}
	if !hr.sawSetup {
		if ev.Type != "setup" {
			return fmt.Errorf("the first line must be the setup, got type %q", ev.Type)
		}
		hr.sawSetup = true
		return json.Unmarshal(ev.Value, &hr.h.setup)
	}
	switch ev.Type {
	case "invoke":
		return hr.invoke(ev, process)
	case "ok", "fail", "info":
		return hr.complete(ev, process)
	case "resolve":
		return hr.resolve(ev)
	default:
		return fmt.Errorf("unknown type %q", ev.Type)
	}
}

func processName(raw json.RawMessage) (string, error) {
	var n int64
	if err := json.Unmarshal(raw, &n); err == nil {
		return strconv.FormatInt(n, 10), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || s == "" {
		return "", fmt.Errorf("process must be an integer or a name, got %s", raw)
	}
	return s, nil
}

func (hr *historyReader) invoke(ev rawEvent, process string) error {
	if _, dup := hr.byIndex[*ev.Index]; dup {
		return fmt.Errorf("index %d used twice", *ev.Index)
	}
	op := &recordedOp{f: ev.F, process: process, invokeIndex: *ev.Index, callNs: *ev.Time, input: ev.Value}
	if ev.Key != nil {
		op.key = *ev.Key
	}
	if ev.F == "terminate" {
		hr.openTerminates = append(hr.openTerminates, op)
	} else {
		if running, busy := hr.open[process]; busy {
			return fmt.Errorf("process %s invokes %s while its %s (index %d) runs", process, ev.F, running.f, running.invokeIndex)
		}
		hr.open[process] = op
	}
	hr.byIndex[op.invokeIndex] = op
	hr.h.ops = append(hr.h.ops, op)
	return nil
}

func (hr *historyReader) complete(ev rawEvent, process string) error {
	var op *recordedOp
	if ev.F == "terminate" && len(hr.openTerminates) > 0 {
		op, hr.openTerminates = hr.openTerminates[0], hr.openTerminates[1:]
	} else {
		op = hr.open[process]
		delete(hr.open, process)
	}
	if op == nil {
		return fmt.Errorf("%s of %s by process %s, which runs nothing", ev.Type, ev.F, process)
	}
	if op.f != ev.F {
		return fmt.Errorf("%s of %s completes the %s invoked at index %d", ev.Type, ev.F, op.f, op.invokeIndex)
	}
	if *ev.Time < op.callNs {
		return fmt.Errorf("completion at %d before its invoke at %d", *ev.Time, op.callNs)
	}
	op.completion, op.returnNs = ev.Type, *ev.Time
	if ev.Type == "ok" {
		op.result = ev.Value
	}
	return nil
}

func (hr *historyReader) resolve(ev rawEvent) error {
	ref := ev.Ref
	if ref == nil {
		var v struct {
			Ref *int64 `json:"ref"`
		}
		_ = json.Unmarshal(ev.Value, &v)
		ref = v.Ref
	}
	if ref == nil {
		return fmt.Errorf("resolve without ref")
	}
	op := hr.byIndex[*ref]
	switch {
	case op == nil:
		return fmt.Errorf("resolve of index %d, which is no invoke", *ref)
	case op.completion == "info":
	case op.completion == "" && op.f == "terminate":
		hr.dropOpenTerminate(op)
	default:
		return fmt.Errorf("resolve of index %d, whose completion is %q (only info operations and terminates are resolved)", *ref, op.completion)
	}
	if ev.F != "" && ev.F != op.f {
		return fmt.Errorf("resolve of %s names the %s invoked at index %d", ev.F, op.f, op.invokeIndex)
	}
	if *ev.Time < op.callNs {
		return fmt.Errorf("resolve at %d before its invoke at %d", *ev.Time, op.callNs)
	}
	op.completion, op.returnNs, op.result = "resolve", *ev.Time, ev.Value
	return nil
}

func (hr *historyReader) dropOpenTerminate(op *recordedOp) {
	for i, t := range hr.openTerminates {
		if t == op {
			hr.openTerminates = append(hr.openTerminates[:i:i], hr.openTerminates[i+1:]...)
			return
		}
	}
}

// groupNames lists the setup's groups in a stable order.
func (h *recordedHistory) groupNames() []string {
	names := make([]string, 0, len(h.setup.Groups))
	for name := range h.setup.Groups {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
