package main

// Proves the checker decides a history of the recorder's size (a few thousand
// operations, groups of 3 accounts with 4 clients each, timeouts resolved or
// not) as linearizable when a simulated ledger produced it, and as illegal
// once one answer names another transfer's id. The simulated ledger applies
// each operation at a random instant inside its interval, in instant order,
// with its own small implementation of the rules (not the model's code). The
// time the check took is logged, not asserted.

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

const syntheticThresholdMinor = 1000

type simTransfer struct {
	id, key     string
	from, to    int
	amount      int64
	status      string // posted, awaiting_approval, cancelled, failed, reversed
	code        string // failureCode, "" for none
	reversalKey string
}

type simLine struct {
	timeNs int64
	text   func(index func(*simLine) int) string
}

type simGroup struct {
	name      string
	accounts  []string
	posted    []int64
	held      []int64
	transfers []*simTransfer
}

func (g *simGroup) available(acct int) int64 { return g.posted[acct] - g.held[acct] }

type simulator struct {
	rng      *rand.Rand
	lines    []*simLine
	nextProc int
	seq      int
}

func (s *simulator) emit(timeNs int64, text func(index func(*simLine) int) string) *simLine {
	l := &simLine{timeNs: timeNs, text: text}
	s.lines = append(s.lines, l)
	return l
}

// apply decides the operation at its linearization instant and returns the
// answer's value; rejected is the API's 409 (nothing done).
func (g *simGroup) apply(f string, t *simTransfer, key string) (value string, rejected bool) {
	switch f {
	case "transfer":
		g.transfers = append(g.transfers, t)
		switch {
		case g.available(t.from) < t.amount:
			t.status, t.code = "failed", "INSUFFICIENT_FUNDS"
			return answer(t.id, "failed", "INSUFFICIENT_FUNDS"), false
		case t.amount >= syntheticThresholdMinor:
			g.held[t.from] += t.amount
			t.status = "awaiting_approval"
		default:
			g.posted[t.from] -= t.amount
			g.posted[t.to] += t.amount
			t.status = "posted"
		}
		return answer(t.id, t.status, ""), false
	case "approve", "reject", "cancel":
		if f != "approve" && t.code == "WORKFLOW_TERMINATED" {
			return t.outcome(), false // the contract: the final state, never a 409
		}
		if t.status != "awaiting_approval" {
			return `{"status":409,"code":"INVALID_STATE"}`, true
		}
		g.held[t.from] -= t.amount
		t.status = "cancelled"
		if f == "reject" {
			t.code = "REJECTED"
		}
		if f == "approve" {
			g.posted[t.from] -= t.amount
			g.posted[t.to] += t.amount
			t.status = "posted"
		}
		return t.outcome(), false
	case "terminate":
		if t.status == "awaiting_approval" {
			g.held[t.from] -= t.amount
			t.status, t.code = "failed", "WORKFLOW_TERMINATED"
		}
		return `{"terminated":true}`, false
	case "reverse":
		if t.status != "posted" {
			return `{"status":409,"code":"INVALID_STATE"}`, true
		}
		if g.available(t.to) < t.amount {
			return reversal("refused", "INSUFFICIENT_FUNDS"), false
		}
		g.posted[t.to] -= t.amount
		g.posted[t.from] += t.amount
		t.status, t.reversalKey = "reversed", key
		return reversal("posted", ""), false
	default:
		return `{"postedMinor":"0","pendingMinor":"0","availableMinor":"0"}`, false
	}
}

// outcome is the transfer as a decision's answer reports it.
func (t *simTransfer) outcome() string {
	code := "null"
	if t.code != "" {
		code = fmt.Sprintf("%q", t.code)
	}
	return fmt.Sprintf(`{"status":%q,"failureCode":%s}`, t.status, code)
}

type simOp struct {
	g          *simGroup
	f, key     string
	t          *simTransfer
	process    int
	invoke     *simLine
	callNs     int64
	linNs      int64
	returnNs   int64
	answer     string
	rejected   bool
	timeout    bool // answered info
	unresolved bool
}

// generate simulates groups×clients clients issuing ops operations in all.
func generate(seed int64, groups, opsTotal int) string {
	s := &simulator{rng: rand.New(rand.NewSource(seed))}
	var gs []*simGroup
	setupGroups := make([]string, 0, groups)
	for gi := range groups {
		g := &simGroup{name: fmt.Sprintf("g%d", gi), posted: make([]int64, 3), held: make([]int64, 3)}
		var accts []string
		for a := range 3 {
			id := fmt.Sprintf("%s-acct-%d", g.name, a)
			g.accounts = append(g.accounts, id)
			g.posted[a] = 2000
			accts = append(accts, fmt.Sprintf(`%q:{"creditLimitMinor":"0","openingPostedMinor":"2000"}`, id))
		}
		setupGroups = append(setupGroups, fmt.Sprintf(`%q:{"accounts":{%s}}`, g.name, strings.Join(accts, ",")))
		gs = append(gs, g)
	}
	s.emit(0, func(func(*simLine) int) string {
		return fmt.Sprintf(`{"index":0,"time":0,"type":"setup","process":"setup","value":{"approvalThresholdMinor":"%d","groups":{%s}}}`,
			syntheticThresholdMinor, strings.Join(setupGroups, ","))
	})
	ops := s.schedule(gs, opsTotal)
	sort.SliceStable(ops, func(i, j int) bool { return ops[i].linNs < ops[j].linNs })
	var endNs int64
	for _, op := range ops {
		op.answer, op.rejected = op.g.apply(op.f, op.t, op.key)
		endNs = max(endNs, op.returnNs)
	}
	for _, op := range ops {
		s.emitOp(op, endNs)
	}
	return s.render()
}

// schedule lays out each client's operations back to back in time; the
// targets of decisions and reversals are chosen later among transfers whose
// answers the client had by its invoke.
func (s *simulator) schedule(gs []*simGroup, opsTotal int) []*simOp {
	var ops []*simOp
	perClient := opsTotal / (len(gs) * 4)
	for _, g := range gs {
		for c := range 4 {
			clock := int64(s.rng.Intn(1000))
			process := s.nextProc
			s.nextProc++
			for range perClient {
				op := &simOp{g: g, process: process, callNs: clock}
				op.linNs = clock + 1 + int64(s.rng.Intn(5000))
				op.returnNs = op.linNs + 1 + int64(s.rng.Intn(5000))
				s.pickOperation(op, c)
				if s.rng.Intn(40) == 0 {
					op.timeout, op.unresolved = true, s.rng.Intn(2) == 0
					process = s.nextProc // an info's process never continues
					s.nextProc++
				}
				clock = op.returnNs + int64(s.rng.Intn(2000))
				ops = append(ops, op)
			}
		}
	}
	ops = append(ops, s.terminations(gs, ops)...)
	// Decisions and reversals need a target the client knew of: resolve them
	// in linearization order, once every transfer's answer time is known.
	s.pickTargets(ops)
	kept := ops[:0]
	for _, op := range ops {
		if op.f != "" {
			kept = append(kept, op)
		}
	}
	return kept
}

// terminations: the nemesis terminates three transfers' workflows per group,
// each answered info at once and resolved after the run with the final state;
// fault lines around them are counted only.
func (s *simulator) terminations(gs []*simGroup, ops []*simOp) []*simOp {
	var endNs int64
	for _, op := range ops {
		endNs = max(endNs, op.returnNs)
	}
	var nemesis []*simOp
	for _, g := range gs {
		for range 3 {
			callNs := int64(s.rng.Int63n(endNs))
			nemesis = append(nemesis, &simOp{g: g, f: "terminate", process: -1, callNs: callNs,
				linNs: callNs + 1 + int64(s.rng.Intn(20000)), returnNs: callNs + 1, timeout: true})
			faultNs := callNs
			s.emit(faultNs, func(func(*simLine) int) string {
				return fmt.Sprintf(`{"index":%%d,"time":%d,"type":"info","process":"nemesis","f":"fault-start","value":{"fault":"pause","target":"ledger"}}`, faultNs)
			})
		}
	}
	return nemesis
}

func (s *simulator) pickOperation(op *simOp, client int) {
	s.seq++
	switch r := s.rng.Intn(10); {
	case r < 6:
		from := s.rng.Intn(3)
		amount := int64(1 + s.rng.Intn(600))
		if s.rng.Intn(8) == 0 {
			amount = syntheticThresholdMinor + int64(s.rng.Intn(200))
		}
		op.f, op.key = "transfer", fmt.Sprintf("%s-k%d", op.g.name, s.seq)
		op.t = &simTransfer{id: fmt.Sprintf("%s-t%d", op.g.name, s.seq), key: op.key, from: from,
			to: (from + 1 + s.rng.Intn(2)) % 3, amount: amount}
	case r < 8 && client%2 == 0:
		op.f = []string{"approve", "approve", "reject", "cancel"}[s.rng.Intn(4)]
	case r < 8:
		op.f, op.key = "reverse", fmt.Sprintf("%s-r%d", op.g.name, s.seq)
	default:
		op.f = "balance"
	}
}

// pickTargets gives each decision or reversal a transfer answered before its
// invoke (answers are known because transfers are scheduled first); one
// without such a transfer becomes a balance read.
func (s *simulator) pickTargets(ops []*simOp) {
	answeredNs := map[*simTransfer]int64{}
	for _, op := range ops {
		if op.f == "transfer" && !op.timeout {
			answeredNs[op.t] = op.returnNs
		}
	}
	for _, op := range ops {
		if op.f == "transfer" || op.f == "balance" {
			continue
		}
		var known []*simTransfer
		for _, other := range ops {
			if other.g == op.g && other.f == "transfer" && !other.timeout && answeredNs[other.t] < op.callNs &&
				(op.f == "reverse") == (other.t.amount < syntheticThresholdMinor) {
				known = append(known, other.t)
			}
		}
		if len(known) == 0 && op.process < 0 {
			op.f = "" // nothing for the nemesis to terminate yet
			continue
		}
		if len(known) == 0 {
			op.f, op.key = "balance", ""
			continue
		}
		op.t = known[s.rng.Intn(len(known))]
	}
}

func (s *simulator) emitOp(op *simOp, endNs int64) {
	group, proc := op.g.name, fmt.Sprint(op.process)
	if op.process < 0 {
		proc = `"nemesis"`
	}
	invokeValue := fmt.Sprintf(`{"group":%q,"account":%q}`, group, op.g.accounts[0])
	switch op.f {
	case "transfer":
		invokeValue = fmt.Sprintf(`{"group":%q,"from":%q,"to":%q,"amountMinor":"%d"}`, group,
			op.g.accounts[op.t.from], op.g.accounts[op.t.to], op.t.amount)
	case "approve", "reject", "cancel", "reverse", "terminate":
		invokeValue = fmt.Sprintf(`{"group":%q,"transferId":%q}`, group, op.t.id)
	}
	keyField := ""
	if op.key != "" {
		keyField = fmt.Sprintf(`,"key":%q`, op.key)
	}
	op.invoke = s.emit(op.callNs, func(index func(*simLine) int) string {
		return fmt.Sprintf(`{"index":%d,"time":%d,"type":"invoke","process":%s,"f":%q%s,"value":%s}`,
			index(op.invoke), op.callNs, proc, op.f, keyField, invokeValue)
	})
	value := op.answer
	typ := "ok"
	if op.rejected {
		typ = "fail"
	}
	if op.timeout {
		typ, value = "info", `{"error":"timeout"}`
	}
	s.emit(op.returnNs, func(index func(*simLine) int) string {
		return fmt.Sprintf(`{"index":%%d,"time":%d,"type":%q,"process":%s,"f":%q,"value":%s}`, op.returnNs, typ, proc, op.f, value)
	})
	if op.timeout && !op.unresolved && op.f != "balance" && !op.rejected {
		s.emit(endNs+1+op.callNs%1000, func(index func(*simLine) int) string {
			answer := op.answer
			if op.f == "terminate" {
				answer = op.t.outcome() // read back once everything settled
			}
			resolved := strings.Replace(answer, "{", fmt.Sprintf(`{"ref":%d,`, index(op.invoke)), 1)
			return fmt.Sprintf(`{"index":%%d,"time":%d,"type":"resolve","process":%s,"f":%q,"value":%s}`, endNs+1+op.callNs%1000, proc, op.f, resolved)
		})
	}
}

func (s *simulator) render() string {
	sort.SliceStable(s.lines, func(i, j int) bool { return s.lines[i].timeNs < s.lines[j].timeNs })
	indexOf := map[*simLine]int{}
	for i, l := range s.lines {
		indexOf[l] = i
	}
	var b strings.Builder
	for i, l := range s.lines {
		text := l.text(func(x *simLine) int { return indexOf[x] })
		if strings.Contains(text, `"index":%d`) {
			text = fmt.Sprintf(text, i)
		}
		b.WriteString(text)
		b.WriteByte('\n')
	}
	return b.String()
}

func checkSynthetic(t *testing.T, history string) (int, string, time.Duration) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "synthetic.jsonl")
	if err := os.WriteFile(path, []byte(history), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	started := time.Now()
	code := run([]string{"--html-dir", t.TempDir(), path}, &out, &errOut)
	return code, out.String() + errOut.String(), time.Since(started)
}

func TestSyntheticHistoryOfRecorderSizeIsLinearizable(t *testing.T) {
	history := generate(1, 10, 3000)
	code, out, took := checkSynthetic(t, history)
	t.Logf("%d lines checked in %s:\n%s", strings.Count(history, "\n"), took, out)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestSyntheticHistoryWithADuplicatedTransferIdIsIllegal(t *testing.T) {
	history := generate(2, 10, 3000)
	// A later posted answer of group g3 names the first's transfer id.
	var first string
	lines := strings.Split(history, "\n")
	for i, l := range lines {
		if !strings.Contains(l, `"type":"ok"`) || !strings.Contains(l, `"transferId":"g3-t`) || !strings.Contains(l, `"status":"posted"`) {
			continue
		}
		id := l[strings.Index(l, `"transferId":"`)+14:]
		id = id[:strings.Index(id, `"`)]
		if first == "" {
			first = id
			continue
		}
		if strings.Count(history, `"`+id+`"`) == 1 { // no decision or reversal names it
			lines[i] = strings.Replace(l, id, first, 1)
			break
		}
	}
	code, out, took := checkSynthetic(t, strings.Join(lines, "\n"))
	t.Logf("checked in %s:\n%s", took, out)
	if code != 1 || !strings.Contains(out, "g3: ") || !strings.Contains(out, "illegal") {
		t.Fatalf("exit %d, want 1 for g3:\n%s", code, out)
	}
}

// TestWriteSyntheticHistory writes a synthetic history for timing the
// command by hand: HISTORY_CHECKER_SYNTHETIC=path,groups,operations.
func TestWriteSyntheticHistory(t *testing.T) {
	spec := os.Getenv("HISTORY_CHECKER_SYNTHETIC")
	if spec == "" {
		t.Skip("HISTORY_CHECKER_SYNTHETIC=path,groups,operations is not set")
	}
	var path string
	var groups, operations int
	if _, err := fmt.Sscanf(strings.ReplaceAll(spec, ",", " "), "%s %d %d", &path, &groups, &operations); err != nil {
		t.Fatalf("HISTORY_CHECKER_SYNTHETIC=%q: %v", spec, err)
	}
	if err := os.WriteFile(path, []byte(generate(3, groups, operations)), 0o644); err != nil {
		t.Fatal(err)
	}
}
