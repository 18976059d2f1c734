package main

// The step function: whether an operation with this outcome could have
// happened, atomically, in this state, and the state after it.
//
// Money moves at most once per transfer id, by construction: only a step that
// finds the transfer in the status it leaves (none → created, awaiting →
// captured or released, posted → reversed) moves money. An answer that merely
// reports the transfer's current status (a replay under the same idempotency
// key, a resolve asked after the run, a decision that lost a race and answers
// the state the winner left) is accepted as a read and moves nothing.

// stepAll lists every state the operation may leave. Only a transfer whose
// answer never came, but whose id other answers name, has two: the effect it
// has when it runs now, or an end without money moving that only those other
// answers tell (a pending transfer cancelled, or terminated). Not having run
// at all needs no branch: that is the operation linearized last.
func stepAll(spec *groupSpec, s ledgerState, in input, out output) []interface{} {
	var next []interface{}
	if ok, n := step(spec, s, in, out); ok {
		next = append(next, n)
	}
	if in.kind == opTransfer && out.unknown && s.status(in.transfer) == statusNone && !spec.unnamed[in.transfer] {
		next = append(next, s.withStatus(in.transfer, statusEndedUnknown).withCreator(in.transfer, in.key))
	}
	return next
}

func step(spec *groupSpec, s ledgerState, in input, out output) (bool, interface{}) {
	if out.rejected {
		return true, s // a 4xx certainly took no effect
	}
	switch in.kind {
	case opTransfer:
		return stepTransfer(spec, s, in, out)
	case opReverse:
		return stepReverse(spec, s, in, out)
	default:
		return stepDecision(s, in, out)
	}
}

func stepTransfer(spec *groupSpec, s ledgerState, in input, out output) (bool, interface{}) {
	current := s.status(in.transfer)
	if current != statusNone {
		// Created already: only a replay of the same idempotency key may name it again.
		if in.key < 0 || s.transfer(in.transfer).creatorKey != int32(in.key) {
			return false, s
		}
		if out.unknown {
			return true, s
		}
		return reportsStatus(s, in.transfer, out.status)
	}
	if out.unknown {
		// It may have been created or not; not created is the same as being
		// linearized last, which Porcupine also tries, so take the effect a
		// transfer has when it runs now.
		return createTransfer(s, in, naturalTransferOutcome(spec, s, in))
	}
	if !transferOutcomeLegal(spec, s, in, out.status) {
		return false, s
	}
	return createTransfer(s, in, out.status)
}

// naturalTransferOutcome is what a transfer created now ends in, before any decision.
func naturalTransferOutcome(spec *groupSpec, s ledgerState, in input) transferStatus {
	switch {
	case !fundsSuffice(spec, s, in.from, in.amount):
		return statusFailedInsufficientFunds
	case in.amount >= spec.approvalThresholdMinor:
		return statusAwaitingApproval
	default:
		return statusPosted
	}
}

func transferOutcomeLegal(spec *groupSpec, s ledgerState, in input, st transferStatus) bool {
	funded := fundsSuffice(spec, s, in.from, in.amount)
	switch st {
	case statusPosted, statusReversed:
		// At or above the threshold, posted means an approval raced the answer:
		// the reservation checked the funds exactly as a posting does.
		return funded && (in.amount < spec.approvalThresholdMinor || in.approvalSeen)
	case statusAwaitingApproval:
		return funded && in.amount >= spec.approvalThresholdMinor
	case statusFailedInsufficientFunds:
		return !funded
	default:
		return true // cancelled, expired, terminated, other business failures: nothing moved
	}
}

// createTransfer applies a transfer's effect; false when a balance would go
// beyond the ledger's 64-bit columns.
func createTransfer(s ledgerState, in input, st transferStatus) (bool, interface{}) {
	ok := true
	switch st {
	case statusPosted, statusReversed:
		s, ok = s.moveMinor(in.from, in.to, in.amount)
		st = statusPosted // a reverse operation of its own moves the money back
	case statusAwaitingApproval:
		s, ok = s.holdMinor(in.from, in.amount)
	}
	if !ok {
		return false, s
	}
	return true, s.withStatus(in.transfer, st).withCreator(in.transfer, in.key)
}

// decisionOutcomes lists the statuses a decision may move an awaiting transfer to.
var decisionOutcomes = map[opKind][]transferStatus{
	// An approval resolved after the run reads the transfer's final status:
	// reversed means it captured and a reversal came later.
	opApprove:   {statusPosted, statusReversed, statusFailedTerminated, statusExpired},
	opReject:    {statusCancelled, statusFailedTerminated, statusExpired},
	opCancel:    {statusCancelled, statusFailedTerminated, statusExpired},
	opTerminate: {statusFailedTerminated},
}

func stepDecision(s ledgerState, in input, out output) (bool, interface{}) {
	current := s.status(in.transfer)
	if out.unknown {
		if current != statusAwaitingApproval {
			return true, s
		}
		return decide(s, in, decisionOutcomes[in.kind][0])
	}
	if ok, next := reportsStatus(s, in.transfer, out.status); ok {
		return true, next // reports the state another operation left
	}
	if current != statusAwaitingApproval {
		return false, s
	}
	for _, allowed := range decisionOutcomes[in.kind] {
		if allowed == out.status {
			return decide(s, in, out.status)
		}
	}
	return false, s // e.g. an approval refused INSUFFICIENT_FUNDS: the funds were reserved
}

// decide captures (posted) or releases (anything else) the hold of an awaiting
// transfer; false when a balance would go beyond the ledger's 64-bit columns.
func decide(s ledgerState, in input, st transferStatus) (bool, interface{}) {
	s, ok := s.holdMinor(in.from, -in.amount)
	if ok && (st == statusPosted || st == statusReversed) {
		s, ok = s.moveMinor(in.from, in.to, in.amount)
		st = statusPosted // the reversal operation moves the money back
	}
	if !ok {
		return false, s
	}
	return true, s.withStatus(in.transfer, st)
}

func stepReverse(spec *groupSpec, s ledgerState, in input, out output) (bool, interface{}) {
	current := s.status(in.transfer)
	if out.unknown {
		if current == statusPosted && fundsSuffice(spec, s, in.to, in.amount) {
			return reverse(s, in)
		}
		return true, s
	}
	if out.reversal == reversalRefused {
		return current == statusPosted && !fundsSuffice(spec, s, in.to, in.amount), s
	}
	if current == statusReversed {
		// The same Idempotency-Key replays the first answer.
		return in.key >= 0 && s.transfer(in.transfer).reverserKey == int32(in.key), s
	}
	if current != statusPosted || !fundsSuffice(spec, s, in.to, in.amount) {
		return false, s
	}
	return reverse(s, in)
}

func reverse(s ledgerState, in input) (bool, interface{}) {
	next, ok := s.moveMinor(in.to, in.from, in.amount)
	if !ok {
		return false, s
	}
	return true, next.withStatus(in.transfer, statusReversed).withReverser(in.transfer, in.key)
}

// reportsStatus: whether an answer reporting this status agrees with the
// model; the first report on a transfer that ended unseen settles how.
func reportsStatus(s ledgerState, t int, reported transferStatus) (bool, ledgerState) {
	current := s.status(t)
	switch {
	case reported == current:
		return true, s
	case current == statusEndedUnknown && endsWithoutMoney(reported):
		return true, s.withStatus(t, reported)
	}
	return false, s
}

func endsWithoutMoney(st transferStatus) bool {
	switch st {
	case statusCancelled, statusExpired, statusFailedTerminated, statusFailedOther:
		return true
	}
	return false
}
