package main

// Builders of small synthetic histories in the recorder's JSONL format, so
// each test reads as the sequence of requests and answers it describes.

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

type historyBuilder struct {
	lines []string
	index int
}

type setupAccount struct {
	id, limitMinor, openingMinor string
}

func newHistory(thresholdMinor string, accounts ...setupAccount) *historyBuilder {
	parts := make([]string, 0, len(accounts))
	for _, a := range accounts {
		parts = append(parts, fmt.Sprintf(`%q:{"creditLimitMinor":%q,"openingPostedMinor":%q}`, a.id, a.limitMinor, a.openingMinor))
	}
	b := &historyBuilder{}
	b.line(0, "setup", `"setup"`, "", "", fmt.Sprintf(`{"approvalThresholdMinor":%q,"groups":{"g1":{"accounts":{%s}}}}`,
		thresholdMinor, strings.Join(parts, ",")))
	return b
}

func (b *historyBuilder) line(timeNs int64, typ, process, f, key, value string) int {
	keyField := ""
	if key != "" {
		keyField = fmt.Sprintf(`,"key":%q`, key)
	}
	fField := ""
	if f != "" {
		fField = fmt.Sprintf(`,"f":%q`, f)
	}
	b.lines = append(b.lines, fmt.Sprintf(`{"index":%d,"time":%d,"type":%q,"process":%s%s%s,"value":%s}`,
		b.index, timeNs, typ, process, fField, keyField, value))
	b.index++
	return b.index - 1
}

// transfer invokes a transfer from process p and returns the invoke's index.
func (b *historyBuilder) transfer(timeNs int64, p int, key, from, to, amountMinor string) int {
	return b.line(timeNs, "invoke", fmt.Sprint(p), "transfer", key,
		fmt.Sprintf(`{"group":"g1","from":%q,"to":%q,"amountMinor":%q}`, from, to, amountMinor))
}

// act invokes approve, reject, cancel or reverse on a transfer.
func (b *historyBuilder) act(timeNs int64, p int, f, key, transferID string) int {
	return b.line(timeNs, "invoke", fmt.Sprint(p), f, key, fmt.Sprintf(`{"group":"g1","transferId":%q}`, transferID))
}

func (b *historyBuilder) terminate(timeNs int64, transferID string) int {
	return b.line(timeNs, "invoke", `"nemesis"`, "terminate", "", fmt.Sprintf(`{"group":"g1","transferId":%q}`, transferID))
}

func (b *historyBuilder) done(timeNs int64, p int, typ, f, value string) {
	b.line(timeNs, typ, fmt.Sprint(p), f, "", value)
}

func (b *historyBuilder) resolve(timeNs int64, ref int, f, value string) {
	b.line(timeNs, "resolve", `"nemesis"`, f, "", strings.Replace(value, "{", fmt.Sprintf(`{"ref":%d,`, ref), 1))
}

func (b *historyBuilder) String() string { return strings.Join(b.lines, "\n") + "\n" }

func answer(transferID, status, failureCode string) string {
	code := "null"
	if failureCode != "" {
		code = fmt.Sprintf("%q", failureCode)
	}
	return fmt.Sprintf(`{"transferId":%q,"status":%q,"failureCode":%s}`, transferID, status, code)
}

func reversal(reversalStatus, failureCode string) string {
	code := "null"
	if failureCode != "" {
		code = fmt.Sprintf("%q", failureCode)
	}
	status := "posted"
	if reversalStatus == "posted" {
		status = "reversed"
	}
	return fmt.Sprintf(`{"status":%q,"reversalStatus":%q,"failureCode":%s}`, status, reversalStatus, code)
}

func posted(id string) string { return answer(id, "posted", "") }

func refused(id string) string { return answer(id, "failed", "INSUFFICIENT_FUNDS") }

// verdictOf checks the history's only group.
func verdictOf(t *testing.T, b *historyBuilder) verdict {
	t.Helper()
	h, err := readHistory(strings.NewReader(b.String()))
	if err != nil {
		t.Fatalf("reading the history: %v\n%s", err, b)
	}
	groups, err := buildGroups(h)
	if err != nil {
		t.Fatalf("building the groups: %v\n%s", err, b)
	}
	return checkGroup("g1", groups["g1"], 10*time.Second, "").Verdict
}

func expectVerdict(t *testing.T, b *historyBuilder, want verdict) {
	t.Helper()
	if got := verdictOf(t, b); got != want {
		t.Fatalf("verdict %s, want %s; history:\n%s", got, want, b)
	}
}

var (
	alice  = setupAccount{"A", "0", "1000"}
	bob    = setupAccount{"B", "0", "0"}
	funder = setupAccount{"F", "unlimited", "0"}
)
