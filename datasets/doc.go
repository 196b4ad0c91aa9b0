// Package datasets loads a host's held-out dataset, an untrusted upload,
// from CSV, Parquet or Arrow IPC (file or stream) into Arrow memory,
// validates it, separates the features a guest may see from the labels
// that never leave the host, and fingerprints its content.
//
// In the pipeline it comes first:
//
//	dataset (CSV/Parquet/IPC) -> datasets (Arrow, features | labels, hash)
//	-> sandbox (the guest sees Features only) -> score (against Labels)
//
// datasets never hands labels to a guest: Features holds only the columns
// of Schema.Features (by default every column except the id, label and
// group), and a Schema naming its label (or id, or group) as a feature is
// rejected. It never panics on its input, never trusts sizes stated by
// it, and imports no verdict package but internal/durable.
//
// # Validation
//
// Every problem is a *ParseError naming the file, the row and the column,
// wrapping a sentinel of errors.go for errors.Is. Rows are counted as a
// person counts them: the first data row after the CSV header is row 1
// (and the first row of a Parquet or IPC input is row 1); Row 0 means the
// problem is the header's, a column's type or the whole file's. For CSV,
// Line gives the line the row starts on (the header is line 1).
//
//   - the id column must be present, its values unique (a duplicate names
//     both rows), non-null and non-empty; strings or integers, kept as
//     strings;
//   - the label column, when named, must be present and non-null, and hold
//     its LabelKind: 0/1 (binary), non-negative integers (multiclass),
//     finite numbers (numeric);
//   - feature columns must be present and numeric: integers, floats,
//     booleans (converted to float64; integers beyond 2^53 lose
//     precision). Nulls become NaN. In CSV, an empty field or NA, NaN,
//     null (any case, spaces trimmed) is null, true/false are 1/0, and
//     anything strconv.ParseFloat rejects is an error naming the value;
//   - a CSV row must have as many fields as the header; column names must
//     be unique; the dataset must have at least one row.
//
// Untrusted input is bounded: Schema.MaxBytes, MaxRows and MaxCells
// (defaults DefaultMaxBytes, DefaultMaxRows, DefaultMaxCells), one CSV
// field, id or name by MaxFieldBytes, columns by MaxColumns, one CSV
// record by MaxRecordBytes (checked as the bytes stream in, before
// encoding/csv holds the record), classes by MaxClasses; Parquet and
// IPC decoding runs under a memory budget so that a small compressed file
// cannot claim gigabytes. arrow-go trusts sizes stated inside its inputs
// in places where a failed allocation kills the process, so IPC messages
// go through our own message reader, which checks their flatbuffers
// (ipc.go, flatbuf.go), and a Parquet footer is walked and its list
// lengths checked before arrow-go decodes it (thrift.go). IPC files are
// read as the stream they embed, with the footer's schema when the stream
// has none (as Apache Arrow's JavaScript library writes files). A Parquet
// column in a codec arrow-go lacks (legacy LZ4, LZO) is
// ErrUnsupportedCodec before a page is read. arrow-go panics on some malformed
// inputs; those panics are recovered at the decoder boundary and reported
// as ErrMalformed.
//
// A host's own dataset (a task's held-out set) is bounded by the host:
// the engine passes its Config.MaxDatasetRows, MaxDatasetBytes and
// MaxDatasetCells as the Schema's bounds, so DefaultMaxRows (16 Mi) is
// no limit on a task. A saved dataset is read back by Open and
// OpenDigest without the row and cell bounds, in place: the file is
// memory-mapped (Linux; read elsewhere), its SHA-256 taken over the
// mapping, and each record batch decoded from the mapped bytes without
// a copy of the message body, the pages read dropped from the resident
// set as it goes, so opening costs the dataset plus a window of the
// file. A file truncated while mapped faults on read; the fault is
// recovered and reported as an error.
//
// # Content hash
//
// Dataset.Hash is the hex SHA-256 of this encoding, which depends only on
// the rows, not on the file format (all integers big-endian):
//
//	"verdict/datasets hash v1\n"
//	uint64 number of rows
//	uint32 number of features, then each feature name as a string
//	the label kind as a string ("" when there is no label)
//	one byte of flags: 1 = labels present, 2 = groups present
//	then for each row, in file order:
//	  the id as a string
//	  each feature as the uint64 bits of its float64 (every NaN as
//	  0x7ff8000000000000)
//	  the label as float64 bits, when present
//	  the group as a string, when present
//
// where a string is a uint32 byte length followed by the bytes. Column
// names of the id, label and group do not enter the hash; feature names
// and their order do.
//
// # Samples
//
// ReadSample (LoadSample for a file) reads the first rows of a
// participant's own CSV, such as their training data, reduced to a task's
// feature columns by name: verdict check runs a model on them before it is
// submitted. Other columns (an id, the label) are ignored, missing ones
// are listed rather than refused, and no id or label is kept.
//
// # Storage
//
// Save writes one Arrow IPC file (ids, features, label, group, with the
// role of each column, the label kind, the number of classes and the hash
// in the metadata), atomically; Open reads it back and verifies the hash.
// A caller that recorded FileDigest (the SHA-256 of the file's bytes)
// after Save opens it with OpenDigest instead: the bytes are checked
// against the digest, and the content hash and the ids' uniqueness are
// then trusted rather than recomputed. The same dataset saved twice writes
// the same bytes.
//
// # Usage
//
//	d, err := datasets.Load("breast_cancer_test.csv", datasets.Schema{
//		ID:    "id",
//		Label: "target",
//		Kind:  datasets.BinaryLabel,
//	})
//	if err != nil {
//		var pe *datasets.ParseError
//		if errors.As(err, &pe) { // pe.Row, pe.Column
//		}
//		return err
//	}
//	defer d.Release()
//	for j := range d.FeatureNames {
//		copy(guestColumn(j), d.Column(j)) // column-major, no labels
//	}
//	if err := d.Save(filepath.Join(dataDir, d.Hash+".arrow")); err != nil {
//		return err
//	}
package datasets
