package jcs

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestCanonicalizeVectors checks the reference implementation's test data
// (cyberphone/json-canonicalization, testdata/) byte for byte.
func TestCanonicalizeVectors(t *testing.T) {
	inputs, err := filepath.Glob("testdata/input/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 {
		t.Fatal("no vectors in testdata/input")
	}
	for _, in := range inputs {
		name := filepath.Base(in)
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join("testdata", "output", name))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Canonicalize(src)
			if err != nil {
				t.Fatalf("Canonicalize: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

// TestAppendNumber checks ECMAScript Number.prototype.toString formatting,
// including the sample values of RFC 8785 Appendix B (given as IEEE 754 bits).
func TestAppendNumber(t *testing.T) {
	tenth := 0.1 // a variable, so 0.1+0.2 is computed in float64, not exactly
	tests := []struct {
		name string
		f    float64
		want string
	}{
		{"zero", 0, "0"},
		{"negative zero", math.Copysign(0, -1), "0"},
		{"one", 1, "1"},
		{"negative", -1.5, "-1.5"},
		{"1e20 plain", 1e20, "100000000000000000000"},
		{"1e21 exponent", 1e21, "1e+21"},
		{"1e-6 plain", 1e-6, "0.000001"},
		{"1e-7 exponent", 1e-7, "1e-7"},
		{"4.5e-7", 4.5e-7, "4.5e-7"},
		{"large integer", 123456789012345680000, "123456789012345680000"},
		{"min subnormal", 5e-324, "5e-324"},
		{"max double", 1.7976931348623157e308, "1.7976931348623157e+308"},
		{"0.1+0.2", tenth + 2*tenth, "0.30000000000000004"},
		{"2^53", 9007199254740992, "9007199254740992"},
		{"1e30", 1e30, "1e+30"},
		{"fraction", 0.002, "0.002"},
		{"B bits 0000000000000001", math.Float64frombits(0x0000000000000001), "5e-324"},
		{"B bits 8000000000000001", math.Float64frombits(0x8000000000000001), "-5e-324"},
		{"B bits 7fefffffffffffff", math.Float64frombits(0x7fefffffffffffff), "1.7976931348623157e+308"},
		{"B bits ffefffffffffffff", math.Float64frombits(0xffefffffffffffff), "-1.7976931348623157e+308"},
		{"B bits 4340000000000000", math.Float64frombits(0x4340000000000000), "9007199254740992"},
		{"B bits c340000000000000", math.Float64frombits(0xc340000000000000), "-9007199254740992"},
		{"B bits 4430000000000000", math.Float64frombits(0x4430000000000000), "295147905179352830000"},
		{"B bits 44b52d02c7e14af5", math.Float64frombits(0x44b52d02c7e14af5), "9.999999999999997e+22"},
		{"B bits 44b52d02c7e14af6", math.Float64frombits(0x44b52d02c7e14af6), "1e+23"},
		{"B bits 44b52d02c7e14af7", math.Float64frombits(0x44b52d02c7e14af7), "1.0000000000000001e+23"},
		{"B bits 444b1ae4d6e2ef4e", math.Float64frombits(0x444b1ae4d6e2ef4e), "999999999999999700000"},
		{"B bits 444b1ae4d6e2ef4f", math.Float64frombits(0x444b1ae4d6e2ef4f), "999999999999999900000"},
		{"B bits 444b1ae4d6e2ef50", math.Float64frombits(0x444b1ae4d6e2ef50), "1e+21"},
		{"B bits 3eb0c6f7a0b5ed8c", math.Float64frombits(0x3eb0c6f7a0b5ed8c), "9.999999999999997e-7"},
		{"B bits 3eb0c6f7a0b5ed8d", math.Float64frombits(0x3eb0c6f7a0b5ed8d), "0.000001"},
		{"B bits 41b3de4355555553", math.Float64frombits(0x41b3de4355555553), "333333333.3333332"},
		{"B bits 41b3de4355555554", math.Float64frombits(0x41b3de4355555554), "333333333.33333325"},
		{"B bits 41b3de4355555555", math.Float64frombits(0x41b3de4355555555), "333333333.3333333"},
		{"B bits 41b3de4355555556", math.Float64frombits(0x41b3de4355555556), "333333333.3333334"},
		{"B bits 41b3de4355555557", math.Float64frombits(0x41b3de4355555557), "333333333.33333343"},
		{"B bits becbf647612f3696", math.Float64frombits(0xbecbf647612f3696), "-0.0000033333333333333333"},
		{"B bits 43143ff3c1cb0959", math.Float64frombits(0x43143ff3c1cb0959), "1424953923781206.2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AppendNumber(nil, tc.f)
			if err != nil {
				t.Fatalf("AppendNumber(%v): %v", tc.f, err)
			}
			if string(got) != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := AppendNumber(nil, f); !errors.Is(err, ErrNumberRange) {
			t.Errorf("AppendNumber(%v): got %v, want %v", f, err, ErrNumberRange)
		}
	}
}

func TestCanonicalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"number spellings", `[1.0, 1E2, -0, -0.0, 0e10, 1e-400, 9007199254740993, 0.1e1]`, `[1,100,0,0,0,0,9007199254740992,1]`},
		{"escapes", `"\u0041\/\b\f\n\r\t\u001f\u007f\u2028"`, "\"A/\\b\\f\\n\\r\\t\\u001f\u007f\u2028\""},
		{"surrogate pair", `"\ud83d\ude02"`, `"😂"`},
		{"utf16 order", `{"\ud83d\ude02":1,"\ufb33":2}`, "{\"\U0001f602\":1,\"\ufb33\":2}"},
		{"whitespace", " \t\r\n{ \"a\" : [ true , false , null ] } \n", `{"a":[true,false,null]}`},
		{"scalar", `"x"`, `"x"`},
		{"empty containers", `[{},[]]`, `[{},[]]`},
		{"nested sort", `{"b":{"d":1,"c":2},"a":0}`, `{"a":0,"b":{"c":2,"d":1}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Canonicalize([]byte(tc.in))
			if err != nil {
				t.Fatalf("Canonicalize: %v", err)
			}
			if string(got) != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestCanonicalizeErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"ErrDuplicateKey", `{"a":1,"a":2}`, ErrDuplicateKey},
		{"ErrDuplicateKey/escaped", `{"a":1,"\u0061":2}`, ErrDuplicateKey},
		{"ErrDuplicateKey/nested", `[{"x":{"k":1,"k":1}}]`, ErrDuplicateKey},
		{"ErrInvalidUTF8", "\"a\xffb\"", ErrInvalidUTF8},
		{"ErrInvalidUTF8/encoded surrogate", "\"\xed\xa0\x80\"", ErrInvalidUTF8},
		{"ErrInvalidUTF8/overlong", "\"\xc0\xaf\"", ErrInvalidUTF8},
		{"ErrLoneSurrogate/high", `"\ud800"`, ErrLoneSurrogate},
		{"ErrLoneSurrogate/high then text", `"\ud800x"`, ErrLoneSurrogate},
		{"ErrLoneSurrogate/high high", `"\ud800\ud800"`, ErrLoneSurrogate},
		{"ErrLoneSurrogate/low", `"\udc00"`, ErrLoneSurrogate},
		{"ErrNumberRange", `1e400`, ErrNumberRange},
		{"ErrNumberRange/negative", `[-1e309]`, ErrNumberRange},
		{"ErrTooDeep", strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), ErrTooDeep},
		{"ErrSyntax/empty", ``, ErrSyntax},
		{"ErrSyntax/trailing data", `{} {}`, ErrSyntax},
		{"ErrSyntax/leading zero", `01`, ErrSyntax},
		{"ErrSyntax/bare point", `1.`, ErrSyntax},
		{"ErrSyntax/leading point", `.5`, ErrSyntax},
		{"ErrSyntax/plus", `+1`, ErrSyntax},
		{"ErrSyntax/empty exponent", `1e`, ErrSyntax},
		{"ErrSyntax/NaN", `NaN`, ErrSyntax},
		{"ErrSyntax/control in string", "\"a\nb\"", ErrSyntax},
		{"ErrSyntax/bad escape", `"\x"`, ErrSyntax},
		{"ErrSyntax/short unicode escape", `"\u12"`, ErrSyntax},
		{"ErrSyntax/trailing comma", `[1,]`, ErrSyntax},
		{"ErrSyntax/trailing comma object", `{"a":1,}`, ErrSyntax},
		{"ErrSyntax/unterminated", `{"a":[1`, ErrSyntax},
		{"ErrSyntax/single quotes", `{'a':1}`, ErrSyntax},
		{"ErrSyntax/missing colon", `{"a" 1}`, ErrSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Canonicalize([]byte(tc.in))
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %q, %v; want error %v", got, err, tc.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Offset < 0 || e.Offset > len(tc.in) {
				t.Errorf("got %#v, want an *Error with an offset in [0, %d]", err, len(tc.in))
			}
		})
	}
}

func FuzzCanonicalize(f *testing.F) {
	inputs, _ := filepath.Glob("testdata/input/*.json")
	for _, in := range inputs {
		b, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{`{"a":1,"a":2}`, `"\ud800"`, `[1e400]`, `-0.0e-0`, `{"\u0000":"\u001f"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		out, err := Canonicalize(data)
		if err != nil {
			if out != nil {
				t.Fatalf("got output %q with error %v", out, err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("output is not valid JSON: %q", out)
		}
		again, err := Canonicalize(out)
		if err != nil {
			t.Fatalf("canonicalize output %q: %v", out, err)
		}
		if !bytes.Equal(again, out) {
			t.Fatalf("not idempotent:\n%q\n%q", out, again)
		}
		// Same value as encoding/json reads it (numbers as float64).
		var a, b any
		if err := json.Unmarshal(data, &a); err != nil {
			t.Fatalf("encoding/json rejects accepted input %q: %v", data, err)
		}
		if err := json.Unmarshal(out, &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("value changed:\n%#v\n%#v", a, b)
		}
	})
}

func BenchmarkCanonicalize(b *testing.B) {
	src, err := os.ReadFile("testdata/input/weird.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Canonicalize(src); err != nil {
			b.Fatal(err)
		}
	}
}
