package main

// Proves the model accepts every history the ledger's rules allow and rejects
// the ones they do not: each rule is tested on both sides, on synthetic
// histories checked end to end (JSONL → pairing → Porcupine), with the exact
// point where a balance lands on −creditLimit.

import "testing"

func TestTransferPostedWithinFundsIsOk(t *testing.T) {
	b := newHistory("1000000", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "1000") // lands exactly on −creditLimit (0)
	b.done(20, 1, "ok", "transfer", posted("t1"))
	expectVerdict(t, b, verdictOk)
}

func TestTransferPostedBeyondFundsIsIllegal(t *testing.T) {
	b := newHistory("1000000", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "1001")
	b.done(20, 1, "ok", "transfer", posted("t1"))
	expectVerdict(t, b, verdictIllegal)
}

func TestCreditLimitLetsAvailableGoDownToMinusLimit(t *testing.T) {
	overdraft := setupAccount{"A", "500", "1000"}
	b := newHistory("1000000", overdraft, bob)
	b.transfer(10, 1, "k1", "A", "B", "1500")
	b.done(20, 1, "ok", "transfer", posted("t1"))
	b.transfer(30, 1, "k2", "A", "B", "1")
	b.done(40, 1, "ok", "transfer", refused("t2"))
	expectVerdict(t, b, verdictOk)
}

func TestUnlimitedAccountIsNeverShort(t *testing.T) {
	b := newHistory("1000000", funder, bob)
	b.transfer(10, 1, "k1", "F", "B", "9000000000000000000")
	b.done(20, 1, "ok", "transfer", posted("t1"))
	b.transfer(30, 1, "k2", "F", "B", "1")
	b.done(40, 1, "ok", "transfer", refused("t2"))
	expectVerdict(t, b, verdictIllegal)
}

func TestRefusalWhenFundsSufficedAtEveryPointIsIllegal(t *testing.T) {
	b := newHistory("1000000", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "600")
	b.done(20, 1, "ok", "transfer", posted("t1"))
	b.transfer(30, 1, "k2", "A", "B", "400") // 400 of 400 left: enough
	b.done(40, 1, "ok", "transfer", refused("t2"))
	expectVerdict(t, b, verdictIllegal)
}

func TestRefusalIsOkWhenAConcurrentTransferMayHaveGoneFirst(t *testing.T) {
	b := newHistory("1000000", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "700")
	b.transfer(11, 2, "k2", "A", "B", "700")
	b.done(20, 2, "ok", "transfer", refused("t2"))
	b.done(21, 1, "ok", "transfer", posted("t1"))
	expectVerdict(t, b, verdictOk)
}

func TestConcurrentOperationsLegalInOnlyOneOrderAreOk(t *testing.T) {
	// B has nothing until the first transfer credits it, so the second (B → A)
	// can only post after it although it was invoked first and answered first.
	b := newHistory("1000000", alice, bob)
	b.transfer(10, 2, "k2", "B", "A", "300")
	b.transfer(11, 1, "k1", "A", "B", "500")
	b.done(20, 2, "ok", "transfer", posted("t2"))
	b.done(21, 1, "ok", "transfer", posted("t1"))
	expectVerdict(t, b, verdictOk)
}

func TestOrderContradictedByRealTimeIsIllegal(t *testing.T) {
	// The same two transfers one after the other: B → A cannot post first.
	b := newHistory("1000000", alice, bob)
	b.transfer(10, 2, "k2", "B", "A", "300")
	b.done(20, 2, "ok", "transfer", posted("t2"))
	b.transfer(30, 1, "k1", "A", "B", "500")
	b.done(40, 1, "ok", "transfer", posted("t1"))
	expectVerdict(t, b, verdictIllegal)
}

func TestIndeterminateTransferThatTookEffectIsOk(t *testing.T) {
	// Only the timed-out transfer explains the later refusal.
	b := newHistory("1000000", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "800")
	b.done(20, 1, "info", "transfer", `{"error":"timeout"}`)
	b.transfer(30, 2, "k2", "A", "B", "300")
	b.done(40, 2, "ok", "transfer", refused("t2"))
	expectVerdict(t, b, verdictOk)
}

func TestIndeterminateTransferThatTookNoEffectIsOk(t *testing.T) {
	b := newHistory("1000000", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "800")
	b.done(20, 1, "info", "transfer", `{"error":"timeout"}`)
	b.transfer(30, 2, "k2", "A", "B", "1000")
	b.done(40, 2, "ok", "transfer", posted("t2"))
	expectVerdict(t, b, verdictOk)
}

func TestResolvedIndeterminateTransferTakesItsOutcome(t *testing.T) {
	// Resolved as posted, it must have taken effect by the resolve, so the later
	// transfer of the whole opening balance cannot have posted after the resolve.
	b := newHistory("1000000", alice, bob)
	ref := b.transfer(10, 1, "k1", "A", "B", "800")
	b.done(20, 1, "info", "transfer", `{"error":"timeout"}`)
	b.resolve(30, ref, "transfer", posted("t1"))
	b.transfer(40, 2, "k2", "A", "B", "1000")
	b.done(50, 2, "ok", "transfer", posted("t2"))
	expectVerdict(t, b, verdictIllegal)
}

func TestDuplicatedEffectIsIllegal(t *testing.T) {
	// 1000 − 700 leaves 300: a refusal of 300 means the 700 was taken twice.
	b := newHistory("1000000", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "700")
	b.done(20, 1, "ok", "transfer", posted("t1"))
	b.transfer(30, 1, "k2", "A", "B", "300")
	b.done(40, 1, "ok", "transfer", refused("t2"))
	expectVerdict(t, b, verdictIllegal)
}

func TestOneTransferIdAnsweredToTwoKeysIsIllegal(t *testing.T) {
	b := newHistory("1000000", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "100")
	b.done(20, 1, "ok", "transfer", posted("t1"))
	b.transfer(30, 1, "k2", "A", "B", "100")
	b.done(40, 1, "ok", "transfer", posted("t1"))
	expectVerdict(t, b, verdictIllegal)
}

func TestReplayOfOneKeyIsOneTransfer(t *testing.T) {
	b := newHistory("1000000", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "700")
	b.done(20, 1, "ok", "transfer", posted("t1"))
	b.transfer(30, 1, "k1", "A", "B", "700")
	b.done(40, 1, "ok", "transfer", posted("t1"))
	b.transfer(50, 1, "k2", "A", "B", "300")
	b.done(60, 1, "ok", "transfer", posted("t2"))
	expectVerdict(t, b, verdictOk)
}

func TestHoldReservesFundsUntilApproved(t *testing.T) {
	b := newHistory("600", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "600")
	b.done(20, 1, "ok", "transfer", answer("t1", "awaiting_approval", ""))
	b.transfer(30, 2, "k2", "A", "B", "500")
	b.done(40, 2, "ok", "transfer", refused("t2")) // 1000 − 600 held leaves 400
	b.act(50, 1, "approve", "", "t1")
	b.done(60, 1, "ok", "approve", `{"status":"posted","failureCode":null}`)
	b.act(70, 3, "reverse", "r1", "t1") // B was credited by the capture
	b.done(80, 3, "ok", "reverse", reversal("posted", ""))
	expectVerdict(t, b, verdictOk)
}

func TestPostingDespiteAHoldIsIllegal(t *testing.T) {
	b := newHistory("600", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "600")
	b.done(20, 1, "ok", "transfer", answer("t1", "awaiting_approval", ""))
	b.transfer(30, 2, "k2", "A", "B", "500")
	b.done(40, 2, "ok", "transfer", posted("t2"))
	expectVerdict(t, b, verdictIllegal)
}

func TestAwaitingApprovalBelowTheThresholdIsIllegal(t *testing.T) {
	b := newHistory("600", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "599")
	b.done(20, 1, "ok", "transfer", answer("t1", "awaiting_approval", ""))
	expectVerdict(t, b, verdictIllegal)
}

func TestApprovalRefusedForFundsIsIllegal(t *testing.T) {
	// The funds were reserved: a capture cannot be short of them.
	b := newHistory("600", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "600")
	b.done(20, 1, "ok", "transfer", answer("t1", "awaiting_approval", ""))
	b.act(30, 1, "approve", "", "t1")
	b.done(40, 1, "ok", "approve", `{"status":"failed","failureCode":"INSUFFICIENT_FUNDS"}`)
	expectVerdict(t, b, verdictIllegal)
}

func TestApprovalOfATransferNeverHeldIsIllegal(t *testing.T) {
	b := newHistory("600", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "2000")
	b.done(20, 1, "ok", "transfer", refused("t1"))
	b.act(30, 1, "approve", "", "t1")
	b.done(40, 1, "ok", "approve", `{"status":"posted","failureCode":null}`)
	expectVerdict(t, b, verdictIllegal)
}

func TestRejectionReleasesTheHold(t *testing.T) {
	b := newHistory("600", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "600")
	b.done(20, 1, "ok", "transfer", answer("t1", "awaiting_approval", ""))
	b.act(30, 1, "reject", "", "t1")
	b.done(40, 1, "ok", "reject", `{"status":"cancelled","failureCode":"REJECTED"}`)
	b.act(50, 1, "approve", "", "t1")
	b.done(60, 1, "fail", "approve", `{"status":409,"code":"INVALID_STATE"}`)
	b.transfer(70, 2, "k2", "A", "B", "500")
	b.done(80, 2, "ok", "transfer", posted("t2"))
	expectVerdict(t, b, verdictOk)
}

func TestReleasedHoldCannotBeCaptured(t *testing.T) {
	b := newHistory("600", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "600")
	b.done(20, 1, "ok", "transfer", answer("t1", "awaiting_approval", ""))
	b.act(30, 1, "cancel", "", "t1")
	b.done(40, 1, "ok", "cancel", `{"status":"cancelled","failureCode":null}`)
	b.act(50, 1, "approve", "", "t1")
	b.done(60, 1, "ok", "approve", `{"status":"posted","failureCode":null}`)
	expectVerdict(t, b, verdictIllegal)
}

func TestTerminatedTransferReleasesItsHold(t *testing.T) {
	b := newHistory("600", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "600")
	b.done(20, 1, "ok", "transfer", answer("t1", "awaiting_approval", ""))
	ref := b.terminate(30, "t1")
	b.line(35, "info", `"nemesis"`, "fault-start", "", `{"fault":"terminate","target":"t1"}`)
	b.resolve(40, ref, "terminate", `{"status":"failed","failureCode":"WORKFLOW_TERMINATED"}`)
	b.transfer(50, 2, "k2", "A", "B", "500")
	b.done(60, 2, "ok", "transfer", posted("t2"))
	b.act(70, 1, "cancel", "", "t1") // answers the final state, never a 409
	b.done(80, 1, "ok", "cancel", `{"status":"failed","failureCode":"WORKFLOW_TERMINATED"}`)
	expectVerdict(t, b, verdictOk)
}

func TestHoldStillOpenWithoutTheTerminate(t *testing.T) {
	b := newHistory("600", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "600")
	b.done(20, 1, "ok", "transfer", answer("t1", "awaiting_approval", ""))
	b.transfer(50, 2, "k2", "A", "B", "500")
	b.done(60, 2, "ok", "transfer", posted("t2"))
	expectVerdict(t, b, verdictIllegal)
}

func TestReversalRules(t *testing.T) {
	cases := []struct {
		name     string
		spendB   string // what B pays on before the reversal
		reversal string
		code     string
		want     verdict
	}{
		{"posted when the destination can pay it back", "0", "posted", "", verdictOk},
		{"posted when the destination cannot", "1", "posted", "", verdictIllegal},
		{"refused when the destination cannot", "1", "refused", "INSUFFICIENT_FUNDS", verdictOk},
		{"refused when the destination could", "0", "refused", "INSUFFICIENT_FUNDS", verdictIllegal},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newHistory("1000000", alice, bob, setupAccount{"C", "0", "0"})
			b.transfer(10, 1, "k1", "A", "B", "400")
			b.done(20, 1, "ok", "transfer", posted("t1"))
			if c.spendB != "0" {
				b.transfer(30, 1, "k2", "B", "C", c.spendB)
				b.done(40, 1, "ok", "transfer", posted("t2"))
			}
			b.act(50, 1, "reverse", "r1", "t1")
			b.done(60, 1, "ok", "reverse", reversal(c.reversal, c.code))
			expectVerdict(t, b, c.want)
		})
	}
}

func TestReversalPostedTwiceIsIllegalButItsReplayIsOk(t *testing.T) {
	for _, c := range []struct {
		secondKey string
		want      verdict
	}{{"r2", verdictIllegal}, {"r1", verdictOk}} {
		b := newHistory("1000000", alice, bob)
		b.transfer(10, 1, "k1", "A", "B", "400")
		b.done(20, 1, "ok", "transfer", posted("t1"))
		b.act(30, 1, "reverse", "r1", "t1")
		b.done(40, 1, "ok", "reverse", reversal("posted", ""))
		b.act(50, 1, "reverse", c.secondKey, "t1")
		b.done(60, 1, "ok", "reverse", reversal("posted", ""))
		expectVerdict(t, b, c.want)
	}
}

func TestIndeterminateReversalMayOrMayNotHavePosted(t *testing.T) {
	// Afterwards, B spending all 400 needs the reversal not to have posted;
	// A spending 1000 needs it to have posted. Both are histories the ledger allows.
	for _, later := range []struct{ from, to, amount string }{{"B", "C", "400"}, {"A", "C", "1000"}} {
		b := newHistory("1000000", alice, bob, setupAccount{"C", "0", "0"})
		b.transfer(10, 1, "k1", "A", "B", "400")
		b.done(20, 1, "ok", "transfer", posted("t1"))
		b.act(30, 1, "reverse", "r1", "t1")
		b.done(40, 1, "info", "reverse", `{"error":"503"}`)
		b.transfer(50, 2, "k2", later.from, later.to, later.amount)
		b.done(60, 2, "ok", "transfer", posted("t2"))
		expectVerdict(t, b, verdictOk)
	}
}

func TestRejectedOperationsTookNoEffect(t *testing.T) {
	b := newHistory("1000000", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "1000")
	b.done(20, 1, "fail", "transfer", `{"status":400}`)
	b.transfer(30, 1, "k2", "A", "B", "1000")
	b.done(40, 1, "ok", "transfer", posted("t2"))
	expectVerdict(t, b, verdictOk)
}

func TestApprovalRacingTheTransfersAnswer(t *testing.T) {
	// The transfer's own answer already says posted: the approval decided first.
	b := newHistory("600", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "600")
	b.act(20, 2, "approve", "", "t1")
	b.done(30, 2, "ok", "approve", `{"status":"posted","failureCode":null}`)
	b.done(40, 1, "ok", "transfer", posted("t1"))
	b.transfer(50, 1, "k2", "A", "B", "401")
	b.done(60, 1, "ok", "transfer", refused("t2"))
	expectVerdict(t, b, verdictOk)
}

func TestApprovalAnsweredTwiceCapturesOnce(t *testing.T) {
	// Two approvals race and both answer posted: B was credited 600 once, so
	// its transfer of 601 is refused.
	b := newHistory("600", alice, bob, setupAccount{"C", "0", "0"})
	b.transfer(10, 1, "k1", "A", "B", "600")
	b.done(20, 1, "ok", "transfer", answer("t1", "awaiting_approval", ""))
	b.act(30, 1, "approve", "", "t1")
	b.act(31, 2, "approve", "", "t1")
	b.done(40, 1, "ok", "approve", `{"status":"posted","failureCode":null}`)
	b.done(41, 2, "ok", "approve", `{"status":"posted","failureCode":null}`)
	b.transfer(50, 1, "k2", "B", "C", "601")
	b.done(60, 1, "ok", "transfer", refused("t2"))
	expectVerdict(t, b, verdictOk)
}

func TestReplayAnsweringAnotherOutcomeIsIllegal(t *testing.T) {
	b := newHistory("1000000", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "700")
	b.done(20, 1, "ok", "transfer", posted("t1"))
	b.transfer(30, 1, "k1", "A", "B", "700")
	b.done(40, 1, "ok", "transfer", refused("t1"))
	expectVerdict(t, b, verdictIllegal)
}

func TestPendingTransferMayEndWithoutMovingMoney(t *testing.T) {
	// Answered pending at the wait cap, then cancelled: nothing moved, so the
	// whole balance can go elsewhere.
	b := newHistory("1000000", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "700")
	b.done(20, 1, "ok", "transfer", answer("t1", "pending", ""))
	b.act(30, 1, "cancel", "", "t1")
	b.done(40, 1, "ok", "cancel", `{"status":"cancelled","failureCode":null}`)
	b.transfer(50, 1, "k2", "A", "B", "1000")
	b.done(60, 1, "ok", "transfer", posted("t2"))
	expectVerdict(t, b, verdictOk)
}

func TestPendingTransferEndsOneWayOnly(t *testing.T) {
	// Cancelled means no money moved: a later refusal of 400 of the 1000 is illegal.
	b := newHistory("1000000", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "700")
	b.done(20, 1, "ok", "transfer", answer("t1", "pending", ""))
	b.act(30, 1, "cancel", "", "t1")
	b.done(40, 1, "ok", "cancel", `{"status":"cancelled","failureCode":null}`)
	b.transfer(50, 1, "k2", "A", "B", "400")
	b.done(60, 1, "ok", "transfer", refused("t2"))
	expectVerdict(t, b, verdictIllegal)
}

func TestPendingTransferThatPostedIsOk(t *testing.T) {
	b := newHistory("1000000", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "700")
	b.done(20, 1, "ok", "transfer", answer("t1", "pending", ""))
	b.act(30, 1, "reverse", "r1", "t1")
	b.done(40, 1, "ok", "reverse", reversal("posted", ""))
	expectVerdict(t, b, verdictOk)
}

func TestPostedAtTheThresholdWithoutAnyApprovalIsIllegal(t *testing.T) {
	b := newHistory("600", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "600")
	b.done(20, 1, "ok", "transfer", posted("t1"))
	expectVerdict(t, b, verdictIllegal)
}

func TestApprovalAnsweredBeforeItTookEffectMayStillCapture(t *testing.T) {
	// The approval answered awaiting_approval at the wait cap; the capture came
	// later, and B spent what it received.
	b := newHistory("600", alice, bob, setupAccount{"C", "0", "0"})
	b.transfer(10, 1, "k1", "A", "B", "600")
	b.done(20, 1, "ok", "transfer", answer("t1", "awaiting_approval", ""))
	b.act(30, 1, "approve", "", "t1")
	b.done(40, 1, "ok", "approve", `{"status":"awaiting_approval","failureCode":null}`)
	b.transfer(50, 2, "k2", "B", "C", "500")
	b.done(60, 2, "ok", "transfer", posted("t2"))
	expectVerdict(t, b, verdictOk)
}

func TestApprovalResolvedAfterItsReversalCaptured(t *testing.T) {
	// The approval timed out; read back after the run, its transfer was
	// reversed: it captured, then the reversal paid B's 600 back.
	b := newHistory("600", alice, bob)
	b.transfer(10, 1, "k1", "A", "B", "600")
	b.done(20, 1, "ok", "transfer", answer("t1", "awaiting_approval", ""))
	ref := b.act(30, 2, "approve", "", "t1")
	b.done(40, 2, "info", "approve", `{"error":"timeout"}`)
	b.act(50, 3, "reverse", "r1", "t1")
	b.done(60, 3, "ok", "reverse", reversal("posted", ""))
	b.resolve(70, ref, "approve", `{"status":"reversed","failureCode":null}`)
	expectVerdict(t, b, verdictOk)
}
