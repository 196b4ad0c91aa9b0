package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/datasets/datasetstest"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/internal/httpapi"
)

// TestCreateTaskRefused uploads specs and datasets that the engine
// refuses: each is a 4xx whose message is the one `verdict task create`
// prints for the same files, run in their directory (so the file names
// are bare and the server's temporary directory never shows).
func TestCreateTaskRefused(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{})
	raw, err := os.ReadFile("testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	badValue := strings.Join(append(append([]string{}, lines[:3]...), "r2,0.116,abc,0.877"), "\n") + "\n" +
		strings.Join(lines[4:], "\n")
	tooLong := "id,a,target\nr0," + strings.Repeat("1", 70_000) + ",1\n"
	lz4, err := datasetstest.ParquetLegacyLZ4(contestParquet(t))
	if err != nil {
		t.Fatal(err)
	}
	spec := func(id, data, fraction string) string {
		return fmt.Sprintf("id: %s\ntype: regression\nmetric: rmse\ndata: {%s}\nsplit: {public_fraction: %s, seed: s}\n", id, data, fraction)
	}
	tests := []struct {
		name   string
		spec   string
		file   string
		data   []byte
		status int
		kind   string
		want   string // the message starts so
	}{
		{"BadValue", spec("badvalue", "test: bad.csv", "0.5"), "bad.csv", []byte(badValue), 400, "invalid_dataset",
			`create task "badvalue": bad.csv: row 3 (line 4), column "b": not numeric`},
		{"FieldTooLarge", spec("toolong", "test: long.csv", "0.5"), "long.csv", []byte(tooLong), 413, "too_large",
			`create task "toolong": long.csv: row 1 (line 2), column "a": input too large`},
		{"UnsupportedCodec", spec("lz4", "test: lz4.parquet", "0.5"), "lz4.parquet", lz4, 400, "invalid_dataset",
			`create task "lz4": lz4.parquet: column "id": unsupported codec LZ4`},
		{"MissingColumn", spec("nolabel", "test: contest.csv, label: nope", "0.5"), "contest.csv", raw, 400, "invalid_dataset",
			`create task "nolabel": contest.csv: column "nope": missing column`},
		{"SpecAgainstData", spec("onerow", "test: contest.csv", "0.01"), "contest.csv", raw, 400, "bad_request",
			`task spec task.yaml: split.public_fraction: 0.01 leaves no public rows`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := v.host().upload("POST", "/v1/tasks", multipartForm(t, map[string][]byte{"spec": []byte(tc.spec), "data": tc.data}))
			var e struct {
				Error api.Error `json:"error"`
			}
			if err := json.Unmarshal(r.body, &e); err != nil {
				t.Fatalf("got %d %s: %v", r.status, r.body, err)
			}
			if r.status != tc.status || e.Error.Kind != tc.kind || !strings.HasPrefix(e.Error.Message, tc.want) {
				t.Fatalf("got %d %q %q, want %d %q %q…", r.status, e.Error.Kind, e.Error.Message, tc.status, tc.kind, tc.want)
			}
			// The CLI's message for the same files, in their directory.
			dir := t.TempDir()
			for name, b := range map[string][]byte{"task.yaml": []byte(tc.spec), tc.file: tc.data} {
				if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			t.Chdir(dir)
			_, err := v.e.CreateTask(context.Background(), "task.yaml")
			if err == nil || engine.Message(err) != e.Error.Message {
				t.Errorf("got message %q, want the CLI's %v", e.Error.Message, err)
			}
		})
	}
}

// TestCreateTaskArrowJS creates a task from an Arrow IPC file laid out as
// Apache Arrow's JavaScript library writes it (the schema only in the
// footer).
func TestCreateTaskArrowJS(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{})
	js, err := datasetstest.IPCFileSchemaInFooter(contestIPCFile(t))
	if err != nil {
		t.Fatal(err)
	}
	spec := "id: jsarrow\ntype: regression\nmetric: rmse\ndata: {test: contest.arrow}\nsplit: {public_fraction: 0.5, seed: s}\n"
	r := v.host().upload("POST", "/v1/tasks", multipartForm(t, map[string][]byte{"spec": []byte(spec), "data": js}))
	if r.status != 201 {
		t.Fatalf("got %d %s, want 201", r.status, r.body)
	}
	if rows := r.json(t)["public_rows"].(float64) + r.json(t)["private_rows"].(float64); rows != 40 {
		t.Errorf("got %v rows, want 40", rows)
	}
}

// contestRecord is testdata/contest.csv as an Arrow record: id (string),
// a, b, target (float64).
func contestRecord(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
	t.Helper()
	f, err := os.Open("testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	fields := []arrow.Field{{Name: rows[0][0], Type: arrow.BinaryTypes.String}}
	for _, n := range rows[0][1:] {
		fields = append(fields, arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Float64})
	}
	b := array.NewRecordBuilder(mem, arrow.NewSchema(fields, nil))
	defer b.Release()
	for _, row := range rows[1:] {
		b.Field(0).(*array.StringBuilder).Append(row[0])
		for j, s := range row[1:] {
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatal(err)
			}
			b.Field(j + 1).(*array.Float64Builder).Append(x)
		}
	}
	return b.NewRecordBatch()
}

func contestParquet(t *testing.T) []byte {
	t.Helper()
	mem := memory.NewGoAllocator()
	rec := contestRecord(t, mem)
	defer rec.Release()
	var buf bytes.Buffer
	w, err := pqarrow.NewFileWriter(rec.Schema(), &buf, parquet.NewWriterProperties(), pqarrow.DefaultWriterProps())
	if err == nil {
		err = w.Write(rec)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func contestIPCFile(t *testing.T) []byte {
	t.Helper()
	mem := memory.NewGoAllocator()
	rec := contestRecord(t, mem)
	defer rec.Release()
	var buf bytes.Buffer
	w, err := ipc.NewFileWriter(&buf, ipc.WithSchema(rec.Schema()))
	if err == nil {
		err = w.Write(rec)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
