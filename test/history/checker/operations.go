package main

// Turns the paired history into Porcupine operations, one list per group.
// Reads (balance, statement) are counted and left out: they come from the
// eventually consistent read model, not from the ledger's linearizable state.

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/anishathalye/porcupine"
)

// groupHistory is one group's operations, ready for Porcupine.
type groupHistory struct {
	spec          *groupSpec
	operations    []porcupine.Operation
	reads         int
	indeterminate int // never resolved: may or may not have taken effect
	skipped       int // terminates of transfers no operation created
}

type transferInvoke struct {
	Group       string `json:"group"`
	From        string `json:"from"`
	To          string `json:"to"`
	AmountMinor string `json:"amountMinor"`
}

type targetInvoke struct {
	Group      string `json:"group"`
	TransferID string `json:"transferId"`
	Account    string `json:"account"`
}

type resultValue struct {
	TransferID     string  `json:"transferId"`
	Status         string  `json:"status"`
	FailureCode    *string `json:"failureCode"`
	ReversalStatus *string `json:"reversalStatus"`
}

// transferFacts are a transfer's parties and amount, named once by its invoke.
type transferFacts struct {
	index    int
	from, to int
	amount   int64
	approved bool // an approval answered posted, or never answered, names it
}

// groupBuilder collects one group's operations.
type groupBuilder struct {
	gh         *groupHistory
	accountIdx map[string]int
	transfers  map[string]*transferFacts // transfer id → facts
	idOfKey    map[string]string         // transfer idempotency key → transfer id
	keys       map[string]int
	clients    map[string]int
	unknownNs  int64
}

func buildGroups(h *recordedHistory) (map[string]*groupHistory, error) {
	thresholdMinor, err := parseMinor("approvalThresholdMinor", h.setup.ApprovalThresholdMinor)
	if err != nil {
		return nil, malformed("setup: %v", err)
	}
	builders := map[string]*groupBuilder{}
	for _, name := range h.groupNames() {
		b, err := newGroupBuilder(h, name, thresholdMinor)
		if err != nil {
			return nil, malformed("setup of group %s: %v", name, err)
		}
		builders[name] = b
	}
	// Transfers first, so every decision and reversal finds the facts of its transfer.
	for _, pass := range []func(*groupBuilder, *recordedOp, invokeHeader) error{
		(*groupBuilder).registerTransfer, (*groupBuilder).addOperation,
	} {
		for _, op := range h.ops {
			var head invokeHeader
			if err := json.Unmarshal(op.input, &head); err != nil {
				return nil, malformed("invoke %d: %v", op.invokeIndex, err)
			}
			b := builders[head.Group]
			if b == nil {
				return nil, malformed("invoke %d names group %q, which setup does not have", op.invokeIndex, head.Group)
			}
			if err := pass(b, op, head); err != nil {
				return nil, malformed("invoke %d (%s): %v", op.invokeIndex, op.f, err)
			}
		}
	}
	groups := map[string]*groupHistory{}
	for name, b := range builders {
		groups[name] = b.gh
	}
	return groups, nil
}

type invokeHeader struct {
	Group string `json:"group"`
}

func newGroupBuilder(h *recordedHistory, name string, thresholdMinor int64) (*groupBuilder, error) {
	spec := &groupSpec{name: name, approvalThresholdMinor: thresholdMinor}
	ids := make([]string, 0)
	for id := range h.setup.Groups[name].Accounts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	b := &groupBuilder{gh: &groupHistory{spec: spec}, accountIdx: map[string]int{},
		transfers: map[string]*transferFacts{}, idOfKey: map[string]string{},
		keys: map[string]int{}, clients: map[string]int{}, unknownNs: h.lastNs + 1}
	for i, id := range ids {
		a := h.setup.Groups[name].Accounts[id]
		acct := account{name: id}
		var err error
		if acct.openingMinor, err = parseSignedMinor("openingPostedMinor", a.OpeningPostedMinor); err != nil {
			return nil, err
		}
		if a.CreditLimitMinor == "unlimited" {
			acct.unlimited = true
		} else if acct.limitMinor, err = parseMinor("creditLimitMinor", a.CreditLimitMinor); err != nil {
			return nil, err
		}
		spec.accounts = append(spec.accounts, acct)
		b.accountIdx[id] = i
	}
	return b, nil
}

func (b *groupBuilder) registerTransfer(op *recordedOp, _ invokeHeader) error {
	if op.f == "approve" {
		return b.registerApproval(op)
	}
	if op.f != "transfer" || (op.completion != "ok" && op.completion != "resolve") {
		return nil
	}
	facts, err := b.transferInput(op)
	if err != nil {
		return err
	}
	var res resultValue
	if err := json.Unmarshal(op.result, &res); err != nil || res.TransferID == "" {
		return fmt.Errorf("the %s of a transfer needs a transferId", op.completion)
	}
	if _, known := b.transfers[res.TransferID]; !known {
		facts.index = b.transferIndex(res.TransferID)
		b.transfers[res.TransferID] = facts
	}
	if op.key != "" {
		b.idOfKey[op.key] = res.TransferID
	}
	return nil
}

// registerApproval notes the transfers an approval may have posted. Approvals
// follow their transfer's answer in the file, so the facts are there already.
func (b *groupBuilder) registerApproval(op *recordedOp) error {
	var v targetInvoke
	if err := json.Unmarshal(op.input, &v); err != nil {
		return err
	}
	facts := b.transfers[v.TransferID]
	if facts == nil {
		return nil // addOperation names the unknown transfer
	}
	out, err := parseOutput(op)
	if err != nil {
		return err
	}
	if out.unknown || out.status == statusPosted {
		facts.approved = true
	}
	return nil
}

func (b *groupBuilder) transferIndex(name string) int {
	b.gh.spec.transferNames = append(b.gh.spec.transferNames, name)
	b.gh.spec.unnamed = append(b.gh.spec.unnamed, false)
	return len(b.gh.spec.transferNames) - 1
}

func (b *groupBuilder) transferInput(op *recordedOp) (*transferFacts, error) {
	var v transferInvoke
	if err := json.Unmarshal(op.input, &v); err != nil {
		return nil, err
	}
	from, okFrom := b.accountIdx[v.From]
	to, okTo := b.accountIdx[v.To]
	if !okFrom || !okTo {
		return nil, fmt.Errorf("accounts %s → %s are not both in the group's setup", v.From, v.To)
	}
	amount, err := parseMinor("amountMinor", v.AmountMinor)
	if err != nil {
		return nil, err
	}
	return &transferFacts{index: -1, from: from, to: to, amount: amount}, nil
}

func (b *groupBuilder) keyIndex(kind, key string) int {
	if key == "" {
		return -1
	}
	k := kind + "\x00" + key
	if i, ok := b.keys[k]; ok {
		return i
	}
	b.keys[k] = len(b.keys)
	return b.keys[k]
}

func (b *groupBuilder) addOperation(op *recordedOp, _ invokeHeader) error {
	var in input
	var err error
	switch op.f {
	case "balance", "statement":
		b.gh.reads++
		return nil
	case "transfer":
		in, err = b.transferOperation(op)
	case "approve", "reject", "cancel", "terminate", "reverse":
		var skip bool
		in, skip, err = b.targetOperation(op)
		if skip {
			b.gh.skipped++
			return nil
		}
	default:
		return fmt.Errorf("unknown operation %q", op.f)
	}
	if err != nil {
		return err
	}
	out, err := parseOutput(op)
	if err != nil {
		return err
	}
	returnNs := op.returnNs
	if out.unknown {
		returnNs = b.unknownNs // after everything: it may take effect at any point after its invoke
		b.gh.indeterminate++
	}
	b.gh.operations = append(b.gh.operations, porcupine.Operation{
		ClientId: b.clientID(op.process), Input: in, Call: op.callNs, Output: out, Return: returnNs,
		Metadata: fmt.Sprintf("history index %d, process %s, key %q, %s", op.invokeIndex, op.process, op.key, completionName(op)),
	})
	return nil
}

func completionName(op *recordedOp) string {
	if op.completion == "" {
		return "never completed"
	}
	return op.completion
}

func (b *groupBuilder) clientID(process string) int {
	if id, ok := b.clients[process]; ok {
		return id
	}
	b.clients[process] = len(b.clients)
	return b.clients[process]
}

func (b *groupBuilder) transferOperation(op *recordedOp) (input, error) {
	facts, err := b.transferInput(op)
	if err != nil {
		return input{}, err
	}
	id := b.idOfKey[op.key]
	if op.completion == "ok" || op.completion == "resolve" {
		var res resultValue
		_ = json.Unmarshal(op.result, &res) // checked by registerTransfer
		id = res.TransferID
	}
	if id == "" {
		// Never answered and no other request with its key was: its id is unknown,
		// and no other operation can name it.
		facts.index = b.transferIndex(fmt.Sprintf("unanswered#%d", op.invokeIndex))
		b.gh.spec.unnamed[facts.index] = true
	} else {
		facts.index = b.transfers[id].index
	}
	approved := id != "" && b.transfers[id].approved
	return input{kind: opTransfer, transfer: facts.index, key: b.keyIndex("transfer", op.key),
		from: facts.from, to: facts.to, amount: facts.amount, approvalSeen: approved}, nil
}

// targetOperation reads a decision's, a terminate's or a reversal's invoke. A
// terminate of a transfer no operation created is skipped: nothing links it.
func (b *groupBuilder) targetOperation(op *recordedOp) (input, bool, error) {
	var v targetInvoke
	if err := json.Unmarshal(op.input, &v); err != nil {
		return input{}, false, err
	}
	facts := b.transfers[v.TransferID]
	if facts == nil {
		if op.f == "terminate" {
			return input{}, true, nil
		}
		return input{}, false, fmt.Errorf("transferId %q was answered to no transfer of the group", v.TransferID)
	}
	kind := map[string]opKind{"approve": opApprove, "reject": opReject, "cancel": opCancel,
		"terminate": opTerminate, "reverse": opReverse}[op.f]
	key := -1
	if kind == opReverse {
		key = b.keyIndex("reverse", op.key)
	}
	return input{kind: kind, transfer: facts.index, key: key, from: facts.from, to: facts.to, amount: facts.amount}, false, nil
}

// parseOutput reads an operation's outcome. An answer the checker cannot
// interpret as final (a transfer still pending at the wait cap) counts as
// indeterminate, like an info.
func parseOutput(op *recordedOp) (output, error) {
	switch op.completion {
	case "fail":
		return output{rejected: true}, nil
	case "ok", "resolve":
	default:
		return output{unknown: true}, nil
	}
	var res resultValue
	if err := json.Unmarshal(op.result, &res); err != nil {
		return output{}, err
	}
	if op.f == "reverse" {
		return reverseOutput(res)
	}
	st, final, err := parseStatus(res)
	if err != nil || !final {
		return output{unknown: true}, err
	}
	if st == statusAwaitingApproval && (op.f == "approve" || op.f == "reject" || op.f == "cancel") {
		// Answered before the decision took effect (the 10 s wait cap): it may still.
		return output{unknown: true}, nil
	}
	return output{status: st}, nil
}

func reverseOutput(res resultValue) (output, error) {
	reversal := ""
	if res.ReversalStatus != nil {
		reversal = *res.ReversalStatus
	} else if res.Status == "reversed" {
		reversal = "posted"
	}
	switch reversal {
	case "posted":
		return output{reversal: reversalPosted}, nil
	case "refused":
		if res.FailureCode != nil && *res.FailureCode != "INSUFFICIENT_FUNDS" {
			return output{rejected: true}, nil // refused for another reason: nothing moved
		}
		return output{reversal: reversalRefused}, nil
	default:
		return output{unknown: true}, nil
	}
}

func parseStatus(res resultValue) (transferStatus, bool, error) {
	code := ""
	if res.FailureCode != nil {
		code = *res.FailureCode
	}
	switch res.Status {
	case "pending":
		return statusNone, false, nil
	case "awaiting_approval":
		return statusAwaitingApproval, true, nil
	case "posted":
		return statusPosted, true, nil
	case "reversed":
		return statusReversed, true, nil
	case "cancelled":
		return statusCancelled, true, nil
	case "expired":
		return statusExpired, true, nil
	case "failed":
		switch code {
		case "INSUFFICIENT_FUNDS":
			return statusFailedInsufficientFunds, true, nil
		case "WORKFLOW_TERMINATED":
			return statusFailedTerminated, true, nil
		}
		return statusFailedOther, true, nil
	}
	return statusNone, false, fmt.Errorf("unknown status %q", res.Status)
}

// parseMinor reads a non-negative amount in minor units (decimal digits).
func parseMinor(field, s string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 || s == "" || s[0] == '+' {
		return 0, fmt.Errorf("%s %q is not a decimal string of minor units", field, s)
	}
	return v, nil
}

func parseSignedMinor(field, s string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v == math.MinInt64 || (s != "" && s[0] == '+') {
		return 0, fmt.Errorf("%s %q is not a decimal string of minor units", field, s)
	}
	return v, nil
}
