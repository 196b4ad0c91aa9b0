package datasets

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestReadSample(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name     string
		csv      string
		features []string
		maxRows  int
		want     *Sample
	}{
		{
			name:     "feature order, extra columns ignored",
			csv:      "id,b,target,a\n1,2,0,3\n2,NA,1,true\n",
			features: []string{"a", "b"}, maxRows: 10,
			want: &Sample{Columns: [][]float64{{3, 1}, {2, nan}}, Rows: 2, Ignored: []string{"id", "target"}},
		},
		{
			name:     "at most maxRows",
			csv:      "\ufeffa\n1\n2\n3\nnot read\n",
			features: []string{"a"}, maxRows: 2,
			want: &Sample{Columns: [][]float64{{1, 2}}, Rows: 2},
		},
		{
			name:     "missing columns listed, no rows read",
			csv:      "x,a\n1,zzz\n",
			features: []string{"c", "a", "b"}, maxRows: 5,
			want: &Sample{Missing: []string{"c", "b"}, Ignored: []string{"x"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadSample(strings.NewReader(tc.csv), "train.csv", tc.features, tc.maxRows)
			if err != nil {
				t.Fatal(err)
			}
			if got.Rows != tc.want.Rows || !slices.Equal(got.Missing, tc.want.Missing) || !slices.Equal(got.Ignored, tc.want.Ignored) {
				t.Errorf("got rows %d, missing %q, ignored %q; want %d, %q, %q",
					got.Rows, got.Missing, got.Ignored, tc.want.Rows, tc.want.Missing, tc.want.Ignored)
			}
			if len(got.Columns) != len(tc.want.Columns) {
				t.Fatalf("got %d columns, want %d", len(got.Columns), len(tc.want.Columns))
			}
			for j := range got.Columns {
				if !slices.EqualFunc(got.Columns[j], tc.want.Columns[j], func(a, b float64) bool {
					return a == b || math.IsNaN(a) && math.IsNaN(b)
				}) {
					t.Errorf("column %d: got %v, want %v", j, got.Columns[j], tc.want.Columns[j])
				}
			}
		})
	}
}

func TestReadSampleErrors(t *testing.T) {
	tests := []struct {
		name    string
		csv     string
		maxRows int
		want    error
		msg     string
	}{
		{"ErrNotNumeric", "a\n1\nabc\n", 10, ErrNotNumeric, `train.csv: row 2 (line 3), column "a": datasets: not numeric: "abc"`},
		{"ErrRaggedRow", "a,b\n1\n", 10, ErrRaggedRow, "row 1 (line 2)"},
		{"ErrEmpty", "a\n", 10, ErrEmpty, "a header and no data rows"},
		{"ErrEmptyNoHeader", "", 10, ErrEmpty, "no header"},
		{"ErrDuplicateColumn", "a,a\n1,2\n", 10, ErrDuplicateColumn, "columns 1 and 2"},
		{"ErrUnknownFormat", "PAR1....", 10, ErrUnknownFormat, "a sample must be CSV"},
		{"ErrMalformed", "a\n\"1\n", 10, ErrMalformed, "line"},
		{"ErrBadSchema", "a\n1\n", 0, ErrBadSchema, "max rows 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadSample(strings.NewReader(tc.csv), "train.csv", []string{"a"}, tc.maxRows)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got %v, want %v containing %q", err, tc.want, tc.msg)
			}
		})
	}
}

// FuzzReadSample: a sample never panics, and what it returns is
// consistent: as many columns as features, each of Rows values.
func FuzzReadSample(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "id,a\nx,NA\ny,true\n", "b\n1\n", "a\n\"1\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > fuzzMaxInput {
			return
		}
		s, err := ReadSample(strings.NewReader(string(data)), "fuzz.csv", []string{"a", "b"}, 50)
		if err != nil {
			return
		}
		if len(s.Missing) > 0 {
			if s.Columns != nil || s.Rows != 0 {
				t.Fatalf("missing %q with %d columns, %d rows", s.Missing, len(s.Columns), s.Rows)
			}
			return
		}
		if len(s.Columns) != 2 || s.Rows < 1 || s.Rows > 50 {
			t.Fatalf("%d columns, %d rows", len(s.Columns), s.Rows)
		}
		for j, c := range s.Columns {
			if len(c) != s.Rows {
				t.Fatalf("column %d has %d values, want %d", j, len(c), s.Rows)
			}
		}
	})
}
