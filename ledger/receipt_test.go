package ledger_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/verdictlab/verdict/ledger"
)

func TestReceiptValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(r *ledger.Receipt)
	}{
		{"type", func(r *ledger.Receipt) { r.Type = "x" }},
		{"no caller", func(r *ledger.Receipt) { r.Caller = "" }},
		{"module not hex", func(r *ledger.Receipt) { r.Module = "zz" }},
		{"request upper hex", func(r *ledger.Receipt) { r.Request = "AB" + r.Request[2:] }},
		{"no rows", func(r *ledger.Receipt) { r.Rows, r.MilliUnits = 0, 0 }},
		{"units disagree", func(r *ledger.Receipt) { r.MilliUnits++ }},
		{"negative price", func(r *ledger.Receipt) { r.PricePer1000, r.MilliUnits = -1, -r.Rows }},
		{"sub-second time", func(r *ledger.Receipt) { r.Time = r.Time.Add(time.Millisecond) }},
		{"not UTC", func(r *ledger.Receipt) { r.Time = r.Time.In(time.FixedZone("x", 3600)) }},
		{"empty member", func(r *ledger.Receipt) { r.Members = []string{""} }},
		{"larger than MaxReceiptSize", func(r *ledger.Receipt) {
			// A team of 200 did:keys: appended, it could not be read back.
			for i := range 200 {
				r.Members = append(r.Members, fmt.Sprintf("did:key:z6Mk%044d", i))
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := receipt(3)
			tc.edit(r)
			if err := r.Validate(); !errors.Is(err, ledger.ErrReceipt) {
				t.Fatalf("got %v, want ErrReceipt", err)
			}
		})
	}
	r := receipt(3)
	got, err := ledger.ParseReceipt(r.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if got.Time != r.Time || got.MilliUnits != r.MilliUnits || got.Caller != r.Caller {
		t.Fatalf("round trip: got %+v, want %+v", got, r)
	}
	if _, err := ledger.ParseReceipt(append(r.Encode(), ' ')); !errors.Is(err, ledger.ErrReceipt) {
		t.Fatalf("trailing space: got %v, want ErrReceipt", err)
	}
}
