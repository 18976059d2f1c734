package main

// The sequential specification of one group of accounts, as Porcupine's Model.
// Only what moves money is modelled: postings, holds, captures, releases and
// reversals. Balances read back from the eventually consistent read model are
// left out on purpose (the recorder's TypeScript side checks them), so every
// observation this model checks is a decision the ledger made from its own
// balances: a transfer posted or refused, a reversal posted or refused.

import (
	"fmt"
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
// states share what they have in common. Its hash is kept up to date by every
// change (an XOR of one term per account and per transfer), because Porcupine
// hashes a state at every step and the transfers grow with the history.
type ledgerState struct {
	postedMinor []int64 // per account
	heldMinor   []int64 // per account: the sum of open holds (awaiting approval) on it
	transfers   []*transferChunk
	hash        uint64
}

// Transfers are kept in chunks so that a change copies one chunk and the list
// of chunk pointers, not every transfer: Porcupine keeps each state it has
// seen, and a history has thousands of transfers.
const chunkSize = 32

type transferChunk [chunkSize]transferRecord

type transferRecord struct {
	status      transferStatus
	creatorKey  int32 // the idempotency key that created it
	reverserKey int32 // the idempotency key of the reversal that posted
}

func initialState(spec *groupSpec) ledgerState {
	s := ledgerState{
		postedMinor: make([]int64, len(spec.accounts)),
		heldMinor:   make([]int64, len(spec.accounts)),
		transfers:   make([]*transferChunk, (len(spec.transferNames)+chunkSize-1)/chunkSize),
	}
	for i, a := range spec.accounts {
		s.postedMinor[i] = a.openingMinor
		s.hash ^= accountTerm(i, s.postedMinor[i], 0)
	}
	for c := range s.transfers {
		s.transfers[c] = new(transferChunk)
		for i := range s.transfers[c] {
			s.transfers[c][i] = transferRecord{creatorKey: -1, reverserKey: -1}
			if c*chunkSize+i < len(spec.transferNames) {
				s.hash ^= transferTerm(c*chunkSize+i, s.transfers[c][i])
			}
		}
	}
	return s
}

func (s ledgerState) transfer(t int) transferRecord { return s.transfers[t/chunkSize][t%chunkSize] }

func (s ledgerState) status(t int) transferStatus { return s.transfer(t).status }

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

func (s ledgerState) withTransfer(t int, change func(*transferRecord)) ledgerState {
	s.hash ^= transferTerm(t, s.transfer(t))
	s.transfers = append([]*transferChunk(nil), s.transfers...)
	chunk := *s.transfers[t/chunkSize]
	change(&chunk[t%chunkSize])
	s.transfers[t/chunkSize] = &chunk
	s.hash ^= transferTerm(t, s.transfer(t))
	return s
}

func (s ledgerState) withStatus(t int, st transferStatus) ledgerState {
	return s.withTransfer(t, func(r *transferRecord) { r.status = st })
}

func (s ledgerState) withCreator(t int, key int) ledgerState {
	return s.withTransfer(t, func(r *transferRecord) { r.creatorKey = int32(key) })
}

func (s ledgerState) withReverser(t int, key int) ledgerState {
	return s.withTransfer(t, func(r *transferRecord) { r.reverserKey = int32(key) })
}

// withBalances adds the deltas to posted and held balances; false when a
// balance would leave int64, which the ledger's bigint columns cannot hold.
func (s ledgerState) withBalances(postedDelta, heldDelta map[int]int64) (ledgerState, bool) {
	posted := append([]int64(nil), s.postedMinor...)
	held := append([]int64(nil), s.heldMinor...)
	for _, change := range []struct {
		values []int64
		deltas map[int]int64
	}{{posted, postedDelta}, {held, heldDelta}} {
		for i, d := range change.deltas {
			sum := change.values[i] + d
			if (d > 0 && sum < change.values[i]) || (d < 0 && sum > change.values[i]) {
				return s, false
			}
			change.values[i] = sum
		}
	}
	for i := range posted {
		s.hash ^= accountTerm(i, s.postedMinor[i], s.heldMinor[i]) ^ accountTerm(i, posted[i], held[i])
	}
	s.postedMinor, s.heldMinor = posted, held
	return s, true
}

// moveMinor posts amount from → to.
func (s ledgerState) moveMinor(from, to int, amountMinor int64) (ledgerState, bool) {
	return s.withBalances(map[int]int64{from: -amountMinor, to: amountMinor}, nil)
}

func (s ledgerState) holdMinor(acct int, amountMinor int64) (ledgerState, bool) {
	return s.withBalances(nil, map[int]int64{acct: amountMinor})
}

func statesEqual(a, b ledgerState) bool {
	return a.hash == b.hash && equalSlices(a.postedMinor, b.postedMinor) && equalSlices(a.heldMinor, b.heldMinor) &&
		equalChunks(a.transfers, b.transfers)
}

func equalChunks(a, b []*transferChunk) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && *a[i] != *b[i] {
			return false
		}
	}
	return true
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

// mix is SplitMix64's finaliser: terms of nearby values land far apart.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func accountTerm(i int, postedMinor, heldMinor int64) uint64 {
	return mix(mix(uint64(i)<<1) ^ mix(uint64(postedMinor)) ^ mix(mix(uint64(heldMinor))))
}

func transferTerm(t int, r transferRecord) uint64 {
	packed := uint64(r.status) | uint64(uint32(r.creatorKey))<<8 | uint64(uint32(r.reverserKey))<<40
	return mix(mix(uint64(t)<<1|1) ^ mix(packed))
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
		Hash:  func(state interface{}) uint64 { return state.(ledgerState).hash },
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
	for t := range spec.transferNames {
		if s.status(t) == statusAwaitingApproval {
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
