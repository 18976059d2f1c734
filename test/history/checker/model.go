package main

// The sequential specification of one group of accounts, as Porcupine's Model.
// Only what moves money is modelled: postings, holds, captures, releases and
// reversals. Balances read back from the eventually consistent read model are
// left out on purpose (the recorder's TypeScript side checks them), so every
// observation this model checks is a decision the ledger made from its own
// balances: a transfer posted or refused, a reversal posted or refused.

import (
	"fmt"
	"hash/fnv"
	"math/big"
	"strings"

	"github.com/anishathalye/porcupine"
)

type opKind uint8

const (
	opTransfer opKind = iota
	opApprove
	opReject
	opCancel
	opTerminate
	opReverse
)

var opKindNames = [...]string{"transfer", "approve", "reject", "cancel", "terminate", "reverse"}

func (k opKind) String() string { return opKindNames[k] }

// transferStatus is a transfer's status in the model; statusNone means the
// transfer has not been created yet.
type transferStatus uint8

const (
	statusNone transferStatus = iota
	statusAwaitingApproval
	statusPosted
	statusReversed
	statusCancelled
	statusExpired
	statusFailedInsufficientFunds
	statusFailedTerminated
	statusFailedOther
	// statusEndedUnknown: created by an operation whose answer never came, and
	// ended without moving money; the first answer that reports how it ended
	// (cancelled, expired, failed) settles which.
	statusEndedUnknown
)

var statusNames = [...]string{"none", "awaiting_approval", "posted", "reversed", "cancelled", "expired",
	"failed(INSUFFICIENT_FUNDS)", "failed(WORKFLOW_TERMINATED)", "failed(other)", "ended(unknown how)"}

func (s transferStatus) String() string { return statusNames[s] }

type reversalOutcome uint8

const (
	reversalNone reversalOutcome = iota
	reversalPosted
	reversalRefused
)

// account is what setup says about one account; fixed for the whole run.
type account struct {
	name         string
	limitMinor   int64
	unlimited    bool
	openingMinor int64
}

// groupSpec is the static part of a group: its accounts and the threshold.
type groupSpec struct {
	name                   string
	accounts               []account
	approvalThresholdMinor int64
	transferNames          []string // transfer index → transfer id (or a placeholder)
	unnamed                []bool   // transfer index → no answer named it: no other operation can
}

// input is one operation as the model sees it. For decisions and reversals the
// transfer's parties and amount come from the transfer operation that created
// it (the history names them once, on the transfer's invoke).
type input struct {
	kind     opKind
	transfer int // index into groupSpec.transferNames
	key      int // idempotency key index, -1 when the operation has none
	from     int
	to       int
	amount   int64
	// approvalSeen: for a transfer at or above the threshold, some approval
	// answered posted or never answered; without one it cannot have posted.
	approvalSeen bool
}

// output is an operation's outcome. unknown: indeterminate, it may or may not
// have taken effect. rejected: a 4xx that certainly took no effect.
type output struct {
	unknown  bool
	rejected bool
	status   transferStatus
	reversal reversalOutcome
}

// ledgerState is immutable: a step copies only the slices it changes, so
// states share what they have in common.
type ledgerState struct {
	postedMinor []int64 // per account
	heldMinor   []int64 // per account: the sum of open holds (awaiting approval) on it
	status      []transferStatus
	creatorKey  []int32 // per transfer: the idempotency key that created it
	reverserKey []int32 // per transfer: the idempotency key of the reversal that posted
}

func initialState(spec *groupSpec) ledgerState {
	n := len(spec.transferNames)
	s := ledgerState{
		postedMinor: make([]int64, len(spec.accounts)),
		heldMinor:   make([]int64, len(spec.accounts)),
		status:      make([]transferStatus, n),
		creatorKey:  make([]int32, n),
		reverserKey: make([]int32, n),
	}
	for i, a := range spec.accounts {
		s.postedMinor[i] = a.openingMinor
	}
	for i := range n {
		s.creatorKey[i], s.reverserKey[i] = -1, -1
	}
	return s
}

// fundsSuffice is the ledger's rule: a debit may not take the account's
// available balance (posted − held) below −creditLimit. Computed exactly:
// the terms are int64 but their combination need not be.
func fundsSuffice(spec *groupSpec, s ledgerState, acct int, amountMinor int64) bool {
	a := spec.accounts[acct]
	if a.unlimited {
		return true
	}
	after := new(big.Int).SetInt64(s.postedMinor[acct])
	after.Sub(after, big.NewInt(s.heldMinor[acct]))
	after.Sub(after, big.NewInt(amountMinor))
	return after.Cmp(big.NewInt(-a.limitMinor)) >= 0
}

func (s ledgerState) withStatus(t int, st transferStatus) ledgerState {
	s.status = append([]transferStatus(nil), s.status...)
	s.status[t] = st
	return s
}

func addTo(values []int64, deltas map[int]int64) ([]int64, bool) {
	out := append([]int64(nil), values...)
	for i, d := range deltas {
		sum := out[i] + d
		if (d > 0 && sum < out[i]) || (d < 0 && sum > out[i]) {
			return nil, false // beyond the ledger's bigint columns: not a state it can be in
		}
		out[i] = sum
	}
	return out, true
}

// moveMinor posts amount from → to.
func (s ledgerState) moveMinor(from, to int, amountMinor int64) (ledgerState, bool) {
	posted, ok := addTo(s.postedMinor, map[int]int64{from: -amountMinor})
	if ok {
		posted, ok = addTo(posted, map[int]int64{to: amountMinor})
	}
	s.postedMinor = posted
	return s, ok
}

func (s ledgerState) holdMinor(acct int, amountMinor int64) (ledgerState, bool) {
	held, ok := addTo(s.heldMinor, map[int]int64{acct: amountMinor})
	s.heldMinor = held
	return s, ok
}

func (s ledgerState) withCreator(t int, key int) ledgerState {
	s.creatorKey = append([]int32(nil), s.creatorKey...)
	s.creatorKey[t] = int32(key)
	return s
}

func (s ledgerState) withReverser(t int, key int) ledgerState {
	s.reverserKey = append([]int32(nil), s.reverserKey...)
	s.reverserKey[t] = int32(key)
	return s
}

func statesEqual(a, b ledgerState) bool {
	return equalSlices(a.postedMinor, b.postedMinor) && equalSlices(a.heldMinor, b.heldMinor) &&
		equalSlices(a.status, b.status) && equalSlices(a.creatorKey, b.creatorKey) &&
		equalSlices(a.reverserKey, b.reverserKey)
}

func equalSlices[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func hashState(s ledgerState) uint64 {
	h := fnv.New64a()
	var buf [8]byte
	put := func(v uint64) {
		for i := range buf {
			buf[i] = byte(v >> (8 * i))
		}
		_, _ = h.Write(buf[:])
	}
	for i := range s.postedMinor {
		put(uint64(s.postedMinor[i]))
		put(uint64(s.heldMinor[i]))
	}
	for i := range s.status {
		put(uint64(s.status[i]) | uint64(uint32(s.creatorKey[i]))<<8 | uint64(uint32(s.reverserKey[i]))<<40)
	}
	return h.Sum64()
}

// newModel builds the Porcupine model of one group. It is nondeterministic
// only where an operation's answer never came and others may report how it
// ended; Porcupine tracks the set of states the choices lead to.
func newModel(spec *groupSpec) porcupine.Model {
	nondeterministic := porcupine.NondeterministicModel{
		Init: func() []interface{} { return []interface{}{initialState(spec)} },
		Step: func(state, in, out interface{}) []interface{} {
			return stepAll(spec, state.(ledgerState), in.(input), out.(output))
		},
		Equal: func(a, b interface{}) bool { return statesEqual(a.(ledgerState), b.(ledgerState)) },
		Hash:  func(state interface{}) uint64 { return hashState(state.(ledgerState)) },
		DescribeOperation: func(in, out interface{}) string {
			return describeOperation(spec, in.(input), out.(output))
		},
		DescribeState: func(state interface{}) string { return describeState(spec, state.(ledgerState)) },
		DescribeOperationMetadata: func(info interface{}) string {
			if info == nil {
				return ""
			}
			return fmt.Sprint(info)
		},
	}
	return nondeterministic.ToModel()
}

func describeOperation(spec *groupSpec, in input, out output) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", in.kind, shortID(spec.transferNames[in.transfer]))
	if in.kind == opTransfer {
		fmt.Fprintf(&b, " %s→%s %d", spec.accounts[in.from].short(), spec.accounts[in.to].short(), in.amount)
	}
	switch {
	case out.unknown:
		b.WriteString(" → ?")
	case out.rejected:
		b.WriteString(" → 4xx")
	case in.kind == opReverse && out.reversal == reversalPosted:
		b.WriteString(" → reversal posted")
	case in.kind == opReverse:
		b.WriteString(" → reversal refused")
	default:
		fmt.Fprintf(&b, " → %s", out.status)
	}
	return b.String()
}

func describeState(spec *groupSpec, s ledgerState) string {
	parts := make([]string, 0, len(spec.accounts)+1)
	for i, a := range spec.accounts {
		parts = append(parts, fmt.Sprintf("%s posted %d held %d", a.short(), s.postedMinor[i], s.heldMinor[i]))
	}
	var open []string
	for t, st := range s.status {
		if st == statusAwaitingApproval {
			open = append(open, shortID(spec.transferNames[t]))
		}
	}
	parts = append(parts, "awaiting ["+strings.Join(open, " ")+"]")
	return strings.Join(parts, "; ")
}

func (a account) short() string { return shortID(a.name) }

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
